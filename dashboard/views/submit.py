"""Components of /submit and of the review queue on /submissions: drafts in, components out
(no database, no request). The pages pass ``dashboard.submitting.store.Draft`` values."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import display
from dashboard.data.tables import REPORT_TABLE
from dashboard.views.grid_downloads import grid_column_defs, grid_download_stores

STATE_LABELS = {
    "draft": "Draft: not sent yet",
    "submitted": "Sent: waiting for the ministry",
    "accepting": "Being loaded by the ministry",
    "accepted": "Accepted and loaded",
    "returned": "Returned by the ministry",
    "withdrawn": "Replaced by a newer file",
}
STATE_COLOURS = {
    "draft": "secondary",
    "submitted": "primary",
    "accepting": "info",
    "accepted": "success",
    "returned": "warning",
    "withdrawn": "light",
}
EVENT_LABELS = {
    "uploaded": "Uploaded",
    "submitted": "Sent to the ministry",
    "withdrawn": "Replaced by a newer file",
    "accepting": "Accept started",
    "accepted": "Accepted and loaded",
    "accept_failed": "Accept failed",
    "accept_interrupted": "Accept interrupted",
    "returned": "Returned",
}
# Long texts wrap onto lines of normal height (the grid's row height is for one line).
_WRAPPED = {"wrapText": True, "autoHeight": True, "cellStyle": {"lineHeight": "1.35", "padding": "6px 12px"}}
REPORT_COLUMNS = grid_column_defs(
    REPORT_TABLE,
    [
        {"field": "severity", "width": 100, "pinned": "left"},
        {"field": "row", "width": 75, "type": "rightAligned"},
        {"field": "column", "width": 160},
        {"field": "value", "width": 120},
        {"field": "expected", "width": 180, **_WRAPPED},
        {"field": "message", "flex": 1, "minWidth": 260, **_WRAPPED},
    ],
)
REPORT_GRID = "submit-report-grid"
REPORT_DOWNLOADS = ("submit-report-csv", "submit-report-xlsx")
EDITABLE = ("draft", "returned")
GRID_AUTO_HEIGHT = 12  # up to this many issues the grid is as tall as its rows
PHONE_ISSUES = 50  # issues listed on a phone (the download has them all)
ROW_NOTE = (
    "Row numbers are those of your own file, as a spreadsheet shows them (the header is row 1 unless it is lower)."
)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def state_badge(state: str, id_: str | None = None) -> dbc.Badge:
    extra = {"id": id_} if id_ else {}
    return dbc.Badge(
        STATE_LABELS.get(state, state),
        color=STATE_COLOURS.get(state, "secondary"),
        text_color="dark" if state in ("returned", "withdrawn") else None,
        className="fs-6 fw-normal",
        **extra,
    )


def upload_card(for_text: str, max_mb: int, template_href: str) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("1. Upload your file", className="h5 mb-1"),
                html.P(
                    [
                        for_text,
                        " Start from the ",
                        html.A("submission template (.xlsx)", href=template_href, id="submit-template"),
                        f"; .csv and .xlsx files up to {max_mb} MB are accepted. Upload as often as you need: each "
                        "upload is checked and kept as a draft until you send it.",
                    ],
                    className="small text-muted mb-2",
                ),
                dcc.Upload(
                    id="submit-upload",
                    accept=".csv,.xlsx",
                    max_size=max_mb * 1024 * 1024,
                    multiple=False,
                    className="submit-drop",
                    className_active="submit-drop submit-drop-active",
                    className_reject="submit-drop submit-drop-reject",
                    # The file field inside is the control (keyboard: Tab, then Enter); assets/submit.js
                    # names it. The "browse" look is a picture of a button, not a second control.
                    children=html.Div(
                        [
                            html.Span("Drag and drop your file here, or ", className="me-1"),
                            html.Span("browse", className="btn btn-primary btn-sm", **{"aria-hidden": "true"}),
                        ]
                    ),
                ),
                html.Div(
                    id="submit-upload-message",
                    role="status",
                    **{"aria-live": "polite", "data-max-bytes": str(max_mb * 1024 * 1024), "data-max-mb": str(max_mb)},
                    className="mt-2",
                ),
            ]
        ),
        className="mb-3",
    )


def empty_panel() -> list[Any]:
    return [
        html.P(
            "No file yet: upload one above and its check appears here within seconds.",
            className="text-muted mb-0",
            id="submit-empty",
        )
    ]


def refusal(text: str) -> dbc.Alert:
    return dbc.Alert(text, color="danger", className="mb-0", id="submit-refused")


def draft_panel(draft: Any, *, may_send: bool, problems: list[str], report_href: dict[str, str]) -> list[Any]:
    """The report, the explanations, the Send button and the history of one draft."""
    parts: list[Any] = [_summary(draft)]
    if draft.state == "returned" and draft.comment:
        parts.append(
            dbc.Alert(
                [html.Strong("The ministry returned this file: "), draft.comment],
                color="warning",
                id="submit-returned-comment",
                className="mb-3",
            )
        )
    parts.append(_report(draft, report_href))
    parts.append(_explanations(draft, may_send, problems))
    parts.append(_history(draft))
    return parts


def _summary(draft: Any) -> html.Div:
    subs = draft.submissions
    what = (
        f"{subs[0].get('institution_code') or '?'} {subs[0].get('reporting_period') or '?'}"
        if len(subs) == 1
        else f"{len(subs)} submissions"
    )
    return html.Div(
        [
            html.Div(
                [
                    html.H2(f"Draft {draft.draft_id}: {draft.file_name}", className="h5 mb-0 me-2"),
                    state_badge(draft.state, "submit-state"),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-1",
            ),
            html.P(
                f"{what} · uploaded by {draft.uploaded_by} at {display.when(draft.uploaded_at)} · "
                f"SHA-256 {draft.sha256[:12]}…",
                className="small text-muted mb-2",
            ),
        ]
    )


def _report(draft: Any, report_href: dict[str, str]) -> dbc.Card:
    issues = [i for s in draft.submissions for i in (s.get("issues") or [])]
    errors, warnings = draft.errors, draft.warnings
    if errors:
        verdict = dbc.Alert(
            f"{plural(errors, 'error')} to fix: the file cannot be sent until every error is fixed. Fix them in "
            "your file and upload it again.",
            color="danger",
            id="submit-verdict",
            className="py-2 mb-2",
        )
    elif warnings:
        then = (
            "the file may be sent once the edit checks below are explained"
            if draft.state in EDITABLE
            else "the explanations below were sent with the file"
        )
        verdict = dbc.Alert(
            f"No errors. {plural(warnings, 'warning')}: {then}.",
            color="warning",
            id="submit-verdict",
            className="py-2 mb-2",
        )
    else:
        verdict = dbc.Alert("No errors and no warnings.", color="success", id="submit-verdict", className="py-2 mb-2")
    counts = html.Ul(
        [
            html.Li([html.Strong(f"{draft.rows_total:,}"), " rows"], className="list-inline-item me-3"),
            html.Li([html.Strong(f"{errors:,}", id="submit-errors"), " errors"], className="list-inline-item me-3"),
            html.Li(
                [html.Strong(f"{warnings:,}", id="submit-warnings"), " warnings"], className="list-inline-item me-3"
            ),
        ],
        className="list-inline mb-2",
    )
    body: list[Any] = [html.H2("2. The check of your file", className="h5 mb-2"), verdict, counts]
    if issues:
        body += [
            html.Div(
                [
                    html.Span("Download the list: ", className="small me-1"),
                    html.A(
                        "CSV",
                        href=report_href["csv"],
                        id=REPORT_DOWNLOADS[0],
                        className="btn btn-sm btn-outline-primary me-1",
                    ),
                    html.A(
                        "Excel",
                        href=report_href["xlsx"],
                        id=REPORT_DOWNLOADS[1],
                        className="btn btn-sm btn-outline-primary",
                    ),
                ],
                className="mb-2",
            ),
            # A phone gets the issues as a list (the grid's six columns do not fit: the problem
            # itself would be off to the right); wider screens get the grid, sortable.
            _phone_list(issues),
            *grid_download_stores(REPORT_GRID, [report_href["csv"], report_href["xlsx"]]),
            dag.AgGrid(
                id=REPORT_GRID,
                columnDefs=REPORT_COLUMNS,
                rowData=[{k: i.get(k) for k in REPORT_TABLE.fields} for i in issues],
                defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True},
                dashGridOptions={
                    "enableCellTextSelection": True,
                    "ensureDomOrder": True,
                    # a short list as tall as its rows (no empty box under them); a long one scrolls
                    **({"domLayout": "autoHeight"} if len(issues) <= GRID_AUTO_HEIGHT else {}),
                },
                style={"height": "360px"} if len(issues) > GRID_AUTO_HEIGHT else {},
                className="ag-theme-alpine d-none d-md-block",
            ),
            html.P(ROW_NOTE, className="small text-muted mt-2 mb-0"),
        ]
    return dbc.Card(dbc.CardBody(body), className="mb-3")


def _phone_list(issues: list[dict[str, Any]]) -> html.Div:
    shown = issues[:PHONE_ISSUES]
    items = [
        html.Li(
            [
                html.Div(
                    [
                        html.Span(
                            str(i.get("severity") or ""),
                            className=f"badge {'bg-danger' if i.get('severity') == 'error' else 'bg-warning'}",
                        ),
                        html.Span(
                            " · ".join(
                                p
                                for p in (
                                    f"row {i['row']}" if i.get("row") is not None else "",
                                    str(i.get("column") or ""),
                                )
                                if p
                            ),
                            className="fw-semibold",
                        ),
                    ],
                    className="d-flex flex-wrap align-items-center gap-2 mb-1",
                ),
                html.Div(str(i.get("message") or "")),
                html.Div(f"Accepted: {i['expected']}", className="text-muted")
                if i.get("expected") and i.get("value") is not None
                else None,
            ],
            className="list-group-item px-2 py-2",
        )
        for i in shown
    ]
    more = (
        html.P(
            f"The first {len(shown):,} of {len(issues):,}: download the list for all of them.",
            className="small text-muted mt-2 mb-0",
        )
        if len(issues) > len(shown)
        else None
    )
    return html.Div(
        [html.Ol(items, className="list-group small mb-0", id="submit-report-list"), more],
        className="d-md-none",
    )


def _explanations(draft: Any, may_send: bool, problems: list[str]) -> dbc.Card:
    checks = draft.edit_checks
    editable = draft.state in EDITABLE
    items: list[Any] = []
    for c in checks:
        code = c["code"]
        text = draft.explanations.get(code, "")
        items.append(
            html.Label(
                [
                    html.Span(c["message"], className="d-block mb-1"),
                    dcc.Textarea(
                        id={"type": "submit-explain", "code": code},
                        value=text,
                        disabled=not editable,
                        placeholder="Why is this so? (required before sending)",
                        className="form-control",
                        style={"minHeight": "4.5rem"},
                    ),
                ],
                className="form-label d-block mb-3",
            )
        )
    if not checks:
        none = (
            "Once the errors are fixed, the edit checks to explain (if any) are listed here."
            if draft.errors
            else "Nothing in this file needs an explanation."
        )
        items.append(html.P(none, className="mb-2", id="submit-no-checks"))
    help_text = (
        "Each edit check compares your file with last year's, or with the B.C. framework: say in a sentence "
        "why it is so. The ministry reads your explanations with the file."
        if editable
        else "What the ministry reads with the file."
    )
    body: list[Any] = [
        html.H2("3. Explain and send" if editable else "3. Your explanations", className="h5 mb-1"),
        html.P(help_text, className="small text-muted mb-2", id="submit-explain-help"),
        *items,
    ]
    if editable:
        body += [
            html.Div(
                [html.P(p, className="mb-1") for p in problems],
                id="submit-blocking",
                className="small text-danger mb-2",
            ),
            dbc.Button(
                "Send to the ministry",
                id="submit-send",
                color="primary",
                n_clicks=0,
                disabled=not may_send,
            ),
        ]
    return dbc.Card(dbc.CardBody(body), className="mb-3")


def history_rows(events: Any) -> list[html.Tr]:
    return [
        html.Tr(
            [
                html.Td(display.when(e.at), className="text-nowrap"),
                html.Td(EVENT_LABELS.get(e.event, e.event)),
                html.Td(e.by_user),
                html.Td(e.note or ""),
            ]
        )
        for e in events
    ]


def _history(draft: Any) -> dbc.Card:
    head = html.Thead(html.Tr([html.Th("When"), html.Th("What"), html.Th("Who"), html.Th("Note")]))
    return dbc.Card(
        dbc.CardBody(
            [
                html.H2("History of this draft", className="h5 mb-2"),
                dbc.Table(
                    [head, html.Tbody(history_rows(draft.events))],
                    size="sm",
                    responsive=True,
                    className="mb-0",
                    id="submit-history",
                ),
            ]
        ),
        className="mb-3",
    )


def drafts_list(drafts: list[Any], current: int | None) -> list[Any]:
    if not drafts:
        return []
    items = [
        html.Li(
            [
                html.A(
                    f"Draft {d.draft_id}: {d.file_name}",
                    href=f"/submit?draft={d.draft_id}",
                    **({"aria-current": "true"} if d.draft_id == current else {}),
                ),
                html.Span(
                    f" · {d.institution_code or '?'} {d.reporting_period or ''} · {STATE_LABELS.get(d.state, d.state)}"
                    f" · {display.when(d.uploaded_at)}",
                    className="text-muted",
                ),
            ],
            className="small",
        )
        for d in drafts
    ]
    return [
        html.H2("Your recent drafts", className="h6 mb-1"),
        html.Ul(items, className="mb-0 ps-3", id="submit-drafts"),
    ]


# --- the ministry's review queue (on /submissions) -------------------------------------


def review_queue(drafts: list[Any]) -> list[Any]:
    title = html.H2("Files sent for review", className="h5 mb-1")
    if not drafts:
        return [title, html.P("No file is waiting for review.", className="mb-0 text-muted", id="review-empty")]
    cards = [_review_card(d) for d in drafts]
    return [
        title,
        html.P(
            "Accept loads the file through the same checks and hand-over as mcred load; return sends it back to the "
            "institution with your comment.",
            className="small text-muted mb-2",
        ),
        *cards,
    ]


def _review_card(d: Any) -> dbc.Card:
    sent = next((e for e in reversed(d.events) if e.event == "submitted"), None)
    checks = d.edit_checks
    explained = [
        html.Li([html.Span(c["message"]), html.Br(), html.Em(d.explanations.get(c["code"], "(no explanation)"))])
        for c in checks
    ]
    busy = d.state == "accepting"
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [
                        html.H3(
                            f"{d.institution_code} {d.reporting_period}: {d.file_name}",
                            className="h6 mb-0 me-2",
                        ),
                        state_badge(d.state),
                    ],
                    className="d-flex flex-wrap align-items-center gap-2 mb-1",
                ),
                html.P(
                    f"Draft {d.draft_id} · {d.rows_total:,} rows, {plural(d.warnings, 'warning')} · sent by "
                    f"{sent.by_user if sent else '?'} at {display.when(sent.at) if sent else '?'}",
                    className="small text-muted mb-1",
                ),
                html.A("Validation report", href=f"/submit?draft={d.draft_id}", className="small me-3"),
                html.A(
                    "Report (CSV)",
                    href=f"/export/drafts/{d.draft_id}/report.csv",
                    className="small me-3",
                ),
                html.Div(
                    [
                        html.P(plural(len(checks), "explanation") + ":", className="small mb-1 mt-2"),
                        html.Ul(explained, className="small mb-2"),
                    ]
                    if checks
                    else html.P("No edit checks to explain.", className="small mb-2 mt-2")
                ),
                html.Label(
                    [
                        html.Span("Comment for the institution (required to return)", className="d-block mb-1"),
                        dcc.Textarea(
                            id={"type": "review-comment", "draft": d.draft_id},
                            className="form-control",
                            style={"minHeight": "3.5rem"},
                            disabled=busy,
                        ),
                    ],
                    className="form-label small d-block mb-2",
                ),
                html.Div(
                    [
                        dbc.Button(
                            "Accept and load",
                            id={"type": "review-accept", "draft": d.draft_id},
                            color="success",
                            n_clicks=0,
                            className="me-2",
                            disabled=busy,
                        ),
                        dbc.Button(
                            "Return with comment",
                            id={"type": "review-return", "draft": d.draft_id},
                            color="warning",
                            n_clicks=0,
                            disabled=busy,
                        ),
                    ]
                ),
            ]
        ),
        className="mb-2",
        id=f"review-draft-{d.draft_id}",
    )


def portal_history(events: list[Any]) -> list[Any]:
    """The drafts' events of one matrix cell (under the cell's submission history)."""
    if not events:
        return []
    head = html.Thead(html.Tr([html.Th("When"), html.Th("Draft"), html.Th("What"), html.Th("Who"), html.Th("Note")]))
    rows = [
        html.Tr(
            [
                html.Td(display.when(e.at), className="text-nowrap"),
                html.Td(html.A(f"#{e.draft_id}", href=f"/submit?draft={e.draft_id}")),
                html.Td(EVENT_LABELS.get(e.event, e.event)),
                html.Td(e.by_user),
                html.Td(e.note or ""),
            ]
        )
        for e in events
    ]
    return [
        html.H3("Sent through /submit", className="h6 mt-3 mb-1"),
        dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, className="mb-0", id="portal-history"),
    ]
