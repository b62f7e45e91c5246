"""The comparison page's components: its outputs from a Comparison, the peer grid's columns,
the standouts, the scorecard and the trend graphs. No database: pages pass the data in."""

from __future__ import annotations

from typing import NamedTuple

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard import display
from dashboard.data import compare
from dashboard.data.dimensions import BY_PARAM
from dashboard.data.filters import Filters
from dashboard.data.state import CompareState
from dashboard.data.tables import PEER_TABLE
from dashboard.figures import compare as compare_figures
from dashboard.views.charts import chart_table
from dashboard.views.grid_downloads import grid_column_defs
from dashboard.views.overview import kind_badge, met_badge

GRAPH_CONFIG = {"displayModeBar": False, "responsive": False}
HIDDEN = {"display": "none"}


class CompareOutputs(NamedTuple):
    heading: str
    subheading: str
    message: object
    body_style: dict | None
    standouts: object
    composition: object
    scorecard: object
    peer_rows: list[dict]
    download_href: str


def prompt_outputs() -> CompareOutputs:
    """No focus yet: ask for one."""
    prompt = dbc.Alert(
        [
            html.Strong("Choose a focus institution "),
            "in the box above to see its portfolio beside its peers' and the province's.",
        ],
        color="info",
        id="compare-prompt",
    )
    return CompareOutputs(
        "Compare an institution with its peers",
        "Choose an institution to set its portfolio beside its peer group's and the "
        "province's, against the framework's targets.",
        prompt,
        HIDDEN,
        None,
        None,
        None,
        [],
        "",
    )


def compare_outputs(c: compare.Comparison, filters: Filters, state: CompareState) -> CompareOutputs:
    """The page's outputs for one comparison: headings, notes, composition, scorecard, peer grid."""
    period_words = ", ".join(filters.period) if filters.period else "all fiscal years"
    heading = f"{c.name} beside {c.group_words}"
    subheading = (
        f"{period_words}: {display.count(c.focus_n, 'offering')} at {c.focus}; "
        f"{display.count(len(c.peers), 'peer')} ({len(c.peers_with_data)} with offerings); "
        f"province {display.count(c.province_n, 'offering')} at "
        f"{display.count(c.province_institutions, 'institution')}."
    )
    notes = []
    if c.ignored:
        many = len(c.ignored) > 1
        notes.append(
            dbc.Alert(
                f"The {', '.join(c.ignored)} filter{'s' if many else ''} "
                f"do{'' if many else 'es'} not apply here: the focus institution and its "
                "peer group choose the institutions compared.",
                color="light",
                className="small py-2",
            )
        )
    if not c.peers:
        notes.append(dbc.Alert(f"{c.name} has no peers in this group. Choose another peer group.", color="warning"))
    rows = compare.grid_rows(c.table)
    href = "/export/peers.csv" + filters.to_search(state.to_query())
    if c.no_data is not None:
        missing = dbc.Alert(
            [
                html.Strong(c.no_data),
                html.Br(),
                "Its trend and its peers are shown below; choose another fiscal year to compare its portfolio.",
            ],
            color="warning",
            id="compare-no-data",
        )
        return CompareOutputs(
            heading,
            subheading,
            [*notes, missing],
            None,
            None,
            html.P("No portfolio to compare for the selected fiscal years.", className="text-muted small"),
            html.P("No values to score for the selected fiscal years.", className="text-muted small"),
            rows,
            href,
        )
    assert c.composition is not None and c.standouts is not None and c.scorecard is not None
    group_names = {"focus": c.focus, "peers": "Peers", "province": "Province"}
    graphs = []
    for dim in compare.COMPOSITION:
        fig = compare_figures.composition_bar(
            c.composition[c.composition.dimension == dim],
            title=BY_PARAM[dim].title,
            names=group_names,
            small_n=compare.SMALL_N,
        )
        graphs.append(dbc.Col(graph(f"compare-chart-{dim}", fig), lg=6))
    return CompareOutputs(
        heading,
        subheading,
        notes or None,
        None,
        standouts_list(c.standouts, c.focus, bool(c.peers_with_data)),
        dbc.Row(graphs, className="g-3"),
        scorecard_table(c.scorecard, c.focus),
        rows,
        href,
    )


def trend_graphs(frame: pd.DataFrame, focus: str, periods: list[str]) -> dbc.Row:
    graphs = []
    for measure, words in compare.TREND_MEASURES.items():
        fig = compare_figures.trend_lines(
            frame,
            measure=measure,
            title=words,
            focus_name=focus,
            periods=periods,
            is_share=measure == "completion_rate",
        )
        graphs.append(dbc.Col(graph(f"compare-trend-{measure}", fig), lg=4))
    return dbc.Row(graphs, className="g-2")


def graph(graph_id: str, fig: dict) -> dcc.Graph:
    """A graph that takes its figure's height from the start (no jump when plotly has drawn it)."""
    return html.Div(
        [
            dcc.Graph(id=graph_id, figure=fig, config=GRAPH_CONFIG, style={"height": f"{fig['layout']['height']}px"}),
            chart_table(graph_id),
        ]
    )


def grid_columns(framework_rules: str) -> list[dict]:
    """The peer grid's columns (``framework_rules``: the compliance column's rules in words)."""
    # one decimal, as dashboard.display.share writes every other share
    pct = {"function": "params.value == null ? '–' : (params.value * 100).toFixed(1) + '%'"}
    num = {"function": "params.value == null ? '–' : params.value.toLocaleString('en-CA')"}
    # A count of people hidden from the viewer arrives as null with its mark ("<10", "x") beside it.
    people = {
        "function": "params.data[params.colDef.field + '_mark'] || "
        "(params.value == null ? '–' : params.value.toLocaleString('en-CA'))"
    }

    def figure(field, width, formatter, tip=None):
        col = {"field": field, "type": "rightAligned", "minWidth": width, "valueFormatter": formatter}
        return {**col, "headerTooltip": tip} if tip else col

    columns = [
        {
            "field": "name",
            "minWidth": 175,
            "flex": 2,
            "tooltipField": "name",
            "cellStyle": {"cursor": "pointer", "textDecoration": "underline dotted"},
        },
        {"field": "code", "minWidth": 80},
        {"field": "sector", "minWidth": 120, "tooltipField": "sector"},
        {"field": "region", "minWidth": 130, "tooltipField": "region"},
        figure("offerings", 100, num),
        figure("enrolments", 110, people),
        figure("completions", 120, people),
        figure("completion_rate", 105, pct, "Completions as a share of enrolments"),
        figure("ce_share", 95, pct, "Share of offerings delivered through continuing education"),
        figure("credit_share", 95, pct, "Share of offerings that are credit-bearing"),
        figure("compliance", 115, pct, f"Share of offerings meeting all three framework rules ({framework_rules})"),
        {"field": "note", "minWidth": 70, "tooltipField": "note"},
    ]
    return grid_column_defs(PEER_TABLE, columns)


def standouts_list(big: pd.DataFrame, focus: str, peers_have_data: bool = True):
    """Two short lists: categories where the focus's share is well above / below its peers'."""
    if not peers_have_data:
        return html.P(
            "None of the peers has offerings matching these filters: only the province is there to compare with.",
            className="small mb-2",
            id="compare-standouts-none",
        )
    if big.empty:
        return html.P(
            f"No category differs from the peer group by {compare.LARGE_GAP_PTS:.0f} points or more.",
            className="small mb-2",
            id="compare-standouts-none",
        )
    cols = []
    records = big.to_dict("records")  # a few rows: plain dicts beat a pandas selection per list
    for direction, title, colour in (
        ("ahead", f"{focus} well above its peers", "text-primary"),
        ("behind", f"{focus} well below its peers", "text-danger"),
    ):
        items = [
            html.Li(
                [
                    html.Span(f"{r['label']} ", className="fw-semibold"),
                    html.Span(f"({BY_PARAM[r['dimension']].title.lower()}): "),
                    f"{display.share(r['focus_share'])} vs {display.share(r['peers_share'])}, "
                    f"{display.points(r['gap_pts'])}",
                    html.Span(" n<5", className="badge bg-light text-dark ms-1") if r["small"] else None,
                ]
            )
            for r in [r for r in records if r["direction"] == direction][:6]
        ]
        cols.append(
            dbc.Col(
                [
                    html.Div(title, className=f"small fw-semibold {colour}"),
                    html.Ul(items or [html.Li("none", className="text-muted")], className="small mb-1 ps-3"),
                ],
                md=6,
            )
        )
    return dbc.Row(cols, className="mb-2", id="compare-standouts-list")


def scorecard_table(rows: list[compare.ScoreRow], focus: str):
    pct = display.share

    body = []
    for r in rows:
        status = (
            html.Span("no target", className="text-muted small")
            if r.comparator is None
            else html.Span("–", className="text-muted")
            if r.met is None
            else met_badge(r.met)
        )
        unit = "enrolments" if r.basis == "enrolments" else "offerings"
        value = [pct(r.value)]
        if r.value is not None and r.base < compare.SMALL_N:
            value.append(
                html.Span(" n<5", className="badge bg-light text-dark ms-1", title=f"rests on {r.base} {unit}")
            )
        body.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Div(r.label, className="fw-semibold"),
                            html.Div(kind_badge(r.framework, "d-md-none")),
                            html.Div(
                                r.description
                                + (
                                    " (by enrolments)"
                                    if r.basis == "enrolments" and r.metric != "completion_rate"
                                    else ""
                                ),
                                className="small text-muted d-none d-md-block",
                            ),
                        ]
                    ),
                    html.Td(kind_badge(r.framework), className="d-none d-md-table-cell"),
                    # On a phone the status sits under the value, where it is seen without scrolling.
                    html.Td(
                        [*value, html.Div(status, className="d-md-none fw-normal")], className="text-end fw-semibold"
                    ),
                    html.Td(
                        display.target(r.comparator, r.target),
                        className="text-end text-nowrap",
                    ),
                    html.Td(status, className="d-none d-md-table-cell"),
                    html.Td(pct(r.peer_median), className="text-end"),
                    html.Td("–" if r.rank is None else f"{r.rank} of {r.ranked}", className="text-end text-nowrap"),
                ]
            )
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Metric"),
                html.Th("Kind", className="d-none d-md-table-cell"),
                html.Th(focus, className="text-end"),
                html.Th("Target", className="text-end"),
                html.Th("Status", className="d-none d-md-table-cell"),
                html.Th("Peer median", className="text-end"),
                html.Th("Rank", className="text-end"),
            ]
        )
    )
    return dbc.Table(
        [header, html.Tbody(body)],
        hover=True,
        responsive=True,
        size="sm",
        className="mb-0",
        id="compare-scorecard-table",
    )
