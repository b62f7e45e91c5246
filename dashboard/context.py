"""Where callbacks find the app's Database (set by create_app; no module-level data)."""

from __future__ import annotations

from flask import current_app

from dashboard.data.database import Database

EXTENSION_KEY = "mcred"


def db() -> Database:
    return current_app.extensions[EXTENSION_KEY]["db"]


def settings():
    return current_app.extensions[EXTENSION_KEY]["settings"]
