"""Where a request finds the warehouse: the app's Database (set by create_app; no
module-level data) and one Reader per request, the single entry point of every query
(and where the access work will attach who is asking)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from flask import current_app, g

from dashboard.data.database import Database, Reader

EXTENSION_KEY = "mcred"


def database() -> Database:
    return current_app.extensions[EXTENSION_KEY]["db"]  # type: ignore[no-any-return]


def reader() -> Reader:
    """This request's Reader (made at its first query)."""
    if "mcred_reader" not in g:
        from dashboard.access import web

        # create_app always installs the access gate; a bare server with only the export
        # routes (their tests) has no gate and no one to restrict.
        gated = web.EXTENSION_KEY in current_app.extensions
        if gated:
            scope = replace(
                web.current_actor().scope, min_cell=current_app.extensions[web.EXTENSION_KEY].settings.min_cell
            )
            g.mcred_reader = database().reader(scope)
        else:
            g.mcred_reader = database().reader()
    return g.mcred_reader  # type: ignore[no-any-return]


def settings() -> Any:
    return current_app.extensions[EXTENSION_KEY]["settings"]
