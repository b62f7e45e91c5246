"""The store base beside the warehouse (accounts, drafts): processes that open a new file at
the same moment all get in (one switches it to WAL and makes the schema, the others wait),
and the file is its owner's only."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from dashboard.sqlite_store import SqliteStore

PROCESSES = 6
TRIALS = 20


class Notes(SqliteStore):
    SCHEMA = "CREATE TABLE note (text TEXT NOT NULL)"


def _write(path: str, barrier) -> str:
    barrier.wait()
    try:
        with Notes(Path(path)).transaction() as con:
            con.execute("INSERT INTO note VALUES ('x')")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - the test counts what went wrong
        return repr(exc)


def test_processes_opening_a_new_file_at_once_all_write(tmp_path):
    # Before the switch to WAL was retried, about 1 in 36 such writers got "database is locked"
    # (SQLite does not wait on its busy handler while changing a file's journal mode).
    context = multiprocessing.get_context("fork")
    outcomes = []
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        for trial in range(TRIALS):
            barrier = manager.Barrier(PROCESSES)
            path = str(tmp_path / f"notes-{trial}.sqlite")
            outcomes += pool.starmap(_write, [(path, barrier)] * PROCESSES)
    assert outcomes == ["ok"] * PROCESSES * TRIALS, sorted(set(outcomes))
    with Notes(tmp_path / "notes-0.sqlite").transaction() as con:
        assert con.execute("SELECT count(*) FROM note").fetchone()[0] == PROCESSES
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_the_file_is_its_owners_only(tmp_path):
    store = Notes(tmp_path / "notes.sqlite")
    with store.transaction() as con:
        con.execute("INSERT INTO note VALUES ('x')")
    assert (tmp_path / "notes.sqlite").stat().st_mode & 0o777 == 0o600
