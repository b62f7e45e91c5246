"""Every door of /submit and of the review queue, for each role: nobody (401 / sign in), the
public (MCRED_PUBLIC=1), an institution asking for another institution's draft, report, file
or queue by crafted callback and URL, the institution itself and the ministry."""

from __future__ import annotations

import json

import pytest
from report_is_the_grid import assert_the_report_downloads_are_the_grid
from submit_helpers import BCIT, MINISTRY, UBC, bcit_file

DRAFT_INPUT = '{"default":"","name":"draft","type":"urlparam"}'


def _draft_id(body) -> int:
    for key, props in body.items():
        if key.startswith("{") and "draft" in key:
            return int(props["value"])
    raise AssertionError(body)


def _upload(cb, client, body: str) -> int:
    """Upload a file through /submit's callback as ``client``'s user; the new draft's id."""
    response = cb.post(
        client,
        "submit-upload-message.children",
        {"submit-upload.filename": "bcit.csv", "submit-upload": body},
        triggered="submit-upload.contents",
    )
    # The State (filename) is sent too:
    assert response.status_code == 200, response.text
    return _draft_id(response.get_json()["response"])


def test_the_page_sends_strangers_to_sign_in_and_refuses_the_public(portal_app):
    app = portal_app()
    assert app.server.test_client().get("/submit").status_code == 302
    public = portal_app(public=True).server.test_client()
    response = public.get("/submit")
    assert response.status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/export/drafts/1/report.csv",
        "/export/drafts/1/report.xlsx",
        "/export/drafts/1/file",
        "/export/drafts/template.xlsx",
    ],
)
def test_download_routes_answer_401_to_nobody_and_403_to_the_public(portal_app, path):
    assert portal_app().server.test_client().get(path).status_code == 401
    assert portal_app(public=True).server.test_client().get(path).status_code == 403


def test_an_institution_uploads_and_only_it_and_the_ministry_see_the_draft(
    portal_app, client_as, callbacks, upload_body
):
    app = portal_app()
    lee = client_as(app, BCIT)
    cb = callbacks(lee)
    draft_id = _upload(cb, lee, upload_body(bcit_file(bad=True)))
    for path in (
        f"/export/drafts/{draft_id}/report.csv",
        f"/export/drafts/{draft_id}/report.xlsx",
        f"/export/drafts/{draft_id}/file",
    ):
        assert lee.get(path).status_code == 200
        uma = client_as(app, UBC)
        refused = uma.get(path)
        assert refused.status_code == 403 and "BCIT" not in refused.text and "onlin" not in refused.text
        assert client_as(app, MINISTRY).get(path).status_code == 200
    csv = lee.get(f"/export/drafts/{draft_id}/report.csv").get_data(as_text=True)
    assert "onlin" in csv and "delivery_mode" in csv
    assert_the_report_downloads_are_the_grid(lee, cb, draft_id)
    # The file itself is an opaque attachment, never rendered.
    original = lee.get(f"/export/drafts/{draft_id}/file")
    assert original.headers["Content-Type"] == "application/octet-stream"
    assert original.headers["X-Content-Type-Options"] == "nosniff"
    assert original.headers["Content-Disposition"].startswith("attachment")
    assert original.data == bcit_file(bad=True)

    # A crafted callback naming BCIT's draft, sent by UBC: 403 and no word of it.
    uma = client_as(app, UBC)
    shown = cb.post(uma, "submit-panel.children", {DRAFT_INPUT: str(draft_id), "submit-refresh": 0})
    assert shown.status_code == 403 and "onlin" not in shown.text and "bcit" not in shown.text.lower()
    sent = cb.post(uma, "submit-feedback.children", {"submit-send": 1, "submit-shown": draft_id, "submit-refresh": 0})
    assert sent.status_code == 403
    # BCIT and the ministry see it.
    for client in (lee, client_as(app, MINISTRY)):
        mine = cb.post(client, "submit-panel.children", {DRAFT_INPUT: str(draft_id), "submit-refresh": 0})
        assert mine.status_code == 200 and "onlin" in mine.text


def test_the_public_and_nobody_cannot_call_any_submit_or_review_callback(portal_app, callbacks, upload_body):
    for app, status in ((portal_app(), 401), (portal_app(public=True), 403)):
        client = app.server.test_client()
        cb = callbacks(client_for_deps(app))
        for output, values in (
            (
                "submit-upload-message.children",
                {"submit-upload.filename": "bcit.csv", "submit-upload": upload_body(bcit_file())},
            ),
            ("submit-panel.children", {DRAFT_INPUT: "1", "submit-refresh": 0}),
            ("submit-feedback.children", {"submit-send": 1, "submit-shown": 1}),
            ("review-queue.children", {"review-refresh": 0}),
            ("review-feedback.children", {}),
        ):
            response = cb.post(client, output, values)
            assert response.status_code == status, (output, response.status_code, response.text)


def client_for_deps(app):
    """A ministry client, only to read the callback list (the same for everyone)."""
    from submit_helpers import sign_in

    client = app.server.test_client()
    sign_in(client, MINISTRY)
    return client


def test_an_institution_cannot_see_the_queue_accept_or_return(portal_app, client_as, callbacks, upload_body):
    app = portal_app()
    lee = client_as(app, BCIT)
    cb = callbacks(lee)
    draft_id = _upload(cb, lee, upload_body(bcit_file()))
    accept_id = json.dumps({"draft": draft_id, "type": "review-accept"}, separators=(",", ":"))
    queue = cb.post(lee, "review-queue.children", {"review-refresh": 0})
    assert queue.status_code == 403
    accept = cb.post(
        lee,
        "review-feedback.children",
        {
            '{"draft":["ALL"],"type":"review-accept"}': [({"draft": draft_id, "type": "review-accept"}, 1)],
            '{"draft":["ALL"],"type":"review-return"}': [({"draft": draft_id, "type": "review-return"}, 0)],
        },
        triggered=accept_id + ".n_clicks",
    )
    assert accept.status_code == 403
    # The /submissions page has no queue for an institution.
    layout = json.dumps(lee.get("/_dash-layout").get_json())
    assert "review-queue" not in layout


def test_an_institution_s_file_about_another_institution_cannot_be_sent(portal_app, client_as, callbacks, upload_body):
    app = portal_app()
    uma = client_as(app, UBC)
    cb = callbacks(uma)
    draft_id = _upload(cb, uma, upload_body(bcit_file()))
    draft = app.server.extensions["mcred.submitting"].store.get(draft_id)
    assert draft.owner == "UBC" and draft.errors >= 1
    assert any(i["rule"] == "not_your_institution" for i in draft.submissions[0]["issues"])
    # and BCIT does not see UBC's draft about it
    lee = client_as(app, BCIT)
    assert lee.get(f"/export/drafts/{draft_id}/report.csv").status_code == 403
