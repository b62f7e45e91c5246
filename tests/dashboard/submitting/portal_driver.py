"""One step of the submitting loop in its own process, as a dashboard worker takes it:
``python portal_driver.py DB upload EMAIL INSTITUTION FILE`` or ``... DB accept EMAIL - DRAFT``.
Prints one JSON line: the draft's id and state, or the refusal."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from dashboard.access.actor import Actor
from dashboard.data import portal as portal_queries
from dashboard.data.database import Database
from dashboard.submitting.service import Portal
from dashboard.submitting.store import StateError


def portal_for(db: Path) -> Portal:
    database = Database(db)
    return Portal(db, loaded_as=lambda draft_id: portal_queries.loaded_draft(database.reader(), draft_id))


def main(db: str, step: str, email: str, institution: str, arg: str) -> None:
    start_at = float(os.environ.get("PORTAL_DRIVER_START_AT") or 0)  # every process of a test at one moment
    portal = portal_for(Path(db))
    while time.time() < start_at:
        time.sleep(0.001)
    actor = Actor(
        role="institution" if institution != "-" else "ministry",
        email=email,
        institution=None if institution == "-" else institution,
    )
    try:
        if step == "upload":
            path = Path(arg)
            draft = portal.upload(actor, path.name, path.read_bytes())
        elif step == "accept":
            draft = portal.accept(actor, int(arg))
        else:
            raise SystemExit(f"unknown step {step}")
    except StateError as exc:
        print(json.dumps({"refused": str(exc)}), flush=True)
        return
    print(
        json.dumps({"draft_id": draft.draft_id, "state": draft.state, "submission_id": draft.submission_id}), flush=True
    )


if __name__ == "__main__":
    main(*sys.argv[1:6])
