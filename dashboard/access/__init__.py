"""Who is looking: accounts, password hashing and the audit log.

Nothing here imports Dash or the warehouse: the account store is a small SQLite file
beside the warehouse (the loader replaces the warehouse file on every load, so the
accounts cannot live inside it), shared safely by every worker process and by the
``mcred users`` / ``mcred audit`` commands.
"""
