"""Administration, for ministry staff: the local accounts and the audit log (read-only;
accounts are changed with ``mcred users`` on the server).

The gate answers 403 to anyone else who opens /admin, and dashboard.access.admin refuses
them whichever door they use (this layout through Dash's page router, the audit callback).
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html

from dashboard.access import admin
from dashboard.access import web as access_web
from dashboard.access.store import ACTIONS
from dashboard.views.admin import ACTION_WORDS, accounts_table, audit_caption, audit_table
from dashboard.views.layout import page_heading

ALL_ACTIONS = "all"  # the action select's "All actions" (a select shows an empty value as blank)

dash.register_page(__name__, path="/admin", name="Admin", title="Admin | B.C. Micro-credentials", order=9)


def layout(**_query):
    rows = admin.accounts(access_web.store(), access_web.current_actor())
    return html.Div(
        [
            *page_heading(
                "Administration",
                "Who has an account, and what happened: sign-ins, failed sign-ins, exports and account changes. "
                "Accounts are added, removed and given new passwords with mcred users on the server.",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2(f"Accounts ({len(rows)})", className="h5 mb-2", id="admin-accounts-title"),
                        accounts_table(rows),
                    ]
                ),
                className="mb-3",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("Audit log", className="h5 mb-2"),
                        dbc.Row(
                            [
                                dbc.Col(
                                    [
                                        dbc.Label("From", html_for="admin-audit-from", className="small mb-0"),
                                        dbc.Input(id="admin-audit-from", type="date", size="sm"),
                                    ],
                                    xs=6,
                                    md=3,
                                ),
                                dbc.Col(
                                    [
                                        dbc.Label("To", html_for="admin-audit-to", className="small mb-0"),
                                        dbc.Input(id="admin-audit-to", type="date", size="sm"),
                                    ],
                                    xs=6,
                                    md=3,
                                ),
                                dbc.Col(
                                    [
                                        dbc.Label("Action", html_for="admin-audit-action", className="small mb-0"),
                                        dbc.Select(
                                            id="admin-audit-action",
                                            options=[{"label": "All actions", "value": ALL_ACTIONS}]
                                            + [{"label": ACTION_WORDS.get(a, a), "value": a} for a in ACTIONS],
                                            value=ALL_ACTIONS,
                                            size="sm",
                                        ),
                                    ],
                                    xs=12,
                                    md=3,
                                ),
                            ],
                            className="g-2 mb-2",
                        ),
                        html.P(id="admin-audit-caption", className="small mb-2", role="status"),
                        html.Div(id="admin-audit"),
                        html.Div(
                            [
                                dbc.Button("Newer", id="admin-audit-newer", size="sm", color="primary", outline=True),
                                dbc.Button(
                                    "Older",
                                    id="admin-audit-older",
                                    size="sm",
                                    color="primary",
                                    outline=True,
                                    className="ms-2",
                                ),
                            ],
                            className="mt-2",
                        ),
                        dcc.Store(id="admin-audit-page", data=1),
                    ]
                ),
            ),
        ]
    )


@callback(
    Output("admin-audit", "children"),
    Output("admin-audit-caption", "children"),
    Output("admin-audit-page", "data"),
    Output("admin-audit-newer", "disabled"),
    Output("admin-audit-older", "disabled"),
    Input("admin-audit-from", "value"),
    Input("admin-audit-to", "value"),
    Input("admin-audit-action", "value"),
    Input("admin-audit-newer", "n_clicks"),
    Input("admin-audit-older", "n_clicks"),
    State("admin-audit-page", "data"),
)
def update_audit(since, until, action, _newer, _older, page):
    """The audit log's page for the chosen dates and action (Newer/Older step through it)."""
    trigger = ctx.triggered_id
    page = page if isinstance(page, int) else 1
    page = page - 1 if trigger == "admin-audit-newer" else page + 1 if trigger == "admin-audit-older" else 1
    result = admin.audit_page(
        access_web.store(),
        access_web.current_actor(),
        since=since,
        until=until,
        action=None if action == ALL_ACTIONS else action,
        page=page,
    )
    if result.problem:
        return dbc.Alert(result.problem, color="warning", className="py-2 mb-0"), "", 1, True, True
    caption = audit_caption(result.total, result.page, result.pages, len(result.rows))
    return audit_table(result.rows), caption, result.page, result.page <= 1, result.page >= result.pages
