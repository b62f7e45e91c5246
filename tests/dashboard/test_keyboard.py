"""Keyboard paths, in headless Chromium with real key presses (assets/keyboard.js,
assets/chart_tables.js) on the fixture warehouse (conftest.py):

- the reporting matrix is one Tab stop: arrow keys move inside it, Tab leaves it;
- every chart has a "Show as table" whose rows filter the page on Enter, as a bar click does;
- the compare peer grid: arrows inside, Enter on a row makes it the focus, Tab leaves it;
- a filter change is announced (role=status).
"""

from __future__ import annotations

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

pytestmark = pytest.mark.browser
TIMEOUT = 15


def active(driver):
    return driver.switch_to.active_element


def active_matches(driver, selector: str) -> bool:
    return driver.execute_script("return !!document.activeElement.closest(arguments[0])", selector)


def test_the_matrix_is_one_tab_stop_with_arrow_keys_inside(dash_duo, app_factory, db_path):
    dash_duo.start_server(app_factory(db_path))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/submissions")
    dash_duo.wait_for_element(".matrix-cell", timeout=TIMEOUT)
    driver = dash_duo.driver
    until(
        lambda: len(driver.find_elements(By.CSS_SELECTOR, ".matrix-cell[tabindex='0']")) == 1,
        TIMEOUT,
        msg="the matrix is not one Tab stop",
    )
    cells = driver.find_elements(By.CSS_SELECTOR, ".matrix-cell")
    assert len(cells) > 2 and all(c.get_attribute("tabindex") in ("0", "-1") for c in cells)
    first = driver.find_element(By.CSS_SELECTOR, ".matrix-cell[tabindex='0']")
    driver.execute_script("arguments[0].focus()", first)
    start = first.get_attribute("title")
    active(driver).send_keys(Keys.ARROW_DOWN)
    below = active(driver).get_attribute("title")
    assert below != start and "matrix-cell" in active(driver).get_attribute("class")
    assert below.split(",")[1] == start.split(",")[1]  # same fiscal year, next institution
    active(driver).send_keys(Keys.ARROW_UP)
    assert active(driver).get_attribute("title") == start
    active(driver).send_keys(Keys.END)
    assert active(driver).get_attribute("title").split(",")[0] == start.split(",")[0]
    assert active(driver).get_attribute("tabindex") == "0"  # the roving stop follows the focus
    # Tab leaves the matrix at once
    active(driver).send_keys(Keys.TAB)
    assert not active_matches(driver, ".status-matrix")
    # and Enter on a cell opens its history, with the focus there
    driver.execute_script("arguments[0].focus()", first)
    active(driver).send_keys(Keys.ENTER)
    dash_duo.wait_for_contains_text("#submission-history", "Submission history:", timeout=TIMEOUT)
    until(lambda: active_matches(driver, "#submission-history"), TIMEOUT, msg="focus did not move to the history")


def test_a_chart_as_a_table_filters_on_enter_like_a_bar_click(dash_duo, app_factory, db_path):
    dash_duo.start_server(app_factory(db_path))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/")
    dash_duo.wait_for_element("#chart-type .js-plotly-plot", timeout=TIMEOUT)
    driver = dash_duo.driver
    before = dash_duo.find_element("#kpi-offerings").text
    summary = driver.find_element(By.CSS_SELECTOR, "#chart-type ~ .chart-table-box summary")
    driver.execute_script("arguments[0].focus()", summary)
    active(driver).send_keys(Keys.ENTER)  # opens the disclosure, by keyboard
    until(
        lambda: driver.find_elements(By.CSS_SELECTOR, ".chart-table[data-graph='chart-type'] tbody tr"),
        TIMEOUT,
        msg="no table under the chart",
    )
    table = driver.find_element(By.CSS_SELECTOR, ".chart-table[data-graph='chart-type'] table")
    assert table.find_element(By.TAG_NAME, "caption").text.startswith("Offerings by")
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    # the table says what the chart shows: "n (share)" per category
    assert all("%" in r.find_elements(By.TAG_NAME, "td")[0].text for r in rows)
    button = rows[0].find_element(By.CSS_SELECTOR, "button.chart-table-filter")
    label = button.text
    driver.execute_script("arguments[0].focus()", button)
    active(driver).send_keys(Keys.ENTER)
    until(lambda: "type=" in driver.current_url, TIMEOUT, msg=f"Enter on {label!r} set no filter")
    until(lambda: dash_duo.find_element("#kpi-offerings").text != before, TIMEOUT, msg="the figures did not change")
    # announced to a screen reader
    announce = dash_duo.find_element("#overview-announce")
    until(
        lambda: "the filters, at" in (announce.get_attribute("textContent") or ""),
        TIMEOUT,
        msg=f"not announced: {announce.get_attribute('outerHTML')} {dash_duo.get_logs()}",
    )
    # every chart has a name (role=figure) and a table
    graphs = driver.find_elements(By.CSS_SELECTOR, ".dash-graph")
    assert graphs and all(g.get_attribute("role") == "figure" and g.get_attribute("aria-label") for g in graphs)
    assert len(driver.find_elements(By.CSS_SELECTOR, ".chart-table[data-graph]")) == len(graphs)


def test_the_peer_grid_enter_chooses_a_row_and_tab_leaves(dash_duo, app_factory, db_path):
    dash_duo.start_server(app_factory(db_path))
    dash_duo.wait_for_page(url=f"{dash_duo.server_url}/compare?focus=BCIT&peers=all")
    dash_duo.wait_for_element("#compare-peers-grid .ag-row", timeout=TIMEOUT)
    driver = dash_duo.driver
    cell = driver.find_element(By.CSS_SELECTOR, "#compare-peers-grid .ag-row[row-index='1'] .ag-cell[col-id='name']")
    other = cell.text
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", cell)
    cell.click()  # focuses the cell (and chooses it; the page re-renders with that focus)
    dash_duo.wait_for_contains_text("#compare-heading", other, timeout=TIMEOUT)
    # keyboard from here: arrow down to another row, Enter chooses it
    first = driver.find_element(By.CSS_SELECTOR, "#compare-peers-grid .ag-row[row-index='0'] .ag-cell[col-id='name']")
    driver.execute_script("arguments[0].focus()", first)
    active(driver).send_keys(Keys.ARROW_DOWN)
    target = active(driver).text
    assert target and target != first.text
    active(driver).send_keys(Keys.ENTER)
    dash_duo.wait_for_contains_text("#compare-heading", target, timeout=TIMEOUT)
    # Tab leaves the grid in one press
    cell = driver.find_element(By.CSS_SELECTOR, "#compare-peers-grid .ag-row[row-index='0'] .ag-cell[col-id='name']")
    driver.execute_script("arguments[0].focus()", cell)
    active(driver).send_keys(Keys.TAB)
    assert not active_matches(driver, "#compare-peers-grid")
