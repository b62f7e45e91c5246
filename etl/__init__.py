"""ETL: reads institutional submissions, checks them and writes the DuckDB warehouse.

The only writer of the warehouse; owns its schema, reference tables and views.
"""
