"""The Dash app factory. Nothing runs at import: call create_app(settings).

For a WSGI server: ``gunicorn --workers 3 'dashboard.wsgi:server'`` (see README).
"""

from __future__ import annotations

from functools import partial
from importlib import resources
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
import flask
from dash import Input, Output, dcc, html
from flask import request

from dashboard import callback_requests, context, display, first_page
from dashboard.access import web as access_web
from dashboard.access.actor import OutOfScope
from dashboard.access.store import AccessStore, store_path
from dashboard.data.database import Database, NoWarehouse
from dashboard.data.reference import data_version, vocabulary
from dashboard.exports.routes import exports
from dashboard.settings import DashboardSettings
from dashboard.submitting import routes as submitting_routes
from dashboard.views.filters import FILTER_LABELS, FILTER_SUMMARY
from dashboard.views.index import EARLY_ASSETS, MAIN_ID, NATIVES, index_string

ASSETS = Path(str(resources.files("dashboard") / "assets"))  # package data: served wherever mcred is installed
PAGES = Path(__file__).resolve().parent / "pages"


class _Dash(dash.Dash):
    """Dash without version banners: the page config would otherwise name the Python,
    Dash and Plotly versions to every visitor (and ask Plotly's server for updates)."""

    def _config(self):
        config = super()._config()
        for key in ("python_version", "dash_version", "dash_version_url", "plotly_version", "ddk_version"):
            config.pop(key, None)
        config["disable_version_check"] = True
        return config


def create_app(settings: DashboardSettings) -> dash.Dash:
    app = _Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        title=settings.title,
        suppress_callback_exceptions=True,
        assets_path_ignore=[EARLY_ASSETS],
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    # Fingerprinted as Dash does its own assets' URLs, so it is cached as they are.
    app.index_string = index_string(f"{app.get_asset_url(NATIVES)}?m={int((ASSETS / NATIVES).stat().st_mtime)}")
    database = Database(settings.db_path)
    app.server.extensions[context.EXTENSION_KEY] = {"db": database, "settings": settings}
    # Request bodies: an upload of MCRED_MAX_UPLOAD_MB travels base64-encoded in a callback (4/3 larger).
    app.server.config["MAX_CONTENT_LENGTH"] = (settings.max_upload_mb * 4 // 3 + 1) * 1024 * 1024
    app.layout = _shell(settings, database)
    _register_shell_callbacks(app)
    app.server.register_blueprint(exports)
    submitting_routes.install(app.server, settings, database)
    callback_requests.install(app)
    app.server.register_error_handler(OutOfScope, _outside_scope)
    app.server.after_request(partial(_cache_fingerprinted_assets, app.get_asset_url("")))
    app.server.after_request(first_page.no_store)
    # A script path Dash does not serve (a crafted or stale URL) is not found, not a server error.
    app.server.register_error_handler(
        dash.exceptions.DependencyException,
        lambda _exc: ("404 Not Found: no such script.\n", 404, {"Content-Type": "text/plain; charset=utf-8"}),
    )
    # Last: the gate and the Content-Security-Policy need every route and inline script.
    access_web.install(app.server, settings.access, AccessStore(store_path(settings.db_path)), app.csp_hashes)
    return app


ASSET_MAX_AGE = 31_536_000  # a year: the URL changes when the file does


def _cache_fingerprinted_assets(prefix: str, response: flask.Response) -> flask.Response:
    """Our own scripts and styles (assets/) as long-lived as Dash's component bundles. Dash
    writes each asset's URL with ``?m=<its modification time>``, so a changed file has a new
    URL; Flask would serve it ``no-cache``, and every page view then asked again for each of
    the twelve (a round trip each before the page could run, the 1.2 MB Plotly bundle among them)."""
    if request.path.startswith(prefix) and request.args.get("m") and response.status_code == 200:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ASSET_MAX_AGE
        response.cache_control.immutable = True
    return response


def _outside_scope(exc: OutOfScope) -> tuple[str, int, dict[str, str]]:
    """Data outside the viewer's scope, asked for by URL, crafted callback or export parameter."""
    return f"403 Forbidden: {exc}\n", 403, {"Content-Type": "text/plain; charset=utf-8"}


def _navbar() -> dbc.Navbar:
    actor = access_web.request_actor()  # None while Dash checks the layout on an open route
    public = actor is not None and actor.role == "public"
    links = [
        dbc.NavItem(html.A(page["name"], href=page["relative_path"], className="nav-link", **{"data-keep-query": "1"}))
        for page in dash.page_registry.values()
        if page.get("nav", True)
        and not (public and page["path"] in access_web.NOT_PUBLIC_PAGES)
        and not (page["path"] in access_web.MINISTRY_PAGES and (actor is None or actor.role != "ministry"))
    ]
    if actor is not None:
        links.append(
            dbc.NavItem(html.Span(actor.label, id="navbar-user", className="navbar-text small ms-lg-3 py-2 text-white"))
        )
        if actor.signed_in:
            links.append(dbc.NavItem(html.A("Sign out", href="/logout", id="navbar-logout", className="nav-link")))
        elif actor.role == "public":
            links.append(dbc.NavItem(html.A("Sign in", href="/login", id="navbar-login", className="nav-link")))
    return dbc.Navbar(
        dbc.Container(
            [
                html.A(
                    dbc.NavbarBrand("B.C. Micro-credentials", className="fw-semibold"),
                    href="/",
                    style={"textDecoration": "none"},
                    **{"data-keep-query": "1"},
                ),
                dbc.NavbarToggler(id="navbar-toggler", n_clicks=0),
                dbc.Collapse(
                    dbc.Nav(links, navbar=True, className="ms-auto"), id="navbar-collapse", navbar=True, is_open=False
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        className="mb-3",
    )


def _shell(settings: DashboardSettings, database: Database):
    def layout():
        banner = []
        if not settings.access.sign_in:
            banner = [
                dbc.Alert(
                    "No sign-in (MCRED_AUTH=none): you are the local ministry user and see everything. This mode "
                    "serves this machine only; see the README's Deploying section to serve a network.",
                    id="auth-banner",
                    color="warning",
                    className="rounded-0 mb-0 py-1 small border-0",
                    style={"color": "#3d2e00", "backgroundColor": "#fff3cd"},
                )
            ]
        return html.Div(
            [
                *banner,
                _navbar(),
                dcc.Store(id="url-sync"),
                html.Main(
                    dbc.Container(first_page.page_container(), fluid=True, className="pb-4", id="page"),
                    id=MAIN_ID,
                    tabIndex="-1",
                ),
                html.Footer(
                    id="footer",
                    className="footer text-muted small border-top py-2 px-3",
                    children=_footer_text(settings, database),
                ),
            ]
        )

    return layout


def _footer_text(settings: DashboardSettings, database: Database) -> str:
    try:
        info = data_version(database.reader())
    except NoWarehouse:
        return f"No data loaded yet. Source: {settings.data_source}."
    last = info["last_load"] or info["published_at"]
    when = display.when(last) if last is not None else "never"  # Pacific time, as the deadlines
    return (
        f"Data version {info['version']}, last load {when}. Source: {settings.data_source}, "
        f"loaded and checked by mcred."
    )


def _register_shell_callbacks(app: dash.Dash) -> None:
    app.clientside_callback(
        dash.ClientsideFunction("mcred", "syncUrl"),
        Output("url-sync", "data"),
        Input({"type": "filter", "name": dash.ALL}, "value"),
        Input({"type": "urlparam", "name": dash.ALL, "default": dash.ALL}, "value"),
    )
    app.clientside_callback(
        "function(n, open) { return n ? !open : open; }",
        Output("filter-more", "is_open"),
        Input("filter-more-toggle", "n_clicks"),
        dash.State("filter-more", "is_open"),
        prevent_initial_call=True,
    )

    @app.callback(
        Output({"type": "filter", "name": dash.ALL}, "value", allow_duplicate=True),
        Input("filter-reset", "n_clicks"),
        dash.State({"type": "filter", "name": dash.ALL}, "id"),
        prevent_initial_call=True,
    )
    def reset_filters(_n, ids):
        latest = vocabulary(context.reader()).latest_period
        return [[latest] if i["name"] == "period" and latest else [] for i in ids]

    # The words under the filters, in the browser: a request of its own would wait behind the
    # page's callback on the worker's threads and count twice in every change's server time.
    app.clientside_callback(
        dash.ClientsideFunction("mcred", "filterSummary"),
        Output(FILTER_SUMMARY, "children"),
        Input({"type": "filter", "name": dash.ALL}, "value"),
        dash.State({"type": "filter", "name": dash.ALL}, "options"),
        dash.State(FILTER_LABELS, "data"),
        prevent_initial_call=True,
    )

    app.clientside_callback(
        "function(n, open) { return n ? !open : open; }",
        Output("navbar-collapse", "is_open"),
        Input("navbar-toggler", "n_clicks"),
        dash.State("navbar-collapse", "is_open"),
    )
