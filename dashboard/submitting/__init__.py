"""Submitting on the dashboard: drafts kept beside the warehouse, their validation and edit
checks, sending, and the ministry's review (accept loads the draft, return sends it back).

- :mod:`dashboard.submitting.store`: the draft store (SQLite beside the warehouse);
- :mod:`dashboard.submitting.service`: who may do what, and each step of the loop;
- :mod:`dashboard.submitting.worker`: the ETL run in a child process (``mcred.portal``).
"""
