"""Provincial overview: where the province stands, and against which targets it falls short."""

from __future__ import annotations

from typing import NamedTuple

import dash
import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
from dash import ALL, Input, Output, State, callback, ctx, dcc, html

from dashboard import context, theme
from dashboard.data import overview as queries
from dashboard.data.database import Database, NoWarehouse
from dashboard.data.filters import Filters, Vocabulary
from dashboard.figures import overview as figures
from dashboard.views.downloads import chart_download
from dashboard.views.filters import filter_panel, url_param_id, values_from_inputs

dash.register_page(__name__, path="/", name="Overview", title="Overview | B.C. Micro-credentials", order=0)

KPIS = ("offerings", "institutions", "enrolments", "completions", "ce-share")
KPI_TITLES = {
    "offerings": "Offerings",
    "institutions": "Reporting institutions",
    "enrolments": "Enrolments",
    "completions": "Completions",
    "ce-share": "Continuing-education share",
}
# chart id -> (breakdown key, filter parameter that a click sets, code list, title words)
CHARTS = {
    "chart-type": ("type", "type", "type", "by micro-credential type"),
    "chart-delivery": ("delivery", "delivery", "delivery", "by delivery mode"),
    "chart-credit": ("credit", "credit", "credit", "by credit status"),
    "chart-partner": ("partner", "partner", "partner", "by partner category"),
    "chart-field": ("field", "field", "field", "by field of study"),
}
SPLITS = [("none", "No split"), ("sector", "Sector"), ("type", "Type"), ("delivery", "Delivery mode"),
          ("credit", "Credit status"), ("partner", "Partner category"), ("ce", "Continuing education"),
          ("field", "Field of study"), ("region", "Region")]


def layout(**query):
    db = context.db()
    try:
        vocab = queries.vocabulary(db)
    except NoWarehouse as exc:
        return dbc.Alert(str(exc), color="info", className="mt-3")
    filters, problems = Filters.parse({k: v for k, v in query.items()}, vocab, strict=False)
    measure = query.get("measure") if query.get("measure") in queries.MEASURES else "offerings"
    split = query.get("split") if query.get("split") in dict(SPLITS) else "sector"
    return html.Div([
        html.H1("Micro-credentials across B.C.", className="h3 mb-1"),
        html.P("Offerings reported by B.C. public post-secondary institutions, from their latest accepted "
               "submissions, against the framework's targets.", className="text-muted mb-3"),
        filter_panel(filters, vocab, problems),
        html.Div([
            html.Span("Count by", className="me-2 small fw-semibold"),
            dbc.RadioItems(id=url_param_id("measure", "offerings"), value=measure, inline=True,
                           options=[{"label": "Offerings", "value": "offerings"},
                                    {"label": "Enrolments (uptake)", "value": "enrolments"}],
                           className="d-inline-block"),
        ], className="mb-3 d-flex align-items-center flex-wrap"),
        dbc.Row([dbc.Col(_kpi_card(k), xs=6, md=4, xl=True, className="mb-2") for k in KPIS], className="g-2"),
        dcc.Loading(dbc.Row([
            dbc.Col(_graph("chart-type"), lg=6),
            dbc.Col(_graph("chart-delivery"), lg=6),
            dbc.Col(_graph("chart-credit"), lg=6),
            dbc.Col(_graph("chart-partner"), lg=6),
            dbc.Col(_graph("chart-ce-sector"), lg=6),
            dbc.Col(_graph("chart-field"), lg=6),
        ], className="g-3 mt-1"), delay_show=400, type="circle"),
        dbc.Card(dbc.CardBody([
            dbc.Row([
                dbc.Col(html.H2("Trend across all fiscal years", className="h5 mb-2"), md=8),
                dbc.Col(dcc.Dropdown(id=url_param_id("split", "sector"), options=[
                    {"label": f"Split by: {label}", "value": v} for v, label in SPLITS], value=split,
                    clearable=False), md=4),
            ], className="align-items-center"),
            dcc.Graph(id="chart-trend", config={"displayModeBar": False}),
            chart_download("chart-trend"),
        ]), className="mt-3"),
        dbc.Card(dbc.CardBody([
            html.H2("Framework targets", className="h5"),
            html.P(["Framework rules come from the B.C. Micro-credential Framework (2021); illustrative targets "
                    "are placeholders for the ministry to set in data/targets.toml. "
                    "The institutions furthest from each target are one click away."],
                   className="small text-muted"),
            html.Div(id="targets-panel"),
        ]), className="mt-3"),
    ])


def _kpi_card(key: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody([
        html.Div(KPI_TITLES[key], className="kpi-title small text-muted"),
        html.Div("…", id=f"kpi-{key}", className="kpi-value h3 mb-0"),
        html.Div("", id=f"kpi-{key}-change", className="kpi-change small"),
    ]), className="h-100 kpi-card")


def _graph(graph_id: str) -> dbc.Card:
    return dbc.Card(dbc.CardBody([dcc.Graph(id=graph_id, config={"displayModeBar": False}),
                                  chart_download(graph_id)], className="p-2"), className="h-100")


# --- building the page's outputs (plain functions, tested without a browser) -------


class OverviewOutputs(NamedTuple):
    kpis: list[str]
    changes: list[str]
    figures: dict[str, object]
    targets_panel: object


def build_overview(db: Database, filters: Filters, measure: str, vocab: Vocabulary) -> OverviewOutputs:
    now, before = queries.headline(db, filters)
    kpis, changes = _kpi_texts(now, before, measure, filters)
    data = queries.breakdowns(db, filters)
    figs = {}
    offerings_total = now.offerings if measure == "offerings" else now.enrolments
    for chart_id, (key, _param, list_name, words) in CHARTS.items():
        codes = vocab.codes(list_name)
        labels = dict(vocab.values.get(list_name, ()))
        labels[queries.NOT_REPORTED] = theme.NOT_REPORTED_LABEL
        note = None
        denominator = None
        if key == "partner":
            note = "An offering with several partner categories counts in each;<br>shares are of all offerings."
            denominator = offerings_total
        figs[chart_id] = figures.breakdown_bar(
            data[key], measure=measure, title=f"{measure.capitalize()} {words}", labels=labels,
            order=[*codes, queries.NOT_REPORTED], colours=theme.colours_for(codes, long_list=key == "field"),
            denominator=denominator, note=note)
    tgts = queries.targets(db)
    ce_target = queries.choose_target(tgts, "ce_share", _single(filters.period), _single(filters.sector),
                                      _single(filters.institution))
    figs["chart-ce-sector"] = figures.ce_by_sector(
        data["sector_ce"], measure=measure, title=f"Continuing-education share of {measure}, by sector",
        sector_labels=dict(vocab.values["sector"]), sector_order=vocab.codes("sector"),
        target=float(ce_target.value) if ce_target is not None else None,
        target_text=(f"target {ce_target.comparator} {ce_target.value:.0%} ({ce_target.source})"
                     if ce_target is not None else None))
    panel = targets_panel(queries.metric_counts(db, filters), tgts, filters, vocab)
    return OverviewOutputs(kpis, changes, figs, panel)


def _single(values: tuple[str, ...]) -> str | None:
    return values[0] if len(values) == 1 else None


def _kpi_texts(now: queries.Headline, before: queries.Headline | None, measure: str,
               filters: Filters) -> tuple[list[str], list[str]]:
    share = now.ce_share(measure)
    kpis = [f"{now.offerings:,}", f"{now.institutions:,}", f"{now.enrolments:,}", f"{now.completions:,}",
            "–" if share is None else f"{share:.0%}"]
    if before is None:
        why = "all selected years" if len(filters.period) != 1 else "no data for the year before"
        return kpis, [why] * 5
    prev_period = queries.previous_period(filters.period[0])
    changes = []
    for cur, prev in ((now.offerings, before.offerings), (now.institutions, before.institutions),
                      (now.enrolments, before.enrolments), (now.completions, before.completions)):
        diff = cur - prev
        pct = f" ({diff / prev:+.0%})" if prev else ""
        arrow = "▲" if diff > 0 else ("▼" if diff < 0 else "■")
        changes.append(f"{arrow} {diff:+,}{pct} vs {prev_period}")
    prev_share = before.ce_share(measure)
    if share is None or prev_share is None:
        changes.append(f"no comparison with {prev_period}")
    else:
        pts = (share - prev_share) * 100
        arrow = "▲" if pts > 0.05 else ("▼" if pts < -0.05 else "■")
        changes.append(f"{arrow} {pts:+.1f} pts vs {prev_period}")
    return kpis, changes


def target_status(counts: pd.DataFrame, tgts: pd.DataFrame, filters: Filters) -> list[dict]:
    """Each target metric once, in order: the applicable target, the actual value, met or
    not, and the (up to three) institutions furthest from it."""
    total = counts[counts.institution_code.isna()]
    per_inst = counts[counts.institution_code.notna()].reset_index(drop=True)
    codes = per_inst.institution_code.to_numpy()
    out = []
    for metric in dict.fromkeys(tgts.metric):
        target = queries.choose_target(tgts, metric, _single(filters.period), _single(filters.sector),
                                       _single(filters.institution))
        if target is None:
            continue
        actual = queries.metric_values(total, metric, target.basis).iloc[0]
        values = queries.metric_values(per_inst, metric, target.basis).to_numpy(dtype=float)
        sign = 1.0 if target.comparator == ">=" else -1.0
        gaps = sign * (target.value - values)  # > 0: short of the target
        met = not pd.isna(actual) and sign * (actual - target.value) >= -1e-12
        order = [i for i in np.argsort(-np.nan_to_num(gaps, nan=-np.inf)) if gaps[i] > 1e-12][:3]
        out.append({"target": target, "actual": actual, "met": met,
                    "furthest": [(codes[i], float(values[i])) for i in order]})
    return out


def targets_panel(counts: pd.DataFrame, tgts: pd.DataFrame, filters: Filters, vocab: Vocabulary):
    """A table: each target metric, actual vs target, met or not, kind, and the furthest institutions."""
    total = counts[counts.institution_code.isna()]
    if total.empty or int(total.n_offerings.iloc[0]) == 0:
        return dbc.Alert("No offerings match these filters, so no target can be assessed.", color="light")
    names = dict(vocab.values["institution"])
    base = filters.with_values(institution=())
    rows = []
    for item in target_status(counts, tgts, filters):
        target, actual, met = item["target"], item["actual"], item["met"]
        links = [dcc.Link(f"{names.get(code, code)} ({value:.0%})",
                          href="/compare" + base.to_search({"focus": code}), className="me-2 d-inline-block")
                 for code, value in item["furthest"]]
        by = " (by enrolments)" if target.basis == "enrolments" else ""
        rows.append(html.Tr([
            html.Td([html.Div(target.metric_label, className="fw-semibold"),
                     html.Div(target.metric_description + by, className="small text-muted")]),
            html.Td(html.Span("Framework rule" if target.framework else "Illustrative",
                              className="badge fw-normal " + ("bg-primary" if target.framework else "bg-secondary"))),
            html.Td("–" if pd.isna(actual) else f"{actual:.1%}", className="text-end fw-semibold"),
            html.Td(f"{target.comparator} {target.value:.0%}", className="text-end"),
            html.Td(html.Span("Met" if met else "Not met", className="badge " + ("bg-success" if met else "bg-danger"))),
            html.Td(links or html.Span("all institutions meet it", className="small text-muted")),
            html.Td(target.source, className="small text-muted"),
        ]))
    header = html.Thead(html.Tr([html.Th("Metric"), html.Th("Kind"), html.Th("Actual", className="text-end"),
                                 html.Th("Target", className="text-end"), html.Th("Status"),
                                 html.Th("Furthest from target"), html.Th("Source")]))
    return dbc.Table([header, html.Tbody(rows)], hover=True, responsive=True, size="sm", className="mb-0",
                     id="targets-table")


# --- callbacks ---------------------------------------------------------------------------

FILTERS_INPUT = Input({"type": "filter", "name": ALL}, "value")
MEASURE_INPUT = Input({"type": "urlparam", "name": "measure", "default": ALL}, "value")


def _inputs_to_filters(inputs_list) -> tuple[Filters, Vocabulary]:
    vocab = queries.vocabulary(context.db())
    filters, _ = Filters.parse(values_from_inputs(inputs_list), vocab, strict=False)
    return filters, vocab


@callback(
    [Output(f"kpi-{k}", "children") for k in KPIS],
    [Output(f"kpi-{k}-change", "children") for k in KPIS],
    [Output(c, "figure") for c in (*CHARTS, "chart-ce-sector")],
    Output("targets-panel", "children"),
    FILTERS_INPUT,
    MEASURE_INPUT,
)
def update_overview(_filter_values, measure_values):
    filters, vocab = _inputs_to_filters(ctx.inputs_list[0])
    measure = (measure_values or ["offerings"])[0] or "offerings"
    out = build_overview(context.db(), filters, measure, vocab)
    figs = [out.figures[c] for c in (*CHARTS, "chart-ce-sector")]
    return [*out.kpis, *out.changes, *figs, out.targets_panel]


@callback(
    Output("chart-trend", "figure"),
    FILTERS_INPUT,
    MEASURE_INPUT,
    Input({"type": "urlparam", "name": "split", "default": ALL}, "value"),
)
def update_trend(_filter_values, measure_values, split_values):
    filters, vocab = _inputs_to_filters(ctx.inputs_list[0])
    measure = (measure_values or ["offerings"])[0] or "offerings"
    split = (split_values or ["none"])[0] or "none"
    return build_trend(context.db(), filters, measure, split, vocab)


def build_trend(db: Database, filters: Filters, measure: str, split: str, vocab: Vocabulary):
    frame = queries.trend(db, filters, split, measure)
    list_name = split if split in vocab.values else None
    codes = vocab.codes(list_name) if list_name else []
    labels = dict(vocab.values.get(list_name, ())) if list_name else {}
    labels[queries.NOT_REPORTED] = theme.NOT_REPORTED_LABEL
    words = dict(SPLITS).get(split, "").lower()
    title = f"{measure.capitalize()} per fiscal year" + (f", by {words}" if split != "none" else "")
    return figures.trend(frame, measure=measure, title=title, labels=labels,
                         order=[*codes, queries.NOT_REPORTED], colours=theme.colours_for(codes, split == "field"),
                         periods=vocab.codes("period"))


@callback(
    Output({"type": "filter", "name": ALL}, "value", allow_duplicate=True),
    [Input(c, "clickData") for c in (*CHARTS, "chart-ce-sector", "chart-trend")],
    State({"type": "filter", "name": ALL}, "value"),
    State({"type": "filter", "name": ALL}, "id"),
    prevent_initial_call=True,
)
def cross_filter(*args):
    """Clicking a bar filters the page by its category (clicking it again removes it)."""
    values, ids = args[-2], args[-1]
    trigger = ctx.triggered_id
    chart_inputs = [*CHARTS, "chart-ce-sector", "chart-trend"]
    click = args[chart_inputs.index(trigger)] if trigger in chart_inputs else None
    if not click or not click.get("points"):
        return [dash.no_update] * len(ids)
    point = click["points"][0]
    param = apply_click(trigger, point.get("x") if trigger == "chart-trend" else point.get("customdata"))
    if param is None:
        return [dash.no_update] * len(ids)
    name, value = param
    out = []
    for i, current in zip(ids, values):
        if i["name"] != name:
            out.append(dash.no_update)
        elif name == "period":
            out.append([value])
        else:
            current = list(current or [])
            out.append([v for v in current if v != value] if value in current else current + [value])
    return out


def apply_click(chart_id: str, code) -> tuple[str, str] | None:
    """(filter parameter, value) that a click on ``chart_id`` at category ``code`` sets."""
    if isinstance(code, list):
        code = code[0] if code else None
    if not code or code in (queries.NOT_REPORTED, "all"):
        return None
    if chart_id in CHARTS:
        return CHARTS[chart_id][1], code
    if chart_id == "chart-ce-sector":
        return "sector", code
    if chart_id == "chart-trend":
        return "period", code
    return None
