"""The analyst's journey on /explore in real Chromium (issue 12, "Exports are the screen"):
choose 5 columns and a grid column filter, download CSV and Excel, and the files hold exactly
those rows and columns, as many rows as the page says; the URL holds the view, and opening it
again shows the same grid."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest
import requests
from exports_fixture import ROWS, build, make_app
from test_accessibility import axe_violations, describe

pytestmark = pytest.mark.browser

CHOSEN = ["offering_id", "title", "mc_type", "delivery_mode", "enrolments"]  # in the chooser's order
MATCHING = sorted(r["offering_id"] for r in ROWS if "data" in r["title"].lower())


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("journey"))


def _wait(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _query(dash_duo) -> dict[str, list[str]]:
    return parse_qs(urlsplit(dash_duo.driver.current_url).query)


def _shown_columns(dash_duo) -> list[str]:
    cells = dash_duo.find_elements(".ag-header-row-column .ag-header-cell[col-id]")
    return [c.get_attribute("col-id") for c in cells]


def _grid_ids(dash_duo) -> list[str]:
    """The offering ids of the grid's rows, top to bottom."""
    rows = dash_duo.find_elements(".ag-center-cols-container .ag-row[row-index]")
    rows = sorted(rows, key=lambda r: int(r.get_attribute("row-index")))
    ids = []
    for row in rows:
        cells = row.find_elements("css selector", ".ag-cell[col-id=offering_id]")
        ids.append(cells[0].text if cells else "")
    return ids


def _count(dash_duo) -> int:
    return int(dash_duo.find_element("#explore-count").text.replace(",", ""))


def _choose_columns(dash_duo, wanted: list[str]) -> None:
    """Tick and untick the chooser's boxes (by their labels) until exactly ``wanted`` are ticked."""
    dash_duo.find_element("#explore-columns-toggle").click()
    panel = _wait(
        lambda: [p for p in dash_duo.find_elements("#explore-columns-panel") if p.is_displayed()], what="chooser"
    )
    inputs = panel[0].find_elements("css selector", "input[type=checkbox]")
    values = {}
    for box in inputs:
        label = panel[0].find_element("css selector", f"label[for='{box.get_attribute('id')}']")
        values[box.get_attribute("value")] = (box, label)
    for name, (box, label) in values.items():  # untick first, then tick in the wanted order
        if box.is_selected() and name not in wanted:
            label.click()
    for name in wanted:
        box, label = values[name]
        if not box.is_selected():
            label.click()


def _filter_title_contains(dash_duo, text: str) -> None:
    """Through the grid's own column filter: the title header's filter button, then its text box
    (once no panel above the grid is still opening or closing: the header would move under the click)."""
    _wait(lambda: not dash_duo.find_elements(".collapsing"), what="the panels above the grid to settle")
    header = dash_duo.find_element(".ag-header-cell[col-id=title]")
    button = header.find_elements("css selector", ".ag-header-cell-filter-button, .ag-header-cell-menu-button")
    assert button, "the title column has a filter button"
    button[0].click()
    box = _wait(
        lambda: [b for b in dash_duo.find_elements(".ag-filter input.ag-input-field-input") if b.is_displayed()],
        what="the filter's text box",
    )
    box[0].send_keys(text)


def test_choose_columns_filter_download(dash_duo, db_path):
    dash_duo.start_server(make_app(db_path))
    dash_duo.driver.set_window_size(1366, 768)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/explore?period=all")
    dash_duo.wait_for_text_to_equal("#explore-count", str(len(ROWS)), timeout=20)

    # 5 columns in the chooser: the grid shows those, in that order, and the URL says so
    _choose_columns(dash_duo, CHOSEN)
    _wait(lambda: _shown_columns(dash_duo) == CHOSEN, what="the grid to show the 5 chosen columns")
    violations = axe_violations(dash_duo.driver)  # with the column chooser open
    assert violations == [], describe("chooser open", violations)
    dash_duo.find_element("#explore-columns-toggle").click()
    _wait(lambda: _query(dash_duo).get("columns") == [",".join(CHOSEN)], what="columns= in the URL")

    # a grid column filter: the count follows, in words, and the URL holds the filter
    _filter_title_contains(dash_duo, "Data")
    _wait(lambda: dash_duo.find_element("#explore-count").text == str(len(MATCHING)), what="the filtered count")
    words = dash_duo.find_element("#explore-count-words").text
    assert words == ("offering matches" if len(MATCHING) == 1 else "offerings match")
    _wait(lambda: _query(dash_duo).get("q-title") == ["contains:Data"], what="q-title= in the URL")
    dash_duo.find_element("h1").click()  # close the filter popup

    # the grid's sort: two clicks on the Title heading sort it descending, into the URL
    for _ in range(2):
        dash_duo.find_element(".ag-header-cell[col-id=title] .ag-header-cell-text").click()
        time.sleep(0.5)
    _wait(lambda: _query(dash_duo).get("sort") == ["title:desc"], what="sort= in the URL")
    expected_order = sorted(MATCHING, key=lambda oid: next(r["title"] for r in ROWS if r["offering_id"] == oid))[::-1]
    _wait(lambda: _grid_ids(dash_duo) == expected_order, what="the grid sorted by title, descending")

    # the page's CSV link: one click saves exactly the screen's rows and columns
    links = {a.text: a for a in dash_duo.find_elements("#explore-downloads a")}
    _wait(lambda: "q-title=contains:Data" in (links["CSV"].get_attribute("href") or ""), what="the CSV link")
    shown = _count(dash_duo)
    links["CSV"].click()
    saved = _wait(lambda: list(Path(dash_duo.download_path).glob("*.csv")), what="the downloaded CSV")
    text = _wait(lambda: saved[0].read_bytes(), what="the CSV's bytes").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == CHOSEN
    assert len(rows) - 1 == shown == len(MATCHING)
    assert [r[0] for r in rows[1:]] == _grid_ids(dash_duo)  # the screen's order too

    # the Excel link the page offers (fetched with the page's cookies): the same rows and columns
    cookies = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}
    book = openpyxl.load_workbook(
        io.BytesIO(requests.get(links["Excel"].get_attribute("href"), cookies=cookies, timeout=30).content)
    )
    sheet = list(book["offerings"].iter_rows(values_only=True))
    assert list(sheet[0]) == CHOSEN and len(sheet) - 1 == shown
    assert [r[0] for r in sheet[1:]] == _grid_ids(dash_duo)
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["columns"] == ", ".join(CHOSEN) and "Title contains 'Data'" in about["grid_filters"]
    assert about["rows"] == str(shown)

    # Labels: the screen's column names in the file
    labels = [lb for lb in dash_duo.find_elements(".form-check-label") if lb.text == "Labels"]
    labels[0].click()
    _wait(lambda: "headers=labels" in (links["CSV"].get_attribute("href") or ""), what="headers=labels in the link")
    body = requests.get(links["CSV"].get_attribute("href"), cookies=cookies, timeout=30).content.decode("utf-8-sig")
    assert next(csv.reader(io.StringIO(body))) == ["Offering ID", "Title", "Type", "Delivery", "Enrolments"]

    violations = axe_violations(dash_duo.driver)  # filtered, labels chosen
    assert violations == [], describe("filtered", violations)

    # the URL is the view: opening it again shows the same columns, filter and count
    url = dash_duo.driver.current_url
    dash_duo.driver.get(url)
    dash_duo.wait_for_text_to_equal("#explore-count", str(len(MATCHING)), timeout=20)
    _wait(lambda: _shown_columns(dash_duo) == CHOSEN, what="the same columns after reopening the URL")
    assert dash_duo.get_logs() == []
