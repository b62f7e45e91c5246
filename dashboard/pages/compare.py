"""Portfolio comparison: one institution's micro-credentials beside its peers' and the province's,
against the targets. The focus and the peer group live in the URL (``focus``, ``peers``:
dashboard.data.state.CompareState).

Glue only: callbacks turn their inputs into Filters and a CompareState, ask
dashboard.data.compare for the comparison and hand it to dashboard.views.compare.
"""

from __future__ import annotations

from functools import partial

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html

from dashboard import context
from dashboard.data import compare
from dashboard.data.database import Reader
from dashboard.data.filters import Filters, Vocabulary
from dashboard.data.metrics import framework_rules
from dashboard.data.reference import institutions, vocabulary
from dashboard.data.state import PEER_KIND_LABELS, CompareState, PeerChoice
from dashboard.pages._glue import follow_grid_sort, page_layout, start
from dashboard.views.compare import (
    HIDDEN,
    CompareOutputs,
    compare_outputs,
    grid_columns,
    prompt_outputs,
    trend_graphs,
)
from dashboard.views.filters import filter_id, filter_panel, url_param_id
from dashboard.views.grid_downloads import grid_download_stores, hrefs_store_id
from dashboard.views.layout import download_button, page_heading, section_card
from dashboard.views.suppression import suppression_legend

dash.register_page(__name__, path="/compare", name="Compare", title="Compare | B.C. Micro-credentials", order=1)

PEERS_GRID, PEERS_DOWNLOAD = "compare-peers-grid", "compare-peers-download"
FOCUS_ID, PEERS_ID = (url_param_id(p, CompareState.DEFAULTS[p]) for p in CompareState.PARAMETERS)


@page_layout
def layout(**query):
    reader, vocab, filters, problems = start(query)
    # Arriving with exactly one institution among the filters makes it the focus.
    state, state_problems = CompareState.parse(query, vocab, institutions=filters.institution)
    focus, choice = state.focus, state.peers
    if focus and filters.institution != (focus,):  # one picker state: the filter shows the focus
        filters = filters.with_values(institution=(focus,))
    institutions = [{"label": f"{name} ({code})", "value": code} for code, name in vocab.values["institution"]]
    return html.Div(
        [
            *page_heading(
                "Compare an institution with its peers",
                "Choose an institution: its micro-credential portfolio is set beside its peer group's and the "
                "province's, against the framework's targets.",
                heading_id="compare-heading",
                lead_id="compare-subheading",
            ),
            filter_panel(filters, vocab, problems + state_problems),
            suppression_legend(reader.scope.suppresses, reader.scope.min_cell, reader.scope.institution),
            dbc.Card(
                dbc.CardBody(
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label(
                                        "Focus institution",
                                        id="compare-focus-label",  # names the dropdown (assets/a11y.js)
                                        className="small fw-semibold mb-0",
                                    ),
                                    dcc.Dropdown(
                                        id=FOCUS_ID,
                                        options=institutions,
                                        value=focus,
                                        clearable=True,
                                        placeholder="Choose an institution…",
                                        optionHeight=40,
                                    ),
                                ],
                                xs=12,
                                lg=5,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("Compare with", className="small fw-semibold mb-0 d-block"),
                                    dbc.RadioItems(
                                        id="compare-peer-kind",
                                        value=choice.kind,
                                        inline=True,
                                        className="small",
                                        options=[
                                            {"label": label, "value": kind} for kind, label in PEER_KIND_LABELS.items()
                                        ],
                                    ),
                                    html.Div(
                                        [
                                            html.Label(
                                                "Peer institutions",
                                                id="compare-peer-pick-label",
                                                className="visually-hidden",
                                            ),
                                            dcc.Dropdown(
                                                id="compare-peer-pick",
                                                options=institutions,
                                                value=list(choice.codes),
                                                multi=True,
                                                placeholder="Pick peer institutions…",
                                                optionHeight=40,
                                            ),
                                        ],
                                        id="compare-peer-pick-wrap",
                                        style=None if choice.kind == "custom" else HIDDEN,
                                        className="mt-1",
                                    ),
                                    dcc.Input(id=PEERS_ID, type="hidden", value=choice.to_param()),
                                ],
                                xs=12,
                                lg=7,
                            ),
                        ],
                        className="g-2",
                    )
                ),
                className="mb-3",
            ),
            html.Div(id="compare-message"),
            html.Div(
                id="compare-body",
                style=None if focus else HIDDEN,
                children=[
                    section_card(
                        "Portfolio composition",
                        "Share of each group's offerings in each category. Differences of "
                        f"{compare.LARGE_GAP_PTS:.0f} percentage points or more from the peer group are in bold. "
                        "Hatched, faded bars rest on fewer than 5 offerings.",
                        html.Div(id="compare-standouts"),
                        dcc.Loading(html.Div(id="compare-composition"), delay_show=400, type="circle"),
                    ),
                    section_card(
                        "Scorecard against the targets",
                        "The most specific target applies (institution, then sector, then fiscal year, then "
                        "provincial). Framework rules come from the B.C. Micro-credential Framework (2021); "
                        "illustrative targets are placeholders for the ministry to set. Rank 1 is best in the "
                        "target's direction, among the focus and its peers with data.",
                        html.Div(id="compare-scorecard"),
                    ),
                    section_card(
                        "Trend across all fiscal years",
                        "The focus institution against the median of its peers that reported in each year "
                        "(the other filters apply; the fiscal-year filter does not).",
                        html.Div(id="compare-trend"),
                    ),
                    section_card(
                        "Peers",
                        "Click a row (or press Enter on it) to make that institution the focus. Sort by clicking a column "
                        "heading. "
                        "n<5: the shares rest on fewer than 5 offerings.",
                        dag.AgGrid(
                            id=PEERS_GRID,
                            rowData=[],
                            columnDefs=grid_columns(framework_rules(reader)),
                            getRowId="params.data.code",
                            defaultColDef={
                                "sortable": True,
                                "resizable": True,
                                "suppressMovable": True,
                                "wrapHeaderText": True,
                                "flex": 1,
                                "autoHeaderHeight": True,
                            },
                            dashGridOptions={
                                "domLayout": "autoHeight",
                                "animateRows": False,
                                # keyboard: arrows move between cells, Enter chooses the row
                                # (assets/keyboard.js), Tab leaves the grid
                                "tabToNextCell": {"function": "false"},
                                "tabToNextHeader": {"function": "false"},
                                "tooltipShowDelay": 300,
                            },
                            getRowStyle={
                                "styleConditions": [
                                    {
                                        "condition": "params.data.is_focus",
                                        "style": {"fontWeight": "600", "backgroundColor": "#e6f0f8"},
                                    },
                                    {
                                        "condition": "params.data.small || params.data.offerings === 0",
                                        "style": {"color": "#6c757d", "fontStyle": "italic"},
                                    },
                                ]
                            },
                            style={"width": "100%"},
                            className="ag-theme-alpine compare-grid",
                        ),
                        *grid_download_stores(PEERS_GRID),
                        actions=download_button(
                            "Download CSV",
                            PEERS_DOWNLOAD,
                            "",
                            title="Download the peer table as shown: its columns, its rows in its order",
                        ),
                        note_id="compare-peers-caption",
                    ),
                ],
            ),
        ]
    )


# --- glue: state, query, view (plain functions, tested without a browser) -------------------------


def build_compare(
    reader: Reader, filters: Filters, focus_text: str | None, peers_text: str | None, vocab: Vocabulary
) -> CompareOutputs:
    state, _ = CompareState.parse({"focus": focus_text, "peers": peers_text}, vocab)
    if state.focus is None:
        return prompt_outputs()
    return compare_outputs(compare.comparison(reader, filters, state.focus, state.peers, vocab), filters, state)


def build_trend(reader: Reader, filters: Filters, focus_text: str | None, peers_text: str | None, vocab: Vocabulary):
    state, _ = CompareState.parse({"focus": focus_text, "peers": peers_text}, vocab)
    if state.focus is None:
        return None
    frame = compare.focus_trend(reader, filters, state.focus, state.peers, vocab)
    return trend_graphs(frame, state.focus, vocab.codes("period"))


# --- callbacks ------------------------------------------------------------------------------------

FILTERS_INPUT = Input({"type": "filter", "name": ALL}, "value")
FOCUS_INPUT = Input({"type": "urlparam", "name": "focus", "default": ALL}, "value")
PEERS_INPUT = Input({"type": "urlparam", "name": "peers", "default": ALL}, "value")


def _state(focus_values, peers_values) -> tuple[Filters, Vocabulary, str | None, str | None]:
    vocab = vocabulary(context.reader())
    return (
        Filters.from_controls(ctx.inputs_list[0], vocab),
        vocab,
        (focus_values or [None])[0],
        (peers_values or [None])[0],
    )


@callback(
    Output("compare-heading", "children"),
    Output("compare-subheading", "children"),
    Output("compare-message", "children"),
    Output("compare-body", "style"),
    Output("compare-standouts", "children"),
    Output("compare-composition", "children"),
    Output("compare-scorecard", "children"),
    Output(PEERS_GRID, "rowData"),
    Output(hrefs_store_id(PEERS_GRID), "data"),
    Output("compare-trend", "children"),
    FILTERS_INPUT,
    FOCUS_INPUT,
    PEERS_INPUT,
)
def update_compare(_filter_values, focus_values, peers_values):
    """The whole comparison, trend included, in one request: one parse of the page's state, and
    the worker's threads are not split between two halves of one change."""
    filters, vocab, focus, peers = _state(focus_values, peers_values)
    reader = context.reader()
    # The two halves side by side, each its GROUP BY then its drawing: the trend (the shorter
    # query) is drawn while the comparison's query still runs outside the GIL. The comparison
    # stays on this thread (the request's).
    out, trend = reader.at_once(
        [
            partial(build_compare, reader, filters, focus, peers, vocab),
            partial(build_trend, reader, filters, focus, peers, vocab),
        ]
    )
    return [*out[:-1], [out.download_href], trend]  # the link follows the grid's sort (follow_grid_sort)


follow_grid_sort(PEERS_GRID, [PEERS_DOWNLOAD])


@callback(
    Output(FOCUS_ID, "value"),
    Input(PEERS_GRID, "cellClicked"),
    State(FOCUS_ID, "value"),
    prevent_initial_call=True,
)
def focus_from_row(cell, current):
    """Clicking a peer's row makes it the focus (the URL follows through syncUrl)."""
    code = (cell or {}).get("rowId")
    return code if code and code != current else dash.no_update


@callback(
    Output("compare-peer-pick", "value"),
    Input("compare-peer-kind", "value"),
    State(FOCUS_ID, "value"),
    State("compare-peer-pick", "value"),
    prevent_initial_call=True,
)
def prefill_picks(kind, focus, picked):
    """Switching to a hand-picked list starts from the focus's sector peers."""
    if kind != "custom" or picked or not focus:
        return dash.no_update
    return compare.peer_codes(institutions(context.reader()), focus, PeerChoice("sector")) or dash.no_update


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


# One institution, one picker state: on this page the institution filter is the focus. Choosing a
# focus sets the filter to it (so the overview, reached through the nav, shows the same
# institution); choosing exactly one institution in the filter makes it the focus. The focus is
# matched by a wildcard: every page has the institution filter, only this one the focus, and a
# plain id missing from the page is an error in the browser's console at each institution chosen.
clientside_callback(
    """function (focusValues, chosen) {
        const nu = window.dash_clientside.no_update;
        if (!focusValues.length) { return [nu, nu]; }  // another page: no focus to follow
        const focus = focusValues[0];
        const t = (window.dash_clientside.callback_context.triggered || []).map(function (x) { return x.prop_id; });
        const byFocus = t.some(function (id) { return id.indexOf('"name":"focus"') >= 0; });
        chosen = chosen || [];
        if (byFocus) {
            const want = focus ? [focus] : [];
            return [(chosen.length === want.length && chosen[0] === want[0]) ? nu : want, nu];
        }
        if (chosen.length === 1 && chosen[0] !== focus) { return [nu, [chosen[0]]]; }
        return [nu, nu];
    }""",
    Output(filter_id("institution"), "value", allow_duplicate=True),
    Output(url_param_id("focus", ALL), "value", allow_duplicate=True),
    Input(url_param_id("focus", ALL), "value"),
    Input(filter_id("institution"), "value"),
    prevent_initial_call=True,
)
