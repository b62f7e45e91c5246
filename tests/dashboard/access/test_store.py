"""The account store and audit log (dashboard/access/store.py): real SQLite files in tmp_path,
real argon2 hashes, several processes at once."""

from __future__ import annotations

import multiprocessing
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dashboard.access import passwords
from dashboard.access.store import AccessStore, AccountError, store_path

PASSWORD = "correct horse battery"
KNOWN = frozenset({"BCIT", "UBC"})


@pytest.fixture
def store(tmp_path) -> AccessStore:
    return AccessStore(store_path(tmp_path / "warehouse.duckdb"))


def test_store_lives_beside_the_warehouse_not_inside_it(tmp_path):
    assert store_path(tmp_path / "microcredentials.duckdb") == tmp_path / "microcredentials.access.sqlite"


def test_add_and_authenticate(store):
    account = store.add_account(" Ana@Ministry.GOV.bc.ca ", "ministry", PASSWORD, actor="cli:test")
    assert account.email == "ana@ministry.gov.bc.ca" and account.role == "ministry" and account.institution is None
    assert store.authenticate("ANA@ministry.gov.bc.ca", PASSWORD) == store.account("ana@ministry.gov.bc.ca")
    assert store.authenticate("ana@ministry.gov.bc.ca", PASSWORD + "x") is None
    assert store.authenticate("nobody@example.org", PASSWORD) is None
    assert store.authenticate("not an email", PASSWORD) is None


def test_password_is_stored_as_an_argon2id_hash_readable_by_the_owner_only(store):
    store.add_account("a@b.ca", "ministry", PASSWORD)
    con = sqlite3.connect(store.path)
    (stored,) = con.execute("SELECT password_hash FROM account").fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_institution_accounts_are_bound_to_a_known_institution(store):
    account = store.add_account("lee@bcit.ca", "institution", PASSWORD, "bcit", known_institutions=KNOWN)
    assert account.institution == "BCIT"
    with pytest.raises(AccountError, match="needs --institution"):
        store.add_account("x@bcit.ca", "institution", PASSWORD)
    with pytest.raises(AccountError, match="unknown institution 'ZZZ'.*BCIT, UBC"):
        store.add_account("x@bcit.ca", "institution", PASSWORD, "ZZZ", known_institutions=KNOWN)
    with pytest.raises(AccountError, match="give no --institution"):
        store.add_account("x@gov.bc.ca", "ministry", PASSWORD, "BCIT")
    with pytest.raises(AccountError, match="unknown role 'admin'"):
        store.add_account("x@gov.bc.ca", "admin", PASSWORD)


def test_refusals_change_nothing(store):
    store.add_account("a@b.ca", "ministry", PASSWORD)
    with pytest.raises(AccountError, match="exists already"):
        store.add_account("A@B.CA", "ministry", PASSWORD)
    with pytest.raises(passwords.PasswordPolicyError, match="at least 12"):
        store.add_account("c@d.ca", "ministry", "short")
    with pytest.raises(AccountError, match="not an email"):
        store.add_account("no-at-sign", "ministry", PASSWORD)
    with pytest.raises(AccountError, match="no account for"):
        store.remove_account("c@d.ca")
    with pytest.raises(AccountError, match="no account for"):
        store.set_password("c@d.ca", PASSWORD)
    assert [a.email for a in store.accounts()] == ["a@b.ca"]
    assert [e.action for e in store.events()] == ["account_added"]


def test_password_change_and_removal_are_audited(store):
    store.add_account("a@b.ca", "ministry", PASSWORD, actor="cli:root")
    store.set_password("a@b.ca", "another long passphrase", actor="cli:root")
    assert store.authenticate("a@b.ca", PASSWORD) is None
    assert store.authenticate("a@b.ca", "another long passphrase") is not None
    store.remove_account("a@b.ca", actor="cli:root")
    assert store.accounts() == []
    events = store.events()
    assert [(e.action, e.actor, e.detail.get("email")) for e in events] == [
        ("account_added", "cli:root", "a@b.ca"),
        ("password_changed", "cli:root", "a@b.ca"),
        ("account_removed", "cli:root", "a@b.ca"),
    ]
    assert events[0].detail == {"email": "a@b.ca", "role": "ministry", "institution": None}


def test_audit_log_is_append_only_even_for_raw_sqlite_clients(store):
    store.record("sign_in", actor="a@b.ca", role="ministry", address="127.0.0.1", route="/login")
    con = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("UPDATE audit SET actor = 'someone else'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        con.execute("DELETE FROM audit")
    assert [e.actor for e in store.events()] == ["a@b.ca"]


def test_audit_since_and_limit(store):
    for n in range(5):
        store.record("export", actor=f"user{n}@b.ca", route="/export/offerings.csv", detail={"rows": n})
    events = store.events()
    assert [e.detail["rows"] for e in events] == [0, 1, 2, 3, 4]
    assert [e.detail["rows"] for e in store.events(limit=2)] == [3, 4]
    assert store.events(since=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert len(store.events(since=events[2].at)) == 3
    with pytest.raises(ValueError, match="unknown audit action"):
        store.record("format_disk")


def _add_many(path: str, start: int) -> None:
    store = AccessStore(Path(path))
    for n in range(start, start + 5):
        store.add_account(f"user{n}@b.ca", "ministry", PASSWORD, actor=f"proc{start}")
        store.record("sign_in", actor=f"user{n}@b.ca")


def test_several_processes_write_at_once_without_losing_anything(store):
    """Dashboard workers and the command line share the store: real processes, one file."""
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(str(store.path), start)) for start in (0, 100, 200, 300)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert len(store.accounts()) == 20
    events = store.events()
    assert len(events) == 40 and len({e.event_id for e in events}) == 40
