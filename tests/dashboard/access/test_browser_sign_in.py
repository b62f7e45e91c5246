"""Signing in through the real form in headless Chromium, under the real
Content-Security-Policy: the console must stay empty (no blocked script, no violation)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

TIMEOUT = 15


def test_sign_in_through_the_form_then_the_overview_works_under_the_csp(dash_duo, signed_in_app, accounts_password):
    app, store = signed_in_app()
    dash_duo.start_server(app, navigate=False)  # "/" redirects to /login: no Dash page to wait for
    base = dash_duo.server.url.rstrip("/")
    dash_duo.driver.get(base + "/compare?period=2024/25")
    dash_duo.wait_for_element("#login-email", timeout=TIMEOUT)
    assert dash_duo.driver.current_url.startswith(base + "/login?next=")

    dash_duo.find_element("#login-email").send_keys("lee@bcit.ca")
    dash_duo.find_element("#login-password").send_keys("not the password, sorry")
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_text_to_equal("#login-error", "The email or password is not right.", timeout=TIMEOUT)

    dash_duo.find_element("#login-password").send_keys(accounts_password)
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_element("#navbar-user", timeout=TIMEOUT)
    assert dash_duo.driver.current_url == base + "/compare?period=2024/25"
    dash_duo.wait_for_text_to_equal("#navbar-user", "lee@bcit.ca (institution: BCIT)", timeout=TIMEOUT)

    dash_duo.driver.get(base + "/")
    dash_duo.wait_for_text_to_equal("#kpi-offerings", "8", timeout=TIMEOUT)
    # Dropped browser messages (the failed sign-in's 401) are not console errors of the page;
    # a CSP violation or a script error would be.
    logs = [entry for entry in dash_duo.get_logs() if "401 (UNAUTHORIZED)" not in entry["message"]]
    assert logs == []

    dash_duo.find_element("#navbar-logout").click()
    dash_duo.wait_for_element("#login-email", timeout=TIMEOUT)
    assert [e.action for e in store.events()][-3:] == ["sign_in_failed", "sign_in", "sign_out"]
