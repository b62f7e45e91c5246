"""Colours, orders and labels of categories: the one place the dashboard styles data.

Palettes are colour-blind safe (Okabe-Ito; Paul Tol's muted scheme for the long
field-of-study list). A category keeps its colour in every chart because colours
are assigned by the code's sort order in the warehouse's code lists.
"""

from __future__ import annotations

import math
import re

from dashboard.data.dimensions import NOT_REPORTED, NOT_REPORTED_LABEL

__all__ = ["NOT_REPORTED_LABEL", "base_layout", "colours_for", "label_room", "text_width", "top_tick"]

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
FONT_SIZE = 12  # px: the charts' text, tick labels included

# --- room for labels ---------------------------------------------------------------------------
# A chart whose labels do not fit its margins makes Plotly measure them and draw the chart a
# second time (axis automargin): on the overview at a million offerings that second pass was a
# fifth of the first render in headless Chromium (2.6 s to 2.1 s without it). So the builders size
# each margin from the labels they draw, and automargin stays on only as the safety net for a
# font wider than foreseen. Widths are Helvetica's (Arial's are the same), in 1/1000 em;
# WIDTH_SLACK covers DejaVu Sans, the usual Linux fallback of the font stack, measured at up to
# 15% wider in Chromium (canvas measureText of the dashboard's labels at 12 px).
_HELVETICA = dict(
    zip(
        " !\"#$%&'()*+,-./:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
        (
            278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 278, 278,
            584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
            722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
            333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556,
            333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
        ),
    )
)  # fmt: skip
_DIGIT, _OTHER = 556, 667  # digits; anything else (accented letters...): a wide letter's width
WIDTH_SLACK = 1.2
_TAG = re.compile(r"<[^>]*>")


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An upper estimate, in px, of the widest line of a chart text (``<br>`` breaks lines)."""
    lines = _TAG.sub("", text.replace("<br>", "\n")).split("\n") if "<" in text else [text]
    widest = max(sum(_HELVETICA.get(ch, _DIGIT if ch.isdigit() else _OTHER) for ch in line) for line in lines)
    return widest * size / 1000 * WIDTH_SLACK


def top_tick(values: list[float | None]) -> str:
    """The widest tick label a count axis (``,d``) drawn up to these values can show: their
    top plus Plotly's padding above it."""
    return f"{int(max((v for v in values if v is not None), default=0) * 1.1) + 1:,d}"


def label_room(labels: list[str], size: float = FONT_SIZE, pad: int = 14) -> int:
    """Pixels of margin for a column of axis labels: the widest, plus ``pad`` (Plotly keeps about
    13 px between a label and the edge: measured in Chromium)."""
    return math.ceil(max((text_width(label, size) for label in labels), default=0)) + pad


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


TITLE_SIZE = 15  # px
# The narrowest a chart is drawn: a card on a 390 px wide phone, less its padding.
NARROWEST_CHART = 320
TITLE_LINE = 19  # px: a second line of title


def chart_title(title: str, width: int = NARROWEST_CHART) -> str:
    """``title``, broken before its last part after a comma (else its last word that still
    fits) when it is wider than the narrowest chart: Plotly does not wrap a title, and a
    phone clipped the longest at its right edge."""
    if "<br>" in title or text_width(title, TITLE_SIZE) <= width:
        return title
    head, comma, tail = title.rpartition(", ")
    if comma and text_width(head + ",", TITLE_SIZE) <= width:
        return f"{head},<br>{tail}"
    words = title.split(" ")
    for n in range(len(words) - 1, 0, -1):
        if text_width(" ".join(words[:n]), TITLE_SIZE) <= width:
            return " ".join(words[:n]) + "<br>" + " ".join(words[n:])
    return title


def base_layout(title: str, height: int = 320) -> dict:
    text = chart_title(title)
    extra = TITLE_LINE * text.count("<br>")
    return {
        "title": {"text": text, "x": 0, "xanchor": "left", "font": {"size": TITLE_SIZE}},
        "height": height + extra,
        "margin": {"l": 10, "r": 20, "t": 48 + extra, "b": 36},
        "font": {"family": FONT, "size": FONT_SIZE, "color": "#222"},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hoverlabel": {"font": {"family": FONT}},
        "separators": ".,",
        "template": {"layout": {"xaxis": _AXIS_DEFAULTS, "yaxis": _AXIS_DEFAULTS}},
    }


# Every axis lets its tick labels be (Plotly's default for a category axis). On a numeric axis
# Plotly's default ("hide past div") measures every tick label again after placing each one, a
# forced layout per label per label: a fifth of the overview's Plotly time at a million
# offerings. The builders keep their labels inside the chart (label_room, ranges with room), so
# there is nothing to hide.
_AXIS_DEFAULTS = {"ticklabeloverflow": "allow"}
