"""/admin (ministry only, real data from the account store), the export audit (every export
route appends who, route, filters and rows), and the public's reporting status on /submissions."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from access_helpers import callback_body, find_callback

from dashboard.access import admin
from dashboard.access.actor import Actor, OutOfScope


@pytest.fixture
def site(public_site):
    return public_site


def _page(client, path: str):
    dep = find_callback(client, "_pages_content.children")
    body = callback_body(dep, {"_pages_location.pathname": path, "_pages_location.search": ""})
    return client.post("/_dash-update-component", json=body)


# --- /admin ----------------------------------------------------------------------------------------


def test_admin_is_for_the_ministry_only(site):
    client, _, _ = site
    assert client("ana@gov.bc.ca").get("/admin").status_code == 200
    institution = client("lee@bcit.ca")
    response = institution.get("/admin")
    assert response.status_code == 403 and "ministry staff only" in response.text
    public = client(None).get("/admin")
    assert public.status_code == 403
    # Crafted: the page router's callback asked for /admin's layout, and the audit callback.
    for who in ("lee@bcit.ca", None):
        c = client(who)
        assert _page(c, "/admin").status_code == 403
        audit = callback_body(find_callback(c, "admin-audit.children"), {})
        response = c.post("/_dash-update-component", json=audit)
        assert response.status_code == 403 and "ana@gov.bc.ca" not in response.text


def test_admin_is_not_in_the_navbar_of_others(site):
    client, _, _ = site
    layout = json.dumps(client("lee@bcit.ca").get("/_dash-layout").get_json())
    assert '"/admin"' not in layout
    assert '"/admin"' in json.dumps(client("ana@gov.bc.ca").get("/_dash-layout").get_json())


def test_strangers_are_sent_to_sign_in(signed_in_app):
    app, _ = signed_in_app()
    response = app.server.test_client().get("/admin")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login?next=%2Fadmin")


def test_admin_lists_the_accounts_with_their_last_sign_in(site):
    client, _, _ = site
    client("lee@bcit.ca")  # signs in once
    page = _page(client("ana@gov.bc.ca"), "/admin")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "ana@gov.bc.ca" in text and "lee@bcit.ca" in text and "BCIT" in text
    assert "Accounts (2)" in text and "never" not in text  # both have signed in


def test_the_audit_log_filters_and_pages(site):
    client, store, _ = site
    ministry = Actor("ministry", "ana@gov.bc.ca")
    for n in range(30):
        store.record("sign_in_failed", actor=f"x{n}@example.ca", address="10.0.0.1", route="/login")
    page = admin.audit_page(store, ministry, action="sign_in_failed")
    assert page.total == 30 and page.pages == 2 and len(page.rows) == admin.PAGE_SIZE
    assert page.rows[0]["actor"] == "x29@example.ca"  # newest first
    second = admin.audit_page(store, ministry, action="sign_in_failed", page=2)
    assert [r["actor"] for r in second.rows] == [f"x{n}@example.ca" for n in range(4, -1, -1)]
    assert admin.audit_page(store, ministry, since="2000-01-01", until="2000-01-02").total == 0
    assert "not a date" in (admin.audit_page(store, ministry, since="yesterday").problem or "")
    with pytest.raises(OutOfScope):
        admin.audit_page(store, Actor("institution", "lee@bcit.ca", "BCIT"))
    # Through the callback, as the ministry: the second page of failed sign-ins.
    c = client("ana@gov.bc.ca")
    dep = find_callback(c, "admin-audit.children")
    body = callback_body(
        dep, {"admin-audit-action.value": "sign_in_failed", "admin-audit-page.data": 1, "admin-audit-older.n_clicks": 1}
    )
    body["changedPropIds"] = ["admin-audit-older.n_clicks"]
    response = c.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:300]
    out = response.get_json()["response"]
    assert out["admin-audit-page"]["data"] == 2 and "x0@example.ca" in json.dumps(out["admin-audit"])


# --- the export audit ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "rows"),
    [
        ("/export/offerings.csv?period=2024/25", 8),
        ("/export/offerings.xlsx?period=2024/25&institution=UBC", 2),
        ("/export/offerings.parquet?period=2024/25&type=teaser", 1),
        ("/export/chart/chart-type.csv?period=2024/25", 5),
        ("/export/peers.csv?period=2024/25&focus=BCIT&peers=all", 25),  # every institution of the reference
        ("/export/issues.csv?period=2024/25", None),
        ("/export/issues.xlsx?period=2024/25", None),
    ],
)
def test_every_export_is_audited_with_route_filters_and_rows(site, path, rows):
    client, store, _ = site
    c = client("ana@gov.bc.ca")
    response = c.get(path)
    assert response.status_code == 200
    body = response.get_data()  # a streamed download is recorded once its last row has gone out
    response.close()
    if rows is None and path.split("?")[0].endswith(".csv"):  # counted as it streams: the file's records
        rows = len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))) - 1
    event = [e for e in store.events() if e.action == "export"][-1]
    assert (event.actor, event.role, event.route) == ("ana@gov.bc.ca", "ministry", path.split("?")[0])
    assert event.detail["query"] == path.split("?", 1)[1]
    if rows is not None:
        assert event.detail["rows"] == rows
    else:
        assert isinstance(event.detail["rows"], int) and event.detail["rows"] >= 1


def test_a_refused_export_is_not_recorded_as_one(site):
    client, store, _ = site
    assert client("lee@bcit.ca").get("/export/offerings.csv?institution=UBC").status_code == 403
    assert not [e for e in store.events() if e.action == "export"]


def test_exports_appear_in_mcred_audit_and_admin(site):
    client, store, _ = site
    c = client("ana@gov.bc.ca")
    c.get("/export/chart/chart-delivery.csv?period=2024/25").get_data()
    page = admin.audit_page(store, Actor("ministry", "ana@gov.bc.ca"), action="export")
    assert page.rows[0]["route"] == "/export/chart/chart-delivery.csv"
    assert "period=2024/25" in page.rows[0]["detail"] and "rows: 3" in page.rows[0]["detail"]


# --- the public's reporting status ------------------------------------------------------------------


def test_the_public_sees_who_has_reported_and_nothing_of_the_files(site):
    client, _, ids = site
    public = client(None)
    assert public.get("/submissions").status_code == 200
    page = _page(public, "/submissions").get_data(as_text=True)
    assert "Reporting status" in page and "issues-grid" not in page and "submission-history" not in page
    dep = find_callback(public, "status-matrix.children")
    response = public.post("/_dash-update-component", json=callback_body(dep, {"filter": {"period": ["2024/25"]}}))
    assert response.status_code == 200, response.text[:300]
    text = response.get_data(as_text=True)
    assert "Accepted" in text and "Rejected" in text and "Missing" in text
    assert not re.search(r"\d+ rows?|\d+ files?", text), re.search(r".{80}\d+ (rows?|files?).{20}", text)
    # nothing to click through to a file: the matrix's cells are plain (no button, no data-cell)
    matrix = json.loads(text)["response"]["status-matrix"]["children"]
    assert "matrix-cell" in json.dumps(matrix) and "<button" not in json.dumps(matrix)
    assert "data-cell" not in json.dumps(matrix)
    for sid in ids.values():
        assert f'"{sid}"' not in text and f"#{sid}" not in text
    assert json.loads(text)["response"]["compliance-flags"]["children"] is None


def test_crafted_requests_for_the_hidden_parts_give_the_public_nothing(site):
    client, _, ids = site
    public = client(None)
    for output, values in (
        ("submission-history.children", {"cell": "UBC_2024/25"}),
        ("issues-grid.rowData", {"filter": {"period": ["2024/25"]}}),
    ):
        dep = find_callback(public, output)
        body = callback_body(dep, values)
        for item in body["inputs"]:
            if isinstance(item, dict) and "cell" in json.dumps(item.get("id")):
                item["value"] = "UBC_2024/25"
        response = public.post("/_dash-update-component", json=body)
        assert response.status_code == 403, (output, response.status_code, response.text[:200])
        assert "UBC" not in response.text or "aggregates only" in response.text
    for path in (f"/export/issues.csv?submission={ids['UBC']}", "/export/issues.xlsx?period=2024/25"):
        assert public.get(path).status_code == 403
