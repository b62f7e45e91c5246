"""WCAG 2.1 AA (axe-core, as tests/dashboard/test_accessibility.py runs it) on the pages of
the access work: /login, /admin, and the public's pages with small counts hidden and their
legend (/, /compare, the reporting status on /submissions), at desktop and phone sizes."""

from __future__ import annotations

import pytest
from test_accessibility import SIZES, TIMEOUT, axe_violations, describe, settle

pytestmark = pytest.mark.browser

PUBLIC_PAGES = {
    "overview": ("/?period=2024/25&measure=enrolments", "#suppression-legend"),
    "compare": ("/compare?period=2024/25&focus=CAM&field=math_computer_science&peers=all", "#compare-scorecard-table"),
    "submissions": ("/submissions", "#status-matrix-table"),
}


@pytest.mark.parametrize("size", SIZES)
def test_login_admin_and_public_pages_have_no_wcag_violations(dash_duo, signed_in_app, accounts_password, size):
    app, _ = signed_in_app(public=True)
    dash_duo.start_server(app, navigate=False)
    dash_duo.driver.set_window_size(*SIZES[size])
    base = dash_duo.server.url.rstrip("/")
    problems = []

    dash_duo.driver.get(base + "/login")
    dash_duo.wait_for_element("#login-email", timeout=TIMEOUT)
    problems.append(describe("login", axe_violations(dash_duo.driver)))

    for name, (path, ready) in PUBLIC_PAGES.items():
        dash_duo.driver.get(base + path)
        settle(dash_duo, ready)
        if name == "overview":
            dash_duo.wait_for_text_to_equal("#kpi-enrolments", "160", timeout=TIMEOUT)
            assert "<10" in dash_duo.find_element("#chart-type").text  # the hidden cell, on screen
        problems.append(describe(f"public {name}", axe_violations(dash_duo.driver)))

    dash_duo.driver.get(base + "/login?next=/admin")
    dash_duo.wait_for_element("#login-email", timeout=TIMEOUT)
    dash_duo.find_element("#login-email").send_keys("ana@gov.bc.ca")
    dash_duo.find_element("#login-password").send_keys(accounts_password)
    dash_duo.find_element("#login-submit").click()
    settle(dash_duo, "#admin-audit-table")
    problems.append(describe("admin", axe_violations(dash_duo.driver)))
    assert not any(problems), "\n".join(p for p in problems if p)
    assert dash_duo.get_logs() == []
