"""Pure figure builders for the portfolio comparison: (frame, options) -> figure dict.

Same conventions as dashboard/figures/overview.py (plain dicts, checked through go.Figure in the
tests; an explanatory empty figure when there is nothing to show). A group whose
shares rest on fewer than SMALL_N offerings is drawn hatched and faded, and its
legend entry says "n<5".
"""

from __future__ import annotations

import pandas as pd

from dashboard import display, theme
from dashboard.figures.overview import empty, wrap

GROUPS = ("focus", "peers", "province")

# One row above the plot, under the chart's title (below the plot, the trend's turned
# fiscal-year labels ran into it). Plotly wraps a horizontal legend at the plot's width: on a
# phone, where the category labels leave the plot 100-200 px, assets/legend_row.js starts it
# at the chart's left edge instead, where one row fits.
TOP_LEGEND = {
    "orientation": "h",
    "x": 0,
    "xanchor": "left",
    "y": 1.0,
    "yanchor": "bottom",
    "traceorder": "normal",
    "font": {"size": 11},
}
LEGEND_ROOM = 22  # px above the plot for each row of the legend
# The widest a legend row may be on a 390 px phone: the chart (~317 px) less its right margin.
PHONE_LEGEND_WIDTH = 290
LEGEND_ENTRY = 40  # px of an entry beside its name: swatch and gaps


def legend_room(names: list[str], layout: dict) -> int:
    """Margin above the plot for the legend of ``names``: one row, or two where the names are
    too long for one row on a phone ("BCIT (n<5)", "Peers (no offerings)", "Province"). For
    the second the chart is that much taller (its plot keeps its height) and its title is
    pinned at the top, where Plotly would centre it in the taller margin."""
    width = sum(theme.text_width(name, 11) + LEGEND_ENTRY for name in names)
    if width <= PHONE_LEGEND_WIDTH:
        return LEGEND_ROOM
    layout["height"] += LEGEND_ROOM
    top = 14  # px: where a one-line title starts in the default margin
    layout["title"].update(yref="container", yanchor="top", y=1 - top / layout["height"])
    return 2 * LEGEND_ROOM


def _pct(value) -> str:
    return display.share(value)


def composition_bar(frame: pd.DataFrame, *, title: str, names: dict[str, str], small_n: int = 5) -> dict:
    """Grouped horizontal bars: the share of each category for the focus, its peers and the province.

    ``frame``: one dimension's rows of compare_queries.composition. ``names``: group -> legend
    name (e.g. the focus institution's short name). A difference from the peers flagged
    ``large`` is written beside the focus bar in bold (e.g. "+14 pts").
    """
    if frame.empty or not frame.province_base.iloc[0]:
        return empty(title, "No offerings match these filters.", height=260)
    # Plain lists, first category on top: a figure is built on every change, and a pandas
    # lookup per category costs more than the figure.
    col = {name: frame[name].to_list()[::-1] for name in frame.columns}
    plain = [str(label) for label in col["label"]]
    labels = [wrap(label) for label in plain]
    traces = []
    shares_of = {}
    for group in reversed(GROUPS):  # horizontal groups stack upwards: the focus bar on top
        base = int(col[f"{group}_base"][0])
        small = 0 < base < small_n
        shares = shares_of[group] = [None if pd.isna(s) else float(s) for s in col[f"{group}_share"]]
        counts = [int(n) for n in col[f"{group}_n"]]
        text = [_pct(s) for s in shares]
        if group == "focus":
            text = [
                f"<b>{t} ({g:+.0f} pts)</b>" if large and not pd.isna(g) else t
                for t, g, large in zip(text, col["gap_pts"], col["large"])
            ]
        name = names[group] + (f" (n<{small_n})" if small else "") + ("" if base else " (no offerings)")
        marker = {"color": theme.COMPARE_COLOURS[group]}
        if small:
            marker.update(
                opacity=0.6,
                pattern={"shape": "/", "fillmode": "overlay", "fgcolor": "white", "size": 6, "solidity": 0.4},
            )
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": [s or 0 for s in shares],
                "y": labels,
                "text": text,
                "textposition": "outside",
                "cliponaxis": False,
                "textfont": {"size": 11, "color": "#222"},
                "marker": marker,
                "customdata": [str(c) for c in col["category"]],
                "legendrank": GROUPS.index(group),
                "hovertemplate": [
                    f"<b>{names[group]}</b><br>{label}: {n:,} of {base:,} offerings ({_pct(s)})"
                    + (" – fewer than 5 offerings, read with care" if small else "")
                    + "<extra></extra>"
                    for label, n, s in zip(plain, counts, shares)
                ],
            }
        )
    top = max(max((s or 0) for s in shares) for shares in shares_of.values())
    span = min(1.0, top) * 1.3 + 0.02  # room for the labels outside the bars
    step = next(st for st in (0.05, 0.1, 0.2, 0.25, 0.5) if min(span, 1.0) / st <= 4.5)  # readable on a phone
    ticks = [round(i * step, 2) for i in range(int(min(span, 1.0) / step + 1e-9) + 1)]  # never past 100 %
    layout = theme.base_layout(title, 110 + 46 * len(plain))
    layout.update(
        barmode="group",
        bargap=0.25,
        bargroupgap=0.05,
        xaxis={
            "tickformat": ".0%",
            "range": [0, span],
            "tickvals": ticks,
            "gridcolor": "#eee",
            "title": {"text": "Share of offerings"},  # of each group's: short enough for a phone's narrow plot
            "fixedrange": True,
            "tickangle": 0,
        },
        yaxis={"fixedrange": True},  # no automargin: autoexpand is off, the margin below fits the labels
        legend=TOP_LEGEND,
        margin={
            "l": theme.label_room(labels),
            "r": 20,
            "t": layout["margin"]["t"] + legend_room([t["name"] for t in traces], layout),
            "b": 40,
            # A legend moved left of the plot (legend_row.js) must not push it right. No margin
            # grows then, axis automargin neither: these margins are sized from the labels, and
            # tests/dashboard/test_chart_margins.py fails on a tick label past the chart.
            "autoexpand": False,
        },
    )
    return {"data": traces, "layout": layout}


def trend_lines(
    frame: pd.DataFrame, *, measure: str, title: str, focus_name: str, periods: list[str], is_share: bool
) -> dict:
    """The focus institution against the peer median, per fiscal year (one measure of compare_queries.trend)."""
    sub = frame[frame.measure == measure].set_index("reporting_period").reindex(periods)
    if sub.focus.isna().all() and sub.peer_median.isna().all():
        return empty(title, "No offerings in any fiscal year.", height=280)
    fmt = ".0%" if is_share else ",d"

    def text(v):
        if v is None or pd.isna(v):
            return "no data"
        return display.share(v) if is_share else f"{v:,.0f}"

    focus = [None if pd.isna(v) else float(v) for v in sub.focus]
    median = [None if pd.isna(v) else float(v) for v in sub.peer_median]
    peers_n = [0 if pd.isna(n) else int(n) for n in sub.peers_reporting]
    traces = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": focus_name,
            "x": periods,
            "y": focus,
            "line": {"color": theme.COMPARE_COLOURS["focus"], "width": 3},
            "marker": {"size": 8},
            "connectgaps": False,
            "legendrank": 1,
            "hovertemplate": [f"<b>{focus_name}</b> {p}<br>{text(v)}<extra></extra>" for p, v in zip(periods, focus)],
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Peer median",
            "x": periods,
            "y": median,
            "line": {"color": theme.COMPARE_COLOURS["peers"], "width": 2, "dash": "dash"},
            "marker": {"size": 7, "symbol": "diamond"},
            "connectgaps": False,
            "legendrank": 2,
            "hovertemplate": [
                f"<b>Peer median</b> {p}<br>{text(v)} ({n} peer{'s' if n != 1 else ''} reporting)<extra></extra>"
                for p, v, n in zip(periods, median, peers_n)
            ],
        },
    ][::-1]  # the focus line drawn last, on top of the median where they coincide
    layout = theme.base_layout(title, 280)
    layout.update(
        xaxis={"type": "category", "fixedrange": True},
        yaxis={
            "tickformat": fmt,
            "rangemode": "tozero",
            "gridcolor": "#eee",
            "fixedrange": True,
            **({"range": [0, 1.05]} if is_share else {}),
        },
        legend=TOP_LEGEND,
        margin={
            "l": theme.label_room(["100%"] if is_share else [theme.top_tick(focus + median)]),
            "r": 20,
            "t": layout["margin"]["t"] + legend_room([t["name"] for t in traces], layout),
            "b": 70,  # the fiscal years, turned upright on a phone once there are many
            "autoexpand": False,  # as composition_bar's
        },
    )
    return {"data": traces, "layout": layout}
