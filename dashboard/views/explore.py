"""The explorer's components: the grid's column definitions (from the allow-list of
dashboard.data.explore) and the submission details panel."""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.data.columns import GRID_COLUMNS, operators
from dashboard.data.state import ExploreState

_FILTER_TYPES = {
    "text": "agTextColumnFilter",
    "yesno": "agTextColumnFilter",
    "number": "agNumberColumnFilter",
    "date": "agDateColumnFilter",
}
_WIDTHS = {
    "institution_code": 115,
    "reporting_period": 125,
    "offering_id": 140,
    "enrolments": 120,
    "completions": 125,
    "duration_hours": 90,
    "credits": 95,
}


def column_defs(shown: list[str] | tuple[str, ...] | None = None) -> list[dict]:
    """AG Grid column definitions from the allow-list: the ``shown`` columns first, in their order
    (the order of the explorer's state and of its downloads), then the hidden ones. One filter
    condition per column: each is one URL parameter (q-<column>=<operator>:<value>)."""
    chosen = [f for f in (shown if shown is not None else ExploreState().shown_columns()) if f in GRID_COLUMNS]
    order = chosen + [f for f in GRID_COLUMNS if f not in chosen]
    defs = []
    for field in order:
        col = GRID_COLUMNS[field]
        d = {
            "field": field,
            "headerName": col.header,
            "hide": field not in chosen,
            "filter": _FILTER_TYPES[col.kind],
            "filterParams": {"filterOptions": list(operators(col.kind)), "maxNumConditions": 1, "buttons": ["reset"]},
            "headerTooltip": field,
        }
        if col.kind == "number":
            d.update(type="rightAligned")
        if field in _WIDTHS:
            d.update(width=_WIDTHS[field])
        if field == "title":
            d.update(minWidth=220, flex=2, tooltipField="title")
        elif field == "file_name":
            d.update(minWidth=180, cellClass="submission-link", headerTooltip="Click a file to see its submission")
        else:
            d.setdefault("width", 150)
        defs.append(d)
    return defs


def initial_state(state: ExploreState) -> dict:
    """AG Grid's initialState: the URL's columns, grid filters and sort, applied before the first rows
    are asked for (with an initialState, AG Grid takes column visibility and order from it too)."""
    shown = list(state.shown_columns())
    return {
        "filter": {"filterModel": state.filter_model()},
        "sort": {"sortModel": state.sort_model()},
        "columnVisibility": {"hiddenColIds": [c for c in GRID_COLUMNS if c not in shown]},
        "columnOrder": {"orderedColIds": shown + [c for c in GRID_COLUMNS if c not in shown]},
        "columnSizing": {"columnSizingModel": [{"colId": "title", "flex": 2}]},  # the title takes the room left
    }


def count_words(rows: int) -> tuple[str, str]:
    """("1", " offering matches") / ("2,045", " offerings match")."""
    return f"{rows:,}", " offering matches" if rows == 1 else " offerings match"


def submission_body(info: dict[str, Any] | None) -> tuple[str, object]:
    """(modal title, body) describing one submission (text only: file names are never read as HTML)."""
    if info is None:
        return "Submission", dbc.Alert("That submission is no longer in the warehouse.", color="warning")
    loaded = info["loaded_at"]
    items = [
        ("File", info["file_name"] + (f" (sheet {info['sheet']})" if info["sheet"] else "")),
        ("Institution", f"{info['institution_name'] or ''} ({info['institution_code']})"),
        ("Fiscal year", info["reporting_period"]),
        ("Status", info["status"] + ("" if info["is_current"] else " (superseded)")),
        ("Loaded at", loaded.strftime("%Y-%m-%d %H:%M UTC") if hasattr(loaded, "strftime") else str(loaded)),
        ("Rows", f"{info['rows_accepted']:,} accepted, {info['rows_rejected']:,} rejected of {info['rows_total']:,}"),
        ("Issues", f"{info['errors']:,} errors, {info['warnings']:,} warnings"),
        ("SHA-256", info["sha256"]),
        ("Submission id", str(info["submission_id"])),
    ]
    body = html.Div(
        [
            html.Dl(
                sum(
                    ([html.Dt(k, className="col-sm-3"), html.Dd(v, className="col-sm-9 text-break")] for k, v in items),
                    [],
                ),
                className="row mb-2",
            ),
            dcc.Link(
                "See this submission's checks",
                href=f"/submissions?submission={info['submission_id']}",
                className="btn btn-outline-primary btn-sm",
            ),
        ]
    )
    return f"Submission: {info['file_name']}", body
