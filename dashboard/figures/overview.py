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

from dashboard import theme
from dashboard.data.dimensions import NOT_REPORTED

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
    """Horizontal bars, one per category in code-list order; share of ``denominator`` in hover."""
    if frame.empty or frame[measure].sum() == 0:
        return empty(title, NO_MATCH)
    labels, order, colours = categories
    rank = {code: i for i, code in enumerate(order)}
    rows = sorted(zip(frame.category, frame[measure]), key=lambda r: rank.get(r[0], len(rank)), reverse=True)
    codes = [c for c, _ in rows]  # first category on top
    values = [float(v) for _, v in rows]
    total = denominator if denominator else sum(values)
    shares = [v / total if total else 0.0 for v in values]
    names = [labels.get(c, c) for c in codes]
    of = f"all {measure}" if denominator else f"{measure} shown"
    layout = theme.base_layout(title, height or max(200, 90 + 30 * len(rows)))
    layout.update(
        xaxis={
            "title": {"text": measure.capitalize()},
            "range": [0, max(values) * 1.25],
            "gridcolor": "#eee",
            "tickformat": ",d",
        },
        yaxis={"automargin": True},
        showlegend=False,
        bargap=0.3,
    )
    if note:
        layout["title"]["subtitle"] = {"text": note, "font": {"size": 11, "color": "#555"}}
        layout["margin"] = {**layout["margin"], "t": 78}
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": values,
        "y": names,
        "text": [f"{v:,.0f} ({s:.0%})" for v, s in zip(values, shares)],
        "textposition": "outside",
        "cliponaxis": False,
        "textfont": {"color": "#222"},
        "marker": {"color": [colours.get(c, theme.SINGLE) for c in codes]},
        "customdata": codes,
    }
    hover = [
        f"<b>{n}</b><br>{v:,.0f} {measure}<br>{s:.1%} of {of}<extra></extra>" for n, v, s in zip(names, values, shares)
    ]
    return _figure(trace, hover, layout)


def trend(
    frame: pd.DataFrame,
    title: str,
    *,
    measure: str,
    categories: Categories,
    periods: list[str],
) -> dict:
    """Offerings (or enrolments) per period, stacked by the chosen split."""
    if frame.empty or frame[measure].sum() == 0:
        return empty(title, "No offerings match these filters in any period.", height=340)
    labels, order, colours = categories
    present = set(frame.category)
    cats = [c for c in order if c in present] + sorted(present - set(order))
    values = {(p, c): float(v) for p, c, v in zip(frame.reporting_period, frame.category, frame[measure])}
    totals = {p: sum(v for (pp, _), v in values.items() if pp == p) for p in periods}
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
                "hovertemplate": [
                    f"<b>{name}</b> {p}<br>{v:,.0f} {measure} ({s:.0%} of the period)<extra></extra>"
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
            "automargin": True,  # thousands were clipped to their last digit
        },
        legend={"orientation": "h", "y": -0.25, "x": 0},
        showlegend=len(cats) > 1,
    )
    layout["margin"] = {**layout["margin"], "b": 90 if len(cats) > 1 else 40}
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
    if frame.empty or frame[measure].sum() == 0:
        return empty(title, NO_MATCH)
    yes: dict[str, float] = {}
    total: dict[str, float] = {}
    for sector, ce, value in zip(frame.category, frame.ce, frame[measure]):
        total[sector] = total.get(sector, 0) + float(value)
        if ce == "yes":
            yes[sector] = yes.get(sector, 0) + float(value)
    rows = [(s, yes.get(s, 0.0), total[s]) for s in sector_order if total.get(s, 0) > 0]
    rows.append(("all", sum(yes.values()), sum(total.values())))
    names = [sector_labels.get(s, s).replace(" ", "<br>", 1) if s != "all" else "All<br>sectors" for s, _, _ in rows]
    shares = [y / t if t else 0 for _, y, t in rows]
    layout = theme.base_layout(title, 320)
    layout.update(
        yaxis={
            "tickformat": ".0%",
            "range": [0, 1.12],
            "gridcolor": "#eee",
            "title": {"text": f"Share of {measure}"},
            "automargin": True,  # the tick labels were clipped to "%" at the left edge
        },
        xaxis={"automargin": True},
        showlegend=False,
    )
    if target is not None:
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
        layout["annotations"] = [
            {
                "text": target_text or f"target {target:.0%}",
                "xref": "paper",
                "x": 1,
                "y": target,
                "yanchor": "bottom",
                "xanchor": "right",
                "showarrow": False,
                "font": {"color": theme.TARGET_COLOUR},
            }
        ]
    hover = [
        f"<b>{n.replace('<br>', ' ')}</b><br>{y:,.0f} of {t:,.0f} {measure} through CE<br>{s:.1%}<extra></extra>"
        for n, (_, y, t), s in zip(names, rows, shares)
    ]
    trace = {
        "type": "bar",
        "x": names,
        "y": shares,
        "text": [f"{s:.0%}" for s in shares],
        "textposition": "outside",
        "cliponaxis": False,
        "marker": {"color": [theme.SINGLE if s != "all" else "#444" for s, _, _ in rows]},
        "customdata": [s for s, _, _ in rows],
    }
    return _figure(trace, hover, layout)


def _figure(trace: dict, hover: list[str], layout: dict) -> dict:
    """A one-trace figure, each bar with its hover text."""
    return {"data": [{**trace, "hovertemplate": hover}], "layout": layout}
