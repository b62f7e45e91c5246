"""Submission monitoring and data quality: who has reported for a fiscal year, whose
files failed and why, and each institution's list of problems to send back."""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from dashboard import context, theme
from dashboard.data import overview as queries
from dashboard.data import submissions as sq
from dashboard.data.database import Database, NoWarehouse
from dashboard.data.filters import Filters, Vocabulary
from dashboard.views.filters import filter_panel, url_param_id, values_from_inputs

dash.register_page(__name__, path="/submissions", name="Submissions",
                   title="Submissions | B.C. Micro-credentials", order=3)

KPIS = ("reported", "on-time", "partial", "rejected", "missing")
KPI_TITLES = {
    "reported": "Reported",
    "on-time": "On time",
    "partial": "Partial",
    "rejected": "Rejected",
    "missing": "Missing",
}
SEVERITY_OPTIONS = [{"label": "All issues", "value": "all"}, {"label": "Errors", "value": "error"},
                    {"label": "Warnings", "value": "warning"}]
FLAGS = (("over_duration", "288 hours or more"), ("no_assessment", "No assessment"), ("no_partner", "No partner"))
ISSUE_COLUMNS = [
    {"field": "institution_code", "headerName": "Institution", "width": 110, "pinned": "left"},
    {"field": "file_name", "headerName": "File", "width": 190},
    {"field": "row", "headerName": "Row", "width": 80, "type": "rightAligned"},
    {"field": "column", "headerName": "Column", "width": 160},
    {"field": "severity", "headerName": "Severity", "width": 105},
    {"field": "value", "headerName": "Value given", "width": 150},
    {"field": "message", "headerName": "Problem", "flex": 1, "minWidth": 320, "wrapText": True,
     "autoHeight": True, "cellStyle": {"lineHeight": "1.35", "paddingTop": "6px", "paddingBottom": "6px"}},
]  # the message says what is accepted; the downloads also carry it in its own column

SCOPE_NOTE = ("Reporting status and issues follow the fiscal year, institution, sector and region filters. "
              "The offering filters under More filters (type, delivery, credit, partner, field, continuing "
              "education, funding) apply to the compliance flags only.")


def layout(**query):
    db = context.db()
    try:
        vocab = sq.page_vocabulary(db, queries.vocabulary(db))
    except NoWarehouse as exc:
        return dbc.Alert(str(exc), color="info", className="mt-3")
    filters, problems = Filters.parse(dict(query), vocab, strict=False)
    cell = query.get("cell") if sq.parse_cell(query.get("cell")) else ""
    submission = str(query.get("submission") or "")
    submission = submission if submission.isdigit() else ""
    severity = query.get("severity") if query.get("severity") in sq.SEVERITIES else "all"
    column = query.get("column") or None
    return html.Div([
        html.H1("Submissions and data quality", className="h3 mb-1"),
        html.P("Who has reported for each fiscal year, whose files failed and why, and the list of problems "
               "to send back to each institution.", className="text-muted mb-3"),
        filter_panel(filters, vocab, problems),
        html.P(SCOPE_NOTE, className="small text-muted mt-n2 mb-3", id="submissions-scope-note"),
        dcc.Input(id=url_param_id("cell", ""), type="hidden", value=cell),
        dcc.Input(id=url_param_id("submission", ""), type="hidden", value=submission),
        html.H2(id="submissions-period", className="h5 mb-2"),
        dbc.Row([dbc.Col(_kpi_card(k), xs=6, md=4, xl=True, className="mb-2") for k in KPIS], className="g-2"),
        dbc.Card(dbc.CardBody([
            html.H2("Reporting status by fiscal year", className="h5 mb-1"),
            html.P("Click a cell to see every file loaded for that institution and year, and its issues.",
                   className="small text-muted mb-2"),
            _legend(),
            dcc.Loading(html.Div(id="status-matrix"), delay_show=400, type="circle"),
        ]), className="mt-2"),
        dbc.Card(dbc.CardBody(html.Div(id="submission-history", children=_history_placeholder())),
                 className="mt-3"),
        dbc.Card(dbc.CardBody([
            html.H2(id="issues-title", className="h5 mb-2"),
            dbc.Row([
                dbc.Col(dbc.RadioItems(id=url_param_id("severity", "all"), options=SEVERITY_OPTIONS, value=severity,
                                       inline=True, className="small"), xs=12, md="auto", className="mb-2"),
                dbc.Col(dcc.Dropdown(id=url_param_id("column", ""), value=column, placeholder="Any column",
                                     clearable=True, className="filter-dropdown"), xs=12, md=3, className="mb-2"),
                dbc.Col(dbc.Button("All institutions for the year", id="issues-all-period", color="link",
                                   size="sm", className="px-0"), xs="auto", className="mb-2"),
                dbc.Col(html.Div([
                    html.Span("Download: ", className="small me-1"),
                    html.A("CSV", id="issues-download-csv", href="#", className="btn btn-sm btn-outline-primary me-1",
                           download=""),
                    html.A("Excel", id="issues-download-xlsx", href="#", className="btn btn-sm btn-outline-primary",
                           download=""),
                ]), xs="auto", className="ms-md-auto mb-2"),
            ], className="align-items-center g-2"),
            html.P(id="issues-caption", className="small mb-2", role="status"),
            dag.AgGrid(id="issues-grid", columnDefs=ISSUE_COLUMNS, rowData=[],
                       defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True},
                       dashGridOptions={"enableCellTextSelection": True, "ensureDomOrder": True},
                       style={"height": "420px"}, className="ag-theme-alpine"),
            html.P(["Row numbers are as the institution sees them in its own file (the header row's number + n), "
                    "so the download can be sent back as is."], className="small text-muted mt-2 mb-0"),
        ]), className="mt-3"),
        dbc.Card(dbc.CardBody([
            html.H2(id="compliance-title", className="h5 mb-1"),
            html.P("Current offerings that break a framework rule: 288 hours or more, no assessment, or no "
                   "partner category. The loader keeps them and flags each with a warning.",
                   className="small text-muted mb-2"),
            html.Div(id="compliance-flags"),
        ]), className="mt-3"),
    ])


def _kpi_card(key: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.Div(KPI_TITLES[key], className="kpi-title small text-muted"),
        html.Div("…", id=f"kpi-{key}", className="kpi-value h3 mb-0"),
        html.Div("", id=f"kpi-{key}-note", className="kpi-change small"),
    ]), className="h-100 kpi-card")


def _legend() -> html.Div:
    items = [html.Span([html.Span(theme.STATUS_MARKS[s], className="me-1"), theme.STATUS_LABELS[s]],
                       className="status-chip me-2 mb-1",
                       style={"backgroundColor": theme.STATUS_COLOURS[s], "color": theme.STATUS_TEXT})
             for s in ("accepted", "partial", "rejected", "missing")]
    items.append(html.Span("late", className="status-tag me-2 mb-1",
                           style={"backgroundColor": theme.STATUS_COLOURS["late"], "color": theme.STATUS_TEXT}))
    words = html.Span("Accepted: every row loaded. Partial: loaded without its rows with errors. Rejected: files "
                      "came but none was accepted. Missing: no file. Late: the file in use was loaded after the "
                      "deadline; overdue: nothing accepted and the deadline has passed.",
                      className="small text-muted")
    return html.Div([html.Div(items, className="d-flex flex-wrap align-items-center"), words], className="mb-2")


def _history_placeholder():
    return [html.H2("Submission history", className="h5 mb-1"),
            html.P("Click a cell of the table above to see every file loaded for that institution and year.",
                   className="small text-muted mb-0")]


# --- builders (plain functions, tested without a browser) -------------------------------


class StatusOutputs(NamedTuple):
    period_title: str
    kpis: list[str]
    notes: list[str]
    matrix: object
    compliance_title: str
    compliance: object


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _date(value) -> str:
    return value.strftime("%b %-d, %Y") if value is not None and not pd.isna(value) else ""


def _when(value) -> str:
    if value is None or pd.isna(value):
        return ""
    ts = pd.Timestamp(value)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%d %H:%M UTC")


def build_status(db: Database, filters: Filters, vocab: Vocabulary, cell: str = "") -> StatusOutputs:
    period = sq.selected_period(filters, vocab)
    matrix = sq.status_matrix(db, filters)
    institutions = sq.selected_institutions(db, filters)
    head = sq.headline(matrix, len(institutions), period)
    deadline = sq.deadline_for(db, period)
    kpis, notes = kpi_texts(head, deadline)
    if period is None:
        title = "No fiscal year has submissions yet"
    else:
        title = f"Fiscal year {period}" + (f" · reporting deadline {_date(deadline)}" if deadline else
                                           " · no reporting deadline set (data/deadlines.toml)")
        if len(filters.period) > 1 or not filters.period:
            title += " (the latest of the selected years)" if filters.period else " (the latest year)"
    periods = sorted(matrix.reporting_period.unique()) if not matrix.empty else []
    table = matrix_table(matrix, institutions, periods, vocab, period, cell)
    flags = sq.compliance_flags(db, filters, period)
    return StatusOutputs(title, kpis, notes, table, f"Compliance flags, {period or 'no fiscal year'}",
                         compliance_table(flags, vocab))


def kpi_texts(head: sq.Headline, deadline) -> tuple[list[str], list[str]]:
    n = head.institutions
    reported_note = f"of {n} institutions" + (f" ({head.accepted} accepted, {head.partial} partial)"
                                              if head.partial else "")
    if deadline is None:
        on_time, on_time_note = "–", "no deadline set for this year"
    else:
        on_time = str(head.on_time)
        on_time_note = f"of {head.reported} reported by {_date(deadline)}" + (
            f"; {head.late} late" if head.late else "")
    # One deadline per year: when it has passed, every rejected or missing institution is overdue.
    overdue = "; deadline passed" if head.overdue else ""
    kpis = [str(head.reported), on_time, str(head.partial), str(head.rejected), str(head.missing)]
    notes = [reported_note, on_time_note, "accepted without their rows with errors",
             "sent files, none accepted" + (overdue if head.rejected else ""),
             "no file at all" + (overdue if head.missing else "")]
    return kpis, notes


def _cell_words(row) -> tuple[str, list[str], str]:
    """(detail line, tags, tooltip) of one matrix cell."""
    status = row.status
    files = int(row.submissions)
    if status in ("accepted", "partial"):
        detail = plural(int(row.rows_accepted), "row")
    elif status == "rejected":
        detail = f"{files} file{'s' if files != 1 else ''}, 0 rows"
    else:
        detail = "no file"
    tags = []
    if bool(row.late):
        tags.append("late")
    if bool(row.overdue):
        tags.append("overdue")
    if status in ("accepted", "partial") and files > 1:
        tags.append(f"{files} files")
    tip = f"{row.institution_name}, {row.reporting_period}: {theme.STATUS_LABELS[status].lower()}, {detail}"
    if bool(row.late):
        tip += f"; loaded after the deadline ({_date(row.deadline)})"
    if bool(row.overdue):
        tip += f"; nothing accepted by the deadline ({_date(row.deadline)})"
    if status in ("accepted", "partial") and files > 1:
        tip += f"; {files} files loaded, the latest accepted one is in use"
    return detail, tags, tip


def cell_class(status: str, selected: bool) -> str:
    return f"matrix-cell status-{status}" + (" selected" if selected else "")


def matrix_table(matrix: pd.DataFrame, institutions: pd.DataFrame, periods: list[str], vocab: Vocabulary,
                 selected_period: str | None, selected_cell: str = ""):
    """Institutions (rows, grouped by sector) against fiscal years: status in words, mark and colour."""
    if institutions.empty:
        return dbc.Alert("No institution matches these filters.", color="light")
    if not periods:
        return dbc.Alert("No submissions have been loaded yet: every institution is missing.", color="light")
    by_pair = {(r.institution_code, r.reporting_period): r for r in matrix.itertuples()}
    header = html.Thead(html.Tr(
        [html.Th("Institution", scope="col", className="matrix-inst")] +
        [html.Th(p, scope="col", className="matrix-period" + (" selected" if p == selected_period else ""))
         for p in periods]))
    body = []
    sector_labels = dict(vocab.values.get("sector", ()))
    for sector in [s for s in vocab.codes("sector") if s in set(institutions.sector)]:
        body.append(html.Tr(html.Th(html.Span(sector_labels.get(sector, sector), className="matrix-sector-label"),
                                    colSpan=len(periods) + 1, scope="colgroup", className="matrix-sector")))
        for inst in institutions[institutions.sector == sector].itertuples():
            cells = [html.Th([html.Div(inst.institution_code, className="fw-semibold"),
                              html.Div(inst.institution_name, className="matrix-inst-name")],
                             scope="row", className="matrix-inst", title=inst.institution_name)]
            for p in periods:
                row = by_pair.get((inst.institution_code, p))
                if row is None:  # cannot happen: reporting_status crosses institutions and periods
                    cells.append(html.Td())
                    continue
                detail, tags, tip = _cell_words(row)
                key = sq.cell_key(inst.institution_code, p)
                # Few components per cell: a 25 x 6 matrix is rebuilt on every filter change.
                tag_spans = [html.Span(t, className="status-tag", style={
                    "backgroundColor": theme.STATUS_COLOURS["late"] if t in ("late", "overdue") else "#ffffff",
                    "color": theme.STATUS_TEXT}) for t in tags]
                cells.append(html.Td(html.Button(
                    [html.Span(f"{theme.STATUS_MARKS[row.status]} {theme.STATUS_LABELS[row.status]}",
                               className="matrix-status"),
                     html.Span([detail, *tag_spans], className="matrix-tags")],
                    id={"type": "matrix-cell", "cell": key}, n_clicks=0, title=tip, **{"aria-label": tip},
                    className=cell_class(row.status, key == selected_cell),
                    style={"backgroundColor": theme.STATUS_COLOURS[row.status], "color": theme.STATUS_TEXT})))
            body.append(html.Tr(cells))
    # Fixed layout: equal fiscal-year columns, never narrower than a cell's words (scrolls on a phone).
    return html.Div(html.Table([header, html.Tbody(body)], className="status-matrix", id="status-matrix-table",
                               style={"minWidth": f"{110 + 112 * len(periods)}px"}),
                    className="matrix-scroll")


def compliance_table(flags: pd.DataFrame, vocab: Vocabulary):
    if flags.empty:
        return dbc.Alert("No current offerings match these filters for this year.", color="light", className="mb-0")
    names = dict(vocab.values.get("institution", ()))

    def count(r, flag):
        n = int(getattr(r, flag))
        share = getattr(r, f"{flag}_share")
        return html.Td(f"{n:,} ({share:.0%})" if n else "0", className="text-end" + (" fw-semibold" if n else ""))

    rows = []
    for r in flags.itertuples():
        total = r.institution_code is None or pd.isna(r.institution_code)
        name = "All selected institutions" if total else names.get(r.institution_code, r.institution_code)
        rows.append(html.Tr([html.Th(name, scope="row", className="fw-semibold" if total else "fw-normal"),
                             html.Td(f"{int(r.offerings):,}", className="text-end"),
                             *[count(r, flag) for flag, _ in FLAGS]],
                            className="table-light" if total else None))
    header = html.Thead(html.Tr([html.Th("Institution"), html.Th("Offerings", className="text-end"),
                                 *[html.Th(label, className="text-end") for _, label in FLAGS]]))
    return dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="mb-0",
                     id="compliance-table")


def history_panel(frame: pd.DataFrame, institution: str, period: str, vocab: Vocabulary,
                  selected_submission: int | None = None):
    name = vocab.label("institution", institution)
    title = html.H2(f"Submission history: {name} ({institution}), {period}", className="h5 mb-2")
    if frame.empty:
        return [title, html.P(f"{name} has not sent a file for {period}.", className="mb-0")]
    deadline = frame.deadline.dropna()
    deadline_text = (f"Deadline {_date(deadline.iloc[0])}." if len(deadline) else "No deadline set for this year.")
    rows = []
    for r in frame.itertuples():
        status = [html.Span([theme.STATUS_MARKS.get(r.status, ""), " ", theme.STATUS_LABELS.get(r.status, r.status)],
                            className="status-chip", style={"backgroundColor": theme.STATUS_COLOURS[r.status],
                                                            "color": theme.STATUS_TEXT})]
        if r.is_current:
            status.append(html.Span("in use", className="status-tag ms-1"))
        if r.loaded_late and r.status in ("accepted", "partial"):
            status.append(html.Span("late", className="status-tag ms-1",
                                    style={"backgroundColor": theme.STATUS_COLOURS["late"], "color": theme.STATUS_TEXT}))
        superseded = "" if r.superseded_by is None or pd.isna(r.superseded_by) else f"#{int(r.superseded_by)}"
        selected = selected_submission == int(r.submission_id)
        rows.append(html.Tr([
            html.Td(f"#{int(r.submission_id)}"),
            html.Td([html.Div(r.file_name, className="history-file"),
                     html.Div(f"sheet {r.sheet}", className="small text-muted") if r.sheet else None]),
            html.Td(html.Code(r.sha256[:12] + "…", title=r.sha256, className="sha"), className="text-nowrap"),
            html.Td(_when(r.loaded_at), className="text-nowrap"),
            html.Td(status, className="text-nowrap"),
            html.Td(f"{int(r.rows_accepted):,}", className="text-end"),
            html.Td(f"{int(r.rows_rejected):,}", className="text-end"),
            html.Td(f"{int(r.errors):,}", className="text-end"),
            html.Td(f"{int(r.warnings):,}", className="text-end"),
            html.Td(superseded),
            html.Td(dbc.Button("Issues", id={"type": "history-issues", "submission": int(r.submission_id)},
                               n_clicks=0, size="sm", color="primary" if selected else "secondary",
                               outline=not selected, disabled=not (r.errors or r.warnings),
                               title=f"Show the issues of submission {int(r.submission_id)}")),
        ], className="table-active" if selected else None))
    header = html.Thead(html.Tr([html.Th(h, className=c) for h, c in (
        ("#", ""), ("File", ""), ("SHA-256", ""), ("Loaded at", ""), ("Status", ""),
        ("Rows accepted", "text-end"), ("Rows rejected", "text-end"), ("Errors", "text-end"),
        ("Warnings", "text-end"), ("Superseded by", ""), ("", ""))]))
    return [title,
            html.P(f"Every file loaded for this institution and year, newest first. {deadline_text}",
                   className="small text-muted mb-2"),
            dbc.Table([header, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="mb-0",
                      id="history-table")]


class IssuesOutputs(NamedTuple):
    title: str
    caption: str
    rows: list[dict]
    columns: list[dict]
    csv_href: str
    xlsx_href: str


def resolve_scope(db: Database, filters: Filters, vocab: Vocabulary, cell: str, submission: str,
                  severity: str | None, column: str | None) -> tuple[sq.IssueScope, str, dict]:
    """(scope, title, download query) from the page state."""
    severity = severity if severity in sq.SEVERITIES else None
    column = column or None
    period = sq.selected_period(filters, vocab)
    submission_id = int(submission) if str(submission or "").isdigit() else None
    info = sq.submission_info(db, submission_id) if submission_id is not None else None
    pair = sq.parse_cell(cell)
    if info is None and pair is not None:
        submission_id = sq.latest_submission(db, *pair)
        info = sq.submission_info(db, submission_id) if submission_id is not None else None
        if info is None:
            scope = sq.IssueScope(pair[1], filters, -1, severity, column)  # matches nothing
            return scope, f"No file from {pair[0]} for {pair[1]}, so no issues", {}
    if info is not None:
        who = f"{info['institution_code'] or 'unknown institution'}, {info['reporting_period'] or 'no period'}"
        latest = pair is not None and str(submission or "") == ""
        title = (f"Issues in {info['institution_code']}'s most recent file for {info['reporting_period']}: "
                 f"{info['file_name']} (#{submission_id})" if latest else
                 f"Issues in submission #{submission_id}: {info['file_name']} ({who})")
        query = {"submission": str(submission_id)}
    else:
        title = f"Issues in each institution's most recent file for {period}" if period else "Issues"
        location = filters.without(*[p for p in filters.parameter_names() if p not in sq.LOCATION_PARAMETERS])
        query = {k: v for k, v in location.to_query().items() if k != "period"}
        query["period"] = period or ""
    if severity:
        query["severity"] = severity
    if column:
        query["column"] = column
    return sq.IssueScope(period, filters, submission_id, severity, column), title, query


def build_issues(db: Database, filters: Filters, vocab: Vocabulary, cell: str = "", submission: str = "",
                 severity: str | None = None, column: str | None = None, limit: int = sq.ISSUE_LIMIT) -> IssuesOutputs:
    scope, title, query = resolve_scope(db, filters, vocab, cell, submission, severity, column)
    if scope.period is None and scope.submission_id is None:
        return IssuesOutputs("Issues", "No submissions loaded yet.", [], [], "#", "#")
    frame = sq.issues(db, scope, limit)
    counts = sq.issue_counts(db, scope)
    columns = [{"label": c, "value": c} for c in sq.issue_columns(db, scope)]
    total = counts["total"]
    detail = f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}"
    if total == 0:
        caption = "No issues match." if (scope.severity or scope.column) else "No issues: every check passed."
    elif len(frame) < total:
        caption = f"Showing {len(frame):,} of {total:,} issues ({detail}); download for the full list."
    else:
        caption = f"{'All ' if total > 1 else ''}{plural(total, 'issue')} ({detail})."
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    search = "?" + urlencode(query, safe=",/") if query else ""
    hrefs = (f"/export/issues.csv{search}", f"/export/issues.xlsx{search}") if query else ("#", "#")
    return IssuesOutputs(title, caption, rows, columns, *hrefs)


# --- callbacks -----------------------------------------------------------------------------

FILTERS_INPUT = Input({"type": "filter", "name": ALL}, "value")
CELL = url_param_id("cell", "")
SUBMISSION = url_param_id("submission", "")


def _filters(inputs_list) -> tuple[Filters, Vocabulary]:
    db = context.db()
    vocab = sq.page_vocabulary(db, queries.vocabulary(db))
    filters, _ = Filters.parse(values_from_inputs(inputs_list), vocab, strict=False)
    return filters, vocab


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
    out = build_status(context.db(), filters, vocab, cell or "")
    return [out.period_title, *out.kpis, *out.notes, out.matrix, out.compliance_title, out.compliance]


@callback(
    Output({"type": "matrix-cell", "cell": ALL}, "className"),
    Input(CELL, "value"),
    State({"type": "matrix-cell", "cell": ALL}, "id"),
    State({"type": "matrix-cell", "cell": ALL}, "className"),
    prevent_initial_call=True,
)
def highlight_cell(cell, ids, classes):
    return highlighted(cell, ids, classes)


def highlighted(cell: str | None, ids: list[dict], classes: list[str | None]) -> list[str]:
    out = []
    for i, cls in zip(ids, classes):
        names = [c for c in (cls or "").split() if c != "selected"]
        if i["cell"] == cell:
            names.append("selected")
        out.append(" ".join(names))
    return out


@callback(
    Output(CELL, "value"),
    Output(SUBMISSION, "value"),
    Output(url_param_id("column", ""), "value"),
    Input({"type": "matrix-cell", "cell": ALL}, "n_clicks"),
    Input({"type": "history-issues", "submission": ALL}, "n_clicks"),
    Input("issues-all-period", "n_clicks"),
    prevent_initial_call=True,
)
def choose_scope(_cells, _history, _all):
    return scope_for_click(ctx.triggered_id, ctx.triggered[0]["value"] if ctx.triggered else None)


def scope_for_click(trigger, clicks) -> tuple:
    """(cell, submission, column) after a click; no_update for a render without a click."""
    if trigger is None or not clicks:
        return dash.no_update, dash.no_update, dash.no_update
    if trigger == "issues-all-period":
        return "", "", None
    if trigger.get("type") == "matrix-cell":
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
    pair = sq.parse_cell(cell)
    if pair is None:
        return _history_placeholder()
    db = context.db()
    vocab = queries.vocabulary(db)
    chosen = int(submission) if str(submission or "").isdigit() else sq.latest_submission(db, *pair)
    return history_panel(sq.submission_history(db, *pair), pair[0], pair[1], vocab, chosen)


@callback(
    Output("issues-title", "children"),
    Output("issues-caption", "children"),
    Output("issues-grid", "rowData"),
    Output(url_param_id("column", ""), "options"),
    Output("issues-download-csv", "href"),
    Output("issues-download-xlsx", "href"),
    FILTERS_INPUT,
    Input(CELL, "value"),
    Input(SUBMISSION, "value"),
    Input(url_param_id("severity", "all"), "value"),
    Input(url_param_id("column", ""), "value"),
)
def update_issues(_filter_values, cell, submission, severity, column):
    filters, vocab = _filters(ctx.inputs_list[0])
    out = build_issues(context.db(), filters, vocab, cell or "", submission or "", severity, column)
    return list(out)
