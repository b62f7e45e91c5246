"""View models to Dash components: tables, lists, filter cards. No database, no queries:
pages pass the data in."""
