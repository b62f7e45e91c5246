"""/submit: an institution uploads its file, sees its check, explains its edit checks and sends
it to the ministry; a ministry user does the same on behalf of any institution.

Glue only: callbacks read who is asking (dashboard.access), call
dashboard.submitting.service and hand the draft to dashboard.views.submit. Every callback
starts from the request's scope: the public, nobody, or an institution asking for another
institution's draft get HTTP 403 (ScopeError), whatever the request names.
"""

from __future__ import annotations

import base64
import binascii

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, dcc, html

from dashboard.access import web as access_web
from dashboard.data.scope import ScopeError
from dashboard.pages._glue import follow_grid_sort
from dashboard.submitting import routes
from dashboard.submitting.service import UploadRefused, blocking
from dashboard.submitting.store import StateError
from dashboard.views.filters import url_param_id
from dashboard.views.submit import (
    REPORT_DOWNLOADS,
    REPORT_GRID,
    draft_panel,
    drafts_list,
    empty_panel,
    refusal,
    upload_card,
)

dash.register_page(__name__, path="/submit", name="Submit", title="Submit a file | B.C. Micro-credentials", order=4)

follow_grid_sort(REPORT_GRID, REPORT_DOWNLOADS)  # the report's downloads follow its grid's sort

DRAFT = url_param_id("draft", "")


def layout(draft: str = "", **_query):
    actor = access_web.request_actor()
    if actor is None or actor.role not in ("ministry", "institution"):
        return html.Div(
            [
                html.H1("Submit a file", className="h3 mb-2"),
                refusal("Sign in with an institution or ministry account to submit."),
            ]
        )
    portal = routes.portal()
    if actor.role == "institution":
        for_text = f"You submit for {actor.institution}."
    else:
        for_text = "As a ministry user you may submit on behalf of any institution: the file says which."
    return html.Div(
        [
            html.H1("Submit a file", className="h3 mb-1"),
            html.P(
                "Check your micro-credential file before you send it: every error and warning with the row of "
                "your own file, then send it to the ministry for review.",
                className="text-muted mb-3",
            ),
            dcc.Input(id=DRAFT, type="hidden", value=str(draft or "")),
            dcc.Store(id="submit-refresh", data=0),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            upload_card(for_text, portal.max_upload_mb, "/export/drafts/template.xlsx"),
                            html.Div(id="submit-feedback", role="status", **{"aria-live": "polite"}),
                            dcc.Loading(html.Div(id="submit-panel", children=empty_panel()), delay_show=300),
                        ],
                        lg=9,
                    ),
                    dbc.Col(html.Div(id="submit-drafts-list"), lg=3, className="mt-3 mt-lg-0"),
                ]
            ),
        ]
    )


def _actor():
    actor = access_web.current_actor()
    routes.portal().require_submitter(actor.scope)
    return actor


def _draft_id(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


@callback(
    Output(DRAFT, "value"),
    Output("submit-upload-message", "children"),
    Input("submit-upload", "contents"),
    State("submit-upload", "filename"),
    prevent_initial_call=True,
)
def upload(contents, filename):
    actor = _actor()
    portal = routes.portal()
    if not isinstance(contents, str) or "," not in contents:
        return dash.no_update, refusal("The upload did not arrive whole: try again.")
    encoded = contents.split(",", 1)[1]
    try:
        # Refused on its size before a byte is decoded or read.
        portal.check_upload(filename if isinstance(filename, str) else None, len(encoded) * 3 // 4)
        content = base64.b64decode(encoded, validate=True)
        found = portal.upload(actor, filename, content)
    except UploadRefused as exc:
        return dash.no_update, refusal(str(exc))
    except binascii.Error:
        return dash.no_update, refusal("The upload did not arrive whole: try again.")
    verdict = "has errors to fix" if found.errors else "may be sent" if not blocking(found) else "needs explanations"
    return str(found.draft_id), dbc.Alert(
        f"{found.file_name} was checked and kept as draft {found.draft_id}: it {verdict}.",
        color="info",
        className="py-2 mb-0",
        id="submit-uploaded",
    )


@callback(
    Output("submit-panel", "children"),
    Output("submit-drafts-list", "children"),
    Input(DRAFT, "value"),
    Input("submit-refresh", "data"),
)
def show_draft(value, _refresh):
    actor = _actor()
    portal = routes.portal()
    scope = actor.scope
    draft_id = _draft_id(value)
    recent = portal.store.drafts(owner=scope.institution, every_owner=scope.role == "ministry", limit=8)
    if draft_id is None and scope.role == "institution" and recent:
        draft_id = recent[0].draft_id
    if draft_id is None:
        return empty_panel(), drafts_list(recent, None)
    draft = portal.visible(scope, draft_id)
    if draft.report is None:  # kept, but the check was cut short (a restart): check it now
        draft = portal.check(scope, draft_id)
    problems = blocking(draft)
    hrefs = {ext: f"/export/drafts/{draft.draft_id}/report.{ext}" for ext in ("csv", "xlsx")}
    may_send = not problems or problems == [_unexplained_text(draft)]
    # The draft shown, for Send (the URL may name none: an institution sees its latest draft).
    shown = dcc.Store(id="submit-shown", data=draft.draft_id)
    panel = draft_panel(draft, may_send=may_send, problems=problems, report_href=hrefs)
    return [shown, *panel], drafts_list(recent, draft.draft_id)


def _unexplained_text(draft) -> str:
    """The one problem the Send button itself solves (the explanations typed are sent with it)."""
    n = len(draft.unexplained())
    return f"Explain the {n} edit check{'s' if n != 1 else ''} marked below before sending." if n else ""


@callback(
    Output("submit-feedback", "children"),
    Output("submit-refresh", "data"),
    # the upload's line ("... needs explanations") would contradict the sent message
    Output("submit-upload-message", "children", allow_duplicate=True),
    Input("submit-send", "n_clicks"),
    State("submit-shown", "data"),
    State({"type": "submit-explain", "code": ALL}, "value"),
    State({"type": "submit-explain", "code": ALL}, "id"),
    State("submit-refresh", "data"),
    prevent_initial_call=True,
)
def send(clicks, value, texts, ids, refresh):
    actor = _actor()
    if not clicks:
        return dash.no_update, dash.no_update, dash.no_update
    draft_id = _draft_id(value)
    portal = routes.portal()
    if draft_id is None:
        raise ScopeError("No draft named.")
    explanations = {i["code"]: t or "" for i, t in zip(ids or [], texts or []) if isinstance(i, dict)}
    try:
        sent = portal.send(actor, draft_id, explanations)
    except StateError as exc:
        refused = dbc.Alert(str(exc), color="danger", className="py-2", id="submit-send-refused")
        return refused, (refresh or 0) + 1, dash.no_update
    return (
        dbc.Alert(
            f"Draft {sent.draft_id} was sent to the ministry. You will see here when it is accepted or returned.",
            color="success",
            className="py-2",
            id="submit-sent",
        ),
        (refresh or 0) + 1,
        None,
    )
