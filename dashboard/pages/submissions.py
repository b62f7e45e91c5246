"""Submission monitoring and data quality: who has reported for a fiscal year, whose
files failed and why, and each institution's list of problems to send back.

Glue only: callbacks turn their inputs into Filters and an IssueSelection
(dashboard.data.state), ask dashboard.data.submissions and hand the answers to
dashboard.views.submissions.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, ctx, dcc, html

from dashboard import context, display
from dashboard.data import submissions as sq
from dashboard.data.database import Reader
from dashboard.data.dimensions import PARAMETERS
from dashboard.data.filters import Filters, Vocabulary
from dashboard.data.reference import vocabulary
from dashboard.data.state import IssueSelection, parse_sort
from dashboard.data.tables import ISSUE_TABLE, sort_text
from dashboard.pages._glue import follow_grid_sort, page_layout, start
from dashboard.pages._review import cell_events, register_callbacks, review_section
from dashboard.views.filters import filter_panel, url_param_id
from dashboard.views.grid_downloads import grid_download_stores, hrefs_store_id, sort_store_id
from dashboard.views.layout import download_button, download_group, page_heading, section_card
from dashboard.views.overview import kpi_card
from dashboard.views.reporting import LIST_ID, status_list
from dashboard.views.submissions import (
    ISSUE_COLUMNS,
    KPI_TITLES,
    KPIS,
    SCOPE_NOTE,
    SEVERITY_OPTIONS,
    compliance_table,
    history_panel,
    history_placeholder,
    kpi_texts,
    legend,
    matrix_table,
)

dash.register_page(
    __name__, path="/submissions", name="Submissions", title="Submissions | B.C. Micro-credentials", order=3
)

ISSUES_GRID = "issues-grid"
ISSUE_DOWNLOADS = ("issues-download-csv", "issues-download-xlsx")

__all__ = ["history_panel", "matrix_table"]
register_callbacks()  # the ministry's review queue (dashboard.pages._review)


@page_layout
def layout(**query):
    _reader, vocab, filters, problems = start(query, page_vocabulary)
    if not _reader.scope.sees_rows:
        return public_layout(filters, vocab, problems)
    selection = IssueSelection.parse(query)
    cell = sq.cell_key(*selection.cell) if selection.cell else ""
    submission = "" if selection.submission is None else str(selection.submission)
    severity = selection.severity or "all"
    column = selection.column
    return html.Div(
        [
            *page_heading(
                "Submissions and data quality",
                "Who has reported for each fiscal year, whose files failed and why, and the list of problems "
                "to send back to each institution.",
            ),
            filter_panel(filters, vocab, problems),
            html.P(SCOPE_NOTE, className="small text-muted mt-n2 mb-3", id="submissions-scope-note"),
            dcc.Input(id=url_param_id("cell", ""), type="hidden", value=cell),
            dcc.Input(id=url_param_id("submission", ""), type="hidden", value=submission),
            html.H2(id="submissions-period", className="h5 mb-2"),
            html.Div(id="submissions-announce", role="status", className="visually-hidden"),
            dbc.Row(
                [
                    dbc.Col(
                        kpi_card(k, KPI_TITLES, note="note", lists=LIST_ID if k in LISTED else None),
                        xs=6,
                        md=4,
                        xl=True,
                        className="mb-2",
                    )
                    for k in KPIS
                ],
                className="g-2",
            ),
            dcc.Store(id=LIST_KIND),
            html.Div(id=LIST_ID, **{"aria-live": "polite"}),
            section_card(
                "Reporting status by fiscal year",
                "Click a cell to see every file loaded for that institution and year, and its issues.",
                legend(),
                dcc.Loading(html.Div(id="status-matrix"), delay_show=400, type="circle"),
                dcc.Store(id=MATRIX_CLICK),
                dcc.Store(id=MATRIX_SELECTED),
                class_name="mt-2",
            ),
            review_section(),
            dbc.Card(dbc.CardBody(html.Div(id="submission-history", children=history_placeholder())), className="mt-3"),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2(id="issues-title", className="h5 mb-2"),
                        dbc.Row(
                            [
                                dbc.Col(
                                    dbc.RadioItems(
                                        id=url_param_id("severity", "all"),
                                        options=SEVERITY_OPTIONS,
                                        value=severity,
                                        inline=True,
                                        className="small",
                                    ),
                                    xs=12,
                                    md="auto",
                                    className="mb-2",
                                ),
                                dbc.Col(
                                    [
                                        html.Label("Column", id="issues-column-label", className="visually-hidden"),
                                        dcc.Dropdown(
                                            id=url_param_id("column", ""),
                                            value=column,
                                            placeholder="Any column",
                                            clearable=True,
                                            className="filter-dropdown",
                                        ),
                                    ],
                                    xs=12,
                                    md=3,
                                    className="mb-2",
                                ),
                                dbc.Col(
                                    dbc.Button(
                                        "All institutions for the year",
                                        id="issues-all-period",
                                        color="link",
                                        size="sm",
                                        className="px-0",
                                    ),
                                    xs="auto",
                                    className="mb-2",
                                ),
                                dbc.Col(
                                    download_group(
                                        [
                                            download_button("CSV", ISSUE_DOWNLOADS[0]),
                                            download_button("Excel", ISSUE_DOWNLOADS[1]),
                                        ],
                                        aria_label="Download the issues listed",
                                    ),
                                    xs="auto",
                                    className="ms-md-auto mb-2",
                                ),
                            ],
                            className="align-items-center g-2",
                        ),
                        html.P(id="issues-caption", className="small mb-2", role="status"),
                        *grid_download_stores(ISSUES_GRID),
                        dag.AgGrid(
                            id=ISSUES_GRID,
                            columnDefs=ISSUE_COLUMNS,
                            rowData=[],
                            defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True},
                            dashGridOptions={"enableCellTextSelection": True, "ensureDomOrder": True},
                            style={"height": "420px"},
                            className="ag-theme-alpine",
                        ),
                        html.P(
                            [
                                "Row numbers are as the institution sees them in its own file (the header row's number + n), "
                                "so the download can be sent back as is."
                            ],
                            className="small text-muted mt-2 mb-0",
                        ),
                    ]
                ),
                className="mt-3",
            ),
            section_card(
                None,
                "Current offerings that break a framework rule: 288 hours or more, no assessment, or no "
                "partner category. The loader keeps them and flags each with a warning.",
                html.Div(id="compliance-flags"),
                title_id="compliance-title",
                class_name="mt-3",
            ),
        ]
    )


def public_layout(filters: Filters, vocab: Vocabulary, problems: list[str]):
    """The public's view: who has reported for each fiscal year, against the deadline; no
    files, issues, histories or downloads (the data layer gives the public none of them)."""
    return html.Div(
        [
            *page_heading(
                "Reporting status",
                "Which institutions have reported their micro-credentials for each fiscal year, and whether "
                "they reported by the deadline.",
            ),
            filter_panel(filters, vocab, problems),
            dcc.Input(id=url_param_id("cell", ""), type="hidden", value=""),
            html.H2(id="submissions-period", className="h5 mb-2"),
            dbc.Row(
                [dbc.Col(kpi_card(k, KPI_TITLES, note="note"), xs=6, md=4, xl=True, className="mb-2") for k in KPIS],
                className="g-2",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H2("Reporting status by fiscal year", className="h5 mb-1"),
                        legend(),
                        dcc.Loading(html.Div(id="status-matrix"), delay_show=400, type="circle"),
                    ]
                ),
                className="mt-2",
            ),
            # Outputs of the status callback that the public view leaves empty.
            html.Div(id="compliance-title", hidden=True),
            html.Div(id="compliance-flags", hidden=True),
        ]
    )


# --- glue: state, query, view (plain functions, tested without a browser) ---------


class StatusOutputs(NamedTuple):
    period_title: str
    kpis: list[str]
    notes: list[str]
    matrix: object
    compliance_title: str
    compliance: object


def build_status(reader: Reader, filters: Filters, vocab: Vocabulary, cell: str = "") -> StatusOutputs:
    period = sq.selected_period(filters, vocab)
    rows = reader.scope.sees_rows  # the public: the status only (dashboard/data/scope.py)
    # independent queries, side by side: the flags scan the offerings while the matrix is read
    matrix, institutions, deadline, flags = reader.at_once(
        [
            partial(sq.status_matrix, reader, filters),
            partial(sq.selected_institutions, reader, filters),
            partial(sq.deadline_for, reader, period),
            partial(sq.compliance_flags, reader, filters, period) if rows else lambda: None,
        ]
    )
    head = sq.headline(matrix, len(institutions), period)
    kpis, notes = kpi_texts(head, deadline)
    if period is None:
        title = "No fiscal year has submissions yet"
    else:
        title = f"Fiscal year {period}" + (
            f" · reporting deadline {display.day(deadline)}"
            if deadline
            else " · no reporting deadline set (data/deadlines.toml)"
        )
        if len(filters.period) > 1 or not filters.period:
            title += " (the latest of the selected years)" if filters.period else " (the latest year)"
    periods = sorted(matrix.reporting_period.unique()) if not matrix.empty else []
    table = matrix_table(matrix, institutions, periods, vocab, period, cell, clickable=rows)
    if not rows:
        return StatusOutputs(title, kpis, notes, table, "", None)
    return StatusOutputs(
        title, kpis, notes, table, f"Compliance flags, {period or 'no fiscal year'}", compliance_table(flags, vocab)
    )


class IssuesOutputs(NamedTuple):
    title: str
    caption: str
    rows: list[dict]
    columns: list[dict]
    csv_href: str
    xlsx_href: str


def resolve_scope(
    reader: Reader,
    filters: Filters,
    vocab: Vocabulary,
    cell: str,
    submission: str,
    severity: str | None,
    column: str | None,
) -> tuple[sq.IssueScope, str, dict]:
    """(scope, title, download query) from the page state."""
    selection = IssueSelection.parse(
        {"cell": cell, "submission": submission, "severity": severity or "", "column": column or ""}
    )
    found = sq.resolve_issues(reader, filters, vocab, selection)
    scope, info = found.scope, found.submission
    if info is not None:
        sid = scope.submission_id
        who = f"{info['institution_code'] or 'unknown institution'}, {info['reporting_period'] or 'no period'}"
        title = (
            f"Issues in {info['institution_code']}'s most recent file for {info['reporting_period']}: "
            f"{info['file_name']} (#{sid})"
            if found.latest
            else f"Issues in submission #{sid}: {info['file_name']} ({who})"
        )
        query = {"submission": str(sid)}
    elif selection.cell is not None:
        return scope, f"No file from {selection.cell[0]} for {selection.cell[1]}, so no issues", {}
    else:
        period = sq.selected_period(filters, vocab)
        title = f"Issues in each institution's most recent file for {period}" if period else "Issues"
        location = filters.without(*[p for p in PARAMETERS if p not in sq.LOCATION_PARAMETERS])
        query = {k: v for k, v in location.to_query().items() if k != "period"}
        query["period"] = period or ""
    if scope.severity:
        query["severity"] = scope.severity
    if scope.column:
        query["column"] = scope.column
    return scope, title, query


def build_issues(
    reader: Reader,
    filters: Filters,
    vocab: Vocabulary,
    cell: str = "",
    submission: str = "",
    severity: str | None = None,
    column: str | None = None,
    limit: int = sq.ISSUE_LIMIT,
    sort: str = "",
) -> IssuesOutputs:
    """The issue list; ``sort``: its grid's sort (``field:dir,...``; what the list does not show is
    left out), applied by the query, so the first ``limit`` rows are the download's first rows."""
    scope, title, query = resolve_scope(reader, filters, vocab, cell, submission, severity, column)
    if scope.period is None and scope.submission_id is None:
        return IssuesOutputs("Issues", "No submissions loaded yet.", [], [], "#", "#")
    order, _ = parse_sort(sort or "", ISSUE_TABLE.fields)
    if query and order:
        query["sort"] = sort_text(order)
    rows, counts, named = reader.at_once(
        [
            partial(sq.issue_records, reader, scope, limit, order),
            partial(sq.issue_counts, reader, scope),
            partial(sq.issue_columns, reader, scope),
        ]
    )
    columns = [{"label": c, "value": c} for c in named]
    total = counts["total"]
    detail = f"{display.count(counts['error'], 'error')}, {display.count(counts['warning'], 'warning')}"
    if total == 0:
        caption = "No issues match." if (scope.severity or scope.column) else "No issues: every check passed."
    elif len(rows) < total:
        caption = f"Showing {len(rows):,} of {total:,} issues ({detail}); download for the full list."
    else:
        caption = f"{'All ' if total > 1 else ''}{display.count(total, 'issue')} ({detail})."
    search = "?" + urlencode(query, safe=",/:") if query else ""
    hrefs = (f"/export/issues.csv{search}", f"/export/issues.xlsx{search}") if query else ("#", "#")
    return IssuesOutputs(title, caption, rows, columns, *hrefs)


def build_status_list(reader: Reader, filters: Filters, vocab: Vocabulary, kind: str | None):
    """The institutions behind the "Rejected" or "Missing" figure, and why (None: closed)."""
    if kind not in LISTED:
        return None
    period = sq.selected_period(filters, vocab)
    return status_list(sq.not_reported(reader, filters, period), kind, period, sq.deadline_for(reader, period))


def listed_kind(trigger, current: str | None) -> str | None:
    """Which list is open after a click on a headline figure (the same figure again closes it)."""
    if isinstance(trigger, str) and trigger.startswith("kpi-"):
        kind = trigger.removeprefix("kpi-")
        return None if kind == current else kind
    return current


# --- callbacks -----------------------------------------------------------------------------

FILTERS_INPUT = Input({"type": "filter", "name": ALL}, "value")
LISTED = ("rejected", "missing")  # the headline figures that list their institutions
LIST_KIND = "submissions-status-kind"
CELL = url_param_id("cell", "")
SUBMISSION = url_param_id("submission", "")
MATRIX_CLICK = "matrix-click"  # {"cell": key, "at": ms}: a click on a matrix cell (assets/matrix.js)
MATRIX_SELECTED = "matrix-selected"  # the cell the matrix marks (written by assets/matrix.js)


def page_vocabulary(reader: Reader) -> Vocabulary:
    """The page's vocabulary: every fiscal year with a submission, even one with none accepted."""
    return sq.page_vocabulary(reader, vocabulary(reader))


def _filters(inputs_list) -> tuple[Filters, Vocabulary]:
    vocab = page_vocabulary(context.reader())
    return Filters.from_controls(inputs_list, vocab), vocab


@callback(
    Output("submissions-period", "children"),
    [Output(f"kpi-{k}", "children") for k in KPIS],
    [Output(f"kpi-{k}-note", "children") for k in KPIS],
    Output("status-matrix", "children"),
    Output("compliance-title", "children"),
    Output("compliance-flags", "children"),
    FILTERS_INPUT,
    State(CELL, "value"),
)
def update_status(_filter_values, cell):
    filters, vocab = _filters(ctx.inputs_list[0])
    out = build_status(context.reader(), filters, vocab, cell or "")
    return [out.period_title, *out.kpis, *out.notes, out.matrix, out.compliance_title, out.compliance]


@callback(
    Output(LIST_ID, "children"),
    Output(LIST_KIND, "data"),
    [Output(f"kpi-{k}", "aria-expanded") for k in LISTED],
    FILTERS_INPUT,
    [Input(f"kpi-{k}", "n_clicks") for k in LISTED],
    State(LIST_KIND, "data"),
    prevent_initial_call=True,
)
def update_status_list(_filter_values, *args):
    kind = listed_kind(ctx.triggered_id, args[-1])
    filters, vocab = _filters(ctx.inputs_list[0])
    shown = build_status_list(context.reader(), filters, vocab, kind)
    return shown, kind, *["true" if k == kind else "false" for k in LISTED]


# The matrix marks its selected cell in the browser (assets/matrix.js): the cell is drawn in HTML.
clientside_callback(
    ClientsideFunction("matrix", "select"),
    Output(MATRIX_SELECTED, "data"),
    Input(CELL, "value"),
    prevent_initial_call=True,
)


@callback(
    Output(CELL, "value"),
    Output(SUBMISSION, "value"),
    Output(url_param_id("column", ""), "value"),
    Input(MATRIX_CLICK, "data"),
    Input({"type": "status-list-cell", "cell": ALL}, "n_clicks"),
    Input({"type": "history-issues", "submission": ALL}, "n_clicks"),
    Input("issues-all-period", "n_clicks"),
    prevent_initial_call=True,
)
def choose_scope(_cells, _listed, _history, _all):
    return scope_for_click(ctx.triggered_id, ctx.triggered[0]["value"] if ctx.triggered else None)


def scope_for_click(trigger, clicks) -> tuple:
    """(cell, submission, column) after a click; no_update for a render without a click. A
    click on the matrix comes as ``{"cell": key, ...}`` (assets/matrix.js); the cell it names is
    checked where it is used (IssueSelection), like a cell in the URL."""
    if trigger is None or not clicks:
        return dash.no_update, dash.no_update, dash.no_update
    if trigger == "issues-all-period":
        return "", "", None
    if trigger == MATRIX_CLICK:
        cell = clicks.get("cell") if isinstance(clicks, dict) else None
        return (cell, "", None) if isinstance(cell, str) else (dash.no_update,) * 3
    if not isinstance(trigger, dict):
        return dash.no_update, dash.no_update, dash.no_update
    if trigger.get("type") == "status-list-cell":
        return trigger["cell"], "", None
    if trigger.get("type") == "history-issues":
        return dash.no_update, str(trigger["submission"]), None
    return dash.no_update, dash.no_update, dash.no_update


@callback(
    Output("submission-history", "children"),
    Input(CELL, "value"),
    Input(SUBMISSION, "value"),
)
def update_history(cell, submission):
    selection = IssueSelection.parse({"cell": cell or "", "submission": submission or ""})
    if selection.cell is None:
        return history_placeholder()
    reader = context.reader()
    pair = selection.cell
    chosen = selection.submission if selection.submission is not None else sq.latest_submission(reader, *pair)
    history = sq.submission_history(reader, *pair)
    panel = history_panel(history, pair[0], pair[1], vocabulary(reader), chosen, sq.restore_events(reader, *pair))
    return [*panel, *cell_events(*pair)]


@callback(
    Output("issues-title", "children"),
    Output("issues-caption", "children"),
    Output(ISSUES_GRID, "rowData"),
    Output(url_param_id("column", ""), "options"),
    Output(hrefs_store_id(ISSUES_GRID), "data"),
    FILTERS_INPUT,
    Input(CELL, "value"),
    Input(SUBMISSION, "value"),
    Input(url_param_id("severity", "all"), "value"),
    Input(url_param_id("column", ""), "value"),
    Input(sort_store_id(ISSUES_GRID), "data"),
)
def update_issues(_filter_values, cell, submission, severity, column, sort):
    filters, vocab = _filters(ctx.inputs_list[0])
    sort = sort if isinstance(sort, str) else ""
    out = build_issues(context.reader(), filters, vocab, cell or "", submission or "", severity, column, sort=sort)
    return [*out[:-2], [out.csv_href, out.xlsx_href]]


follow_grid_sort(ISSUES_GRID, ISSUE_DOWNLOADS)


# Said to a screen reader after a filter changes the headline figures (not on the first render).
clientside_callback(
    """function (reported, rejected, missing, period) {
        return (period || "") + ": " + reported + " reported, " + rejected + " rejected, " + missing + " missing.";
    }""",
    Output("submissions-announce", "children"),
    Input("kpi-reported", "children"),
    State("kpi-rejected", "children"),
    State("kpi-missing", "children"),
    State("submissions-period", "children"),
    prevent_initial_call=True,
)
