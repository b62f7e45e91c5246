"""The whole loop in headless Chromium, signed in through the real /login form (MCRED_AUTH=local):
an institution uploads a faulty file, sees its errors with their row numbers, downloads them,
uploads the fixed file, explains its warnings and sends it; the ministry returns it with a
comment; the institution sees the comment and sends it again; the ministry accepts it; the
overview shows the new figures. No severe console message on the way.

On the way, axe-core checks WCAG 2.0/2.1 A and AA (as tests/dashboard/test_accessibility.py runs it)
on /submit in each of its states (empty, a report with errors in its grid, warnings with their
explanation fields, sent) and on the ministry's review queue, at desktop size and at phone size
(where the page must not scroll sideways either). With MCRED_SHOTS=DIR each of these states is
also saved as a whole-page screenshot at both sizes, for a person to look at."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By
from submit_helpers import BCIT, MINISTRY, PASSWORD, bcit_file
from test_accessibility import SIZES, axe_violations, describe, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TIMEOUT = 30


def _sign_in(duo, base: str, email: str, next_path: str) -> None:
    duo.driver.get(f"{base}/logout")
    duo.driver.get(f"{base}/login?next={next_path}")
    duo.wait_for_element("#login-email", timeout=TIMEOUT)
    duo.find_element("#login-email").send_keys(email)
    duo.find_element("#login-password").send_keys(PASSWORD)
    duo.find_element("#login-submit").click()
    duo.wait_for_element("#navbar-user", timeout=TIMEOUT)


def _upload(duo, path) -> None:
    field = duo.driver.find_element(By.CSS_SELECTOR, "#submit-upload input[type=file]")
    field.send_keys(str(path))


def _click(duo, element) -> None:
    # A click event on the button itself (the loading overlay of the panel above can sit over it
    # for a moment after typing, which a pointer click would hit instead).
    duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click();", element)


def _download(duo, href: str) -> str:
    cookies = {c["name"]: c["value"] for c in duo.driver.get_cookies()}
    response = requests.get(href, cookies=cookies, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    return response.content.decode("utf-8-sig")


def _sideways(driver) -> str:
    """What makes the page scroll sideways ('' when nothing does)."""
    scroll, inner, wide = driver.execute_script(
        "const w = document.documentElement.clientWidth; return [document.documentElement.scrollWidth, w, "
        "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > "
        "w + 1 && !e.closest('.table-responsive, .ag-root-wrapper')).slice(0, 5)"
        ".map(e => e.tagName + '#' + e.id + '.' + e.className)]"
    )
    return f"scrolls sideways: {scroll} > {inner}; too wide: {wide}" if scroll > inner else ""


def _shoot(driver, state: str, size: str) -> None:
    folder = os.environ.get("MCRED_SHOTS")
    if not folder:
        return
    Path(folder).mkdir(parents=True, exist_ok=True)
    # The whole page at the window's width (the capture lays it out without a scroll bar).
    page = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    width = max(page["width"], driver.execute_script("return window.innerWidth"))
    clip = {"x": 0, "y": 0, "width": width, "height": page["height"], "scale": 1}
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"captureBeyondViewport": True, "clip": clip})
    (Path(folder) / f"{state.replace(' ', '-')}-{size}.png").write_bytes(base64.b64decode(shot["data"]))


class Audit:
    """axe (and on a phone, sideways scrolling) in each state, at both sizes; problems collected."""

    def __init__(self, duo):
        self.duo, self.problems = duo, []

    def check(self, state: str, ready: str, within: str | None = None) -> None:
        driver = self.duo.driver
        for size in ("desktop", "phone"):
            driver.set_window_size(*SIZES[size])
            settle(self.duo, ready)
            assert driver.execute_script("return window.innerWidth") == SIZES[size][0], f"{state}: not {size}-sized"
            self.problems.append(describe(f"{state} at {size}", axe_violations(driver, within)))
            if size == "phone":
                sideways = _sideways(driver)
                self.problems.append(f"[{state} at phone] {sideways}" if sideways else "")
                # the report is a list on a phone, the grid on wider screens
                grids = driver.find_elements(By.CSS_SELECTOR, "#submit-report-grid")
                if grids:
                    assert not grids[0].is_displayed(), state
                    assert driver.find_element(By.CSS_SELECTOR, "#submit-report-list").is_displayed(), state
            _shoot(driver, state, size)
        driver.set_window_size(*SIZES["desktop"])

    def assert_clean(self) -> None:
        found = [p for p in self.problems if p]
        assert not found, "\n".join(found)


def test_the_submitting_loop_in_a_browser(dash_duo, portal_app, tmp_path):
    app = portal_app()
    dash_duo.start_server(app, navigate=False)
    base = dash_duo.server.url.rstrip("/")
    faulty, fixed = tmp_path / "bcit_2025-26_faulty.csv", tmp_path / "bcit_2025-26.csv"
    faulty.write_bytes(bcit_file(bad=True))
    fixed.write_bytes(bcit_file())

    audit = Audit(dash_duo)
    dash_duo.driver.set_window_size(*SIZES["desktop"])

    # The institution: a faulty file, its errors by row, the download.
    _sign_in(dash_duo, base, BCIT, "/submit")
    dash_duo.wait_for_element("#submit-upload", timeout=TIMEOUT)
    audit.check("empty", "#submit-empty")
    _upload(dash_duo, faulty)
    dash_duo.wait_for_text_to_equal("#submit-errors", "1", timeout=TIMEOUT)
    dash_duo.wait_for_contains_text("#submit-report-grid", "onlin", timeout=TIMEOUT)
    rows = [c.text for c in dash_duo.find_elements('#submit-report-grid .ag-cell[col-id="row"]')]
    assert "2" in rows and "4" in rows  # the error on row 2, the warnings on row 4 of the file itself
    csv = _download(dash_duo, dash_duo.find_element("#submit-report-csv").get_attribute("href"))
    assert '"error",2,"delivery_mode","onlin"' in csv
    assert dash_duo.find_element("#submit-send").get_attribute("disabled") is not None
    audit.check("errors", "#submit-report-grid .ag-cell")

    # The fixed file: no errors, three framework checks to explain, then send.
    _upload(dash_duo, fixed)
    dash_duo.wait_for_text_to_equal("#submit-errors", "0", timeout=TIMEOUT)
    areas = dash_duo.find_elements("textarea")
    assert len(areas) == 3
    audit.check("warnings", "textarea")
    for area in areas:
        area.send_keys("B3 is our 300-hour welding block, assessed on the job by the employer.")
    _click(dash_duo, dash_duo.find_element("#submit-send"))
    dash_duo.wait_for_element("#submit-sent", timeout=TIMEOUT)
    dash_duo.wait_for_text_to_equal("#submit-state", "Sent: waiting for the ministry", timeout=TIMEOUT)
    audit.check("sent", "#submit-sent")

    # The ministry returns it with a comment.
    _sign_in(dash_duo, base, MINISTRY, "/submissions")
    dash_duo.wait_for_element(".review-return, [id^='review-draft-']", timeout=TIMEOUT)
    card = dash_duo.find_element("[id^='review-draft-']")
    assert "welding block" in card.text
    # The queue only: the rest of /submissions is test_accessibility.py's.
    audit.check("review", "[id^='review-draft-'] textarea", within="#review-card")
    card = dash_duo.find_element("[id^='review-draft-']")
    card.find_element(By.TAG_NAME, "textarea").send_keys("Row 4: split the 300 hours into two offerings, please.")
    _click(dash_duo, card.find_element(By.CSS_SELECTOR, "button.btn-warning"))
    dash_duo.wait_for_contains_text("#review-result", "returned", timeout=TIMEOUT)
    dash_duo.wait_for_element("#review-empty", timeout=TIMEOUT)

    # The institution sees the comment and sends it again (its explanations kept).
    _sign_in(dash_duo, base, BCIT, "/submit")
    dash_duo.wait_for_contains_text("#submit-returned-comment", "split the 300 hours", timeout=TIMEOUT)
    dash_duo.wait_for_text_to_equal("#submit-state", "Returned by the ministry", timeout=TIMEOUT)
    audit.check("returned", "#submit-returned-comment")
    _click(dash_duo, dash_duo.find_element("#submit-send"))
    dash_duo.wait_for_element("#submit-sent", timeout=TIMEOUT)

    # The ministry accepts: the file is loaded.
    _sign_in(dash_duo, base, MINISTRY, "/submissions")
    dash_duo.wait_for_element("[id^='review-draft-']", timeout=TIMEOUT)
    _click(dash_duo, dash_duo.find_element("[id^='review-draft-'] button.btn-success"))
    dash_duo.wait_for_contains_text("#review-result", "accepted", timeout=60)

    # The overview shows the new year's figures: BCIT's 3 offerings, 61 enrolments.
    dash_duo.driver.get(f"{base}/?period=2025/26")
    dash_duo.wait_for_text_to_equal("#kpi-offerings", "3", timeout=TIMEOUT)

    # And the institution's page says so, with the whole history.
    _sign_in(dash_duo, base, BCIT, "/submit")
    dash_duo.wait_for_text_to_equal("#submit-state", "Accepted and loaded", timeout=TIMEOUT)
    history = dash_duo.find_element("#submit-history").text
    for step in ("Uploaded", "Sent to the ministry", "Returned", "Accepted and loaded"):
        assert step in history
    time.sleep(0.5)
    severe = [e for e in dash_duo.get_logs() if e.get("level") == "SEVERE"]
    assert severe == []
    audit.assert_clean()
