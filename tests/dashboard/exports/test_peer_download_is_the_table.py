"""The comparison page's peer-table download holds what the table shows: its visible columns
in their order (headed by their names, or with headers=labels by the grid's headings), the
same institutions in the same order, sorted as the grid sorts them, the same figures, through
the href the page itself offers."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import dash
import pytest
from exports_fixture import build, make_app

from dashboard.data.database import Database
from dashboard.data.filters import Filters
from dashboard.data.reference import vocabulary


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(build(tmp_path_factory.mktemp("peers")))


def compare_page():
    (name,) = [n for n, page in dash.page_registry.items() if page["path"] == "/compare"]
    return sys.modules[name]


def grid_headers() -> list[str]:
    return [c["headerName"] for c in compare_page().grid_columns("rules")]


def read(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def cell(value) -> str:
    """A grid row's value as the file writes it (shares to 4 places, as dashboard.exports.csv)."""
    if value is None:
        return ""
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def grid_sorted(rows: list[dict], field: str, direction: str) -> list[dict]:
    """AG Grid's default comparator: empty first ascending (last descending), ties as given."""
    present = [r for r in rows if r[field] is not None]
    empty = [r for r in rows if r[field] is None]
    present = sorted(present, key=lambda r: r[field], reverse=direction == "desc")
    return empty + present if direction == "asc" else present + empty


@pytest.mark.parametrize(
    ("query", "focus", "peers"),
    [("period=2024/25", "BCIT", "all"), ("period=all", "UBC", "all"), ("period=all&ce=no", "CAM", "BCIT,UBC")],
)
def test_the_download_the_page_offers_holds_the_table_s_rows(app, query, focus, peers):
    db_path = Path(app.server.extensions["mcred"]["db"].path)
    reader = Database(db_path).reader()
    vocab = vocabulary(reader)
    filters, _ = Filters.parse(query, vocab, strict=True)
    with app.server.app_context():
        shown = compare_page().build_compare(reader, filters, focus, peers, vocab)
    client = app.server.test_client()
    fields = [c["field"] for c in compare_page().grid_columns("rules")]
    names = {"code": "institution_code", "name": "institution_name"}
    header, *rows = read(client.get(shown.download_href))
    assert header == [names.get(f, f) for f in fields]  # the grid's columns, in its order: no more
    assert rows == [[cell(r[f]) for f in fields] for r in shown.peer_rows]
    for field, direction in (("name", "desc"), ("completion_rate", "asc"), ("offerings", "desc"), ("note", "asc")):
        header, *rows = read(client.get(f"{shown.download_href}&sort={field}:{direction}&headers=labels"))
        assert header == grid_headers()
        assert rows == [[cell(r[f]) for f in fields] for r in grid_sorted(shown.peer_rows, field, direction)]
    # two keys: sector, then offerings (descending) within a sector
    _, *rows = read(client.get(f"{shown.download_href}&sort=sector:asc,offerings:desc"))
    want = grid_sorted(grid_sorted(shown.peer_rows, "offerings", "desc"), "sector", "asc")
    assert [r[1] for r in rows] == [r["code"] for r in want]


@pytest.mark.parametrize(
    ("sort", "words"),
    [
        ("is_focus:asc", "sort: unknown column 'is_focus': accepted columns are name, code, sector"),
        ("name:up", "sort: unknown direction 'up' for name"),
        ("name');DROP TABLE submission;--", "sort: unknown column"),
    ],
)
def test_a_crafted_sort_is_refused_with_what_is_accepted(app, sort, words):
    response = app.server.test_client().get("/export/peers.csv", query_string={"focus": "BCIT", "sort": sort})
    assert response.status_code == 400
    assert words in response.get_data(as_text=True)
