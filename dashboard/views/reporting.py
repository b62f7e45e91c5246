"""Who has not reported a fiscal year, and why, in words: the list behind the submissions page's
"Rejected" and "Missing" figures, and the note the overview shows when it is filtered to an
institution with nothing accepted (instead of "No offerings match these filters").

Rows come from dashboard.data.submissions.not_reported (file names and errors only where the
viewer may read them)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard import display
from dashboard.data.state import cell_key

LIST_ID = "submissions-status-list"
KINDS = {"rejected": "Rejected", "missing": "Missing"}


def _present(value) -> bool:
    return not display.is_missing(value) and value != ""


def why_not_reported(row, period: str, deadline=None) -> str:
    """One sentence: why ``row``'s institution has nothing accepted for ``period``, and its
    latest accepted file of an earlier year."""
    name = row.institution_name
    if row.status == "rejected":
        file = f" ({row.file_name})" if _present(row.file_name) else ""
        when = f" on {display.day(row.loaded_at)}" if _present(row.loaded_at) else ""
        text = f"{name}'s {period} file{file} was rejected{when}"
        if _present(row.first_error):
            more = int(row.errors) - 1 if _present(row.errors) else 0
            text += f": {row.first_error}" + (f" (and {display.count(more, 'more error')})" if more > 0 else "")
    else:
        text = f"{name} has sent no file for {period}"
        if bool(row.overdue) and deadline is not None:
            text += f" (the deadline, {display.day(deadline)}, has passed)"
        elif bool(row.overdue):
            text += " (the deadline has passed)"
    if _present(row.previous_period):
        file = f" ({row.previous_file})" if _present(row.previous_file) else ""
        text += f"; its previous accepted file is for {row.previous_period}{file}"
    else:
        text += "; it has no accepted file for an earlier year"
    return text.rstrip(".") + "."


def status_list(frame: pd.DataFrame, kind: str | None, period: str | None, deadline=None):
    """The institutions behind the "Rejected" or "Missing" figure, each with why and a button
    that opens its matrix cell (history and issues)."""
    if kind not in KINDS or not period:
        return None
    rows = frame[frame.status == kind]
    title = f"{KINDS[kind]} for {period}: {display.count(len(rows), 'institution')}"
    if rows.empty:
        body = html.P("None.", className="mb-0 small")
    else:
        body = html.Ul(
            [
                html.Li(
                    [
                        html.Span(why_not_reported(r, period, deadline), className="me-2"),
                        dbc.Button(
                            "History and issues" if kind == "rejected" else "History",
                            id={"type": "status-list-cell", "cell": cell_key(r.institution_code, period)},
                            n_clicks=0,
                            color="link",
                            size="sm",
                            className="p-0 align-baseline",
                            title=f"{r.institution_name}, {period}: every file and its issues",
                        ),
                    ],
                    className="mb-1",
                )
                for r in rows.itertuples()
            ],
            className="small mb-0 ps-3",
        )
    return dbc.Alert(
        [html.H3(title, className="h6 mb-1", id=f"{LIST_ID}-title", tabIndex="-1"), body],
        color="light",
        className="border mb-0 mt-2",
        dismissable=False,
    )


def overview_note(frame: pd.DataFrame, period: str | None, deadline=None):
    """The overview's note for institutions chosen in its filter that have nothing accepted
    for the year (None when every chosen institution has reported)."""
    if frame.empty or not period:
        return None
    sentences = [why_not_reported(r, period, deadline) for r in frame.itertuples()]
    codes = ",".join(frame.institution_code)
    return dbc.Alert(
        [
            html.Span(" ".join(sentences), id="overview-reporting-why"),
            " ",
            dcc.Link(
                "See its submissions" if len(frame) == 1 else "See their submissions",
                href=f"/submissions?institution={codes}&period={period}",
                className="alert-link",
                style={"color": "#3d2e00"},
            ),
        ],
        color="warning",
        className="mb-3 border-warning",
        # Flatly's warning is white on orange (2.2:1): dark text on a pale yellow instead
        style={"color": "#3d2e00", "backgroundColor": "#fff3cd"},
        id="overview-reporting-note",
    )
