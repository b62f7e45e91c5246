"""Apps with sign-in on, over a copy of the fixture warehouse (each with its own account store)."""

from __future__ import annotations

import shutil
from typing import NamedTuple

import duckdb
import pytest
from access_helpers import PASSWORD, SECRET, sign_in

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


class Site(NamedTuple):
    client: object  # client(email or None) -> a test client, signed in as that account (None: nobody)
    store: AccessStore
    submission_ids: dict[str, int]  # each institution's latest submission


@pytest.fixture
def public_site(signed_in_app) -> Site:
    """The dashboard with sign-in and MCRED_PUBLIC=1, a client per role, its store, submission ids."""
    app, store = signed_in_app(public=True)

    def client(who: str | None):
        c = app.server.test_client()
        if who:
            assert sign_in(c, who).status_code == 302
        return c

    db = app.server.extensions["mcred"]["db"].path
    with duckdb.connect(str(db), read_only=True) as con:
        ids = dict(con.execute("SELECT institution_code, max(submission_id) FROM submissions GROUP BY 1").fetchall())
    return Site(client, store, ids)
