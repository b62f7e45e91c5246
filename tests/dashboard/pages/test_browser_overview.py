"""The overview in headless Chromium (dash_duo), on the fixture warehouse (conftest.py):
hand-counted headline figures, filters in the URL, bookmarks, cross-filtering, Back,
and a notice for unknown filter values. The browser console must stay empty."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from dash.testing.wait import until
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard.data.database import Database
from dashboard.data.filters import Filters
from dashboard.data.reference import vocabulary
from dashboard.views.downloads import href
from dashboard.views.filters import summary_text

pytestmark = pytest.mark.browser

TIMEOUT = 15
# Offerings of 2024/25 by type, counted by hand (conftest.py).
OFFERINGS_BY_TYPE = {"technical_skill": 3, "upskilling": 2, "pathway": 1, "transferable_skill": 1, "teaser": 1}


@pytest.fixture
def duo(dash_duo, app_factory, db_path):
    """dash_duo with one freshly created dashboard app on the fixture warehouse."""
    dash_duo.start_server(app_factory(db_path))
    return dash_duo


def query(duo) -> dict[str, list[str]]:
    return parse_qs(urlsplit(duo.driver.current_url).query)


def wait_for_query(duo, condition, message: str) -> dict:
    until(lambda: condition(query(duo)), TIMEOUT, msg=f"{message}; URL is {duo.driver.current_url}")
    return query(duo)


def kpis(duo, offerings: str, **others: str) -> None:
    duo.wait_for_text_to_equal("#kpi-offerings", offerings, timeout=TIMEOUT)
    for key, text in others.items():
        duo.wait_for_text_to_equal(f"#kpi-{key.replace('_', '-')}", text, timeout=TIMEOUT)


def filter_dropdown(duo, name: str):
    dom_id = json.dumps({"name": name, "type": "filter"}, separators=(",", ":"))  # Dash sorts the keys
    return duo.driver.find_element(By.XPATH, f"//*[@id='{dom_id}']")


def choose(duo, name: str, label: str) -> None:
    """Open a filter dropdown, tick one option (its <label>; assets/a11y.js gives the checkbox
    inside it the option role), close it."""
    filter_dropdown(duo, name).click()
    until(
        lambda: any(o.text == label for o in duo.driver.find_elements(By.CSS_SELECTOR, ".dash-options-list-option")),
        TIMEOUT,
        msg=f"no option {label!r} in the {name} dropdown",
    )
    option = next(o for o in duo.driver.find_elements(By.CSS_SELECTOR, ".dash-options-list-option") if o.text == label)
    option.click()
    ActionChains(duo.driver).send_keys(Keys.ESCAPE).perform()


def assert_console_empty(duo) -> None:
    assert duo.get_logs() == []


# Each test starts Chromium and the app once (several seconds on a busy machine), so a
# test walks through a few related steps rather than one assertion.


def test_the_overview_opens_and_a_filter_change_goes_into_the_url_and_back_out(duo):
    # shares with one decimal (dashboard.display)
    kpis(duo, "8", institutions="3", enrolments="160", completions="123", ce_share="50.0%")
    duo.wait_for_text_to_equal("#kpi-offerings-change", "▲ +3 (+60.0%) vs 2023/24", timeout=TIMEOUT)
    until(
        lambda: len(duo.driver.find_elements(By.CSS_SELECTOR, "#chart-type g.point")) == 5,
        TIMEOUT,
        msg="five type bars",
    )
    duo.wait_for_element("#targets-table", timeout=TIMEOUT)
    # Opening the page leaves the URL (and the browser history) alone.
    assert duo.driver.current_url == duo.server_url + "/"
    assert_console_empty(duo)

    choose(duo, "sector", "College")
    kpis(duo, "3", institutions="1", enrolments="35")
    assert wait_for_query(duo, lambda q: q.get("sector") == ["college"], "sector=college in the URL")
    choose(duo, "sector", "Institute")
    kpis(duo, "6")
    assert wait_for_query(duo, lambda q: q.get("sector") == ["college,institute"], "both sectors in the URL")

    duo.driver.back()
    kpis(duo, "3")
    assert query(duo)["sector"] == ["college"]
    assert filter_dropdown(duo, "sector").text == "College"
    duo.driver.back()  # back to the URL the page was opened with
    kpis(duo, "8", institutions="3")
    assert duo.driver.current_url == duo.server_url + "/"
    assert filter_dropdown(duo, "sector").text == "All"
    assert_console_empty(duo)


def test_bookmarked_urls_open_the_same_view_and_unknown_values_a_notice(duo):
    duo.wait_for_page(url=duo.server_url + "/?sector=college&period=2024/25", timeout=TIMEOUT)
    kpis(duo, "3", institutions="1", enrolments="35", completions="29")
    until(
        lambda: len(duo.driver.find_elements(By.CSS_SELECTOR, "#chart-type g.point")) == 3,
        TIMEOUT,
        msg="three type bars for Camosun",
    )
    assert filter_dropdown(duo, "sector").text == "College"
    assert not duo.driver.find_elements(By.CSS_SELECTOR, "#filter-notice")

    # Other spellings of the same filters: 2023-24, lower-case and repeated codes.
    duo.wait_for_page(url=duo.server_url + "/?period=2023-24&institution=bcit&institution=UBC", timeout=TIMEOUT)
    kpis(duo, "3", institutions="2", enrolments="70")
    duo.wait_for_text_to_equal("#kpi-offerings-change", "no data for the year before", timeout=TIMEOUT)

    duo.wait_for_page(url=duo.server_url + "/?sector=nope&type=pathway", timeout=TIMEOUT)
    notice = duo.wait_for_element("#filter-notice", timeout=TIMEOUT)
    assert "unknown sector 'nope'" in notice.text
    assert "research_university" in notice.text and "institute" in notice.text
    kpis(duo, "1")  # the known filter still applies: UBC's pathway offering
    assert filter_dropdown(duo, "sector").text == "All"
    assert_console_empty(duo)


def test_clicking_a_bar_filters_the_page_by_its_category(duo):
    kpis(duo, "8")
    until(
        lambda: len(duo.driver.find_elements(By.CSS_SELECTOR, "#chart-type g.point")) == 5,
        TIMEOUT,
        msg="five type bars",
    )
    bar = duo.driver.find_elements(By.CSS_SELECTOR, "#chart-type g.point path")[0]
    ActionChains(duo.driver).move_to_element(bar).pause(0.3).click().perform()

    chosen = wait_for_query(duo, lambda q: "type" in q, "type= in the URL after the click")["type"][0]
    assert chosen in OFFERINGS_BY_TYPE
    kpis(duo, str(OFFERINGS_BY_TYPE[chosen]))
    until(
        lambda: len(duo.driver.find_elements(By.CSS_SELECTOR, "#chart-type g.point")) == 1,
        TIMEOUT,
        msg="one type bar left",
    )

    duo.driver.back()
    kpis(duo, "8")
    assert "type" not in query(duo)
    assert_console_empty(duo)


def set_filters(duo, **values: list[str]) -> None:
    """Filter values set through Dash's own set_props, as a dropdown does."""
    for name, value in values.items():
        duo.driver.execute_script(
            "window.dash_clientside.set_props({type: 'filter', name: arguments[0]}, {value: arguments[1]});",
            name,
            value,
        )


def test_the_words_under_the_filters_and_the_chart_links_follow_each_change(duo, db_path):
    """The browser writes the summary after a change (assets/mcred.js): the same words the server
    writes into a layout (summary_text). The charts' CSV links come back with the figures."""
    vocab = vocabulary(Database(db_path).reader())
    kpis(duo, "8")
    shown = {name: [] for name in Filters.parameter_names()}
    shown["period"] = [vocab.latest_period]
    link = duo.driver.find_element(By.CSS_SELECTOR, "#chart-type ~ .text-end a")
    assert link.get_attribute("href") == duo.server_url + "/export/chart/chart-type.csv"
    steps = [
        {"sector": ["college"]},
        {"sector": ["college", "institute"], "type": ["pathway", "upskilling", "teaser", "technical_skill"]},
        {"period": []},  # an emptied fiscal-year box: every year
        {"period": ["2023/24", "2024/25"]},
        {"institution": ["UBC"]},
        {"type": []},
        {"ce": ["yes"]},
        {"sector": []},
        {"period": ["2024/25"]},
    ]
    walked = []
    for step in steps:
        set_filters(duo, **step)  # one filter per step, as a person changes them
        shown.update(step)
        filters = Filters.from_controls(
            [{"id": {"type": "filter", "name": n}, "value": v} for n, v in shown.items()], vocab
        )
        words = summary_text(filters, vocab)
        until(
            lambda words=words: duo.find_element("#filter-summary").text == words,
            TIMEOUT,
            msg=f"{words!r} under the filters, not {duo.find_element('#filter-summary').text!r}",
        )
        target = duo.server_url + href("/export/chart/chart-type.csv", filters)
        until(
            lambda target=target: link.get_attribute("href") == target,
            TIMEOUT,
            msg=f"the link {target}, not {link.get_attribute('href')}",
        )
        walked.append(words)
    assert any("+1 more" in w for w in walked) and any(w.startswith("Showing All fiscal years") for w in walked)
    assert_console_empty(duo)
