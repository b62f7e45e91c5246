"""The submissions page's issue downloads (the hrefs the page offers) hold the issues its table
shows: the same issues, in the same order, for each selection the URL can make."""

from __future__ import annotations

import csv
import io
import sys

import dash
import pytest
from exports_fixture import make_app
from submissions_fixture import P24, submissions_warehouse  # noqa: F401  (session fixture)

from dashboard.data.database import Database
from dashboard.data.filters import Filters


@pytest.fixture(scope="module")
def app(submissions_warehouse):  # noqa: F811
    return make_app(submissions_warehouse.db_path)


def submissions_page():
    (name,) = [n for n, page in dash.page_registry.items() if page["path"] == "/submissions"]
    return sys.modules[name]


KEY = ("institution_code", "row", "column", "severity", "message")


@pytest.mark.parametrize(
    ("query", "severity", "column"),
    [(f"period={P24}", None, None), (f"period={P24}", "error", None), (f"period={P24}", "warning", None)],
)
def test_the_download_the_page_offers_holds_the_table_s_issues(app, query, severity, column):
    page = submissions_page()
    reader = Database(app.server.extensions["mcred"]["db"].path).reader()
    vocab = page.page_vocabulary(reader)
    filters, _ = Filters.parse(query, vocab, strict=True)
    with app.server.app_context():
        shown = page.build_issues(reader, filters, vocab, severity=severity, column=column)
    assert shown.rows and all(k in shown.rows[0] for k in KEY), "the selection shows issues"
    got = app.server.test_client().get(shown.csv_href)
    assert got.status_code == 200, got.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))

    def key(r):
        return tuple("" if r.get(k) is None else str(r.get(k)).lstrip("'") for k in KEY)

    assert [key(r) for r in rows[: len(shown.rows)]] == [key(r) for r in shown.rows]
    if "Showing" not in shown.caption:  # the table holds them all: so does the file, no more
        assert len(rows) == len(shown.rows)
