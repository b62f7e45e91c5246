"""WCAG 2.1 AA, checked by axe-core in headless Chromium on every page of the dashboard.

axe-core comes from the npm registry (package.json / package-lock.json at the top of the
repository; `make system-deps` runs `npm ci`). Each test opens one page of the fixture
warehouse (conftest.py) at one window size, runs axe with the WCAG 2.0/2.1 A and AA rules
(``wcag2a``, ``wcag2aa``, ``wcag21a``, ``wcag21aa``) on the page as it loads, with a
dropdown open, with a chart shown as a table (overview, compare), and on /submissions with a
matrix cell selected and the missing institutions listed, and asserts that no rule
is violated in any of these states. A failure lists each violation: the rule, its help
text, and the first few elements with axe's own summary of what is wrong.

On a phone-sized window the page must not scroll sideways either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TIMEOUT = 15
SIZES = {"desktop": (1366, 768), "phone": (390, 844)}
# page -> (path, an element that is there once the page's callbacks have filled it in)
PAGES = {
    "overview": ("/", "#kpi-offerings"),
    "compare": ("/compare?focus=BCIT", "#compare-scorecard-table"),
    "explore": ("/explore", "#explore-count"),
    "submissions": ("/submissions", ".matrix-cell"),
    # the overview filtered to an institution whose file was rejected: the note that says why
    "overview-rejected": ("/?period=2024/25&institution=CAPU", "#overview-reporting-note"),
}
# (page, size) -> the axe rule ids still violated there: an xfail (strict) that must be
# removed once the page passes.
KNOWN: dict[tuple[str, str], list[str]] = {}
# pages that still scroll sideways on a phone (strict xfail, as above)
SCROLLS_SIDEWAYS: set[str] = set()


def axe_violations(driver, within: str | None = None) -> list[dict]:
    """axe.run over the whole document (or the element ``within`` selects) with the WCAG 2.0/2.1 A and AA rules,
    once the page's finite CSS transitions and animations have ended (at most 2 s): a link caught
    mid-fade after a click (Bootstrap's 0.15 s) measured 3.6:1 on its way to its settled colours."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    result = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        const finite = document.getAnimations().filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity);
        const settled = Promise.race([
            Promise.all(finite.map(a => a.finished.catch(() => null))),
            new Promise(resolve => setTimeout(resolve, 2000)),
        ]);
        settled.then(() => axe.run(arguments[1] || document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']}))
            .then(r => done(JSON.stringify(r.violations)))
            .catch(e => done(JSON.stringify({error: String(e)})));
        """,
        TAGS,
        within,
    )
    violations = json.loads(result)
    if isinstance(violations, dict):
        raise AssertionError(f"axe failed: {violations['error']}")
    return violations


def describe(state: str, violations: list[dict]) -> str:
    """Violations as a person reads them: rule, impact, help, the first nodes and why."""
    lines = []
    for v in violations:
        lines.append(f"[{state}] {v['id']} ({v.get('impact')}, {len(v['nodes'])} nodes): {v['help']}")
        for node in v["nodes"][:3]:
            target = " ".join(json.dumps(t) if not isinstance(t, str) else t for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary[:300]}")
    return "\n".join(lines)


# An AG Grid draws itself after its lazily loaded chunk arrives: until then its header rows are
# empty (axe: aria-required-children) and its viewport holds nothing focusable; a grid whose rows
# or columns a callback has just replaced redraws its header rows too (seen once under load, both
# the pinned and the centre row empty). A page has settled when every grid on it has drawn its
# column headers and each header row it shows has its cells.
GRIDS_DRAWN = (
    "return Array.from(document.querySelectorAll('.ag-root-wrapper')).every(g =>"
    " g.querySelector('.ag-header-container .ag-header-cell') &&"
    " Array.from(g.querySelectorAll('.ag-header-row-column'))"
    ".every(r => r.offsetWidth === 0 || r.querySelector('.ag-header-cell')))"
)


def settle(duo, selector: str) -> None:
    duo.wait_for_element(selector, timeout=TIMEOUT)
    until(
        lambda: (
            duo.driver.execute_script(
                "return !document.querySelector('[data-dash-is-loading=\"true\"]') && document.readyState === 'complete'"
            )
            and duo.driver.execute_script(GRIDS_DRAWN)
        ),
        TIMEOUT,
        msg="the page kept loading",
    )


def open_a_dropdown(duo) -> None:
    """Open the first dropdown on the page (a filter) and wait for its options."""
    toggle = duo.driver.find_elements(By.CSS_SELECTOR, ".dash-dropdown")[0]
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", toggle)
    toggle.click()
    until(lambda: duo.driver.find_elements(By.CSS_SELECTOR, "[role=option]"), TIMEOUT, msg="no dropdown options")


def close_dropdown(duo) -> None:
    duo.driver.switch_to.active_element.send_keys(Keys.ESCAPE)


def select_a_cell(duo) -> None:
    cell = duo.driver.find_elements(By.CSS_SELECTOR, ".matrix-cell")[0]
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", cell)
    cell.click()
    duo.wait_for_contains_text("#submission-history", "Submission history", timeout=TIMEOUT)


def open_the_missing_list(duo) -> None:
    figure = duo.find_element("#kpi-missing")
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", figure)
    figure.click()
    duo.wait_for_contains_text("#submissions-status-list", "Missing for", timeout=TIMEOUT)
    settle(duo, "#submissions-status-list")


def open_a_chart_table(duo) -> None:
    """Open the first chart's "Show as table" and wait for its rows."""
    summary = duo.driver.find_elements(By.CSS_SELECTOR, ".chart-table-box summary")[0]
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", summary)
    summary.click()
    until(lambda: duo.driver.find_elements(By.CSS_SELECTOR, ".chart-table-box[open] .chart-table > *"), TIMEOUT)


def case(page: str, size: str):
    known = KNOWN.get((page, size))
    marks = [pytest.mark.xfail(strict=True, reason=f"axe: {', '.join(known)}")] if known else []
    return pytest.param(page, size, id=f"{page}-{size}", marks=marks)


@pytest.mark.parametrize(("page", "size"), [case(p, s) for p in PAGES for s in SIZES])
def test_no_wcag_violation(dash_duo, app_factory, db_path, page, size):
    assert AXE.exists(), "axe-core is missing: run `make system-deps` (npm ci)"
    path, ready = PAGES[page]
    dash_duo.start_server(app_factory(db_path))
    dash_duo.driver.set_window_size(*SIZES[size])
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
    settle(dash_duo, ready)
    found = {"loaded": axe_violations(dash_duo.driver)}
    open_a_dropdown(dash_duo)
    found["dropdown open"] = axe_violations(dash_duo.driver)
    close_dropdown(dash_duo)
    if page == "submissions":
        select_a_cell(dash_duo)
        settle(dash_duo, "#submission-history")
        found["cell selected"] = axe_violations(dash_duo.driver)
        open_the_missing_list(dash_duo)
        found["missing institutions listed"] = axe_violations(dash_duo.driver)
    if page in ("overview", "compare", "overview-rejected"):
        open_a_chart_table(dash_duo)
        found["chart shown as a table"] = axe_violations(dash_duo.driver)
    report = "\n".join(describe(state, v) for state, v in found.items() if v)
    rules = sorted({v["id"] for vs in found.values() for v in vs})
    assert not rules, f"{page} at {size} violates {rules}:\n{report}"


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(
            p, marks=[pytest.mark.xfail(strict=True, reason="scrolls sideways")] if p in SCROLLS_SIDEWAYS else []
        )
        for p in PAGES
    ],
)
def test_a_phone_never_scrolls_sideways(dash_duo, app_factory, db_path, page):
    path, ready = PAGES[page]
    dash_duo.start_server(app_factory(db_path))
    dash_duo.driver.set_window_size(*SIZES["phone"])
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}{path}")
    settle(dash_duo, ready)
    inner = dash_duo.driver.execute_script("return window.innerWidth")
    assert inner <= 400, f"the window did not become phone-sized (innerWidth {inner})"
    widths = dash_duo.driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth, "
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > "
        "window.innerWidth + 1 && !e.closest('.table-responsive, .js-plotly-plot, .dash-table-container, "
        ".ag-root-wrapper, [style*=\"overflow\"]')).slice(0, 5).map(e => e.tagName + '.' + e.className)]"
    )
    scroll_width, inner_width, wide = widths
    assert scroll_width <= inner_width, f"{page} scrolls sideways: {scroll_width} > {inner_width}; too wide: {wide}"


def test_a_grid_shows_its_cells_when_ag_grid_leaves_them_hidden(dash_duo, app_factory, db_path):
    """AG Grid 35 can leave ``ag-delay-render`` on a grid (seen on a phone, /submissions' issues
    grid, about one load in five): its rule hides every header and cell. assets/style.css shows
    them whatever that class says."""
    dash_duo.start_server(app_factory(db_path))
    dash_duo.driver.set_window_size(*SIZES["phone"])
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/submissions")
    settle(dash_duo, ".matrix-cell")
    hidden = dash_duo.driver.execute_script(
        "document.querySelectorAll('.ag-root').forEach(r => r.classList.add('ag-delay-render'));"
        "const cells = document.querySelectorAll('.ag-root .ag-header-cell, .ag-root .ag-cell, .ag-root .ag-row');"
        "return [cells.length, Array.from(cells).filter(c => getComputedStyle(c).visibility !== 'visible').length]"
    )
    assert hidden[0] > 0, "the page drew no grid cells"
    assert hidden[1] == 0, f"{hidden[1]} of {hidden[0]} grid cells are hidden under ag-delay-render"


def test_a_table_that_scrolls_sideways_is_a_named_region_that_takes_focus(dash_duo, app_factory, db_path):
    """assets/a11y.js: the status matrix scrolls sideways on a phone, so it takes keyboard focus
    as a named region; widened to a desktop it no longer scrolls, and the region goes."""
    dash_duo.start_server(app_factory(db_path))
    dash_duo.driver.set_window_size(*SIZES["phone"])
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/submissions")
    settle(dash_duo, ".matrix-cell")
    box = "const b = document.querySelector('.matrix-scroll'); return [b.scrollWidth > b.clientWidth, b.getAttribute('tabindex'), b.getAttribute('role'), b.getAttribute('aria-label')]"
    until(lambda: dash_duo.driver.execute_script(box)[1] == "0", TIMEOUT, msg="the matrix never took focus")
    scrolls, tabindex, role, label = dash_duo.driver.execute_script(box)
    assert scrolls and tabindex == "0" and role == "region" and "scrolls sideways" in label
    dash_duo.driver.set_window_size(*SIZES["desktop"])
    until(lambda: dash_duo.driver.execute_script(box)[1] is None, TIMEOUT, msg="the region stayed on a desktop")
    assert dash_duo.driver.execute_script(box)[0] is False


def test_the_scroll_observer_lets_go_of_tables_a_re_render_removed(dash_duo, app_factory, db_path):
    """assets/a11y.js observes each sideways-scrolling box and its table; the status matrix is
    a new table after every filter change, and the old ones must not stay observed (a leak)."""
    dash_duo.start_server(app_factory(db_path))
    dash_duo.driver.set_window_size(*SIZES["phone"])
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/submissions")
    settle(dash_duo, ".matrix-cell")
    new_table = "const t = document.querySelector('#status-matrix-table'); return !!t && !t.mcredOld"
    for sector in (["college"], ["university"], []):
        dash_duo.driver.execute_script("document.querySelector('#status-matrix-table').mcredOld = true")
        dash_duo.driver.execute_script(
            "window.dash_clientside.set_props({type: 'filter', name: 'sector'}, {value: arguments[0]})", sector
        )
        until(lambda: dash_duo.driver.execute_script(new_table), TIMEOUT, msg="the matrix was not drawn anew")
        settle(dash_duo, ".matrix-cell")
    assert dash_duo.driver.execute_script("return window.mcredObservedTables().length") >= 2  # box and table
    until(
        lambda: dash_duo.driver.execute_script("return window.mcredObservedTables().every(e => e.isConnected)"),
        TIMEOUT,
        msg="removed tables are still observed",
    )
