"""WSGI entry point for production servers: ``gunicorn 'dashboard.wsgi:server'``.

Reads MCRED_DB from the environment (see dashboard.settings)."""

from dashboard.app import create_app
from dashboard.settings import DashboardSettings

app = create_app(DashboardSettings.from_env())
server = app.server
