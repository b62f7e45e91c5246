"""Provincial overview: where the province stands, and against which targets it falls short.

Glue only: callbacks turn their inputs into Filters and OverviewState, call the queries of
dashboard.data.overview, the builders of dashboard.figures.overview and the components of
dashboard.views.overview, and return.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import context, display
from dashboard.data import overview as queries
from dashboard.data import submissions as sq
from dashboard.data.database import Reader
from dashboard.data.dimensions import BY_PARAM, NOT_REPORTED, PERIOD
from dashboard.data.filters import Filters, Vocabulary
from dashboard.data.reference import vocabulary
from dashboard.data.state import NO_SPLIT, SPLITS, OverviewState
from dashboard.data.targets import targets
from dashboard.exports.charts import SECTOR_CE_CHART, TREND_CHART, chart_id
from dashboard.figures import overview as figures
from dashboard.pages._glue import page_layout, start
from dashboard.views.charts import chart_table
from dashboard.views.downloads import chart_download, chart_path, download_id, href
from dashboard.views.filters import filter_panel, url_param_id
from dashboard.views.layout import page_heading, section_card
from dashboard.views.overview import KPIS, graph_card, kpi_card, kpi_texts, targets_table
from dashboard.views.reporting import overview_note
from dashboard.views.suppression import suppression_legend

dash.register_page(__name__, path="/", name="Overview", title="Overview | B.C. Micro-credentials", order=0)

# chart id -> the breakdown it draws (and the filter a click on it sets)
CHARTS = {chart_id(p): p for p in queries.BREAKDOWNS}
MEASURE_ID, SPLIT_ID = (url_param_id(p, OverviewState.DEFAULTS[p]) for p in OverviewState.PARAMETERS)
SPLIT_OPTIONS = [(NO_SPLIT, "No split"), *[(p, BY_PARAM[p].label) for p in SPLITS]]


@page_layout
def layout(**query):
    """The page with its figures drawn in: the data callbacks below answer filter changes only
    (prevent_initial_call), so a visit is one request for the page instead of one for an empty
    page, then one per callback, and each chart is drawn once, not empty first."""
    _reader, vocab, filters, problems = start(query)
    state = OverviewState.parse(query)
    out = overview_outputs(_reader, filters, state.measure, vocab)
    return html.Div(
        [
            *page_heading(
                "Micro-credentials across B.C.",
                "Offerings reported by B.C. public post-secondary institutions, from their latest accepted "
                "submissions, against the framework's targets.",
            ),
            filter_panel(filters, vocab, problems),
            suppression_legend(_reader.scope.suppresses, _reader.scope.min_cell, _reader.scope.institution),
            html.Div(out.reporting, id="overview-reporting", **{"aria-live": "polite"}),
            html.Div(id="overview-announce", role="status", className="visually-hidden"),
            html.Div(
                [
                    html.Span("Count by", className="me-2 small fw-semibold"),
                    dbc.RadioItems(
                        id=MEASURE_ID,
                        value=state.measure,
                        inline=True,
                        options=[
                            {"label": "Offerings", "value": "offerings"},
                            {"label": "Enrolments (uptake)", "value": "enrolments"},
                        ],
                        className="d-inline-block",
                    ),
                ],
                className="mb-3 d-flex align-items-center flex-wrap",
            ),
            dbc.Row(
                [
                    dbc.Col(kpi_card(k, shown=shown), xs=6, md=4, xl=True, className="mb-2")
                    for k, shown in zip(KPIS, zip(out.kpis, out.changes))
                ],
                className="g-2",
            ),
            dcc.Loading(
                dbc.Row(
                    [
                        dbc.Col(graph_card(c, out.figures[c], filters, state.to_query()), lg=6)
                        for c in (
                            chart_id("type"),
                            chart_id("delivery"),
                            chart_id("credit"),
                            chart_id("partner"),
                            SECTOR_CE_CHART,
                            chart_id("field"),
                        )
                    ],
                    className="g-3 mt-1",
                ),
                delay_show=400,
                type="circle",
            ),
            dbc.Card(
                dbc.CardBody(
                    [
                        dbc.Row(
                            [
                                dbc.Col(html.H2("Trend across all fiscal years", className="h5 mb-2"), md=8),
                                dbc.Col(
                                    [
                                        html.Label(
                                            "Split the trend by", id="trend-split-label", className="visually-hidden"
                                        ),
                                        dcc.Dropdown(
                                            id=SPLIT_ID,
                                            options=[
                                                {"label": f"Split by: {label}", "value": v}
                                                for v, label in SPLIT_OPTIONS
                                            ],
                                            value=state.split,
                                            clearable=False,
                                        ),
                                    ],
                                    md=4,
                                ),
                            ],
                            className="align-items-center",
                        ),
                        dcc.Graph(
                            id=TREND_CHART,
                            figure=trend_figure(_reader, filters, state.measure, state.split, vocab),
                            config={"displayModeBar": False},
                        ),
                        chart_table(TREND_CHART, filters_on_click=True),
                        chart_download(TREND_CHART, filters, state.to_query()),
                    ]
                ),
                className="mt-3",
            ),
            section_card(
                "Framework targets",
                "Framework rules come from the B.C. Micro-credential Framework (2021); illustrative targets "
                "are placeholders for the ministry to set in data/targets.toml. "
                "The institutions furthest from each target are one click away.",
                html.Div(out.targets_panel, id="targets-panel"),
                class_name="mt-3",
            ),
        ]
    )


# --- glue: query, build, return (plain functions, tested without a browser) ----------------


class OverviewOutputs(NamedTuple):
    kpis: list[str]
    changes: list[str]
    figures: dict[str, object]
    targets_panel: object
    reporting: object = None  # why a chosen institution has nothing for the year


def reporting_note(reader: Reader, filters: Filters):
    """For the institutions chosen in the filter that have nothing accepted for the one chosen
    fiscal year: why (rejected on ..., no file), instead of "No offerings match these filters"."""
    if not filters.institution or len(filters.period) != 1:
        return None, []
    period = filters.period[0]
    frame = sq.not_reported(reader, filters, period)
    return overview_note(frame, period, sq.deadline_for(reader, period)), list(frame.institution_name)


def overview_outputs(reader: Reader, filters: Filters, measure: str, vocab: Vocabulary) -> OverviewOutputs:
    """build_overview, once per warehouse version and view (the layout and the callback share it)."""
    return reader.cached_view(
        "overview_page", (filters, measure), lambda: build_overview(reader, filters, measure, vocab)
    )


def trend_figure(reader: Reader, filters: Filters, measure: str, split: str, vocab: Vocabulary) -> dict:
    """build_trend, once per warehouse version and view."""
    return reader.cached_view(
        "overview_trend_page", (filters, measure, split), lambda: build_trend(reader, filters, measure, split, vocab)
    )


def build_overview(reader: Reader, filters: Filters, measure: str, vocab: Vocabulary) -> OverviewOutputs:
    shown = queries.published(reader, filters)  # headline, breakdowns and metric counts: one set of scans
    now, before = shown.now, shown.before
    kpis, changes = kpi_texts(now, before, measure, filters)
    data = shown.data
    figs = {}
    for chart, key in CHARTS.items():
        codes = vocab.codes(key)
        partner = BY_PARAM[key].kind == "list"
        figs[chart] = figures.breakdown_bar(
            data[key],
            measure=measure,
            title=f"{measure.capitalize()} by {BY_PARAM[key].title.lower()}",
            categories=figures.Categories.of(codes, dict(vocab.values.get(key, ())), long_list=key == "field"),
            denominator=(now.offerings if measure == "offerings" else now.enrolments) if partner else None,
            note="An offering with several partner categories counts in each;<br>shares are of all offerings."
            if partner
            else None,
        )
    tgts = targets(reader)
    ce = queries.ce_target(tgts, filters)
    figs[SECTOR_CE_CHART] = figures.ce_by_sector(
        data[queries.SECTOR_CE],
        measure=measure,
        title=f"Continuing-education share of {measure}, by sector",
        sector_labels=dict(vocab.values["sector"]),
        sector_order=vocab.codes("sector"),
        target=ce.value if ce is not None else None,
        target_text=f"target {display.target(ce.comparator, ce.value)} ({ce.source})" if ce is not None else None,
    )
    panel = targets_panel(shown.counts, tgts, filters, vocab)
    note, absent = reporting_note(reader, filters)
    if note is not None and now.offerings == 0:
        why = f"{display.listing(absent)}: nothing accepted for {filters.period[0]} (see the note above)."
        figs = {c: figures.empty(f["layout"]["title"]["text"], why) for c, f in figs.items()}
        panel = dbc.Alert(f"No target can be assessed. {why}", color="light")
    return OverviewOutputs(kpis, changes, figs, panel, note)


def targets_panel(counts: pd.DataFrame, tgts: pd.DataFrame, filters: Filters, vocab: Vocabulary):
    """Each target metric, actual vs target, met or not, and the furthest institutions."""
    total = counts[counts.institution_code.isna()]
    nothing = total.empty or int(total.n_offerings.iloc[0]) == 0
    status = [] if nothing else queries.target_status(counts, tgts, filters)
    return targets_table(status, dict(vocab.values["institution"]), filters.with_values(institution=()), nothing)


def build_trend(reader: Reader, filters: Filters, measure: str, split: str, vocab: Vocabulary):
    frame = queries.trend(reader, filters, split, measure)
    list_name = split if split in vocab.values else None
    codes = vocab.codes(list_name) if list_name else []
    words = dict(SPLIT_OPTIONS).get(split, "").lower()
    title = f"{measure.capitalize()} per fiscal year" + (f", by {words}" if split != NO_SPLIT else "")
    return figures.trend(
        frame,
        measure=measure,
        title=title,
        categories=figures.Categories.of(
            codes, dict(vocab.values.get(list_name, ())) if list_name else {}, split == "field"
        ),
        periods=vocab.codes(PERIOD),
    )


# --- callbacks ---------------------------------------------------------------------------

FILTERS_INPUT = Input({"type": "filter", "name": ALL}, "value")
MEASURE_INPUT = Input({"type": "urlparam", "name": "measure", "default": ALL}, "value")
SPLIT_INPUT = Input({"type": "urlparam", "name": "split", "default": ALL}, "value")
OUTPUT_CHARTS = (*CHARTS, SECTOR_CE_CHART)
CLICKABLE = (*OUTPUT_CHARTS, TREND_CHART)
CHART_PATHS = {chart_path(c) for c in CLICKABLE}


def _state(measure_values, split_values=None) -> tuple[Filters, Vocabulary, OverviewState]:
    vocab = vocabulary(context.reader())
    state = OverviewState.parse({"measure": measure_values or [], "split": split_values or [NO_SPLIT]})
    return Filters.from_controls(ctx.inputs_list[0], vocab), vocab, state


def _chart_links(outputs: list[dict], filters: Filters, state: OverviewState) -> list[str]:
    """The charts' download links for the view, in the order the request names them."""
    paths = [o["id"].get("path") for o in outputs]
    if not set(paths) <= CHART_PATHS:
        raise PreventUpdate  # a crafted request: the page has no other download links
    return [href(p, filters, state.to_query()) for p in paths]


@callback(
    [Output(f"kpi-{k}", "children") for k in KPIS],
    [Output(f"kpi-{k}-change", "children") for k in KPIS],
    [Output(c, "figure") for c in OUTPUT_CHARTS],
    Output("targets-panel", "children"),
    Output("overview-reporting", "children"),
    Output(TREND_CHART, "figure"),
    Output(download_id(ALL), "href"),
    FILTERS_INPUT,
    MEASURE_INPUT,
    SPLIT_INPUT,
    prevent_initial_call=True,  # the layout draws the first view
)
def update_overview(_filter_values, measure_values, split_values):
    """Everything a change redraws, the charts' download links included, in one request (one
    per callback ran at once on the server's threads and slowed one another); a change of the
    trend's split redraws the trend alone."""
    filters, vocab, state = _state(measure_values, split_values)
    reader = context.reader()
    links = _chart_links(ctx.outputs_list[-1], filters, state)
    draw_trend = partial(trend_figure, reader, filters, state.measure, state.split, vocab)
    if len(ctx.triggered_prop_ids) == 1 and ctx.triggered_id == SPLIT_ID:
        return [*[no_update] * (2 * len(KPIS) + len(OUTPUT_CHARTS) + 2), draw_trend(), links]
    # side by side: the trend's scan runs (outside the GIL) while the rest of the page is drawn
    trend, out = reader.at_once([draw_trend, partial(overview_outputs, reader, filters, state.measure, vocab)])
    return [
        *out.kpis,
        *out.changes,
        *[out.figures[c] for c in OUTPUT_CHARTS],
        out.targets_panel,
        out.reporting,
        trend,
        links,
    ]


@callback(
    Output({"type": "filter", "name": ALL}, "value", allow_duplicate=True),
    [Input(c, "clickData") for c in CLICKABLE],
    State({"type": "filter", "name": ALL}, "value"),
    State({"type": "filter", "name": ALL}, "id"),
    prevent_initial_call=True,
)
def cross_filter(*args):
    """Clicking a bar filters the page by its category (clicking it again removes it)."""
    values, ids = args[-2], args[-1]
    trigger = ctx.triggered_id
    click = args[CLICKABLE.index(trigger)] if trigger in CLICKABLE else None
    if not click or not click.get("points"):
        return [dash.no_update] * len(ids)
    point = click["points"][0]
    param = apply_click(trigger, point.get("x") if trigger == TREND_CHART else point.get("customdata"))
    if param is None:
        return [dash.no_update] * len(ids)
    name, value = param
    out = []
    for i, current in zip(ids, values):
        if i["name"] != name:
            out.append(dash.no_update)
        elif name == PERIOD:
            out.append([value])
        else:
            current = list(current or [])
            out.append([v for v in current if v != value] if value in current else current + [value])
    return out


def apply_click(chart: str, code) -> tuple[str, str] | None:
    """(filter parameter, value) that a click on ``chart`` at category ``code`` sets."""
    if isinstance(code, list):
        code = code[0] if code else None
    if not code or code in (NOT_REPORTED, "all"):
        return None
    if chart in CHARTS:
        return CHARTS[chart], code
    if chart == SECTOR_CE_CHART:
        return "sector", code
    if chart == TREND_CHART:
        return PERIOD, code
    return None


# Said to a screen reader after a filter changes the figures (not on the first render).
clientside_callback(
    """function (offerings, institutions) {
        const n = String(offerings || "0");
        return n + (n === "1" ? " offering matches" : " offerings match") + " the filters, at " +
            String(institutions || "0") + (String(institutions) === "1" ? " institution." : " institutions.");
    }""",
    Output("overview-announce", "children"),
    Input("kpi-offerings", "children"),
    State("kpi-institutions", "children"),
    prevent_initial_call=True,
)
