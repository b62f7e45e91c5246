"""Portfolio comparison: one institution's micro-credentials beside its peers' and the province's,
against the targets. The focus and the peer group live in the URL (``focus``, ``peers``)."""

from __future__ import annotations

from typing import NamedTuple

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html

from dashboard import context
from dashboard.data import compare as cq
from dashboard.data import overview as queries
from dashboard.data.database import Database, NoWarehouse
from dashboard.data.filters import Filters, Vocabulary
from dashboard.figures import compare as compare_figures
from dashboard.views.filters import filter_panel, url_param_id, values_from_inputs

dash.register_page(__name__, path="/compare", name="Compare", title="Compare | B.C. Micro-credentials", order=1)

FOCUS_ID = url_param_id("focus", "")
PEERS_ID = url_param_id("peers", "sector")
GRAPH_CONFIG = {"displayModeBar": False, "responsive": False}
HIDDEN = {"display": "none"}
SIGNS = {">=": "≥", "<=": "≤"}


def layout(**query):
    db = context.db()
    try:
        vocab = queries.vocabulary(db)
    except NoWarehouse as exc:
        return dbc.Alert(str(exc), color="info", className="mt-3")
    filters, problems = Filters.parse(dict(query), vocab, strict=False)
    focus, focus_problems = cq.parse_focus(query.get("focus"), vocab)
    choice, peer_problems = cq.parse_peers(query.get("peers"), vocab)
    institutions = [{"label": f"{name} ({code})", "value": code} for code, name in vocab.values["institution"]]
    return html.Div([
        html.H1("Compare an institution with its peers", id="compare-heading", className="h3 mb-1"),
        html.P("Choose an institution: its micro-credential portfolio is set beside its peer group's and the "
               "province's, against the framework's targets.", id="compare-subheading", className="text-muted mb-3"),
        filter_panel(filters, vocab, problems + focus_problems + peer_problems),
        dbc.Card(dbc.CardBody(dbc.Row([
            dbc.Col([
                dbc.Label("Focus institution", html_for="compare-focus", className="small fw-semibold mb-0"),
                dcc.Dropdown(id=FOCUS_ID, options=institutions, value=focus, clearable=True,
                             placeholder="Choose an institution…", optionHeight=40),
            ], xs=12, lg=5),
            dbc.Col([
                dbc.Label("Compare with", className="small fw-semibold mb-0 d-block"),
                dbc.RadioItems(id="compare-peer-kind", value=choice.kind, inline=True, className="small",
                               options=[{"label": label, "value": kind}
                                        for kind, label in cq.PEER_KIND_LABELS.items()]),
                html.Div(dcc.Dropdown(id="compare-peer-pick", options=institutions, value=list(choice.codes),
                                      multi=True, placeholder="Pick peer institutions…", optionHeight=40),
                         id="compare-peer-pick-wrap", style=None if choice.kind == "custom" else HIDDEN,
                         className="mt-1"),
                dcc.Input(id=PEERS_ID, type="hidden", value=choice.to_param()),
            ], xs=12, lg=7),
        ], className="g-2")), className="mb-3"),
        html.Div(id="compare-message"),
        html.Div(id="compare-body", style=None if focus else HIDDEN, children=[
            dbc.Card(dbc.CardBody([
                html.H2("Portfolio composition", className="h5 mb-1"),
                html.P(["Share of each group's offerings in each category. Differences of "
                        f"{cq.LARGE_GAP_PTS:.0f} percentage points or more from the peer group are in bold. "
                        "Hatched, faded bars rest on fewer than 5 offerings."], className="small text-muted mb-2"),
                html.Div(id="compare-standouts"),
                dcc.Loading(html.Div(id="compare-composition"), delay_show=400, type="circle"),
            ]), className="mb-3"),
            dbc.Card(dbc.CardBody([
                html.H2("Scorecard against the targets", className="h5 mb-1"),
                html.P("The most specific target applies (institution, then sector, then fiscal year, then "
                       "provincial). Framework rules come from the B.C. Micro-credential Framework (2021); "
                       "illustrative targets are placeholders for the ministry to set. Rank 1 is best in the "
                       "target's direction, among the focus and its peers with data.",
                       className="small text-muted mb-2"),
                html.Div(id="compare-scorecard"),
            ]), className="mb-3"),
            dbc.Card(dbc.CardBody([
                html.H2("Trend across all fiscal years", className="h5 mb-1"),
                html.P("The focus institution against the median of its peers that reported in each year "
                       "(the other filters apply; the fiscal-year filter does not).", className="small text-muted"),
                html.Div(id="compare-trend"),
            ]), className="mb-3"),
            dbc.Card(dbc.CardBody([
                html.Div([
                    html.H2("Peers", className="h5 mb-0 me-auto"),
                    html.A("Download CSV", id="compare-peers-download", href="", className="btn btn-sm "
                           "btn-outline-primary", **{"download": ""}),
                ], className="d-flex align-items-center mb-1"),
                html.P("Click a row to make that institution the focus. Sort by clicking a column heading. "
                       "n<5: the shares rest on fewer than 5 offerings.", id="compare-peers-caption",
                       className="small text-muted mb-2"),
                dag.AgGrid(
                    id="compare-peers-grid", rowData=[], columnDefs=_grid_columns(),
                    getRowId="params.data.code",
                    defaultColDef={"sortable": True, "resizable": True, "suppressMovable": True, "wrapHeaderText": True, "flex": 1,
                                   "autoHeaderHeight": True},
                    dashGridOptions={"domLayout": "autoHeight", "animateRows": False,
                                     "suppressCellFocus": True, "tooltipShowDelay": 300},
                    getRowStyle={"styleConditions": [
                        {"condition": "params.data.is_focus",
                         "style": {"fontWeight": "600", "backgroundColor": "#e6f0f8"}},
                        {"condition": "params.data.small || params.data.offerings === 0",
                         "style": {"color": "#6c757d", "fontStyle": "italic"}},
                    ]},
                    style={"width": "100%"}, className="ag-theme-alpine compare-grid",
                ),
            ]), className="mb-3"),
        ]),
    ])


def _grid_columns() -> list[dict]:
    pct = {"function": "params.value == null ? '–' : Math.round(params.value * 100) + '%'"}
    num = {"function": "params.value == null ? '–' : params.value.toLocaleString('en-CA')"}

    def figure(field, header, width, formatter, tip=None):
        col = {"field": field, "headerName": header, "type": "rightAligned", "minWidth": width,
               "valueFormatter": formatter}
        return {**col, "headerTooltip": tip} if tip else col

    return [
        {"field": "name", "headerName": "Institution", "minWidth": 175, "flex": 2, "tooltipField": "name",
         "cellStyle": {"cursor": "pointer", "textDecoration": "underline dotted"}},
        {"field": "code", "headerName": "Code", "minWidth": 80},
        {"field": "sector", "headerName": "Sector", "minWidth": 120, "tooltipField": "sector"},
        {"field": "region", "headerName": "Region", "minWidth": 130, "tooltipField": "region"},
        figure("offerings", "Offerings", 100, num),
        figure("enrolments", "Enrolments", 110, num),
        figure("completions", "Completions", 120, num),
        figure("completion_rate", "Completion rate", 105, pct, "Completions as a share of enrolments"),
        figure("ce_share", "CE share", 95, pct, "Share of offerings delivered through continuing education"),
        figure("credit_share", "Credit share", 95, pct, "Share of offerings that are credit-bearing"),
        figure("compliance", "Compliance", 115, pct, "Share of offerings meeting all three framework rules "
                                                     "(under 288 hours, assessed, a partner named)"),
        {"field": "note", "headerName": "Note", "minWidth": 70, "tooltipField": "note"},
    ]


# --- building the page's outputs (plain functions, tested without a browser) -------------------


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


def build_compare(db: Database, filters: Filters, focus_text: str | None, peers_text: str | None,
                  vocab: Vocabulary) -> CompareOutputs:
    focus, _ = cq.parse_focus(focus_text, vocab)
    if focus is None:
        prompt = dbc.Alert([html.Strong("Choose a focus institution "), "in the box above to see its portfolio "
                            "beside its peers' and the province's."], color="info", id="compare-prompt")
        return CompareOutputs("Compare an institution with its peers",
                              "Choose an institution to set its portfolio beside its peer group's and the "
                              "province's, against the framework's targets.", prompt, HIDDEN, None, None, None, [],
                              "")
    choice, _ = cq.parse_peers(peers_text, vocab)
    insts = cq.institutions(db)
    ref = insts.set_index("code")
    name = ref.at[focus, "name"]
    peers = cq.peer_codes(insts, focus, choice)
    profile = cq.institution_profile(db, filters, vocab)
    totals = profile.totals
    focus_n = int(totals.n_offerings.get(focus, 0))
    peers_with_data = [p for p in peers if p in totals.index]
    periods = list(filters.period) or vocab.codes("period")
    period_words = ", ".join(filters.period) if filters.period else "all fiscal years"
    group_words = cq.describe_peers(insts, focus, choice, vocab)
    heading = f"{name} beside {group_words}"
    subheading = (f"{period_words}: {focus_n:,} offering{'s' if focus_n != 1 else ''} at {focus}; "
                  f"{len(peers)} peer{'s' if len(peers) != 1 else ''} ({len(peers_with_data)} with offerings); "
                  f"province {int(totals.n_offerings.sum()):,} offerings at {len(totals)} institutions.")
    notes = []
    ignored = [p for p in cq.IGNORED_FILTERS if getattr(filters, p)]
    if ignored:
        notes.append(dbc.Alert(f"The {', '.join(ignored)} filter{'s' if len(ignored) > 1 else ''} "
                               f"do{'' if len(ignored) > 1 else 'es'} not apply here: the focus institution and its "
                               "peer group choose the institutions compared.", color="light", className="small py-2"))
    if not peers:
        notes.append(dbc.Alert(f"{name} has no peers in this group. Choose another peer group.", color="warning"))
    table = cq.peer_table(profile, insts, focus, peers, vocab)
    rows = _records(table)
    href = "/export/peers.csv" + filters.to_search({"focus": focus, "peers": choice.to_param()})
    if focus_n == 0:
        explanation = cq.no_data_message(name, periods, cq.reporting_statuses(db, focus, periods),
                                         filtered=_narrowed(filters))
        missing = dbc.Alert([html.Strong(explanation), html.Br(),
                             "Its trend and its peers are shown below; choose another fiscal year to compare its "
                             "portfolio."], color="warning", id="compare-no-data")
        return CompareOutputs(heading, subheading, [*notes, missing], None, None,
                              html.P("No portfolio to compare for the selected fiscal years.",
                                     className="text-muted small"),
                              html.P("No values to score for the selected fiscal years.", className="text-muted small"),
                              rows, href)
    comp = cq.composition(profile, focus, peers, vocab)
    group_names = {"focus": focus, "peers": "Peers", "province": "Province"}
    graphs = []
    for dim, (words, _col) in cq.COMPOSITION.items():
        fig = compare_figures.composition_bar(comp[comp.dimension == dim], title=words, names=group_names,
                                              small_n=cq.SMALL_N)
        graphs.append(dbc.Col(_graph(f"compare-chart-{dim}", fig), lg=6))
    composition = dbc.Row(graphs, className="g-3")
    sector = ref.at[focus, "sector"]
    card = scorecard_table(cq.scorecard(profile, cq.targets_for(db, filters, sector, focus), focus, peers), focus)
    return CompareOutputs(heading, subheading, notes or None, None, standouts_list(cq.standouts(comp), focus, bool(peers_with_data)),
                          composition, card, rows, href)


def _graph(graph_id: str, fig: dict) -> dcc.Graph:
    """A graph that takes its figure's height from the start (no jump when plotly has drawn it)."""
    return dcc.Graph(id=graph_id, figure=fig, config=GRAPH_CONFIG, style={"height": f"{fig['layout']['height']}px"})


def _narrowed(filters: Filters) -> bool:
    return any(getattr(filters, p) for p in ("type", "delivery", "credit", "partner", "field", "ce", "funded"))


def _records(table: pd.DataFrame) -> list[dict]:
    """Grid rows with None (JSON null) for missing values."""
    return [{k: (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in table.to_dict("records")]


def standouts_list(big: pd.DataFrame, focus: str, peers_have_data: bool = True):
    """Two short lists: categories where the focus's share is well above / below its peers'."""
    if not peers_have_data:
        return html.P("None of the peers has offerings matching these filters: only the province is there to "
                      "compare with.", className="small mb-2", id="compare-standouts-none")
    if big.empty:
        return html.P(f"No category differs from the peer group by {cq.LARGE_GAP_PTS:.0f} points or more.",
                      className="small mb-2", id="compare-standouts-none")
    cols = []
    for direction, title, colour in (("ahead", f"{focus} well above its peers", "text-primary"),
                                     ("behind", f"{focus} well below its peers", "text-danger")):
        sub = big[big.direction == direction]
        items = [html.Li([html.Span(f"{r.label} ", className="fw-semibold"),
                          html.Span(f"({cq.COMPOSITION[r.dimension][0].lower()}): "),
                          f"{r.focus_share:.0%} vs {r.peers_share:.0%}, {r.gap_pts:+.0f} pts",
                          html.Span(" n<5", className="badge bg-light text-dark ms-1") if r.small else None])
                 for r in sub.head(6).itertuples()]
        cols.append(dbc.Col([html.Div(title, className=f"small fw-semibold {colour}"),
                             html.Ul(items or [html.Li("none", className="text-muted")],
                                     className="small mb-1 ps-3")], md=6))
    return dbc.Row(cols, className="mb-2", id="compare-standouts-list")


def scorecard_table(rows: list[cq.ScoreRow], focus: str):
    def pct(v):
        return "–" if v is None else f"{v:.1%}"

    def kind(r: cq.ScoreRow, extra: str = ""):
        return dbc.Badge("Framework rule" if r.framework else "Illustrative",
                         color="primary" if r.framework else "secondary", className=f"fw-normal {extra}".strip())

    body = []
    for r in rows:
        status = (html.Span("no target", className="text-muted small") if r.comparator is None else
                  html.Span("–", className="text-muted") if r.met is None else
                  html.Span("Met" if r.met else "Not met", className="badge " + ("bg-success" if r.met else
                                                                                  "bg-danger")))
        unit = "enrolments" if r.basis == "enrolments" else "offerings"
        value = [pct(r.value)]
        if r.value is not None and r.base < cq.SMALL_N:
            value.append(html.Span(" n<5", className="badge bg-light text-dark ms-1",
                                   title=f"rests on {r.base} {unit}"))
        body.append(html.Tr([
            html.Td([html.Div(r.label, className="fw-semibold"),
                     html.Div(kind(r, "d-md-none")),
                     html.Div(r.description + (" (by enrolments)" if r.basis == "enrolments" and
                                               r.metric != "completion_rate" else ""),
                              className="small text-muted d-none d-md-block")]),
            html.Td(kind(r), className="d-none d-md-table-cell"),
            html.Td(value, className="text-end fw-semibold"),
            html.Td("–" if r.comparator is None else f"{SIGNS[r.comparator]} {r.target:.0%}",
                    className="text-end text-nowrap"),
            html.Td(status),
            html.Td(pct(r.peer_median), className="text-end"),
            html.Td("–" if r.rank is None else f"{r.rank} of {r.ranked}", className="text-end text-nowrap"),
        ]))
    header = html.Thead(html.Tr([html.Th("Metric"), html.Th("Kind", className="d-none d-md-table-cell"),
                                 html.Th(focus, className="text-end"),
                                 html.Th("Target", className="text-end"), html.Th("Status"),
                                 html.Th("Peer median", className="text-end"),
                                 html.Th("Rank", className="text-end")]))
    return dbc.Table([header, html.Tbody(body)], hover=True, responsive=True, size="sm", className="mb-0",
                     id="compare-scorecard-table")


def build_trend(db: Database, filters: Filters, focus_text: str | None, peers_text: str | None,
                vocab: Vocabulary):
    focus, _ = cq.parse_focus(focus_text, vocab)
    if focus is None:
        return None
    choice, _ = cq.parse_peers(peers_text, vocab)
    insts = cq.institutions(db)
    peers = cq.peer_codes(insts, focus, choice)
    periods = vocab.codes("period")
    frame = cq.trend(cq.trend_counts(db, filters), focus, peers, periods)
    graphs = []
    for measure, words in cq.TREND_MEASURES.items():
        fig = compare_figures.trend_lines(frame, measure=measure, title=words, focus_name=focus, periods=periods,
                                          is_share=measure == "completion_rate")
        graphs.append(dbc.Col(_graph(f"compare-trend-{measure}", fig), lg=4))
    return dbc.Row(graphs, className="g-2")


# --- callbacks ------------------------------------------------------------------------------------

FILTERS_INPUT = Input({"type": "filter", "name": ALL}, "value")
FOCUS_INPUT = Input({"type": "urlparam", "name": "focus", "default": ALL}, "value")
PEERS_INPUT = Input({"type": "urlparam", "name": "peers", "default": ALL}, "value")


def _state(focus_values, peers_values) -> tuple[Filters, Vocabulary, str | None, str | None]:
    vocab = queries.vocabulary(context.db())
    filters, _ = Filters.parse(values_from_inputs(ctx.inputs_list[0]), vocab, strict=False)
    return filters, vocab, (focus_values or [None])[0], (peers_values or [None])[0]


@callback(
    Output("compare-heading", "children"),
    Output("compare-subheading", "children"),
    Output("compare-message", "children"),
    Output("compare-body", "style"),
    Output("compare-standouts", "children"),
    Output("compare-composition", "children"),
    Output("compare-scorecard", "children"),
    Output("compare-peers-grid", "rowData"),
    Output("compare-peers-download", "href"),
    FILTERS_INPUT,
    FOCUS_INPUT,
    PEERS_INPUT,
)
def update_compare(_filter_values, focus_values, peers_values):
    filters, vocab, focus, peers = _state(focus_values, peers_values)
    return list(build_compare(context.db(), filters, focus, peers, vocab))


@callback(Output("compare-trend", "children"), FILTERS_INPUT, FOCUS_INPUT, PEERS_INPUT)
def update_compare_trend(_filter_values, focus_values, peers_values):
    filters, vocab, focus, peers = _state(focus_values, peers_values)
    return build_trend(context.db(), filters, focus, peers, vocab)


@callback(Output(FOCUS_ID, "value"), Input("compare-peers-grid", "cellClicked"), State(FOCUS_ID, "value"),
          prevent_initial_call=True)
def focus_from_row(cell, current):
    """Clicking a peer's row makes it the focus (the URL follows through syncUrl)."""
    code = (cell or {}).get("rowId")
    return code if code and code != current else dash.no_update


@callback(Output("compare-peer-pick", "value"), Input("compare-peer-kind", "value"), State(FOCUS_ID, "value"),
          State("compare-peer-pick", "value"), prevent_initial_call=True)
def prefill_picks(kind, focus, picked):
    """Switching to a hand-picked list starts from the focus's sector peers."""
    if kind != "custom" or picked or not focus:
        return dash.no_update
    return cq.peer_codes(cq.institutions(context.db()), focus, cq.PeerChoice("sector")) or dash.no_update


# The peer group's URL value: sector / region / all, or the picked codes (nothing picked: unchanged).
clientside_callback(
    """function (kind, picked) {
        const nu = window.dash_clientside.no_update;
        const show = kind === "custom" ? {} : {display: "none"};
        if (kind !== "custom") { return [kind, show]; }
        return [(picked && picked.length) ? picked.join(",") : nu, show];
    }""",
    Output(PEERS_ID, "value"),
    Output("compare-peer-pick-wrap", "style"),
    Input("compare-peer-kind", "value"),
    Input("compare-peer-pick", "value"),
    prevent_initial_call=True,
)
