"""The loop's e-mail: sending a draft tells the ministry's accounts, returning it tells the
institution's (and nobody else's), through a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import email
import shutil
import socket
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from submit_helpers import PASSWORD, bcit_file

from dashboard.access.actor import Actor
from dashboard.access.store import AccessStore, store_path
from dashboard.data.database import Database
from dashboard.settings import DashboardSettings, NoticeSettings
from dashboard.submitting.routes import tell
from dashboard.submitting.service import Portal


class Inbox:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def test_sending_tells_the_ministry_and_returning_tells_the_institution(inbox, tmp_path, db_path):
    box, port = inbox
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(db_path, db)
    accounts = AccessStore(store_path(db))
    accounts.add_account("ana@gov.bc.ca", "ministry", PASSWORD)
    accounts.add_account("lee@bcit.ca", "institution", PASSWORD, "BCIT")
    accounts.add_account("uma@ubc.ca", "institution", PASSWORD, "UBC")
    settings = DashboardSettings(
        db_path=db, notices=NoticeSettings(host="127.0.0.1", port=port, sender="mcred@gov.example", timeout=5)
    )
    database = Database(db)
    portal = Portal(db, notify=lambda event, draft: tell(settings, accounts, database, event, draft))
    lee = Actor(role="institution", email="lee@bcit.ca", institution="BCIT")
    draft = portal.upload(lee, "bcit.csv", bcit_file())
    portal.send(lee, draft.draft_id, {c["code"]: "a short course of ours runs long" for c in draft.edit_checks})
    portal.give_back(Actor(role="ministry", email="ana@gov.bc.ca"), draft.draft_id, "Row 4: check the hours.")
    sent, returned = box.envelopes
    assert sent.rcpt_tos == ["ana@gov.bc.ca"] and returned.rcpt_tos == ["lee@bcit.ca"]
    first = email.message_from_bytes(sent.content, policy=default_policy)
    second = email.message_from_bytes(returned.content, policy=default_policy)
    assert first["Subject"] == "Submission to review: BCIT 2025/26 (bcit.csv)"
    assert "British Columbia Institute of Technology" in first.get_content()
    assert "Row 4: check the hours." in second.get_content() and "ana@gov.bc.ca" in second.get_content()


def test_a_notice_that_cannot_be_sent_never_stops_the_step(tmp_path, db_path):
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(db_path, db)
    settings = DashboardSettings(db_path=db, notices=NoticeSettings(host="127.0.0.1", port=9, sender="m@gov.example"))
    accounts = AccessStore(store_path(db))
    accounts.add_account("ana@gov.bc.ca", "ministry", PASSWORD)
    portal = Portal(db, notify=lambda event, draft: tell(settings, accounts, Database(db), event, draft))
    lee = Actor(role="institution", email="lee@bcit.ca", institution="BCIT")
    draft = portal.upload(lee, "bcit.csv", bcit_file())
    sent = portal.send(lee, draft.draft_id, {c["code"]: "because" for c in draft.edit_checks})
    assert sent.state == "submitted"
