"""Apps with sign-in on, over a copy of the fixture warehouse (each with its own account store)."""

from __future__ import annotations

import shutil

import pytest
from access_helpers import PASSWORD, SECRET

from dashboard.access.settings import AccessSettings
from dashboard.access.store import AccessStore, store_path


@pytest.fixture
def signed_in_app(tmp_path, db_path, app_factory):
    """make(**access settings) -> (app, AccessStore): the dashboard with MCRED_AUTH=local by default."""

    def make(**options):
        db = tmp_path / f"w{len(list(tmp_path.iterdir()))}" / "warehouse.duckdb"
        db.parent.mkdir()
        shutil.copy(db_path, db)
        options.setdefault("auth", "local")
        options.setdefault("secret_key", SECRET)
        app = app_factory(db, access=AccessSettings(**options))
        store = AccessStore(store_path(db))
        store.add_account("ana@gov.bc.ca", "ministry", PASSWORD)
        store.add_account("lee@bcit.ca", "institution", PASSWORD, "BCIT")
        return app, store

    return make


@pytest.fixture
def accounts_password() -> str:
    return PASSWORD
