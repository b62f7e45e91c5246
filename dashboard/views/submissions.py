"""The submissions page's components: the status matrix, the headline texts, the compliance
flags and the submission history. No database: pages pass the data in."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard import display, theme
from dashboard.data import submissions as sq
from dashboard.data.filters import Vocabulary
from dashboard.data.tables import ISSUE_TABLE
from dashboard.views.grid_downloads import grid_column_defs
from dashboard.views.markup import Markup, element, html_view

# the headline figures (element ids ``kpi-<key>``) and their titles, in display order
KPIS = ("reported", "on-time", "partial", "rejected", "missing")
KPI_TITLES = dict(zip(KPIS, ("Reported", "On time", "Partial", "Rejected", "Missing"), strict=True))
SEVERITY_OPTIONS = [
    {"label": "All issues", "value": "all"},
    {"label": "Errors", "value": "error"},
    {"label": "Warnings", "value": "warning"},
]
FLAGS = (("over_duration", "288 hours or more"), ("no_assessment", "No assessment"), ("no_partner", "No partner"))
ISSUE_COLUMNS = grid_column_defs(
    ISSUE_TABLE,
    [
        {"field": "institution_code", "width": 110, "pinned": "left"},
        {"field": "file_name", "width": 190},
        {"field": "row", "width": 80, "type": "rightAligned"},
        {"field": "column", "width": 160},
        {"field": "severity", "width": 105},
        {"field": "value", "width": 150},
        {
            "field": "message",
            "flex": 1,
            "minWidth": 320,
            "wrapText": True,
            "autoHeight": True,
            "cellStyle": {"lineHeight": "1.35", "paddingTop": "6px", "paddingBottom": "6px"},
        },
    ],
)  # the message says what is accepted

SCOPE_NOTE = (
    "Reporting status and issues follow the fiscal year, institution, sector and region filters. "
    "The offering filters under More filters (type, delivery, credit, partner, field, continuing "
    "education, funding) apply to the compliance flags only."
)


def legend() -> html.Div:
    items = [
        html.Span(
            [html.Span(theme.STATUS_MARKS[s], className="me-1"), theme.STATUS_LABELS[s]],
            className="status-chip me-2 mb-1",
            style={"backgroundColor": theme.STATUS_COLOURS[s], "color": theme.STATUS_TEXT},
        )
        for s in ("accepted", "partial", "rejected", "missing")
    ]
    items.append(
        html.Span(
            "late",
            className="status-tag me-2 mb-1",
            style={"backgroundColor": theme.STATUS_COLOURS["late"], "color": theme.STATUS_TEXT},
        )
    )
    words = html.Span(
        "Accepted: every row loaded. Partial: loaded without its rows with errors. Rejected: files "
        "came but none was accepted. Missing: no file. Late: the file in use was loaded after the "
        "deadline; overdue: nothing accepted and the deadline has passed.",
        className="small text-muted",
    )
    return html.Div([html.Div(items, className="d-flex flex-wrap align-items-center"), words], className="mb-2")


def history_placeholder():
    return [
        html.H2("Submission history", className="h5 mb-1"),
        html.P(
            "Click a cell of the table above to see every file loaded for that institution and year.",
            className="small text-muted mb-0",
        ),
    ]


def kpi_texts(head: sq.Headline, deadline) -> tuple[list[str], list[str]]:
    n = head.institutions
    reported_note = f"of {n} institutions" + (
        f" ({head.accepted} accepted, {head.partial} partial)" if head.partial else ""
    )
    if deadline is None:
        on_time, on_time_note = "–", "no deadline set for this year"
    else:
        on_time = str(head.on_time)
        on_time_note = f"of {head.reported} reported by {display.day(deadline)}" + (
            f"; {head.late} late" if head.late else ""
        )
    # One deadline per year: when it has passed, every rejected or missing institution is overdue.
    overdue = "; deadline passed" if head.overdue else ""
    kpis = [str(head.reported), on_time, str(head.partial), str(head.rejected), str(head.missing)]
    notes = [
        reported_note,
        on_time_note,
        "accepted without their rows with errors",
        "sent files, none accepted" + (overdue if head.rejected else ""),
        "no file at all" + (overdue if head.missing else ""),
    ]
    return kpis, notes


def _cell_words(row) -> tuple[str, list[str], str]:
    """(detail line, tags, tooltip) of one matrix cell."""
    status = row.status
    if row.submissions is None or pd.isna(row.submissions):  # the public: status and deadline only
        files = 0
        detail = ""
    elif status in ("accepted", "partial"):
        files = int(row.submissions)
        detail = display.count(int(row.rows_accepted), "row")
    elif status == "rejected":
        files = int(row.submissions)
        detail = f"{display.count(files, 'file')}, 0 rows"
    else:
        detail = "no file"
    tags = []
    if bool(row.late):
        tags.append("late")
    if bool(row.overdue):
        tags.append("overdue")
    if status in ("accepted", "partial") and files > 1:
        tags.append(f"{files} files")
    tip = f"{row.institution_name}, {row.reporting_period}: {theme.STATUS_LABELS[status].lower()}" + (
        f", {detail}" if detail else ""
    )
    if bool(row.late):
        tip += f"; loaded after the deadline ({display.day(row.deadline)})"
    if bool(row.overdue):
        tip += f"; nothing accepted by the deadline ({display.day(row.deadline)})"
    if status in ("accepted", "partial") and files > 1:
        tip += f"; {files} files loaded, the latest accepted one is in use"
    return detail, tags, tip


def cell_class(status: str, selected: bool) -> str:
    return f"matrix-cell status-{status}" + (" selected" if selected else "")


def matrix_table(
    matrix: pd.DataFrame,
    institutions: pd.DataFrame,
    periods: list[str],
    vocab: Vocabulary,
    selected_period: str | None,
    selected_cell: str = "",
    clickable: bool = True,
):
    """Institutions (rows, grouped by sector) against fiscal years: status in words, mark and colour.
    One component (``dashboard.views.markup``): as Dash components its ~900 elements cost the
    browser up to 1.8 s after every filter change. A clickable cell is a native button whose
    ``data-cell`` names its institution and year (assets/matrix.js sends its clicks);
    ``clickable=False`` (the public): plain cells, no way to a file's history or issues."""
    if institutions.empty:
        return dbc.Alert("No institution matches these filters.", color="light")
    if not periods:
        return dbc.Alert("No submissions have been loaded yet: every institution is missing.", color="light")
    by_pair = {(r.institution_code, r.reporting_period): r for r in matrix.itertuples()}
    header = element(
        "thead",
        element(
            "tr",
            [element("th", "Institution", scope="col", class_="matrix-inst")]
            + [
                element("th", p, scope="col", class_="matrix-period" + (" selected" if p == selected_period else ""))
                for p in periods
            ],
        ),
    )
    body = []
    sector_labels = dict(vocab.values.get("sector", ()))
    for sector in [s for s in vocab.codes("sector") if s in set(institutions.sector)]:
        label = element("span", sector_labels.get(sector, sector), class_="matrix-sector-label")
        body.append(
            element("tr", element("th", label, colspan=len(periods) + 1, scope="colgroup", class_="matrix-sector"))
        )
        for inst in institutions[institutions.sector == sector].itertuples():
            name = [
                element("div", inst.institution_code, class_="fw-semibold"),
                element("div", inst.institution_name, class_="matrix-inst-name"),
            ]
            cells = [element("th", name, scope="row", class_="matrix-inst", title=inst.institution_name)]
            for p in periods:
                row = by_pair.get((inst.institution_code, p))
                if row is None:  # cannot happen: reporting_status crosses institutions and periods
                    cells.append(element("td"))
                    continue
                cells.append(
                    element("td", _matrix_cell(row, sq.cell_key(inst.institution_code, p), selected_cell, clickable))
                )
            body.append(element("tr", cells))
    # Fixed layout: equal fiscal-year columns, never narrower than a cell's words (scrolls on a phone).
    table = element(
        "table",
        [header, element("tbody", body)],
        class_="status-matrix",
        id="status-matrix-table",
        style={"minWidth": f"{110 + 112 * len(periods)}px"},
    )
    return html_view(element("div", table, class_="matrix-scroll"), className="matrix-host")


def _matrix_cell(row, key: str, selected_cell: str, clickable: bool) -> Markup:
    detail, tags, tip = _cell_words(row)
    tag_spans = [
        element(
            "span",
            t,
            class_="status-tag",
            style={
                "backgroundColor": theme.STATUS_COLOURS["late"] if t in ("late", "overdue") else theme.TAG_BACKGROUND,
                "color": theme.STATUS_TEXT,
            },
        )
        for t in tags
    ]
    content = [
        element("span", f"{theme.STATUS_MARKS[row.status]} {theme.STATUS_LABELS[row.status]}", class_="matrix-status"),
        element("span", [detail, *tag_spans], class_="matrix-tags"),
    ]
    style = {"backgroundColor": theme.STATUS_COLOURS[row.status], "color": theme.STATUS_TEXT}
    if not clickable:
        return element("div", content, title=tip, class_=cell_class(row.status, False), style=style)
    # name: the visible words (WCAG 2.5.3, label in name); the title, which names institution,
    # year and state, is the description screen readers add
    return element(
        "button",
        content,
        type="button",
        class_=cell_class(row.status, key == selected_cell),
        title=tip,
        style=style,
        data_cell=key,
        data_focus_target="submission-history",
    )


def compliance_table(flags: pd.DataFrame, vocab: Vocabulary):
    if flags.empty:
        return dbc.Alert("No current offerings match these filters for this year.", color="light", className="mb-0")
    names = dict(vocab.values.get("institution", ()))

    def count(r, flag):
        n = int(getattr(r, flag))
        share = getattr(r, f"{flag}_share")
        return html.Td(
            f"{n:,} ({display.share(share)})" if n else "0", className="text-end" + (" fw-semibold" if n else "")
        )

    rows = []
    for r in flags.itertuples():
        total = r.institution_code is None or pd.isna(r.institution_code)
        name = "All selected institutions" if total else names.get(r.institution_code, r.institution_code)
        rows.append(
            html.Tr(
                [
                    html.Th(name, scope="row", className="fw-semibold" if total else "fw-normal"),
                    html.Td(f"{int(r.offerings):,}", className="text-end"),
                    *[count(r, flag) for flag, _ in FLAGS],
                ],
                className="table-light" if total else None,
            )
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Institution"),
                html.Th("Offerings", className="text-end"),
                *[html.Th(label, className="text-end") for _, label in FLAGS],
            ]
        )
    )
    return dbc.Table(
        [header, html.Tbody(rows)], size="sm", hover=True, responsive=True, className="mb-0", id="compliance-table"
    )


def history_panel(
    frame: pd.DataFrame,
    institution: str,
    period: str,
    vocab: Vocabulary,
    selected_submission: int | None = None,
    restores: pd.DataFrame | None = None,
):
    name = vocab.label("institution", institution)
    title = html.Div(
        [
            html.H2(f"Submission history: {name} ({institution}), {period}", className="h5 mb-0 me-auto"),
            dbc.Button(
                "Back to the reporting table",
                color="link",
                size="sm",
                className="p-0 focus-selected-cell",
                title="Return to this cell of the reporting status table",
            ),
        ],
        className="d-flex flex-wrap align-items-baseline gap-2 mb-2",
    )
    if frame.empty:
        return [title, html.P(f"{name} has not sent a file for {period}.", className="mb-0")]
    deadline = frame.deadline.dropna()
    deadline_text = f"Deadline {display.day(deadline.iloc[0])}." if len(deadline) else "No deadline set for this year."
    rows: list[tuple[pd.Timestamp, html.Tr]] = [
        (pd.Timestamp(e.event_at), restore_row(e))
        for e in (restores if restores is not None else frame[:0]).itertuples()
    ]
    for r in frame.itertuples():
        status = [
            html.Span(
                [theme.STATUS_MARKS.get(r.status, ""), " ", theme.STATUS_LABELS.get(r.status, r.status)],
                className="status-chip",
                style={"backgroundColor": theme.STATUS_COLOURS[r.status], "color": theme.STATUS_TEXT},
            )
        ]
        if r.is_current:
            status.append(html.Span("in use", className="status-tag ms-1"))
        if r.loaded_late and r.status in ("accepted", "partial"):
            status.append(
                html.Span(
                    "late",
                    className="status-tag ms-1",
                    style={"backgroundColor": theme.STATUS_COLOURS["late"], "color": theme.STATUS_TEXT},
                )
            )
        superseded = "" if r.superseded_by is None or pd.isna(r.superseded_by) else f"#{int(r.superseded_by)}"
        selected = selected_submission == int(r.submission_id)
        rows.append(
            (
                pd.Timestamp(r.loaded_at),
                html.Tr(
                    [
                        html.Td(f"#{int(r.submission_id)}"),
                        html.Td(
                            [
                                html.Div(r.file_name, className="history-file"),
                                html.Div(f"sheet {r.sheet}", className="small text-muted") if r.sheet else None,
                            ]
                        ),
                        html.Td(
                            html.Code(r.sha256[:12] + "…", title=r.sha256, className="sha"), className="text-nowrap"
                        ),
                        html.Td(display.when(r.loaded_at), className="text-nowrap"),
                        html.Td(status, className="text-nowrap"),
                        html.Td(f"{int(r.rows_accepted):,}", className="text-end"),
                        html.Td(f"{int(r.rows_rejected):,}", className="text-end"),
                        html.Td(f"{int(r.errors):,}", className="text-end"),
                        html.Td(f"{int(r.warnings):,}", className="text-end"),
                        html.Td(superseded),
                        html.Td(
                            dbc.Button(
                                "Issues",
                                id={"type": "history-issues", "submission": int(r.submission_id)},
                                n_clicks=0,
                                size="sm",
                                color="primary" if selected else "secondary",
                                outline=not selected,
                                disabled=not (r.errors or r.warnings),
                                title=f"Show the issues of submission {int(r.submission_id)}",
                            )
                        ),
                    ],
                    className="table-active" if selected else None,
                ),
            )
        )
    rows.sort(key=lambda pair: pair[0], reverse=True)  # loads and restores, newest first
    header = html.Thead(
        html.Tr(
            [
                html.Th(h, className=c)
                for h, c in (
                    ("#", ""),
                    ("File", ""),
                    ("SHA-256", ""),
                    ("Loaded at", ""),
                    ("Status", ""),
                    ("Rows accepted", "text-end"),
                    ("Rows rejected", "text-end"),
                    ("Errors", "text-end"),
                    ("Warnings", "text-end"),
                    ("Superseded by", ""),
                    ("", ""),
                )
            ]
        )
    )
    return [
        title,
        html.P(
            f"Every file loaded for this institution and year, and every restore, newest first. {deadline_text}",
            className="small text-muted mb-2",
        ),
        dbc.Table(
            [header, html.Tbody([tr for _, tr in rows])],
            size="sm",
            hover=True,
            responsive=True,
            className="mb-0",
            id="history-table",
        ),
    ]


def restore_row(event) -> html.Tr:
    """A restore in the history: which submission was made current again, instead of which, by whom."""
    replaced = "" if event.replaced is None or pd.isna(event.replaced) else f", replacing #{int(event.replaced)}"
    by = f" by {event.by_user}" if isinstance(event.by_user, str) and event.by_user else ""
    return html.Tr(
        [
            html.Td(f"#{int(event.submission_id)}"),
            html.Td(
                f"Restored: #{int(event.submission_id)} ({event.file_name}) made the submission in use again"
                f"{replaced}{by}",
                colSpan=2,
                className="history-restore",
            ),
            html.Td(display.when(event.event_at), className="text-nowrap"),
            html.Td(html.Span("restored", className="status-tag"), className="text-nowrap"),
            html.Td(colSpan=6),
        ],
        className="history-event",
    )
