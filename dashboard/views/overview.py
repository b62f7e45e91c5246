"""The overview's components: headline cards, chart cards, headline texts and the targets table."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.data.filters import Filters
from dashboard.data.overview import Headline, TargetStatus, previous_period
from dashboard.views.downloads import chart_download

# the headline figures (element ids ``kpi-<key>``) and their titles, in display order
KPIS = ("offerings", "institutions", "enrolments", "completions", "ce-share")
_TITLES = ("Offerings", "Reporting institutions", "Enrolments", "Completions", "Continuing-education share")
KPI_TITLES = dict(zip(KPIS, _TITLES, strict=True))


def kpi_card(key: str, titles: dict[str, str] = KPI_TITLES, note: str = "change") -> dbc.Card:
    """A headline figure's card: title, value (id kpi-<key>) and a note below (id kpi-<key>-<note>)."""
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(titles[key], className="kpi-title small text-muted"),
                html.Div("…", id=f"kpi-{key}", className="kpi-value h3 mb-0"),
                html.Div("", id=f"kpi-{key}-{note}", className="kpi-change small"),
            ]
        ),
        className="h-100 kpi-card",
    )


def graph_card(graph_id: str) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [dcc.Graph(id=graph_id, config={"displayModeBar": False}), chart_download(graph_id)], className="p-2"
        ),
        className="h-100",
    )


def kpi_texts(now: Headline, before: Headline | None, measure: str, filters: Filters) -> tuple[list[str], list[str]]:
    """The headline figures and, under each, the change from the year before."""
    share = now.ce_share(measure)
    kpis = [
        f"{now.offerings:,}",
        f"{now.institutions:,}",
        f"{now.enrolments:,}",
        f"{now.completions:,}",
        "–" if share is None else f"{share:.0%}",
    ]
    if before is None:
        why = "all selected years" if len(filters.period) != 1 else "no data for the year before"
        return kpis, [why] * 5
    prev_period = previous_period(filters.period[0])
    changes = []
    for cur, prev in (
        (now.offerings, before.offerings),
        (now.institutions, before.institutions),
        (now.enrolments, before.enrolments),
        (now.completions, before.completions),
    ):
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


def kind_badge_class(framework: bool) -> str:
    return "bg-primary" if framework else "bg-secondary"


def kind_words(framework: bool) -> str:
    return "Framework rule" if framework else "Illustrative"


def met_badge(met: bool) -> html.Span:
    return html.Span("Met" if met else "Not met", className="badge " + ("bg-success" if met else "bg-danger"))


def targets_table(status: list[TargetStatus], names: dict[str, str], link_filters: Filters, nothing: bool):
    """A table: each target metric, actual vs target, met or not, kind, and the furthest institutions
    (each a link to the comparison with ``link_filters``)."""
    if nothing:
        return dbc.Alert("No offerings match these filters, so no target can be assessed.", color="light")
    rows = []
    for item in status:
        target, actual = item.target, item.actual
        links = [
            dcc.Link(
                f"{names.get(code, code)} ({value:.0%})",
                href="/compare" + link_filters.to_search({"focus": code}),
                className="me-2 d-inline-block",
            )
            for code, value in item.furthest
        ]
        by = " (by enrolments)" if target.basis == "enrolments" else ""
        rows.append(
            html.Tr(
                [
                    html.Td(
                        [
                            html.Div(target.label, className="fw-semibold"),
                            html.Div(target.description + by, className="small text-muted"),
                        ]
                    ),
                    html.Td(
                        html.Span(
                            kind_words(target.framework),
                            className="badge fw-normal " + kind_badge_class(target.framework),
                        )
                    ),
                    html.Td("–" if pd.isna(actual) else f"{actual:.1%}", className="text-end fw-semibold"),
                    html.Td(f"{target.comparator} {target.value:.0%}", className="text-end"),
                    html.Td(met_badge(item.met)),
                    html.Td(links or html.Span("all institutions meet it", className="small text-muted")),
                    html.Td(target.source, className="small text-muted"),
                ]
            )
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Metric"),
                html.Th("Kind"),
                html.Th("Actual", className="text-end"),
                html.Th("Target", className="text-end"),
                html.Th("Status"),
                html.Th("Furthest from target"),
                html.Th("Source"),
            ]
        )
    )
    return dbc.Table(
        [header, html.Tbody(rows)], hover=True, responsive=True, size="sm", className="mb-0", id="targets-table"
    )
