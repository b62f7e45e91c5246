"""Pure figure builders: (data, options) -> go.Figure. No queries, no dash, no globals.

Every builder titles the chart with what it counts, puts counts and shares in the
hover text, carries category codes in customdata (for cross-filtering) and returns
an explanatory empty figure when there is nothing to show.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard import theme

MEASURE_WORDS = {"offerings": "offerings", "enrolments": "enrolments"}


def empty(title: str, message: str, height: int = 320) -> go.Figure:
    fig = go.Figure(layout=theme.base_layout(title, height))
    fig.update_layout(
        xaxis={"visible": False}, yaxis={"visible": False},
        annotations=[{"text": message, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5,
                      "showarrow": False, "font": {"size": 13, "color": "#555"}}],
    )
    return fig


def breakdown_bar(frame: pd.DataFrame, *, measure: str, title: str, labels: dict[str, str],
                  order: list[str], colours: dict[str, str], denominator: float | None = None,
                  note: str | None = None, height: int | None = None) -> go.Figure:
    """Horizontal bars, one per category in code-list order; share of ``denominator`` in hover."""
    if frame.empty or frame[measure].sum() == 0:
        return empty(title, "No offerings match these filters.<br>Widen or reset the filters.")
    frame = frame.copy()
    rank = {code: i for i, code in enumerate(order)}
    frame["rank"] = frame.category.map(lambda c: rank.get(c, len(rank)))
    frame = frame.sort_values("rank", ascending=False)  # first category on top
    total = denominator if denominator else frame[measure].sum()
    values = frame[measure].astype(float)
    shares = values / total if total else values * 0
    names = [labels.get(c, c) for c in frame.category]
    text = [f"{v:,.0f} ({s:.0%})" for v, s in zip(values, shares)]
    hover = [f"<b>{n}</b><br>{v:,.0f} {MEASURE_WORDS[measure]}<br>{s:.1%} of {_of(measure, denominator)}"
             "<extra></extra>" for n, v, s in zip(names, values, shares)]
    fig = go.Figure(go.Bar(
        x=values, y=names, orientation="h", text=text, textposition="outside", cliponaxis=False,
        textfont={"color": "#222"},
        marker={"color": [colours.get(c, theme.SINGLE) for c in frame.category]},
        customdata=list(frame.category), hovertemplate=hover,
    ), layout=theme.base_layout(title, height or max(200, 90 + 30 * len(frame))))
    fig.update_layout(
        xaxis={"title": {"text": measure.capitalize()}, "range": [0, float(values.max()) * 1.25],
               "gridcolor": "#eee", "tickformat": ",d"},
        yaxis={"automargin": True}, showlegend=False, bargap=0.3,
    )
    if note:
        fig.update_layout(title={"subtitle": {"text": note, "font": {"size": 11, "color": "#555"}}},
                          margin={"t": 78})
    return fig


def _of(measure: str, denominator: float | None) -> str:
    return f"all {measure}" if denominator else f"{measure} shown"


def ce_by_sector(frame: pd.DataFrame, *, measure: str, title: str, sector_labels: dict[str, str],
                 sector_order: list[str], target: float | None, target_text: str | None) -> go.Figure:
    """Share delivered through continuing education, per sector and for all, against the target."""
    if frame.empty or frame[measure].sum() == 0:
        return empty(title, "No offerings match these filters.<br>Widen or reset the filters.")
    pivot = frame.pivot_table(index="category", columns="ce", values=measure, aggfunc="sum", fill_value=0)
    for col in ("yes", "no"):
        if col not in pivot:
            pivot[col] = 0
    totals = pivot.yes + pivot.no
    rows = [(s, pivot.yes.get(s, 0), totals.get(s, 0)) for s in sector_order if totals.get(s, 0) > 0]
    rows.append(("all", pivot.yes.sum(), totals.sum()))
    names = [sector_labels.get(s, s).replace(" ", "<br>", 1) if s != "all" else "All<br>sectors"
             for s, _, _ in rows]
    shares = [y / t if t else 0 for _, y, t in rows]
    hover = [f"<b>{n.replace('<br>', ' ')}</b><br>{y:,.0f} of {t:,.0f} {measure} through CE<br>{s:.1%}"
             "<extra></extra>" for n, (_, y, t), s in zip(names, rows, shares)]
    colours = [theme.SINGLE if s != "all" else "#444" for s, _, _ in rows]
    fig = go.Figure(go.Bar(x=names, y=shares, text=[f"{s:.0%}" for s in shares], textposition="outside",
                           marker={"color": colours}, customdata=[s for s, _, _ in rows], hovertemplate=hover,
                           cliponaxis=False),
                    layout=theme.base_layout(title, 320))
    fig.update_layout(yaxis={"tickformat": ".0%", "range": [0, 1.12], "gridcolor": "#eee",
                             "title": {"text": f"Share of {measure}"}},
                      xaxis={"automargin": True}, showlegend=False)
    if target is not None:
        fig.add_hline(y=target, line={"color": theme.TARGET_COLOUR, "dash": "dash", "width": 2},
                      annotation_text=target_text or f"target {target:.0%}", annotation_position="top right",
                      annotation_font={"color": theme.TARGET_COLOUR})
    return fig


def trend(frame: pd.DataFrame, *, measure: str, title: str, labels: dict[str, str], order: list[str],
          colours: dict[str, str], periods: list[str]) -> go.Figure:
    """Offerings (or enrolments) per period, stacked by the chosen split."""
    if frame.empty or frame[measure].sum() == 0:
        return empty(title, "No offerings match these filters in any period.", height=340)
    fig = go.Figure(layout=theme.base_layout(title, 340))
    cats = list(dict.fromkeys([c for c in order if c in set(frame.category)] +
                              sorted(set(frame.category) - set(order))))
    totals = frame.groupby("reporting_period")[measure].sum()
    for cat in cats:
        sub = frame[frame.category == cat].set_index("reporting_period").reindex(periods)
        vals = sub[measure].fillna(0)
        name = labels.get(cat, cat) if cat != "all" else measure.capitalize()
        share = [v / totals.get(p, 0) if totals.get(p, 0) else 0 for p, v in zip(periods, vals)]
        fig.add_bar(x=periods, y=vals, name=name, marker={"color": colours.get(cat, theme.SINGLE)},
                    customdata=[cat] * len(periods),
                    hovertemplate=[f"<b>{name}</b> {p}<br>{v:,.0f} {measure} ({s:.0%} of the period)<extra></extra>"
                                   for p, v, s in zip(periods, vals, share)])
    fig.update_layout(barmode="stack", xaxis={"type": "category", "title": {"text": "Fiscal year"}},
                      yaxis={"title": {"text": measure.capitalize()}, "gridcolor": "#eee", "tickformat": ",d",
                             "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.25, "x": 0}, showlegend=len(cats) > 1,
                      margin={"b": 90 if len(cats) > 1 else 40})
    return fig
