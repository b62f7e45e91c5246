"""Pure figure builders: (data, options) -> Plotly figure. No queries, no dash, no globals.

Builders return the figure as a plain dict (``{"data": [...], "layout": {...}}``), which
dcc.Graph renders as is. Building ``go.Figure`` objects instead costs about 20 ms per
figure in validation and serialisation, more than the SQL behind a chart on a million
offerings; the tests check every builder's output by constructing ``go.Figure`` from it,
which validates strictly.

Every builder titles the chart with what it counts, puts counts and shares in the
hover text, carries category codes in customdata (for cross-filtering) and returns an
explanatory empty figure when there is nothing to show.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from dashboard import display, theme
from dashboard.data.dimensions import NOT_REPORTED
from dashboard.data.overview import ce_shares

NO_MATCH = "No offerings match these filters.<br>Widen or reset the filters."


class Categories(NamedTuple):
    """The categories a chart draws: each code's label and colour, and their display order."""

    labels: dict[str, str]
    order: list[str]
    colours: dict[str, str]

    @classmethod
    def of(cls, codes: list[str], labels: dict[str, str], long_list: bool = False) -> Categories:
        """A code list's categories in its order, then "not reported" (a cell left blank)."""
        return cls(
            {**labels, NOT_REPORTED: theme.NOT_REPORTED_LABEL},
            [*codes, NOT_REPORTED],
            theme.colours_for(codes, long_list=long_list),
        )


def empty(title: str, message: str, height: int = 320) -> dict:
    layout = theme.base_layout(title, height)
    layout.update(
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": message,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "showarrow": False,
                "font": {"size": 13, "color": "#555"},
            }
        ],
    )
    return {"data": [], "layout": layout}


def breakdown_bar(
    frame: pd.DataFrame,
    *,
    measure: str,
    title: str,
    categories: Categories,
    denominator: float | None = None,
    note: str | None = None,
    height: int | None = None,
) -> dict:
    """Horizontal bars, one per category in code-list order; share of ``denominator`` in hover.

    A count hidden from the viewer (NaN, with ``<measure>_mark``: dashboard.data.privacy)
    has no bar, its mark as text, and no share; shares then come from ``<measure>_share``.
    """
    marks = _marks(frame, measure)
    if frame.empty or (frame[measure].sum() == 0 and not any(marks)):
        return empty(title, NO_MATCH)
    labels, order, colours = categories
    rank = {code: i for i, code in enumerate(order)}
    given = list(frame[f"{measure}_share"]) if f"{measure}_share" in frame.columns else None
    rows = sorted(
        zip(frame.category, frame[measure], marks, given or [None] * len(frame)),
        key=lambda r: rank.get(r[0], len(rank)),
        reverse=True,
    )
    codes = [c for c, _, _, _ in rows]  # first category on top
    hidden = [m for _, _, m, _ in rows]
    values = [0.0 if m else float(v) for _, v, m, _ in rows]
    total = denominator if denominator else sum(values)
    shares = [s if given is not None else (v / total if total else 0.0) for (_, _, _, s), v in zip(rows, values)]
    names = [wrap(labels.get(c, c)) for c in codes]
    of = f"all {measure}" if denominator else f"{measure} shown"
    two_lines = any("<br>" in n for n in names)
    texts = [
        m or (f"{v:,.0f}" + ("" if pd.isna(s) else f" ({display.share(s)})")) for v, s, m in zip(values, shares, hidden)
    ]
    layout = theme.base_layout(title, height or max(200, 90 + (38 if two_lines else 30) * len(rows)))
    layout.update(
        xaxis={
            "title": {"text": measure.capitalize()},
            # room right of the longest bar for its "n (share)" label; where a chart is too narrow
            # for that (a phone), assets/bar_labels.js widens the range until every label fits
            "range": [0, (max(values) or 1) * 1.45],
            "gridcolor": "#eee",
            "tickformat": ",d",
        },
        yaxis={"automargin": True},  # a safety net: the margin below fits the labels
        showlegend=False,
        bargap=0.3,
    )
    layout["margin"] = {**layout["margin"], "l": theme.label_room(names)}
    if note:
        layout["title"]["subtitle"] = {"text": note, "font": {"size": 11, "color": "#555"}}
        layout["margin"] = {**layout["margin"], "t": layout["margin"]["t"] + 30}
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": values,
        "y": names,
        "text": texts,
        "textposition": "outside",
        "cliponaxis": False,
        "textfont": {"color": "#222"},
        "marker": {"color": [colours.get(c, theme.SINGLE) for c in codes]},
        "customdata": codes,
    }
    hover = [
        f"<b>{n.replace('<br>', ' ')}</b><br>{HIDDEN_WORDS[m[0]]} {measure}<extra></extra>"
        if m
        else f"<b>{n.replace('<br>', ' ')}</b><br>{v:,.0f} {measure}<br>"
        + ("share withheld" if pd.isna(s) else f"{display.share(s)} of {of}")
        + "<extra></extra>"
        for n, v, s, m in zip(names, values, shares, hidden)
    ]
    return _figure(trace, hover, layout)


# A hidden count's hover words, by the first character of its mark ("<10" or "x").
HIDDEN_WORDS = {"<": "fewer than the smallest count shown of", "x": "hidden (so a small count cannot be worked out):"}


def _marks(frame: pd.DataFrame, measure: str) -> list[str]:
    """What to show instead of each hidden count ("" where it is shown): dashboard.data.privacy."""
    return list(frame[f"{measure}_mark"]) if f"{measure}_mark" in frame.columns else [""] * len(frame)


def trend(
    frame: pd.DataFrame,
    title: str,
    *,
    measure: str,
    categories: Categories,
    periods: list[str],
) -> dict:
    """Offerings (or enrolments) per period, stacked by the chosen split."""
    marks = _marks(frame, measure)
    if frame.empty or (frame[measure].sum() == 0 and not any(marks)):
        return empty(title, "No offerings match these filters in any period.", height=340)
    labels, order, colours = categories
    present = set(frame.category)
    cats = [c for c in order if c in present] + sorted(present - set(order))
    hidden = {(p, c): m for p, c, m in zip(frame.reporting_period, frame.category, marks) if m}
    values = {
        (p, c): 0.0 if (p, c) in hidden else float(v)
        for p, c, v in zip(frame.reporting_period, frame.category, frame[measure])
    }
    totals = {p: sum(v for (pp, _), v in values.items() if pp == p) for p in periods}
    partial = {p for p, _ in hidden}  # periods whose shares would rest on a hidden count
    traces = []
    for cat in cats:
        vals = [values.get((p, cat), 0.0) for p in periods]
        name = labels.get(cat, cat) if cat != "all" else measure.capitalize()
        share = [v / totals[p] if totals[p] else 0 for p, v in zip(periods, vals)]
        traces.append(
            {
                "type": "bar",
                "x": periods,
                "y": vals,
                "name": name,
                "marker": {"color": colours.get(cat, theme.SINGLE)},
                "customdata": [cat] * len(periods),
                **({"text": [hidden.get((p, cat), "") for p in periods]} if hidden else {}),
                "hovertemplate": [
                    f"<b>{name}</b> {p}<br>{HIDDEN_WORDS[hidden[(p, cat)][0]]} {measure}<extra></extra>"
                    if (p, cat) in hidden
                    else f"<b>{name}</b> {p}<br>{v:,.0f} {measure}"
                    + ("" if p in partial else f" ({display.share(s)} of the period)")
                    + "<extra></extra>"
                    for p, v, s in zip(periods, vals, share)
                ],
            }
        )
    layout = theme.base_layout(title, 340)
    layout.update(
        barmode="stack",
        xaxis={"type": "category", "title": {"text": "Fiscal year"}},
        yaxis={
            "title": {"text": measure.capitalize()},
            "gridcolor": "#eee",
            "tickformat": ",d",
            "rangemode": "tozero",
            "automargin": True,  # thousands were clipped to their last digit (now a safety net)
        },
        legend={"orientation": "h", "y": -0.25, "x": 0},
        showlegend=len(cats) > 1,
    )
    # room for the top tick (the tallest stack) and, beside it, the axis title
    layout["margin"] = {
        **layout["margin"],
        "l": theme.label_room([theme.top_tick(list(totals.values()))]) + AXIS_TITLE_ROOM,
    }
    layout["margin"]["b"] = 92 if len(cats) > 1 else 40
    return {"data": traces, "layout": layout}


def ce_by_sector(
    frame: pd.DataFrame,
    *,
    measure: str,
    title: str,
    sector_labels: dict[str, str],
    sector_order: list[str],
    target: float | None,
    target_text: str | None,
) -> dict:
    """Share delivered through continuing education, per sector and for all, against the target."""
    marks = _marks(frame, measure)
    if frame.empty or (frame[measure].sum() == 0 and not any(marks)):
        return empty(title, NO_MATCH)
    bars = ce_shares(frame, measure, sector_order)
    rows = [(b.sector, b.through_ce, b.total) for b in bars]
    names = [sector_labels.get(s, s).replace(" ", "<br>", 1) if s != "all" else "All<br>sectors" for s, _, _ in rows]
    shares = [b.share for b in bars]
    layout = theme.base_layout(title, 320)
    layout.update(
        yaxis={
            "tickformat": ".0%",
            "range": [0, 1.12],
            "gridcolor": "#eee",
            "title": {"text": f"Share of {measure}"},
            "automargin": True,  # the tick labels were clipped to "%" at the left edge (now a safety net)
        },
        xaxis={"automargin": True},
        showlegend=False,
    )
    lines = max(n.count("<br>") + 1 for n in names)
    layout["margin"] = {**layout["margin"], "l": theme.label_room(["100%"]) + AXIS_TITLE_ROOM, "b": 14 + 16 * lines}
    if target is not None:
        # the target's words go under the title, never over a bar's label (they collided)
        layout["title"]["subtitle"] = {
            "text": f"Dashed line: {target_text or 'target ' + display.whole_share(target)}",
            "font": {"size": 11, "color": theme.TARGET_TEXT},
        }
        layout["margin"] = {**layout["margin"], "t": layout["margin"]["t"] + 18}
        layout["shapes"] = [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": target,
                "y1": target,
                "line": {"color": theme.TARGET_COLOUR, "dash": "dash", "width": 2},
            }
        ]
    hover = [
        f"<b>{n.replace('<br>', ' ')}</b><br>share withheld: it rests on a hidden count<extra></extra>"
        if s is None
        else f"<b>{n.replace('<br>', ' ')}</b><br>{y:,.0f} of {t:,.0f} {measure} through CE<br>{display.share(s)}"
        "<extra></extra>"
        for n, (_, y, t), s in zip(names, rows, shares)
    ]
    trace = {
        "type": "bar",
        "x": names,
        "y": [s or 0 for s in shares],
        "text": ["withheld" if s is None else display.share(s) for s in shares],
        # A label just under the target line would be crossed by it: inside its bar's top instead.
        "textposition": [
            "inside" if target is not None and s is not None and target - LABEL_HEIGHT < s <= target else "outside"
            for s in shares
        ],
        "insidetextanchor": "end",
        "cliponaxis": False,
        "marker": {"color": [theme.SINGLE if s != "all" else "#444" for s, _, _ in rows]},
        "customdata": [s for s, _, _ in rows],
    }
    return _figure(trace, hover, layout)


AXIS_TITLE_ROOM = 26  # px beside the tick labels for a one-line axis title at the chart font size
LABEL_HEIGHT = 0.1  # of the 0-100% share axis: a bar's outside label is about this tall


def wrap(label: str, width: int = 22) -> str:
    """Long category names on two lines, so a phone keeps room for the bars."""
    if len(label) <= width or " " not in label:
        return label
    cut = label.rfind(" ", 0, width + 1)
    cut = cut if cut > 0 else label.find(" ")
    return label[:cut] + "<br>" + label[cut + 1 :]


def _figure(trace: dict, hover: list[str], layout: dict) -> dict:
    """A one-trace figure, each bar with its hover text."""
    return {"data": [{**trace, "hovertemplate": hover}], "layout": layout}
