"""Apps with sign-in on over a copy of the fixture warehouse, accounts of each role, and
helpers that send callback requests exactly as the Dash renderer shapes them."""

from __future__ import annotations

import json
import shutil

import pytest
from submit_helpers import BCIT, MINISTRY, PASSWORD, SECRET, UBC, sign_in  # noqa: E402

from dashboard.access.settings import AccessSettings
from dashboard.access.store import AccessStore, store_path


@pytest.fixture
def portal_app(tmp_path, db_path, app_factory):
    """make(public=False) -> app: sign-in on, a fresh copy of the fixture warehouse, three accounts."""

    def make(public: bool = False):
        db = tmp_path / f"w{len(list(tmp_path.iterdir()))}" / "warehouse.duckdb"
        db.parent.mkdir()
        shutil.copy(db_path, db)
        app = app_factory(db, access=AccessSettings(auth="local", secret_key=SECRET, public=public))
        store = AccessStore(store_path(db))
        store.add_account(MINISTRY, "ministry", PASSWORD)
        store.add_account(BCIT, "institution", PASSWORD, "BCIT")
        store.add_account(UBC, "institution", PASSWORD, "UBC")
        return app

    return make


@pytest.fixture
def client_as(portal_app):
    """client_as(app, email or None) -> a test client signed in as that person (None: nobody)."""

    def make(app, email: str | None):
        client = app.server.test_client()
        if email:
            sign_in(client, email)
        return client

    return make


class Callbacks:
    """POST /_dash-update-component bodies shaped like the renderer's, by output."""

    def __init__(self, client):
        self.client = client
        self.deps = client.get("/_dash-dependencies").get_json() if client else None

    def dependency(self, output: str) -> dict:
        # an output another callback also writes (allow_duplicate: "id.prop@hash") does not name it
        found = [d for d in self.deps if output in d["output"].strip(".").split("...")]
        assert len(found) == 1, (output, [d["output"] for d in self.deps])
        return found[0]

    def post(self, client, output: str, values: dict, triggered: str | None = None):
        """``values``: component id (as the dependency names it; ``id.property`` where one component is
        both input and state) -> value, or for an ALL pattern a list of (id dict, value)."""
        dep = self.dependency(output)

        def item(spec):
            key = spec["id"]
            value = values.get(f"{key}.{spec['property']}", values.get(key))
            if key.startswith("{") and '"ALL"' in key:
                return [{"id": i, "property": spec["property"], "value": v} for i, v in (value or [])]
            return {"id": json.loads(key) if key.startswith("{") else key, "property": spec["property"], "value": value}

        outputs = [
            {"id": json.loads(o) if o.startswith("{") else o, "property": p}
            for o, p in (part.rsplit(".", 1) for part in dep["output"].strip(".").split("..."))
        ]
        body = {
            "output": dep["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [item(i) for i in dep["inputs"]],
            "state": [item(s) for s in dep["state"]],
            "changedPropIds": [triggered] if triggered else [],
        }
        return client.post("/_dash-update-component", json=body)


@pytest.fixture
def callbacks():
    return Callbacks


def drafts_store(app):
    from dashboard.submitting.routes import EXTENSION_KEY

    return app.server.extensions[EXTENSION_KEY]


@pytest.fixture
def portal_of():
    return drafts_store


@pytest.fixture
def upload_body():
    import base64

    def make(content: bytes, kind: str = "text/csv") -> str:
        return f"data:{kind};base64," + base64.b64encode(content).decode()

    return make
