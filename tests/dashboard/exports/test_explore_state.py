"""The explorer's URL state (dashboard.data.state.ExploreState): columns=, q-<column>=, sort=,
headers=, parsed and written in one place, and the grid's filterModel/sortModel both ways."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import pytest

from dashboard.data.columns import DEFAULT_SHOWN, EXPORT_COLUMNS, GRID_COLUMNS
from dashboard.data.filters import Filters
from dashboard.data.state import PAGE_PARAMETERS, ExploreRequestError, ExploreState, GridFilter
from dashboard.data.vocabulary import Vocabulary

FULL = (
    "q=python&columns=title,offering_id,mc_type&sort=enrolments:desc,title:asc&headers=labels"
    "&q-title=contains:Data: a:b&q-enrolments=inRange:10:20&q-start_date=greaterThan:2024-09-01"
    "&q-field_of_study=blank&q-continuing_education=equals:yes"
)


def parse(query: str, strict: bool = True) -> ExploreState:
    return ExploreState.parse(parse_qs(query), strict=strict)


def test_every_parameter_is_read():
    state = parse(FULL)
    assert state.search == "python"
    assert state.columns == ("title", "offering_id", "mc_type")
    assert state.sort == (("enrolments", "desc"), ("title", "asc"))
    assert state.headers == "labels"
    assert state.filters == (  # in the grid's column order, whatever the URL's
        GridFilter("title", "contains", ("Data: a:b",)),  # a text value keeps its colons
        GridFilter("continuing_education", "equals", ("yes",)),
        GridFilter("field_of_study", "blank"),
        GridFilter("enrolments", "inRange", ("10", "20")),
        GridFilter("start_date", "greaterThan", ("2024-09-01",)),
    )


def test_url_round_trip():
    state = parse(FULL)
    again = parse(urlencode({k: v for k, v in state.to_query().items() if v}, safe=",:"))
    assert again == state


def test_defaults_stay_out_of_the_url_and_downloads_name_the_columns():
    state = ExploreState()
    assert {k: v for k, v in state.to_query().items() if v} == {}
    assert state.to_query(name_columns=True)["columns"] == ",".join(DEFAULT_SHOWN)
    assert state.shown_columns() == DEFAULT_SHOWN and state.export_columns() == EXPORT_COLUMNS


def test_page_parameters_pass_the_shared_filter_parser():
    vocab = Vocabulary({"period": (("2024/25", "2024/25"),)}, latest_period="2024/25")
    filters, problems = Filters.parse(parse_qs(FULL), vocab, strict=True)
    assert problems == [] and filters.period == ("2024/25",)
    assert {"columns", "sort", "headers", "q-title", "q-loaded_at"} <= PAGE_PARAMETERS


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("columns=title,nope", ["columns: unknown column 'nope'", "accepted columns are institution_code"]),
        ("columns=title;DROP TABLE offering", ["columns: unknown column 'title;DROP TABLE offering'"]),
        ("sort=title:up", ["sort: unknown direction 'up'", "asc, desc"]),
        ("sort=submission_id:asc", ["sort: unknown column 'submission_id'"]),
        ("headers=fancy", ["headers: unknown value 'fancy'", "codes, labels"]),
        ("q-nope=contains:x", ["unknown grid filter 'q-nope'", "q-<column>"]),
        ("q-title=lessThan:x", ["q-title: unknown operator 'lessThan'", "contains, notContains"]),
        ("q-title=contains", ["q-title: contains needs a value"]),
        ("q-enrolments=greaterThan:ten", ["q-enrolments: 'greaterThan:ten' is not a number filter", "=greaterThan:10"]),
        ("q-enrolments=greaterThan:nan", ["is not a number filter"]),
        ("q-enrolments=inRange:10", ["inRange:10:10"]),
        ("q-start_date=equals:2024-13-45", ["is not a date filter", "2024-09-01"]),
        ("q-title=contains:x'); DROP TABLE offering; --&q-x=1", ["unknown grid filter 'q-x'"]),
    ],
)
def test_malformed_values_name_the_parameter_and_what_it_accepts(query, words):
    with pytest.raises(ExploreRequestError) as caught:
        parse(query)
    text = str(caught.value)
    assert all(w in text for w in words), text
    lenient, problems = ExploreState.read(parse_qs(query))  # the page: left out, described
    assert problems and all(w in "; ".join(problems) for w in words)
    assert all(f.column in GRID_COLUMNS for f in lenient.filters)


def test_the_grid_models_both_ways():
    state = parse(FULL)
    model, sort = state.filter_model(), state.sort_model()
    assert model["title"] == {"filterType": "text", "type": "contains", "filter": "Data: a:b"}
    assert model["enrolments"] == {"filterType": "number", "type": "inRange", "filter": 10, "filterTo": 20}
    assert model["start_date"] == {"filterType": "date", "type": "greaterThan", "dateFrom": "2024-09-01 00:00:00"}
    assert model["field_of_study"] == {"filterType": "text", "type": "blank"}
    assert sort == [{"colId": "enrolments", "sort": "desc"}, {"colId": "title", "sort": "asc"}]
    assert ExploreState(search="python").with_grid(model, sort).filters == state.filters
    assert ExploreState().with_grid(model, sort).sort == state.sort
    # a model without filters or sort clears them
    assert state.with_grid({}, []).filters == () and state.with_grid(None, None).sort == ()


@pytest.mark.parametrize(
    ("model", "sort"),
    [
        ({"no_such": {"filterType": "text", "type": "contains", "filter": "x"}}, []),
        ({"title": {"filterType": "text", "type": "contains", "filter": ["x"]}}, []),
        ({"title": {"filterType": "text", "type": "contains", "filter": True}}, []),
        ({"title": {"operator": "OR", "conditions": [{"type": "contains", "filter": "a"}] * 2}}, []),
        ({"enrolments": {"filterType": "number", "type": "equals", "filter": "ten"}}, []),
        ({"title": "contains:x"}, []),
        (["title"], []),
        ({}, [{"colId": "title; DROP TABLE offering", "sort": "asc"}]),
        ({}, [{"colId": "title", "sort": "sideways"}]),
        ({}, "title"),
        ({}, ["title"]),
    ],
)
def test_grid_models_from_the_browser_are_allow_listed(model, sort):
    with pytest.raises(ExploreRequestError):
        ExploreState().with_grid(model, sort)
