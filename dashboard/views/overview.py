"""The overview's components: headline cards, chart cards, headline texts and the targets table."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import display
from dashboard.data.filters import Filters
from dashboard.data.overview import Headline, TargetStatus, previous_period
from dashboard.views.charts import chart_table
from dashboard.views.downloads import chart_download

# the headline figures (element ids ``kpi-<key>``) and their titles, in display order
KPIS = ("offerings", "institutions", "enrolments", "completions", "ce-share")
_TITLES = ("Offerings", "Reporting institutions", "Enrolments", "Completions", "Continuing-education share")
KPI_TITLES = dict(zip(KPIS, _TITLES, strict=True))


def kpi_card(
    key: str,
    titles: dict[str, str] = KPI_TITLES,
    note: str = "change",
    lists: str | None = None,
    shown: tuple[str, str] = ("…", ""),
) -> dbc.Card:
    """A headline figure's card: title, value (id kpi-<key>) and a note below (id kpi-<key>-<note>),
    first showing ``shown`` (value, note). With ``lists`` (the id of the element that lists what
    the figure counts), the figure is a button (mouse and keyboard) that fills that element and
    moves the focus there."""
    title_id = f"kpi-{key}-title"
    if lists:
        value = html.Button(
            shown[0],
            id=f"kpi-{key}",
            n_clicks=0,
            className="kpi-value kpi-action h3 mb-0",
            title=f"List them: {titles[key].lower()}",
            **{"aria-controls": lists, "aria-labelledby": f"kpi-{key} {title_id}", "data-focus-target": lists},
        )
    else:
        value = html.Div(shown[0], id=f"kpi-{key}", className="kpi-value h3 mb-0")
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(titles[key], className="kpi-title small text-muted", id=title_id),
                value,
                html.Div(shown[1], id=f"kpi-{key}-{note}", className="kpi-change small"),
            ]
        ),
        className="h-100 kpi-card" + (" kpi-card-action" if lists else ""),
    )


def graph_card(graph_id: str, figure: dict, filters: Filters, extra: dict[str, str]) -> dbc.Card:
    """An overview chart (a click on a bar filters the page), its table and its CSV (of the
    view: ``filters`` and the URL state ``extra``)."""
    return dbc.Card(
        dbc.CardBody(
            [
                dcc.Graph(id=graph_id, config={"displayModeBar": False}, figure=figure),
                chart_table(graph_id, filters_on_click=True),
                chart_download(graph_id, filters, extra),
            ],
            className="p-2",
        ),
        className="h-100",
    )


def kpi_texts(now: Headline, before: Headline | None, measure: str, filters: Filters) -> tuple[list[str], list[str]]:
    """The headline figures and, under each, the change from the year before."""
    share = now.ce_share(measure)
    kpis = [
        display.number(now.offerings),
        display.number(now.institutions),
        _count(now, "enrolments"),
        _count(now, "completions"),
        display.share(share),
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
        if cur is None or prev is None:  # a count hidden from the viewer (dashboard.data.privacy)
            changes.append(f"change withheld (a small count) vs {prev_period}")
            continue
        diff = cur - prev
        arrow = "▲" if diff > 0 else ("▼" if diff < 0 else "■")
        changes.append(f"{arrow} {display.change(diff, prev)} vs {prev_period}")
    prev_share = before.ce_share(measure)
    if share is None or prev_share is None:
        changes.append(f"no comparison with {prev_period}")
    else:
        pts = (share - prev_share) * 100
        arrow = "▲" if pts > 0.05 else ("▼" if pts < -0.05 else "■")
        changes.append(f"{arrow} {display.points(pts)} vs {prev_period}")
    return kpis, changes


def _count(headline: Headline, name: str) -> str:
    """A count of people, or its mark ("<10", "x") when it is hidden from the viewer."""
    value = getattr(headline, name)
    return headline.mark(name) if value is None else f"{value:,}"


def kind_badge(framework: bool, extra: str = "") -> dbc.Badge:
    """A target's kind: a rule of the framework, or an illustrative target for the ministry to set."""
    return dbc.Badge(
        "Framework rule" if framework else "Illustrative",
        color="primary" if framework else "secondary",
        className=f"fw-normal {extra}".strip(),
    )


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
                f"{names.get(code, code)} ({display.share(value)})",
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
                            # On a phone the kind sits under the metric, leaving room for the status.
                            html.Div(kind_badge(target.framework, "d-md-none")),
                            html.Div(target.description + by, className="small text-muted"),
                        ]
                    ),
                    html.Td(kind_badge(target.framework), className="d-none d-md-table-cell"),
                    html.Td(display.share(actual), className="text-end fw-semibold"),
                    html.Td(display.target(target.comparator, target.value), className="text-end text-nowrap"),
                    html.Td(
                        html.Span("withheld", className="small text-muted")
                        if display.is_missing(actual)
                        else met_badge(item.met)
                    ),
                    html.Td(links or html.Span("all institutions meet it", className="small text-muted")),
                    html.Td(target.source, className="small text-muted"),
                ]
            )
        )
    header = html.Thead(
        html.Tr(
            [
                html.Th("Metric"),
                html.Th("Kind", className="d-none d-md-table-cell"),
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
