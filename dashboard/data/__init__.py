"""The data layer: every question the dashboard, the exports and ``mcred export`` ask the
warehouse. Nothing above this package opens a connection or writes SQL.

Importing this package imports nothing: ``dashboard.data.dimensions`` is read by the
command line without pulling in dash, flask or duckdb.
"""
