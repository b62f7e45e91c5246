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

from dashboard.cell_safety import guard_text
from dashboard.data.database import Database
from dashboard.data.filters import Filters


@pytest.fixture(scope="module")
def app(submissions_warehouse):  # noqa: F811
    return make_app(submissions_warehouse.db_path)


def submissions_page():
    (name,) = [n for n, page in dash.page_registry.items() if page["path"] == "/submissions"]
    return sys.modules[name]


def grid_fields() -> list[str]:
    from dashboard.views.submissions import ISSUE_COLUMNS

    return [c["field"] for c in ISSUE_COLUMNS]


def as_file(value) -> str:
    """A value as the file writes it (text that a spreadsheet would run gets Excel's text marker)."""
    return "" if value is None else guard_text(value) if isinstance(value, str) else str(value)


@pytest.mark.parametrize(
    ("query", "severity", "column", "sort"),
    [
        (f"period={P24}", None, None, ""),
        (f"period={P24}", "error", None, "row:desc"),
        (f"period={P24}", "warning", None, "value:asc"),
        (f"period={P24}", None, None, "institution_code:desc,message:asc"),
    ],
)
def test_the_download_the_page_offers_holds_the_table_s_issues(app, query, severity, column, sort):
    page = submissions_page()
    reader = Database(app.server.extensions["mcred"]["db"].path).reader()
    vocab = page.page_vocabulary(reader)
    filters, _ = Filters.parse(query, vocab, strict=True)
    with app.server.app_context():
        shown = page.build_issues(reader, filters, vocab, severity=severity, column=column, sort=sort)
    assert shown.rows, "the selection shows issues"
    if sort:
        assert f"sort={sort}" in shown.csv_href  # the page's own href carries its sort
    fields = grid_fields()
    for href in (shown.csv_href, shown.xlsx_href.replace(".xlsx", ".csv")):
        got = app.server.test_client().get(href)
        assert got.status_code == 200, got.get_data(as_text=True)
        header, *rows = csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff")))
        assert header == fields  # the table's columns, in its order: no more
        assert rows[: len(shown.rows)] == [[as_file(r[f]) for f in fields] for r in shown.rows]
        if "Showing" not in shown.caption:  # the table holds them all: so does the file, no more
            assert len(rows) == len(shown.rows)


def test_a_long_list_sorted_shows_the_download_s_first_rows(app):
    """Past the page's limit the table shows the first issues of the sorted list (the query sorts,
    not the grid), so what it shows is where the file starts."""
    page = submissions_page()
    reader = Database(app.server.extensions["mcred"]["db"].path).reader()
    vocab = page.page_vocabulary(reader)
    filters, _ = Filters.parse(f"period={P24}", vocab, strict=True)
    with app.server.app_context():
        shown = page.build_issues(reader, filters, vocab, limit=3, sort="column:desc")
        crafted = page.build_issues(reader, filters, vocab, limit=3, sort="rule:asc,row;--:desc")
    assert "Showing 3 of" in shown.caption
    header, *rows = csv.reader(io.StringIO(app.server.test_client().get(shown.csv_href).get_data(as_text=True)))
    columns = [r[header.index("column")] for r in rows]
    assert columns == sorted(columns, reverse=True)
    assert [r["column"] for r in shown.rows] == columns[:3]
    assert "sort=" not in crafted.csv_href and len(crafted.rows) == 3  # a sort it does not show: left out
