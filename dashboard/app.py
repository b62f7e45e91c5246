"""The Dash app factory. Nothing runs at import: call create_app(settings).

For a WSGI server: ``gunicorn --workers 3 'dashboard.wsgi:server'`` (see README).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboard import compare_exports, context, exports, issue_exports
from dashboard.components import downloads
from dashboard.db import Database, NoWarehouse
from dashboard.settings import DashboardSettings

ASSETS = Path(str(resources.files("dashboard") / "assets"))  # package data: served wherever mcred is installed
PAGES = Path(__file__).resolve().parent / "pages"


def create_app(settings: DashboardSettings) -> dash.Dash:
    app = dash.Dash(
        __name__,
        use_pages=True,
        pages_folder=str(PAGES),
        assets_folder=str(ASSETS),
        title=settings.title,
        suppress_callback_exceptions=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.server.extensions[context.EXTENSION_KEY] = {"db": Database(settings.db_path), "settings": settings}
    app.layout = _shell(settings)
    _register_shell_callbacks(app)
    compare_exports.register_routes(app.server)
    exports.register_routes(app.server)
    downloads.register_callbacks(app)
    issue_exports.register_routes(app.server)
    return app


def _navbar() -> dbc.Navbar:
    links = [
        dbc.NavItem(html.A(page["name"], href=page["relative_path"], className="nav-link",
                           **{"data-keep-query": "1"}))
        for page in dash.page_registry.values() if page.get("nav", True)
    ]
    return dbc.Navbar(
        dbc.Container([
            html.A(dbc.NavbarBrand("B.C. Micro-credentials", className="fw-semibold"), href="/",
                   style={"textDecoration": "none"}, **{"data-keep-query": "1"}),
            dbc.NavbarToggler(id="navbar-toggler", n_clicks=0),
            dbc.Collapse(dbc.Nav(links, navbar=True, className="ms-auto"), id="navbar-collapse", navbar=True,
                         is_open=False),
        ], fluid=True),
        color="primary", dark=True, className="mb-3",
    )


def _shell(settings: DashboardSettings):
    def layout():
        return html.Div([
            _navbar(),
            dcc.Store(id="url-sync"),
            dbc.Container(dash.page_container, fluid=True, className="pb-4", id="page"),
            html.Footer(id="footer", className="footer text-muted small border-top py-2 px-3",
                        children=_footer_text(settings)),
        ])

    return layout


def _footer_text(settings: DashboardSettings) -> str:
    from dashboard import queries

    db = Database(settings.db_path)
    try:
        info = queries.data_version(db)
    except NoWarehouse:
        return f"No data loaded yet. Source: {settings.data_source}."
    last = info["last_load"] or info["published_at"]
    when = last.strftime("%Y-%m-%d %H:%M UTC") if last is not None else "never"
    return (f"Data version {info['version']}, last load {when}. Source: {settings.data_source}, "
            f"loaded and checked by mcred.")


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
        from dashboard import queries

        latest = queries.vocabulary(context.db()).latest_period
        return [[latest] if i["name"] == "period" and latest else [] for i in ids]

    @app.callback(
        Output("filter-summary", "children"),
        Input({"type": "filter", "name": dash.ALL}, "value"),
        prevent_initial_call=True,
    )
    def summarise_filters(_values):
        from dashboard import queries
        from dashboard.components.filters import summary_text, values_from_inputs
        from dashboard.filters import Filters

        vocab = queries.vocabulary(context.db())
        filters, _ = Filters.parse(values_from_inputs(dash.ctx.inputs_list[0]), vocab, strict=False)
        return summary_text(filters, vocab)

    app.clientside_callback(
        "function(n, open) { return n ? !open : open; }",
        Output("navbar-collapse", "is_open"),
        Input("navbar-toggler", "n_clicks"),
        dash.State("navbar-collapse", "is_open"),
    )
