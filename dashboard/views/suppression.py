"""The legend of small-cell suppression, on every page that shows counts of people to a
viewer who does not see everything (dashboard.data.privacy hides the counts themselves)."""

from __future__ import annotations

from dash import html


def suppression_legend(suppresses: bool, min_cell: int, institution: str | None = None) -> html.Div | None:
    """What "<10", "x" and a withheld share mean; None for the ministry (nothing is hidden)."""
    if not suppresses:
        return None
    whose = (
        f"Counts of people at institutions other than {institution}"
        if institution
        else "Counts of people (enrolments, completions)"
    )
    return html.Div(
        [
            html.Strong("Small counts are hidden. ", className="me-1"),
            f"{whose} under {min_cell} are shown as ",
            html.Strong(f"<{min_cell}"),
            "; a count shown as ",
            html.Strong("x"),
            " is hidden too, so that a small count cannot be worked out from a total and the counts beside it. "
            "Shares resting on a hidden count are withheld (–). "
            + (f"{institution}'s own figures are counted in full." if institution else ""),
        ],
        id="suppression-legend",
        role="note",
        className="suppression-legend small border rounded px-2 py-1 mb-3",
        style={"backgroundColor": "#f4f6f8", "color": "#212529"},
    )
