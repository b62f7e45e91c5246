"""The shared filter panel: one dropdown per filter parameter, a reset button and a
summary of active filters. Ids are pattern-matching ({"type": "filter", "name": P})
so one clientside callback keeps any page's filters in the URL."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard.data.dimensions import BY_PARAM, DIMENSIONS, PARAMETERS, PERIOD
from dashboard.data.filters import Filters, Vocabulary
from dashboard.views.layout import small_button

PRIMARY = tuple(d.param for d in DIMENSIONS if d.primary)
# The words under the filters ("Showing Sector: College."): summary_text writes them into a page's
# layout, assets/mcred.js (filterSummary) after each change, from the dropdowns' own option labels
# and the filter names in FILTER_LABELS, in the order of the filter parameters.
FILTER_SUMMARY = "filter-summary"
FILTER_LABELS = "filter-labels"


def filter_id(name: str) -> dict:
    return {"type": "filter", "name": name}


def url_param_id(name: str, default: str = "") -> dict:
    """Page state that lives in the URL beside the filters (measure, split, peers...);
    the default value is left out of the URL."""
    return {"type": "urlparam", "name": name, "default": default}


def _dropdown(name: str, filters: Filters, vocabulary: Vocabulary) -> html.Div:
    options = [{"label": label, "value": code} for code, label in vocabulary.values.get(name, ())]
    if name == PERIOD:
        options = list(reversed(options))
    return html.Div(
        [
            # No html_for: the dropdown has no element of that id to point at (its id is a dict);
            # assets/a11y.js names the dropdown's focus input and button by this label's id.
            dbc.Label(BY_PARAM[name].label, id=f"filter-{name}-label", className="small fw-semibold mb-0"),
            dcc.Dropdown(
                id=filter_id(name),
                options=options,
                value=list(filters.get(name)),
                multi=True,
                placeholder="All periods" if name == PERIOD else "All",
                className="filter-dropdown",
                optionHeight=40 if name == "institution" else 32,
            ),
        ],
        className="filter-item",
    )


def filter_panel(filters: Filters, vocabulary: Vocabulary, problems: list[str]) -> html.Div:
    """The filter card for the top of a page."""
    primary = [dbc.Col(_dropdown(n, filters, vocabulary), xs=6, lg=3) for n in PRIMARY]
    more = [dbc.Col(_dropdown(d.param, filters, vocabulary), xs=6, lg=3) for d in DIMENSIONS if not d.primary]
    more_open = any(filters.get(d.param) for d in DIMENSIONS if not d.primary)
    notice = None
    if problems:
        notice = dbc.Alert(
            [
                html.Strong("Some filters in this link were not recognised and were ignored: "),
                html.Ul([html.Li(p) for p in problems], className="mb-0"),
            ],
            color="warning",
            id="filter-notice",
            dismissable=True,
            className="mb-2",
        )
    return html.Div(
        [
            notice,
            dbc.Card(
                dbc.CardBody(
                    [
                        dbc.Row(primary, className="g-2"),
                        dbc.Collapse(dbc.Row(more, className="g-2 mt-1"), id="filter-more", is_open=more_open),
                        html.Div(
                            [
                                dbc.Button(
                                    "More filters",
                                    id="filter-more-toggle",
                                    color="link",
                                    size="sm",
                                    className="px-0 me-3",
                                ),
                                small_button("Reset filters", "filter-reset", color="secondary", class_name="me-3"),
                                html.Div(
                                    id=FILTER_SUMMARY,
                                    className="small text-muted flex-grow-1",
                                    children=summary_text(filters, vocabulary),
                                ),
                                dcc.Store(id=FILTER_LABELS, data=[[p, BY_PARAM[p].label] for p in PARAMETERS]),
                            ],
                            className="d-flex align-items-center flex-wrap mt-2",
                        ),
                    ]
                ),
                className="mb-3 filter-card",
            ),
        ]
    )


def summary_text(filters: Filters, vocabulary: Vocabulary) -> str:
    parts = []
    for name, values in filters.active():
        shown = [vocabulary.label(name, v) for v in values]
        text = ", ".join(shown[:3]) + (f" +{len(shown) - 3} more" if len(shown) > 3 else "")
        parts.append(f"{BY_PARAM[name].label}: {text}")
    if not filters.period:
        parts.insert(0, "All fiscal years")
    return "Showing " + ("; ".join(parts) if parts else "everything") + "."
