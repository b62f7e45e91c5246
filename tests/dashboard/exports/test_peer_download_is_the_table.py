"""The comparison page's peer-table download holds the rows the table shows (the same
institutions in the same order, the same figures), through the href the page itself offers."""

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
    got = app.server.test_client().get(shown.download_href)
    assert got.status_code == 200, got.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["institution_code"] for r in rows] == [r["code"] for r in shown.peer_rows]
    assert [int(r["offerings"]) for r in rows] == [int(r["offerings"]) for r in shown.peer_rows]
    assert [r["is_focus"] == "yes" for r in rows] == [bool(r["is_focus"]) for r in shown.peer_rows]
