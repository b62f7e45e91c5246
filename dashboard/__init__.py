"""The Dash dashboard. Reads the warehouse views only, read-only, through dashboard.db."""
