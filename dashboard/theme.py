"""Colours, orders and labels of categories: the one place the dashboard styles data.

Palettes are colour-blind safe (Okabe-Ito; Paul Tol's muted scheme for the long
field-of-study list). A category keeps its colour in every chart because colours
are assigned by the code's sort order in the warehouse's code lists.
"""

from __future__ import annotations

from dashboard.data.dimensions import NOT_REPORTED, NOT_REPORTED_LABEL

__all__ = ["NOT_REPORTED_LABEL", "base_layout", "colours_for"]

OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999")
TOL_MUTED = (
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
    "#6699CC",
    "#661100",
    "#888888",
)
NOT_REPORTED_COLOUR = "#BBBBBB"
SINGLE = "#0072B2"
TARGET_COLOUR = "#D55E00"
TARGET_TEXT = "#A84300"  # the target colour, dark enough for small text (4.5:1 on white)
MET_COLOUR = "#009E73"
MISSED_COLOUR = "#D55E00"
# Portfolio comparison: the focus institution, its peer group, the province (Okabe-Ito).
COMPARE_COLOURS = {"focus": "#0072B2", "peers": "#E69F00", "province": "#999999"}

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"

STATUS_COLOURS = {  # submission states, used by the submissions page
    "accepted": "#009E73",
    "partial": "#E69F00",
    "rejected": "#D55E00",
    "missing": "#BBBBBB",
    "late": "#CC79A7",
}

# Words and marks beside every status colour, so colour is never the only cue;
# STATUS_TEXT is the text colour on a status background (at least 4.5:1 contrast).
STATUS_LABELS = {
    "accepted": "Accepted",
    "partial": "Partial",
    "rejected": "Rejected",
    "missing": "Missing",
    "late": "Late",
}
STATUS_MARKS = {"accepted": "✓", "partial": "◐", "rejected": "✗", "missing": "–"}
STATUS_TEXT = "#111111"
TAG_BACKGROUND = "#ffffff"  # a tag (late, overdue, n files) that is not a status


def colours_for(codes: list[str], long_list: bool = False) -> dict[str, str]:
    """Code -> colour, by position in the code list's sort order."""
    palette = TOL_MUTED if long_list or len(codes) > len(OKABE_ITO) else OKABE_ITO
    out = {code: palette[i % len(palette)] for i, code in enumerate(codes)}
    out[NOT_REPORTED] = NOT_REPORTED_COLOUR
    out["none"] = out.get("none", "#999999")
    return out


def base_layout(title: str, height: int = 320) -> dict:
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": {"l": 10, "r": 20, "t": 48, "b": 36},
        "font": {"family": FONT, "size": 12, "color": "#222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT}},
        "separators": ".,",
    }
