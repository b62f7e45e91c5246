"""The access gate, sign-in and sessions (dashboard/access/web.py), through the real app's
Flask server: crafted requests, not the UI path."""

from __future__ import annotations

import json

import pytest
from access_helpers import PASSWORD, sign_in

PAGES = ("/", "/compare", "/explore", "/submissions")
DATA_ROUTES = (
    "/_dash-layout",
    "/_dash-dependencies",
    "/export/offerings.csv",
    "/export/offerings.xlsx",
    "/export/offerings.parquet",
    "/export/issues.csv",
    "/export/peers.csv?focus=BCIT",
    "/export/chart/chart-type.csv",
)


def test_default_mode_is_the_local_ministry_user_with_a_banner(app_factory, db_path):
    client = app_factory(db_path).server.test_client()
    assert client.get("/").status_code == 200
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "auth-banner" in layout and "MCRED_AUTH=none" in layout
    assert "Local user (ministry, no sign-in)" in layout
    assert client.get("/export/offerings.csv").status_code == 200
    assert client.get("/login").status_code == 302  # nothing to sign in to


def test_default_mode_refuses_requests_from_another_machine(app_factory, db_path):
    client = app_factory(db_path).server.test_client()
    for path in ("/", "/export/offerings.csv", "/_dash-layout"):
        response = client.get(path, environ_base={"REMOTE_ADDR": "10.1.2.3"})
        assert response.status_code == 403 and "MCRED_AUTH=none serves this machine only" in response.text


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_strangers_to_sign_in(signed_in_app, path):
    app, _ = signed_in_app()
    response = app.server.test_client().get(path + "?period=2024/25")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=" + path.replace("/", "%2F") + "%3Fperiod%3D2024%2F25"


@pytest.mark.parametrize("path", DATA_ROUTES)
def test_data_routes_answer_401_to_strangers(signed_in_app, path):
    app, _ = signed_in_app()
    response = app.server.test_client().get(path)
    assert response.status_code == 401 and "Sign in first" in response.text


def test_crafted_callback_request_without_a_session_gets_401(signed_in_app):
    app, _ = signed_in_app()
    body = {
        "output": "kpi-offerings.children",
        "outputs": {"id": "kpi-offerings", "property": "children"},
        "inputs": [],
        "changedPropIds": [],
        "state": [],
    }
    response = app.server.test_client().post("/_dash-update-component", json=body)
    assert response.status_code == 401


def test_sign_in_then_every_page_and_the_navbar_names_the_user(signed_in_app):
    app, store = signed_in_app()
    client = app.server.test_client()
    response = sign_in(client, "Lee@BCIT.ca", next_path="/compare?period=2024/25")
    assert response.status_code == 302 and response.headers["Location"] == "/compare?period=2024/25"
    for path in PAGES:
        assert client.get(path).status_code == 200
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "lee@bcit.ca (institution: BCIT)" in layout and "navbar-logout" in layout
    assert "auth-banner" not in layout
    events = store.events()
    assert [(e.action, e.actor, e.role) for e in events][-1] == ("sign_in", "lee@bcit.ca", "institution")


def test_session_cookie_is_httponly_samesite_lax_and_secure_behind_https(signed_in_app):
    app, _ = signed_in_app()
    cookie = sign_in(app.server.test_client(), "ana@gov.bc.ca").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    app, _ = signed_in_app(https=True)
    cookie = sign_in(app.server.test_client(), "ana@gov.bc.ca").headers["Set-Cookie"]
    assert "Secure" in cookie


def test_wrong_password_is_401_and_audited_without_the_password(signed_in_app):
    app, store = signed_in_app()
    client = app.server.test_client()
    response = sign_in(client, "ana@gov.bc.ca", "not the password at all")
    assert response.status_code == 401 and "The email or password is not right." in response.text
    assert client.get("/export/offerings.csv").status_code == 401
    (event,) = [e for e in store.events() if e.action == "sign_in_failed"]
    assert event.actor == "ana@gov.bc.ca" and event.address == "127.0.0.1"
    assert "not the password" not in json.dumps(event.as_dict())


def test_missing_or_wrong_csrf_token_is_refused(signed_in_app):
    app, store = signed_in_app()
    client = app.server.test_client()
    client.get("/login")
    for token in (None, "forged"):
        data = {"email": "ana@gov.bc.ca", "password": PASSWORD}
        if token:
            data["csrf_token"] = token
        response = client.post("/login", data=data)
        assert response.status_code == 400 and "expired" in response.text
    assert client.get("/export/offerings.csv").status_code == 401
    assert not [e for e in store.events() if e.action == "sign_in"]


def test_repeated_failures_are_rate_limited_per_account(signed_in_app):
    app, _ = signed_in_app()
    client = app.server.test_client()
    codes = [sign_in(client, "ana@gov.bc.ca", "wrong wrong wrong").status_code for _ in range(6)]
    assert codes == [401] * 5 + [429]
    # Even the right password waits now: the account is being guessed at.
    response = sign_in(client, "ana@gov.bc.ca")
    assert response.status_code == 429 and "Too many failed sign-ins" in response.text
    # Another account from the same address is not locked by that.
    assert sign_in(client, "lee@bcit.ca").status_code == 302


def test_repeated_failures_are_rate_limited_per_address(signed_in_app):
    app, _ = signed_in_app()
    client = app.server.test_client()
    codes = [sign_in(client, f"guess{n}@example.org", "wrong wrong wrong").status_code for n in range(21)]
    assert codes[:20] == [401] * 20 and codes[20] == 429
    other = app.server.test_client()
    assert sign_in(other, "ana@gov.bc.ca").status_code == 429  # same address
    assert (
        app.server.test_client().post("/login", data={}, environ_base={"REMOTE_ADDR": "127.0.0.2"}).status_code == 400
    )  # another address is not limited


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:x"])
def test_next_never_leaves_the_site(signed_in_app, target):
    app, _ = signed_in_app()
    response = sign_in(app.server.test_client(), "ana@gov.bc.ca", next_path=target)
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_logout_ends_the_session(signed_in_app):
    app, store = signed_in_app()
    client = app.server.test_client()
    sign_in(client, "ana@gov.bc.ca")
    assert client.get("/export/offerings.csv").status_code == 200
    assert client.get("/logout").headers["Location"] == "/login"
    assert client.get("/export/offerings.csv").status_code == 401
    assert store.events()[-1].action == "sign_out"


def test_removed_account_loses_access_at_once(signed_in_app):
    app, store = signed_in_app()
    client = app.server.test_client()
    sign_in(client, "lee@bcit.ca")
    assert client.get("/export/offerings.csv").status_code == 200
    store.remove_account("lee@bcit.ca")
    assert client.get("/export/offerings.csv").status_code == 401


def test_a_forged_session_cookie_is_ignored(signed_in_app):
    app, _ = signed_in_app()
    client = app.server.test_client()
    client.set_cookie("mcred_session", '{"actor": {"role": "ministry", "email": "x@y.ca", "via": "local"}}')
    assert client.get("/export/offerings.csv").status_code == 401


def test_public_mode_lets_anonymous_visitors_in_as_the_public(signed_in_app):
    app, _ = signed_in_app(public=True)
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    layout = json.dumps(client.get("/_dash-layout").get_json())
    assert "Public view" in layout and "navbar-login" in layout
    assert "Continue without signing in" in client.get("/login").text


def test_security_headers_on_every_response(signed_in_app):
    app, _ = signed_in_app(https=True)
    client = app.server.test_client()
    for path in ("/login", "/", "/export/offerings.csv", "/assets/mcred.js", "/nope"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "default-src 'self'" in policy and "'unsafe-eval'" not in policy
        assert "'sha256-" in policy  # Dash's inline scripts, by hash, not 'unsafe-inline'
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_errors_are_plain_words_without_tracebacks(signed_in_app):
    app, _ = signed_in_app()
    client = app.server.test_client()
    sign_in(client, "ana@gov.bc.ca")
    response = client.post("/logout/nope")
    assert response.status_code in (404, 405) and "Traceback" not in response.text and "/work" not in response.text
    response = client.delete("/login")
    assert response.status_code == 405 and response.mimetype == "text/plain"


def test_the_login_form_carries_the_documented_ids(signed_in_app):
    app, _ = signed_in_app()
    page = app.server.test_client().get("/login").text
    for element_id in ('id="login-email"', 'id="login-password"', 'id="login-submit"', 'lang="en"'):
        assert element_id in page
