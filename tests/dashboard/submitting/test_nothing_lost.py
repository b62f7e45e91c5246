"""Nothing lost, with real processes: two uploads at the same moment, two ministry users
accepting at once, an accept during ``mcred load``, and processes killed with SIGKILL in the
middle of an upload or an accept. Every file stays a draft or is loaded exactly once, and the
warehouse is never half-written.

Each step runs in its own process (portal_driver.py: the service code a dashboard worker
runs for the callback), and the accept's load in the child process it starts (mcred.portal).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from submit_helpers import bcit_file

from dashboard.access.actor import Actor
from dashboard.submitting.store import submissions_store_path

REPO = Path(__file__).resolve().parents[3]
DRIVER = Path(__file__).with_name("portal_driver.py")
LEE = Actor(role="institution", email="lee@bcit.ca", institution="BCIT")
ANA = Actor(role="ministry", email="ana@gov.bc.ca")

pytestmark = pytest.mark.slow


@pytest.fixture
def db(tmp_path, db_path) -> Path:
    target = tmp_path / "wh" / "warehouse.duckdb"
    target.parent.mkdir()
    shutil.copy(db_path, target)
    return target


def _env(start_at: float = 0) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=f"{REPO}:{DRIVER.parent}", PORTAL_DRIVER_START_AT=str(start_at))
    env.pop("MCRED_DEBUG", None)
    return env


def _driver(db: Path, *args: str, start_at: float = 0, new_session: bool = False) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(db), *args],
        cwd=REPO,
        env=_env(start_at),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=new_session,
    )


def _answer(proc: subprocess.Popen[bytes], timeout: float = 300) -> dict:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err.decode()
    return json.loads(out.decode().strip().splitlines()[-1])


def _portal(db: Path):
    from portal_driver import portal_for

    return portal_for(db)


def _sent_draft(db: Path, tmp_path: Path, offerings: int = 3) -> int:
    portal = _portal(db)
    draft = portal.upload(LEE, "bcit_2025-26.csv", bcit_file(offerings=offerings))
    assert not draft.errors, draft.submissions
    return portal.send(LEE, draft.draft_id, {c["code"]: "explained" for c in draft.edit_checks}).draft_id


def _warehouse_whole(db: Path) -> dict[int, int]:
    """Every stored submission has exactly its offerings (no half-written one); draft -> submissions."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{db}' AS wh (READ_ONLY)")
        bad = con.execute("""
            SELECT s.submission_id FROM wh.submission s
            LEFT JOIN (SELECT submission_id, count(*) AS n FROM wh.offering GROUP BY ALL) o USING (submission_id)
            WHERE coalesce(o.n, 0) <> s.rows_accepted
        """).fetchall()
        orphans = con.execute(
            "SELECT count(*) FROM wh.offering WHERE submission_id NOT IN (SELECT submission_id FROM wh.submission)"
        ).fetchone()[0]
        assert bad == [] and orphans == 0
        return dict(con.execute("SELECT draft_id, count(*) FROM wh.submission_route GROUP BY draft_id").fetchall())
    finally:
        con.close()


def _lock_free(db: Path) -> bool:
    fd = os.open(submissions_store_path(db).with_suffix(".accept.lock"), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def _wait_for(condition, timeout: float = 120, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _loading(db: Path) -> bool:
    return any(db.parent.glob(f".{db.name}.next-*"))


def test_two_uploads_at_the_same_moment_keep_both_files_whole(db, tmp_path):
    files = []
    for n, offerings in enumerate((3, 400)):
        path = tmp_path / f"bcit_{n}.csv"
        path.write_bytes(bcit_file(offerings=offerings))
        files.append(path)
    start = time.time() + 2.5  # both processes are up by then; they start at the same instant
    procs = [_driver(db, "upload", "lee@bcit.ca", "BCIT", str(f), start_at=start) for f in files]
    answers = [_answer(p) for p in procs]
    ids = [a["draft_id"] for a in answers]
    assert len(set(ids)) == 2 and all(a["state"] == "draft" for a in answers)
    portal = _portal(db)
    for draft_id, path in zip(ids, files):
        draft = portal.store.get(draft_id)
        assert portal.store.content(draft_id) == path.read_bytes()
        assert draft.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert draft.report is not None and draft.submissions[0]["rows_total"] in (3, 400)


def test_two_ministry_users_accepting_at_once_load_it_exactly_once(db, tmp_path):
    draft_id = _sent_draft(db, tmp_path)
    start = time.time() + 2.5
    procs = [
        _driver(db, "accept", email, "-", str(draft_id), start_at=start) for email in ("ana@gov.bc.ca", "sam@gov.bc.ca")
    ]
    answers = [_answer(p) for p in procs]
    accepted = [a for a in answers if a.get("state") == "accepted"]
    refused = [a for a in answers if "refused" in a]
    assert len(accepted) == 1 and len(refused) == 1, answers
    assert "already accepted" in refused[0]["refused"]
    assert _warehouse_whole(db) == {draft_id: 1}
    events = [e.event for e in _portal(db).store.get(draft_id).events]
    assert events.count("accepted") == 1 and events.count("accepting") == 1


def test_an_accept_during_mcred_load_waits_and_both_are_loaded(db, tmp_path):
    draft_id = _sent_draft(db, tmp_path)
    big = tmp_path / "ubc_2025-26.csv"
    big.write_bytes(bcit_file(offerings=30_000).replace(b"BCIT", b"UBC"))
    load = subprocess.Popen(
        [sys.executable, "-m", "mcred.cli", "load", "--db", str(db), str(big)],
        cwd=REPO,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_for(lambda: _loading(db), what="mcred load to start writing")
    answer = _answer(_driver(db, "accept", "ana@gov.bc.ca", "-", str(draft_id)))
    out, err = load.communicate(timeout=300)
    assert load.returncode == 0, err.decode()
    assert answer["state"] == "accepted"
    assert _warehouse_whole(db) == {draft_id: 1}
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{db}' AS wh (READ_ONLY)")
    current = con.execute(
        "SELECT institution_code, route, rows_accepted FROM wh.current_submissions WHERE reporting_period = '2025/26' "
        "ORDER BY 1"
    ).fetchall()
    assert current == [("BCIT", "portal", 3), ("UBC", "cli", 30_000)]


def test_the_server_killed_mid_accept_the_load_still_finishes_once(db, tmp_path):
    """SIGKILL to the process that took the accept: its loading child keeps the accept lock and
    finishes; the draft is then settled as accepted from the warehouse's own record."""
    draft_id = _sent_draft(db, tmp_path, offerings=40_000)
    proc = _driver(db, "accept", "ana@gov.bc.ca", "-", str(draft_id))
    _wait_for(lambda: _loading(db), what="the accept's load to start writing")
    proc.kill()
    proc.wait()
    portal = _portal(db)
    assert portal.store.get(draft_id).state == "accepting"
    portal.recover()  # the child still holds the lock: nothing is settled yet
    _wait_for(lambda: _lock_free(db), what="the orphaned load to finish")
    portal.recover()
    draft = portal.store.get(draft_id)
    assert draft.state == "accepted" and draft.submission_id is not None
    assert _warehouse_whole(db) == {draft_id: 1}
    assert draft.events[-1].note.endswith("(settled after an interrupted accept)")


def test_the_server_and_its_load_killed_mid_accept_leave_it_submitted_then_one_accept_loads_it(db, tmp_path):
    draft_id = _sent_draft(db, tmp_path, offerings=40_000)
    before = db.read_bytes()
    proc = _driver(db, "accept", "ana@gov.bc.ca", "-", str(draft_id), new_session=True)
    _wait_for(lambda: _loading(db), what="the accept's load to start writing")
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    _wait_for(lambda: _lock_free(db), what="every process of the accept to be gone")
    portal = _portal(db)
    loaded = _warehouse_whole(db)
    portal.recover()
    draft = portal.store.get(draft_id)
    if loaded:  # killed in the instant after the publish: it is loaded, once
        assert loaded == {draft_id: 1} and draft.state == "accepted"
    else:  # killed before: the warehouse is the one before the accept, the file back in the queue
        assert db.read_bytes() == before
        assert draft.state == "submitted" and draft.events[-1].event == "accept_interrupted"
        assert portal.accept(ANA, draft_id).state == "accepted"
    assert _warehouse_whole(db) == {draft_id: 1}
    assert not list(db.parent.glob(f".{db.name}.portal-*")), "the killed accept's temporary copy is cleared"


def test_the_server_killed_mid_upload_keeps_the_file_as_a_draft(db, tmp_path):
    big = tmp_path / "bcit_big.csv"
    big.write_bytes(bcit_file(offerings=40_000))
    proc = _driver(db, "upload", "lee@bcit.ca", "BCIT", str(big), new_session=True)
    store = _portal(db).store

    def stored() -> bool:
        return store.path.exists() and bool(store.drafts(owner="BCIT"))

    _wait_for(stored, what="the upload to be kept")
    os.killpg(proc.pid, signal.SIGKILL)  # the server and the check it started
    proc.wait()
    [draft] = store.drafts(owner="BCIT")
    assert store.content(draft.draft_id) == big.read_bytes() and draft.state == "draft"
    if draft.report is None:  # killed while it was being checked: the page checks it again
        checked = _portal(db).check(LEE.scope, draft.draft_id)
        assert checked.submissions[0]["rows_total"] == 40_000
