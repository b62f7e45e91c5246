"""What every page's layout starts with: this request's Reader, the vocabulary, the filters
of the URL (with the problems to show), and a notice instead of a page while there is no
warehouse. (Dash skips files that start with ``_`` when it looks for pages.)"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, clientside_callback

from dashboard import context
from dashboard.data.database import NoWarehouse, Reader
from dashboard.data.filters import Filters, Vocabulary
from dashboard.data.reference import vocabulary
from dashboard.views.grid_downloads import hrefs_store_id, sort_store_id


class PageStart(NamedTuple):
    reader: Reader
    vocab: Vocabulary
    filters: Filters
    problems: list[str]


def start(query: Mapping[str, Any], vocab_of: Callable[[Reader], Vocabulary] = vocabulary) -> PageStart:
    """The request's Reader, the page's vocabulary and the URL's filters (leniently)."""
    reader = context.reader()
    vocab = vocab_of(reader)
    filters, problems = Filters.parse(query, vocab, strict=False)
    return PageStart(reader, vocab, filters, problems)


def page_layout(build: Callable[..., Any]) -> Callable[..., Any]:
    """A page's ``layout(**query)`` that shows what to do while there is no warehouse yet."""

    @functools.wraps(build)
    def layout(**query: Any) -> Any:
        try:
            return build(**query)
        except NoWarehouse as exc:
            return dbc.Alert(str(exc), color="info", className="mt-3")

    return layout


def follow_grid_sort(grid_id: str, link_ids: Sequence[str]) -> None:
    """The download links ``link_ids`` beside grid ``grid_id`` follow its sort, in the browser
    (assets/grid_downloads.js): its column state into ``<grid>-sort`` when the sort changes, and
    the hrefs of ``<grid>-downloads`` (one per link) with that sort into the links. A page
    callback may take ``<grid>-sort`` as an input too (to query its rows in that order)."""
    sort_id = sort_store_id(grid_id)
    clientside_callback(
        ClientsideFunction("grid_downloads", "sortText"),
        Output(sort_id, "data"),
        Input(grid_id, "columnState"),
        State(sort_id, "data"),
        prevent_initial_call=True,
    )
    clientside_callback(
        ClientsideFunction("grid_downloads", "hrefs"),
        *(Output(link, "href") for link in link_ids),
        Input(sort_id, "data"),
        Input(hrefs_store_id(grid_id), "data"),
    )
