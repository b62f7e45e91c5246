"""A load killed in the middle leaves the warehouse exactly as it was, and the next
load is not blocked by what the killed one left behind."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from submission_files import csv_file, offering_row

from etl.load import load_files
from etl.warehouse import read_only

BIG_ROWS = 300_000
pytestmark = pytest.mark.slow


def _snapshot(db: Path) -> dict:
    with read_only(db) as con:
        return {
            "submissions": con.execute(
                "SELECT submission_id, institution_code, reporting_period, file_name, sha256, "
                "status, rows_accepted, is_current FROM submissions ORDER BY 1"
            ).fetchall(),
            "offerings": con.execute("SELECT count(*), sum(enrolments) FROM current_offerings").fetchone(),
            "issues": con.execute("SELECT count(*) FROM validation_issues").fetchone()[0],
            "version": con.execute("SELECT max(version) FROM data_version").fetchone()[0],
        }


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _staging(db: Path) -> list[Path]:
    return sorted(db.parent.glob(f".{db.name}.next-*"))


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("big")
    # The same pair as the first load: if the kill came too late, the big file would
    # supersede it and the test would see it.
    rows = [offering_row(oid=f"K{i}", title=f"Offering {i}", enrolments=str(20 + i % 7)) for i in range(BIG_ROWS)]
    return csv_file(d, "big.csv", rows)


def _writing(staging: Path, copied: int) -> bool:
    """The loader has begun writing offerings into its private copy (a big insert writes
    its row groups straight into the file; small commits only go to the log)."""
    try:
        return staging.stat().st_size > copied
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("phase", ["early", "late"])
def test_killed_load_leaves_the_warehouse_as_it_was(settings, tmp_path, big_file, phase):
    """Killed while reading and validating (early), or once offerings are being written
    into the private copy (late)."""
    db = settings.db_path
    first = csv_file(tmp_path, "first.csv", [offering_row(oid=f"F{i}", title=f"First {i}") for i in range(50)])
    [o] = load_files([first], settings)
    assert o.status == "accepted"
    before, digest = _snapshot(db), _file_digest(db)

    env = {**os.environ, "MCRED_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcred.cli", "load", "--db", str(db), str(big_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not _staging(db):  # the loader has its private copy: the load is under way
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the loader never started"
            time.sleep(0.01)
        if phase == "early":
            time.sleep(0.2)
        else:
            [staging] = _staging(db)
            while not _writing(staging, db.stat().st_size):
                assert proc.poll() is None, "the load finished before it could be killed: use a bigger file"
                assert time.monotonic() < deadline, "the loader never began writing"
                time.sleep(0.002)
        assert proc.poll() is None, "the load finished before it could be killed: use a bigger file"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    # Exactly as before: same bytes, same submissions, same offerings.
    assert _file_digest(db) == digest
    assert _snapshot(db) == before
    con = duckdb.connect(str(db), read_only=True)  # a plain DuckDB client opens it
    try:
        assert con.execute("SELECT count(*) FROM current_offerings").fetchone()[0] == 50
    finally:
        con.close()

    # What the killed loader left behind (its copy, the lock file) does not block the next load.
    assert _staging(db), "expected the killed loader's private copy to be left behind"
    second = csv_file(tmp_path, "second.csv", [offering_row(oid="S1", title="Second")])
    [o2] = load_files([second], settings)
    assert (o2.status, o2.superseded) == ("accepted", o.submission_id)
    assert _staging(db) == []
    after = _snapshot(db)
    assert len(after["submissions"]) == len(before["submissions"]) + 1
    assert after["offerings"][0] == 1


def test_a_failure_in_the_middle_of_a_load_leaves_the_warehouse_as_it_was(settings, tmp_path, monkeypatch):
    import etl.load

    first = csv_file(tmp_path, "first.csv", [offering_row(oid="F1")])
    load_files([first], settings)
    before, digest = _snapshot(settings.db_path), _file_digest(settings.db_path)

    real = etl.load._record_group
    calls = []

    def fail_on_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("disk on fire")
        return real(*args, **kwargs)

    monkeypatch.setattr(etl.load, "_record_group", fail_on_second)
    files = [csv_file(tmp_path, "a.csv", [offering_row(inst="UBC")]), csv_file(tmp_path, "b.csv", [offering_row()])]
    with pytest.raises(RuntimeError, match="disk on fire"):
        load_files(files, settings)
    assert len(calls) == 2
    assert _file_digest(settings.db_path) == digest
    assert _snapshot(settings.db_path) == before
    assert _staging(settings.db_path) == []  # cleaned up on the way out
    monkeypatch.undo()
    outcomes = load_files(files, settings)
    assert [o.status for o in outcomes] == ["accepted", "accepted"]
