"""The submissions page: its builders and callbacks called as plain functions, then the
page in headless Chromium (click a cell, see its history, download its issues), against
the warehouse of test_submissions_warehouse.py (loaded from real files)."""

from __future__ import annotations

import csv
import io
import sys
import time
import urllib.request
from pathlib import Path

import dash
import pytest
from dash import dcc, html
from dash.development.base_component import Component
from layout_tree import elements, find_all, texts
from submissions_fixture import P23, P24, submissions_warehouse  # noqa: F401  (session fixture)

from dashboard import theme
from dashboard.app import create_app
from dashboard.data import overview as queries
from dashboard.data import submissions as sq
from dashboard.data.database import Database
from dashboard.data.filters import Filters
from dashboard.settings import DashboardSettings


def new_app(db_path: Path) -> dash.Dash:
    """An app that owns its page callbacks: Dash re-executes the pages for every app and the
    first app to serve a request takes the process-wide callback list, so serve one at once."""
    app = create_app(DashboardSettings(db_path=Path(db_path)))
    assert app.server.test_client().get("/_dash-dependencies").status_code == 200
    return app


def page_module():
    (name,) = [n for n, p in dash.page_registry.items() if p["path"] == "/submissions"]
    return sys.modules[name]


@pytest.fixture(scope="module")
def sapp(submissions_warehouse):  # noqa: F811
    return new_app(submissions_warehouse.db_path)


@pytest.fixture(scope="module")
def page(sapp):
    return page_module()


@pytest.fixture
def sdb(submissions_warehouse):  # noqa: F811
    return Database(submissions_warehouse.db_path).reader()


@pytest.fixture
def svocab(sdb):
    return sq.page_vocabulary(sdb, queries.vocabulary(sdb))


def parse(query, vocab) -> Filters:
    return Filters.parse(query, vocab, strict=True)[0]


def matrix_cells(table) -> dict:
    """The matrix's clickable cells (buttons of its HTML) by their data-cell."""
    return {b.attrs["data-cell"]: b for b in elements(table, "button") if "data-cell" in b.attrs}


# --- builders --------------------------------------------------------------------------------


def test_status_of_the_latest_year(page, sdb, svocab):
    out = page.build_status(sdb, parse("", svocab), svocab)
    assert out.period_title == "Fiscal year 2024/25 · reporting deadline Jun 30, 2099"
    assert out.kpis == ["3", "3", "1", "1", "21"]
    assert out.notes[0] == "of 25 institutions (2 accepted, 1 partial)"
    assert out.notes[1] == "of 3 reported by Jun 30, 2099"
    assert out.notes[3] == "sent files, none accepted" and out.notes[4] == "no file at all"
    assert out.compliance_title == "Compliance flags, 2024/25"
    out = page.build_status(sdb, parse("period=all", svocab), svocab)
    assert out.period_title == "Fiscal year 2024/25 · reporting deadline Jun 30, 2099 (the latest year)"
    assert out.kpis == ["3", "3", "1", "1", "21"]
    out = page.build_status(sdb, parse("period=2023/24,2024/25", svocab), svocab)
    assert out.period_title.endswith("(the latest of the selected years)")


def test_status_of_a_year_whose_deadline_passed(page, sdb, svocab):
    out = page.build_status(sdb, parse("period=2023/24", svocab), svocab)
    assert out.period_title == "Fiscal year 2023/24 · reporting deadline Jun 30, 2024"
    assert out.kpis == ["1", "0", "0", "0", "24"]
    assert out.notes[1] == "of 1 reported by Jun 30, 2024; 1 late"
    assert out.notes[4] == "no file at all; deadline passed"


def test_matrix_cells_say_their_state_in_words_marks_and_colour(page, sdb, svocab):
    out = page.build_status(sdb, parse("", svocab), svocab, cell="CAM_2024/25")
    # one component for the whole matrix (dashboard.views.markup), its cells in its HTML
    assert isinstance(out.matrix, dcc.Markdown) and find_all(out.matrix, Component) == [out.matrix]
    cells = matrix_cells(out.matrix)
    assert len(cells) == 25 * 2

    def state(key):
        b = cells[key]
        return texts(b), b.className, b.style["backgroundColor"]

    words, cls, colour = state("CAM_2024/25")
    assert words == [f"{theme.STATUS_MARKS['rejected']} Rejected", "1 file, 0 rows"]
    assert cls == "matrix-cell status-rejected selected" and colour == theme.STATUS_COLOURS["rejected"]
    words, cls, colour = state("UBC_2024/25")
    assert words == [f"{theme.STATUS_MARKS['partial']} Partial", "2 rows"] and colour == theme.STATUS_COLOURS["partial"]
    words, _, colour = state("BCIT_2024/25")  # superseded draft: two files, the final one in use
    assert words == ["✓ Accepted", "3 rows", "2 files"] and colour == theme.STATUS_COLOURS["accepted"]
    assert "the latest accepted one is in use" in cells["BCIT_2024/25"].title
    assert state("SFU_2024/25")[0] == ["✓ Accepted", "2 rows", "2 files"]
    assert state("BCIT_2023/24")[0] == ["✓ Accepted", "1 row", "late"]
    assert "loaded after the deadline (Jun 30, 2024)" in cells["BCIT_2023/24"].title
    words, cls, colour = state("KPU_2024/25")
    assert words == ["– Missing", "no file"] and cls == "matrix-cell status-missing"
    assert colour == theme.STATUS_COLOURS["missing"]
    assert state("KPU_2023/24")[0] == ["– Missing", "no file", "overdue"]
    # a cell's name is its visible words (WCAG 2.5.3); its title (read as its description)
    # names the institution, year and state for screen readers
    props = cells["KPU_2023/24"].attrs
    assert "aria-label" not in props and props["type"] == "button"
    assert props["title"].startswith("Kwantlen Polytechnic University, 2023/24: missing")
    # rows grouped by sector, in the reference order; the selected year is marked
    sectors = [c for c in elements(out.matrix, "th") if c.className == "matrix-sector"]
    assert [texts(s)[0] for s in sectors] == ["Research university", "Teaching university", "College", "Institute"]
    heads = [c for c in elements(out.matrix, "th") if "matrix-period" in (c.className or "")]
    assert [(texts(h)[0], "selected" in h.className) for h in heads] == [(P23, False), (P24, True)]


def test_matrix_follows_location_filters_and_says_when_empty(page, sdb, svocab):
    out = page.build_status(sdb, parse("sector=institute", svocab), svocab)
    assert sorted(matrix_cells(out.matrix)) == sorted(f"{c}_{p}" for c in ("BCIT", "JIBC", "NVIT") for p in (P23, P24))
    assert out.kpis == ["1", "1", "0", "0", "2"] and out.notes[0] == "of 3 institutions"
    out = page.build_status(sdb, parse("institution=CAM,UBC", svocab), svocab)
    assert sorted(matrix_cells(out.matrix)) == sorted(f"{c}_{p}" for c in ("CAM", "UBC") for p in (P23, P24))
    assert out.kpis == ["1", "1", "1", "1", "0"] and out.notes[0] == "of 2 institutions (0 accepted, 1 partial)"
    empty = page.matrix_table(
        sq.status_matrix(sdb, parse("", svocab)).iloc[0:0],
        sq.selected_institutions(sdb, parse("", svocab)),
        [],
        svocab,
        None,
    )
    assert "No submissions have been loaded yet" in texts(empty)[0]


def test_compliance_table(page, sdb, svocab):
    out = page.build_status(sdb, parse("", svocab), svocab)
    rows = find_all(out.compliance, lambda c: isinstance(c, html.Tr))
    assert [texts(r) for r in rows] == [
        ["Institution", "Offerings", "288 hours or more", "No assessment", "No partner"],
        ["The University of British Columbia", "2", "0", "0", "0"],
        ["Simon Fraser University", "2", "0", "0", "0"],
        ["British Columbia Institute of Technology", "3", "1 (33.3%)", "1 (33.3%)", "1 (33.3%)"],
        ["All selected institutions", "7", "1 (14.3%)", "1 (14.3%)", "1 (14.3%)"],
    ]
    out = page.build_status(sdb, parse("type=pathway", svocab), svocab)
    assert "No current offerings" in texts(out.compliance)[0]


def test_history_panel(page, sdb, svocab):
    frame = sq.submission_history(sdb, "BCIT", P24)
    final, draft = (int(i) for i in frame.submission_id)
    panel = page.history_panel(frame, "BCIT", P24, svocab, selected_submission=final)
    assert texts(panel[0]) == [
        "Submission history: British Columbia Institute of Technology (BCIT), 2024/25",
        "Back to the reporting table",
    ]
    rows = find_all(panel, lambda c: isinstance(c, html.Tr))[1:]
    first, second = (texts(r) for r in rows)
    assert first[:2] == [f"#{final}", "bcit_2024-25.csv"]
    assert "in use" in first and "Accepted" in first and first[-6:] == ["3", "0", "0", "3", "", "Issues"]
    assert second[:2] == [f"#{draft}", "bcit_2024-25_draft.csv"]
    assert f"#{final}" in second[-3:]  # superseded by the final file
    assert rows[0].className == "table-active" and rows[1].className is None
    sha = find_all(rows[0], lambda c: isinstance(c, html.Code))[0]
    assert len(sha.title) == 64
    late = page.history_panel(sq.submission_history(sdb, "BCIT", P23), "BCIT", P23, svocab)
    assert "late" in texts(late) and "Deadline Jun 30, 2024." in texts(late)[2]
    none = page.history_panel(sq.submission_history(sdb, "KPU", P24), "KPU", P24, svocab)
    assert texts(none)[-1] == "Kwantlen Polytechnic University has not sent a file for 2024/25."


def test_issues_for_the_year_a_cell_and_a_submission(page, sdb, svocab):
    out = page.build_issues(sdb, parse("", svocab), svocab)
    assert out.title == "Issues in each institution's most recent file for 2024/25"
    assert out.caption == "All 8 issues (5 errors, 3 warnings)."
    assert out.csv_href == "/export/issues.csv?period=2024/25"
    assert out.xlsx_href == "/export/issues.xlsx?period=2024/25"
    assert [c["value"] for c in out.columns] == sorted(c["value"] for c in out.columns)
    out = page.build_issues(sdb, parse("sector=college", svocab), svocab, severity="error", column="mc_type")
    assert [(r["institution_code"], r["row"], r["value"]) for r in out.rows] == [("CAM", 2, "=SUM(1+1)")]
    assert out.csv_href == "/export/issues.csv?sector=college&period=2024/25&severity=error&column=mc_type"
    cam = sq.latest_submission(sdb, "CAM", P24)
    out = page.build_issues(sdb, parse("", svocab), svocab, cell="CAM_2024/25")
    assert out.title == f"Issues in CAM's most recent file for 2024/25: cam_2024-25.csv (#{cam})"
    assert out.csv_href == f"/export/issues.csv?submission={cam}"
    assert [r["row"] for r in out.rows] == [2, 3]
    draft = int(sq.submission_history(sdb, "BCIT", P24).iloc[1].submission_id)
    out = page.build_issues(sdb, parse("", svocab), svocab, cell="BCIT_2024/25", submission=str(draft))
    assert out.title == f"Issues in submission #{draft}: bcit_2024-25_draft.csv (BCIT, 2024/25)"
    assert out.caption == "1 issue (0 errors, 1 warning)."
    out = page.build_issues(sdb, parse("", svocab), svocab, cell="KPU_2024/25")
    assert out.title == "No file from KPU for 2024/25, so no issues" and out.rows == []
    assert out.csv_href == "#"
    out = page.build_issues(sdb, parse("", svocab), svocab, limit=3)
    assert out.caption == "Showing 3 of 8 issues (5 errors, 3 warnings); download for the full list."
    assert len(out.rows) == 3
    out = page.build_issues(sdb, parse("", svocab), svocab, column="title")
    assert out.caption == "No issues match." and out.rows == []


def test_clicks_choose_the_scope(page):
    no = dash.no_update
    click = {"cell": "CAM_2024/25", "at": 1}
    assert page.scope_for_click("matrix-click", click) == ("CAM_2024/25", "", None)
    assert page.scope_for_click({"type": "status-list-cell", "cell": "KPU_2024/25"}, 1) == ("KPU_2024/25", "", None)
    assert page.scope_for_click({"type": "history-issues", "submission": 7}, 2) == (no, "7", None)
    assert page.scope_for_click("issues-all-period", 1) == ("", "", None)
    assert page.scope_for_click("matrix-click", None) == (no, no, no)  # the store's first render
    # what a crafted request could send as the store's data: nothing happens
    for junk in ({"cell": 5}, {"cell": ["x"]}, ["CAM_2024/25"], "CAM_2024/25", {"at": 3}):
        assert page.scope_for_click("matrix-click", junk) == (no, no, no), junk
    assert page.scope_for_click(None, None) == (no, no, no)


def test_layout_reads_its_state_from_the_url(page, sapp):
    with sapp.server.test_request_context("/submissions"):
        tree = page.layout(period="2023-24", cell="BCIT_2023/24", submission="3", severity="error", column="title")
        values = {
            (c.id["name"] if isinstance(c.id, dict) else c.id): getattr(c, "value", None)
            for c in find_all(
                tree, lambda c: isinstance(getattr(c, "id", None), dict) and c.id.get("type") in ("urlparam", "filter")
            )
        }
        assert values["cell"] == "BCIT_2023/24" and values["submission"] == "3"
        assert values["severity"] == "error" and values["column"] == "title" and values["period"] == [P23]
        tree = page.layout(cell="junk", submission="x; drop", severity="fatal")
        values = {
            c.id["name"]: c.value
            for c in find_all(
                tree, lambda c: isinstance(getattr(c, "id", None), dict) and c.id.get("type") == "urlparam"
            )
        }
        assert (values["cell"], values["submission"], values["severity"]) == ("", "", "all")
        assert "Some filters in this link were not recognised" in " ".join(texts(page.layout(period="1999/00")))


def test_page_without_a_warehouse_says_what_to_do(tmp_path):
    app = new_app(tmp_path / "none.duckdb")
    with app.server.test_request_context("/submissions"):
        alert = page_module().layout()
    assert "mcred load" in texts(alert)[0]


def test_page_and_callbacks_answer_over_http(sapp):
    client = sapp.server.test_client()
    assert client.get("/submissions?period=2023/24&cell=BCIT_2023/24").status_code == 200
    deps = client.get("/_dash-dependencies").get_json()
    outputs = " ".join(d["output"] for d in deps)
    for element in (
        "kpi-reported",
        "kpi-rejected",
        "kpi-missing",
        "status-matrix",
        "submission-history",
        "issues-grid",
        "issues-download-csv",
    ):
        assert element in outputs


# --- in the browser --------------------------------------------------------------------------------


def wait_text(dash_duo, selector, words, timeout=10):
    dash_duo.wait_for_contains_text(selector, words, timeout=timeout)


def click(dash_duo, element):
    # instant: Bootstrap makes scrolling smooth, and a click mid-scroll lands elsewhere
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", element)
    element.click()


def cell_button(dash_duo, title_start: str):
    for button in dash_duo.find_elements(".matrix-cell"):
        if button.get_attribute("title").startswith(title_start):
            return button
    raise AssertionError(f"no matrix cell for {title_start}")


@pytest.mark.browser
def test_click_a_cell_see_its_history_and_download_its_issues(dash_duo, submissions_warehouse):  # noqa: F811
    app = new_app(submissions_warehouse.db_path)
    dash_duo.start_server(app)
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/submissions")
    dash_duo.wait_for_text_to_equal("#kpi-reported", "3", timeout=15)
    assert dash_duo.find_element("#kpi-rejected").text == "1"
    assert dash_duo.find_element("#kpi-missing").text == "21"
    wait_text(dash_duo, "#issues-caption", "All 8 issues")

    click(dash_duo, cell_button(dash_duo, "Camosun College, 2024/25"))
    wait_text(dash_duo, "#submission-history", "Submission history: Camosun College (CAM), 2024/25")
    assert "cam_2024-25.csv" in dash_duo.find_element("#submission-history").text
    wait_text(dash_duo, "#issues-caption", "All 2 issues (2 errors, 0 warnings).")
    assert "cell=CAM_2024/25" in dash_duo.driver.current_url
    assert "selected" in cell_button(dash_duo, "Camosun College, 2024/25").get_attribute("class")

    href = dash_duo.find_element("#issues-download-csv").get_attribute("href")
    with urllib.request.urlopen(href) as response:
        assert 'filename="issues_CAM_2024-25_submission-' in response.headers["Content-Disposition"]
        text = response.read().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["row"], r["column"], r["value"]) for r in rows] == [
        ("2", "mc_type", "'=SUM(1+1)"),
        ("3", "delivery_mode", "'@cmd"),
    ]
    href = dash_duo.find_element("#issues-download-xlsx").get_attribute("href")
    with urllib.request.urlopen(href) as response:
        assert response.read(2) == b"PK"

    # a superseded file's own issues, from the history
    click(dash_duo, cell_button(dash_duo, "British Columbia Institute of Technology, 2024/25"))
    wait_text(dash_duo, "#submission-history", "bcit_2024-25_draft.csv")
    # one cell marked at a time (assets/matrix.js follows the page's cell)
    marked = [b.get_attribute("title") for b in dash_duo.find_elements(".matrix-cell.selected")]
    assert [t.split(":")[0] for t in marked] == ["British Columbia Institute of Technology, 2024/25"], marked
    buttons = [b for b in dash_duo.find_elements("#history-table button") if b.text == "Issues"]
    click(dash_duo, buttons[1])
    wait_text(dash_duo, "#issues-title", "bcit_2024-25_draft.csv")
    wait_text(dash_duo, "#issues-caption", "1 issue (0 errors, 1 warning).")
    assert "submission=" in dash_duo.driver.current_url

    # severity is part of the URL too
    for label in dash_duo.find_elements("#issues-title ~ .row label"):
        if label.text == "Errors":
            click(dash_duo, label)
            break
    wait_text(dash_duo, "#issues-caption", "No issues match.")
    time.sleep(0.3)
    assert "severity=error" in dash_duo.driver.current_url
    assert dash_duo.get_logs() == []
