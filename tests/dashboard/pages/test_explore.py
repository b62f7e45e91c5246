"""The data explorer: its row source (paging, allow-listed sort and filter models, the
submission link) as plain functions, and the page in headless Chromium (row count, text-only
cells, downloads, the submission panel, an empty console)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
import pytest
import requests
from exports_fixture import HOSTILE, ROWS, build, explore_page, make_app

from dashboard.data import explore as explore_queries
from dashboard.data import overview as queries
from dashboard.data.database import Database
from dashboard.data.filters import Filters

ALL = "period=all"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("explore"))


@pytest.fixture
def db(db_path) -> Database:
    return Database(db_path).reader()


def filters(db: Database, query: str = ALL) -> Filters:
    return Filters.parse(query, queries.vocabulary(db), strict=True)[0]


def page(db, request: dict, query: str = ALL, search: str | None = None) -> explore_queries.GridPage:
    return explore_queries.grid_rows(db, filters(db, query), search, {"startRow": 0, "endRow": 100, **request})


def ids(p: explore_queries.GridPage) -> list[str]:
    return [r["offering_id"] for r in p.rows]


# --- paging --------------------------------------------------------------------------------


def test_blocks_cover_every_row_once_in_a_stable_order(db):
    whole = page(db, {})
    assert whole.row_count == len(ROWS) == len(whole.rows)
    blocks = [page(db, {"startRow": s, "endRow": s + 3}) for s in range(0, 12, 3)]
    assert all(b.row_count == len(ROWS) for b in blocks)
    assert [i for b in blocks for i in ids(b)] == ids(whole)
    assert ids(page(db, {"startRow": 50, "endRow": 60})) == []


def test_block_size_is_capped(db):
    assert len(page(db, {"startRow": 0, "endRow": 10**9}).rows) == len(ROWS)
    with pytest.raises(explore_queries.GridRequestError):
        page(db, {"startRow": "x"})


def test_rows_carry_the_submission_file_and_keys(db):
    row = page(db, {}, search="intro").rows[0]
    assert row["file_name"] == "offerings.csv" and row["submission_id"] and row["source_row"] == 2
    info = explore_queries.submission(db, row["submission_id"])
    assert info["file_name"] == "offerings.csv" and info["institution_code"] == "BCIT" and info["is_current"]
    assert explore_queries.submission(db, 10**6) is None


# --- sorting -------------------------------------------------------------------------------


@pytest.mark.parametrize("column", list(explore_queries.GRID_COLUMNS))
def test_every_column_sorts_both_ways(db, column):
    up = page(db, {"sortModel": [{"colId": column, "sort": "asc"}]}).rows
    down = page(db, {"sortModel": [{"colId": column, "sort": "desc"}]}).rows
    values = [r[column] for r in up if r[column] is not None]
    assert values == sorted(values)
    assert [r[column] for r in down if r[column] is not None] == sorted(values, reverse=True)
    for rows in (up, down):  # blanks last either way
        blanks = [r[column] is None for r in rows]
        assert blanks == sorted(blanks)


def test_sort_by_enrolments_then_paged(db):
    rows = page(
        db,
        {
            "sortModel": [{"colId": "enrolments", "sort": "desc"}, {"colId": "title", "sort": "asc"}],
            "startRow": 0,
            "endRow": 2,
        },
    ).rows
    assert [r["enrolments"] for r in rows] == [20, 20]


@pytest.mark.parametrize(
    "bad",
    [
        [{"colId": "title; DROP TABLE offering", "sort": "asc"}],
        [{"colId": "title", "sort": "asc; DROP TABLE offering"}],
        [{"colId": "submission_id", "sort": "asc"}],  # a real column, but not one of the grid's
        ["title"],
    ],
)
def test_sort_model_is_allow_listed(db, bad):
    with pytest.raises(explore_queries.GridRequestError):
        page(db, {"sortModel": bad})


# --- filtering -----------------------------------------------------------------------------


def text(kind, value, **more):
    return {"filterType": "text", "type": kind, "filter": value, **more}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ({"title": text("contains", "DATA")}, {"U0", "U1"}),
        ({"title": text("notContains", "data")}, {r["offering_id"] for r in ROWS} - {"U0", "U1"}),
        ({"title": text("startsWith", "=HYPER")}, {"F1"}),
        ({"title": text("endsWith", "<b>x</b>")}, {"F5"}),
        ({"institution_code": text("equals", "ubc")}, {"U0", "U1"}),
        ({"partner_categories": text("contains", "government")}, {"F4"}),
        (
            {"continuing_education": text("equals", "no"), "reporting_period": text("equals", "2024/25")},
            {"B2", "F4", "U1"},
        ),
        ({"recognition": {"filterType": "text", "type": "notBlank"}}, {"B1"}),
        ({"enrolments": {"filterType": "number", "type": "lessThan", "filter": 1}}, {"C1"}),
        ({"duration_hours": {"filterType": "number", "type": "inRange", "filter": 100, "filterTo": 400}}, {"B2"}),
        ({"credits": {"filterType": "number", "type": "greaterThanOrEqual", "filter": "1.5"}}, {"B2", "U1"}),
        ({"start_date": {"filterType": "date", "type": "equals", "dateFrom": "2024-09-01 00:00:00"}}, {"B1"}),
        ({"file_name": text("equals", "offerings.csv"), "title": text("contains", "python")}, {"B1"}),
        # a coded column matches what the screen shows (the label) and its code
        ({"mc_type": text("contains", "skill z")}, set()),
        (
            {"mc_type": text("equals", "Technical skill")},
            {r["offering_id"] for r in ROWS if r["mc_type"] == "technical_skill"},
        ),
        (
            {"mc_type": text("equals", "technical_skill")},
            {r["offering_id"] for r in ROWS if r["mc_type"] == "technical_skill"},
        ),
        (
            {"mc_type": text("notContains", "technical")},
            {r["offering_id"] for r in ROWS if r["mc_type"] != "technical_skill"},
        ),
        ({"title": text("contains", "'; DROP TABLE offering; --")}, set()),
    ],
)
def test_column_filters(db, model, expected):
    p = page(db, {"filterModel": model})
    assert set(ids(p)) == expected and p.row_count == len(expected)


@pytest.mark.parametrize(
    "model",
    [
        {"no_such_column": text("contains", "x")},
        {"title": text("lessThan", "x")},
        {"title": {"filterType": "text", "type": "contains", "filter": ["a"]}},
        {"enrolments": {"filterType": "number", "type": "equals", "filter": "ten"}},
        {"start_date": {"filterType": "date", "type": "equals", "dateFrom": "2024-13-45"}},
        {"title": {"operator": "XOR", "conditions": [text("contains", "a")]}},
        # one condition per column: the state is one URL parameter per column (q-title=contains:a)
        {"title": {"operator": "OR", "conditions": [text("contains", "a"), text("contains", "b")]}},
    ],
)
def test_filter_model_is_allow_listed(db, model):
    with pytest.raises(explore_queries.GridRequestError):
        page(db, {"filterModel": model})


def test_shared_filters_and_search_combine_with_column_filters(db):
    p = page(db, {"filterModel": {"delivery_mode": text("equals", "online")}}, query="institution=BCIT,CAM")
    assert set(ids(p)) == {"B1", "F1", "F2", "F4", "F5", "C1"}
    assert p.row_count == 6


def test_a_bad_model_gives_an_empty_block_and_a_notice(client, db):
    response, count, notice = explore_page().grid_response(
        db, Filters(), None, {"startRow": 0, "endRow": 100, "sortModel": [{"colId": "nope", "sort": "asc"}]}
    )
    assert response == {"rowData": [], "rowCount": 0} and count == "0" and "cannot be applied" in notice


@pytest.fixture(scope="module")
def client(db_path):
    return make_app(db_path).server.test_client()


def test_page_renders_with_a_notice_for_unknown_filters(client):
    with client.application.app_context():
        layout = explore_page().layout(sector="colege", q="x")
    text_ = str(layout)
    assert "unknown sector 'colege'" in text_ and "/export/offerings.csv?q=x" in text_


# --- in the browser ------------------------------------------------------------------------


def _wait(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.browser
def test_explore_in_the_browser(dash_duo, db_path):
    from selenium.webdriver.common.by import By

    app = make_app(db_path)
    dash_duo.start_server(app)
    dash_duo.driver.set_window_size(1366, 768)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/explore?period=all")
    dash_duo.wait_for_text_to_equal("#explore-count", str(len(ROWS)), timeout=20)

    # titles are text: the HTML title shows its tags and adds no element
    grid = dash_duo.find_element("#explore-grid")
    _wait(lambda: HOSTILE["F5"] in grid.text, what="the HTML title as text")
    assert not grid.find_elements(By.CSS_SELECTOR, ".ag-cell b, .ag-cell script")

    # quick search narrows the rows and the download links follow
    box = dash_duo.find_element("#explore-search input")
    box.send_keys("data")
    dash_duo.wait_for_text_to_equal("#explore-count", "2", timeout=20)
    link = dash_duo.find_element("#explore-downloads a")
    _wait(lambda: "q=data" in (link.get_attribute("href") or ""), what="the CSV link to carry the search")

    # one click in the browser saves the CSV
    link.click()
    download = Path(dash_duo.download_path)
    saved = _wait(lambda: [p for p in download.glob("*.csv")], what="the downloaded CSV")
    data = saved[0].read_bytes()
    assert saved[0].name.startswith("mcred-offerings-all-periods-search-data-")
    assert data.startswith(b"\xef\xbb\xbf") and data.count(b"\n") == 3  # header + 2 rows

    # the other buttons' links give the same rows
    hrefs = {a.text: a.get_attribute("href") for a in dash_duo.find_elements("#explore-downloads a")}
    book = openpyxl.load_workbook(io.BytesIO(requests.get(hrefs["Excel"], timeout=30).content))
    assert book["offerings"].max_row == 3 and book.sheetnames == ["offerings", "about"]
    table = pq.read_table(io.BytesIO(requests.get(hrefs["Parquet"], timeout=30).content))
    assert sorted(table.column("offering_id").to_pylist()) == ["U0", "U1"]

    # a row's submission is one click away (the file column is the last: bring it into view)
    dash_duo.driver.execute_script("dash_ag_grid.getApi('explore-grid').ensureColumnVisible('file_name')")
    cell = _wait(lambda: dash_duo.find_elements(".ag-cell[col-id=file_name]"), what="a file cell")
    cell[0].click()
    dash_duo.wait_for_text_to_equal("#submission-title", "Submission: offerings.csv", timeout=20)
    assert "UBC" in dash_duo.find_element("#submission-details").text

    assert dash_duo.get_logs() == []


def test_page_keeps_the_url_state_and_explains_what_it_cannot_read(client):
    with client.application.app_context():
        layout = explore_page().layout(
            period="all", columns="title,offering_id", **{"q-title": "contains:Data", "q-enrolments": "above:3"}
        )
    text_ = str(layout)
    assert "q-enrolments: unknown operator 'above'" in text_  # a notice, not a crash
    assert "/export/offerings.csv?period=all&columns=title,offering_id&q-title=contains:Data" in text_
    assert "'filterModel': {'title': {'filterType': 'text', 'type': 'contains', 'filter': 'Data'}}" in text_
