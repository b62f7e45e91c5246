"""Layout pieces shared by pages (no queries here: pages pass data in)."""
