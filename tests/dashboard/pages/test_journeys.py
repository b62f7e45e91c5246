"""The two journeys of issue #12, first as plain functions, then in headless Chromium.

Ministry staff, "who has not reported 2024/25 and why was a file rejected": the Rejected
and Missing figures list those institutions (mouse and keyboard) with why; a matrix cell's
history takes the focus; the issues open with the errors first.

Institution leader: the overview filtered to an institution whose file was rejected says
why; on /compare the institution filter and the focus are one state; the peer table tells
"file rejected" and "not reported" from "no offerings".

Warehouse: tests/dashboard/submissions_fixture.py (CAM's 2024/25 file rejected with two
errors, SFU accepted then rejected, 21 institutions missing; see
tests/dashboard/data/test_submissions_warehouse.py).
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import dash
import pytest
import requests
from dash.testing.wait import until
from layout_tree import find_all, texts
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from submissions_fixture import P24, submissions_warehouse  # noqa: F401  (session fixture)

from dashboard.app import create_app
from dashboard.data import compare
from dashboard.data import overview as queries
from dashboard.data import submissions as sq
from dashboard.data.database import Database
from dashboard.data.filters import Filters
from dashboard.data.state import PeerChoice
from dashboard.settings import DashboardSettings

TIMEOUT = 15


def module_of(path: str):
    (name,) = [n for n, p in dash.page_registry.items() if p["path"] == path]
    return sys.modules[name]


@pytest.fixture(scope="module")
def sapp(submissions_warehouse):  # noqa: F811
    app = create_app(DashboardSettings(db_path=Path(submissions_warehouse.db_path)))
    assert app.server.test_client().get("/_dash-dependencies").status_code == 200
    return app


@pytest.fixture
def sdb(submissions_warehouse):  # noqa: F811
    return Database(submissions_warehouse.db_path).reader()


@pytest.fixture
def svocab(sdb):
    return sq.page_vocabulary(sdb, queries.vocabulary(sdb))


def parse(query, vocab) -> Filters:
    return Filters.parse(query, vocab, strict=True)[0]


# --- as plain functions ------------------------------------------------------------------------


def test_not_reported_says_which_file_was_rejected_and_why(sdb, svocab):
    frame = sq.not_reported(sdb, parse("period=2024/25", svocab), P24)
    assert len(frame) == 22  # 1 rejected + 21 missing
    cam = frame.set_index("institution_code").loc["CAM"]
    assert cam.status == "rejected" and cam.file_name == "cam_2024-25.csv" and int(cam.errors) == 2
    assert "SUM" in cam.first_error  # the first error, by row
    assert "SFU" not in set(frame.institution_code)  # its accepted file stays current


def test_the_rejected_list_names_the_file_the_error_and_a_way_to_the_cell(sapp, sdb, svocab):
    page = module_of("/submissions")
    shown = page.build_status_list(sdb, parse("period=2024/25", svocab), svocab, "rejected")
    words = " ".join(texts(shown))
    assert "Rejected for 2024/25: 1 institution" in words
    assert "Camosun College's 2024/25 file (cam_2024-25.csv) was rejected on" in words
    assert "(and 1 more error)" in words
    (button,) = find_all(shown, lambda c: isinstance(getattr(c, "id", None), dict))
    assert button.id == {"type": "status-list-cell", "cell": "CAM_2024/25"}
    missing = page.build_status_list(sdb, parse("period=2024/25", svocab), svocab, "missing")
    assert "Missing for 2024/25: 21 institutions" in texts(missing)[0]
    assert page.build_status_list(sdb, parse("", svocab), svocab, None) is None
    # the same figure again closes the list; the other one switches to it
    assert page.listed_kind("kpi-rejected", "rejected") is None
    assert page.listed_kind("kpi-missing", "rejected") == "missing"
    assert page.listed_kind({"type": "filter", "name": "sector"}, "missing") == "missing"
    assert page.scope_for_click({"type": "status-list-cell", "cell": "CAM_2024/25"}, 1)[0] == "CAM_2024/25"


def test_issues_open_with_the_errors_first(sapp, sdb, svocab):
    page = module_of("/submissions")
    out = page.build_issues(sdb, parse("period=2024/25", svocab), svocab, limit=3)
    severities = [r["severity"] for r in out.rows]
    assert severities[:2] == ["error", "error"], severities  # CAM's two errors, before any warning
    assert "Showing 3 of" in out.caption


def test_the_overview_filtered_to_a_rejected_institution_says_why(sdb, svocab):
    overview = module_of("/")
    vocab = queries.vocabulary(sdb)
    note, names = overview.reporting_note(sdb, Filters.parse("period=2024/25&institution=CAM", vocab)[0])
    words = " ".join(texts(note))
    assert names == ["Camosun College"]
    assert "Camosun College's 2024/25 file (cam_2024-25.csv) was rejected on" in words
    assert "No offerings match" not in words
    out = overview.build_overview(sdb, Filters.parse("period=2024/25&institution=CAM", vocab)[0], "offerings", vocab)
    assert "nothing accepted for 2024/25" in " ".join(texts(out.targets_panel))
    assert overview.reporting_note(sdb, Filters.parse("period=2024/25&institution=BCIT", vocab)[0])[0] is None


def test_the_peer_table_tells_rejected_and_missing_from_no_offerings(sdb, svocab):
    vocab = queries.vocabulary(sdb)
    c = compare.comparison(sdb, parse("period=2024/25", vocab), "BCIT", PeerChoice("all"), vocab)
    notes = dict(zip(c.table.code, c.table.note))
    assert notes["CAM"] == "file rejected"
    assert notes["KPU"] == "not reported"
    c = compare.comparison(sdb, parse("period=2024/25&type=pathway", vocab), "BCIT", PeerChoice("all"), vocab)
    notes = dict(zip(c.table.code, c.table.note))
    assert notes["SFU"] == "no offerings"  # accepted, but none of its offerings is a pathway
    assert notes["BCIT"] == "focus; no offerings"


# --- in the browser ----------------------------------------------------------------------------


def active_inside(driver, selector: str) -> bool:
    return driver.execute_script(
        "const box = document.querySelector(arguments[0]); return !!box && box.contains(document.activeElement);",
        selector,
    )


def focus_in_view(driver) -> bool:
    return driver.execute_script(
        "const r = document.activeElement.getBoundingClientRect();"
        "return r.top >= -2 && r.bottom <= window.innerHeight + 2;"
    )


def click(driver, element):
    # instant: Bootstrap makes scrolling smooth, and a click mid-scroll lands elsewhere
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def grid_on_screen(driver, grid_id: str) -> tuple[list[str], list[dict[str, str]]]:
    """(column headings, rows as {heading: text}) of a grid as the screen shows them, in its order."""
    headings, cells = driver.execute_script(
        """const grid = document.getElementById(arguments[0]);
        const byIndex = (a, b) => (+a.getAttribute(arguments[1])) - (+b.getAttribute(arguments[1]));
        const heads = Array.from(grid.querySelectorAll('.ag-header-cell[aria-colindex]'));
        heads.sort((a, b) => +a.getAttribute('aria-colindex') - +b.getAttribute('aria-colindex'));
        const rows = Array.from(grid.querySelectorAll('.ag-center-cols-container .ag-row'));
        rows.sort((a, b) => +a.getAttribute('row-index') - +b.getAttribute('row-index'));
        return [heads.map(h => [h.getAttribute('col-id'), h.querySelector('.ag-header-cell-text').innerText.trim()]),
                rows.map(r => Object.fromEntries(Array.from(r.querySelectorAll('.ag-cell'))
                    .map(c => [c.getAttribute('col-id'), c.innerText.trim()])))];""",
        grid_id,
    )
    names = dict(headings)
    return [h for _, h in headings], [{names[k]: v for k, v in row.items()} for row in cells]


@pytest.mark.browser
def test_ministry_journey_who_has_not_reported_and_why(dash_duo, sapp):
    dash_duo.start_server(sapp)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/submissions?period=2024/25")
    dash_duo.wait_for_text_to_equal("#kpi-rejected", "1", timeout=TIMEOUT)
    driver = dash_duo.driver

    # the Rejected figure, by keyboard: focus it, Enter
    rejected = dash_duo.find_element("#kpi-rejected")
    assert rejected.tag_name == "button"
    driver.execute_script("arguments[0].focus()", rejected)
    rejected.send_keys(Keys.ENTER)
    dash_duo.wait_for_contains_text("#submissions-status-list", "Rejected for 2024/25: 1 institution", TIMEOUT)
    assert "cam_2024-25.csv" in dash_duo.find_element("#submissions-status-list").text
    until(lambda: active_inside(driver, "#submissions-status-list"), TIMEOUT, msg="focus did not move to the list")
    assert rejected.get_attribute("aria-expanded") == "true"

    # Missing, by mouse
    click(driver, dash_duo.find_element("#kpi-missing"))
    dash_duo.wait_for_contains_text("#submissions-status-list", "Missing for 2024/25: 21 institutions", TIMEOUT)

    # a matrix cell: the history opens and takes the focus, in view
    cell = next(
        b
        for b in dash_duo.find_elements(".matrix-cell")
        if b.get_attribute("title").startswith("Camosun College, 2024/25")
    )
    click(driver, cell)
    dash_duo.wait_for_contains_text("#submission-history", "Submission history: Camosun College (CAM)", TIMEOUT)
    until(lambda: active_inside(driver, "#submission-history"), TIMEOUT, msg="focus did not move to the history")
    assert focus_in_view(driver)
    # and back to the cell
    click(driver, driver.find_element(By.CSS_SELECTOR, "#submission-history .focus-selected-cell"))
    until(
        lambda: driver.execute_script("return document.activeElement.title || ''").startswith(
            "Camosun College, 2024/25"
        ),
        TIMEOUT,
        msg="focus did not return to the cell",
    )

    # the issues of the year open with the errors first
    click(driver, driver.find_element(By.ID, "issues-all-period"))
    dash_duo.wait_for_contains_text("#issues-caption", "issues", TIMEOUT)
    until(lambda: dash_duo.find_elements("#issues-grid .ag-row"), TIMEOUT)
    first = dash_duo.find_elements("#issues-grid .ag-center-cols-container .ag-row[row-index='0']")
    assert first and "error" in first[0].text


@pytest.mark.browser
def test_institution_leader_journey_one_institution_across_pages(dash_duo, sapp):
    dash_duo.start_server(sapp)
    driver = dash_duo.driver
    # the overview filtered to an institution whose file was rejected says why
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/?period=2024/25&institution=CAM")
    dash_duo.wait_for_contains_text("#overview-reporting", "Camosun College's 2024/25 file", TIMEOUT)
    assert "was rejected on" in dash_duo.find_element("#overview-reporting").text

    # the nav carries the institution into /compare as the focus
    next(a for a in driver.find_elements(By.CSS_SELECTOR, "a.nav-link") if a.text == "Compare").click()
    until(lambda: "/compare" in driver.current_url, TIMEOUT)
    dash_duo.wait_for_contains_text("#compare-heading", "Camosun College", TIMEOUT)
    # the peer table says why an institution has nothing (here the focus itself)
    dash_duo.wait_for_contains_text("#compare-peers-grid", "file rejected", TIMEOUT)

    # choosing another focus moves the institution filter with it: one state, in the URL
    driver.execute_script(
        "window.dash_clientside.set_props({type: 'urlparam', name: 'focus', default: ''}, {value: 'BCIT'})"
    )
    dash_duo.wait_for_contains_text("#compare-heading", "British Columbia Institute of Technology", TIMEOUT)
    until(lambda: "institution=BCIT" in driver.current_url, TIMEOUT, msg=driver.current_url)
    assert "focus=BCIT" in driver.current_url
    dash_duo.wait_for_contains_text("#compare-peers-grid", "not reported", TIMEOUT)  # its sector peers

    # sorted by a click on a heading, the download holds the table as shown: its columns, its rows, its order
    _, unsorted = grid_on_screen(driver, "compare-peers-grid")
    heading = dash_duo.find_element('#compare-peers-grid .ag-header-cell[col-id="offerings"] .ag-header-cell-label')
    click(driver, heading)
    link = dash_duo.find_element("#compare-peers-download")
    until(lambda: "sort=offerings%3Aasc" in (link.get_attribute("href") or ""), TIMEOUT, msg="the link's sort")
    shown_headings, shown_rows = grid_on_screen(driver, "compare-peers-grid")
    header, *rows = csv.reader(
        io.StringIO(
            requests.get(link.get_attribute("href") + "&headers=labels", timeout=TIMEOUT).content.decode("utf-8-sig")
        )
    )
    assert header == shown_headings  # the grid's columns, as headed on screen, and no more
    offerings = [int(r["Offerings"].replace(",", "")) for r in shown_rows]
    assert offerings == sorted(offerings) and len(rows) == len(shown_rows) >= 3
    assert [r["Code"] for r in shown_rows] != [r["Code"] for r in unsorted]  # the click did reorder it
    for got, shown in zip(rows, shown_rows, strict=True):  # the same rows in the same order
        for name in ("Institution", "Code", "Sector", "Region", "Offerings", "Note"):
            assert got[header.index(name)] == shown[name].replace(",", ""), (name, got, shown)

    # and the other way: exactly one institution chosen in the filter becomes the focus
    driver.execute_script("window.dash_clientside.set_props({type: 'filter', name: 'institution'}, {value: ['UBC']})")
    dash_duo.wait_for_contains_text("#compare-heading", "University of British Columbia", TIMEOUT)
    until(lambda: "focus=UBC" in driver.current_url, TIMEOUT, msg=driver.current_url)
    assert dash_duo.get_logs() == []
