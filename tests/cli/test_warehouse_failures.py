"""Issue #14, item 6: a full disk, DuckDB's memory limit, a truncated or damaged database and a
stray write-ahead log each end a command with one line saying what happened and what to do,
a non-zero exit and no traceback, and the live file is never damaged.

The full disk is real: a 32 MB tmpfs mounted for the test (root, as in CI; skipped elsewhere),
filled to leave a chosen number of bytes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from submission_files import csv_file, offering_row

from etl.warehouse import read_only

MCRED = Path(sys.executable).with_name("mcred")


def mcred(*argv, **env_over) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MCRED_DB", "MCRED_DEBUG")} | env_over
    return subprocess.run([str(MCRED), *map(str, argv)], capture_output=True, text=True, env=env, timeout=300)


def assert_one_line_failure(run: subprocess.CompletedProcess, *fragments: str) -> str:
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("mcred: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def files(tmp_path) -> tuple[Path, Path]:
    small = csv_file(tmp_path, "small.csv", [offering_row(oid=f"A{i}") for i in range(50)])
    big = csv_file(tmp_path, "big.csv", [offering_row(inst="UBC", oid=f"B{i}") for i in range(5_000)])
    return small, big


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs a tmpfs mount (root)")
    disk = tmp_path / "disk"
    disk.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(disk)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=True)


def fill(disk: Path, leave: int) -> None:
    """Fill the disk until ``leave`` bytes are free."""
    (disk / "filler").unlink(missing_ok=True)
    free = shutil.disk_usage(disk).free
    with open(disk / "filler", "wb") as fh:
        fh.truncate(0)
        fh.write(bytes(max(0, free - leave)))


def offerings(db: Path) -> int:
    with read_only(db) as con:
        return con.execute("SELECT count(*) FROM current_offerings").fetchone()[0]


@pytest.mark.parametrize(
    ("leave", "what"),
    [(200_000, "the private copy cannot be made"), (6_100_000, "the copy is made, its log cannot be written")],
)
def test_a_full_disk_is_one_line_and_the_live_file_is_untouched(small_disk, files, leave, what):
    small, big = files
    db = small_disk / "warehouse.duckdb"
    assert mcred("load", small, "--db", db).returncode == 0
    before = db.read_bytes()
    fill(small_disk, leave)
    run = mcred("load", big, "--db", db)
    assert_one_line_failure(
        run, f"the disk holding {db} is full", "is as the last submission reported left it", "free space there"
    )
    assert db.read_bytes() == before, what
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler", "warehouse.duckdb", "warehouse.duckdb.lock"]
    (small_disk / "filler").unlink()
    assert mcred("load", big, "--db", db).returncode == 0  # with room again, the same load works
    assert offerings(db) == 5_050


def test_the_memory_limit_is_one_line(tmp_path, files):
    small, big = files
    db = tmp_path / "warehouse.duckdb"
    assert mcred("load", small, "--db", db).returncode == 0
    before = db.read_bytes()
    run = mcred("load", big, "--db", db, MCRED_LOAD_MEMORY_LIMIT="2MB")
    assert_one_line_failure(
        run, "ran out of the memory it may use (MCRED_LOAD_MEMORY_LIMIT=2MB)", "raise MCRED_LOAD_MEMORY_LIMIT"
    )
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", ["load", "status"])
def test_a_truncated_database_is_named_truncated(tmp_path, files, command):
    small, big = files
    db = tmp_path / "warehouse.duckdb"
    assert mcred("load", big, "--db", db).returncode == 0
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    cut = db.read_bytes()
    run = mcred(*(["load", small] if command == "load" else ["status"]), "--db", db)
    assert_one_line_failure(run, f"the database {db} is truncated", "restore it from a backup")
    assert db.read_bytes() == cut


def test_a_damaged_database_says_restore_or_reload(tmp_path, files):
    small, big = files
    db = tmp_path / "warehouse.duckdb"
    assert mcred("load", big, "--db", db).returncode == 0
    data = bytearray(db.read_bytes())
    data[: 4096 * 3] = os.urandom(4096 * 3)  # the headers
    db.write_bytes(bytes(data))
    run = mcred("load", small, "--db", db)
    assert_one_line_failure(run, f"the database {db}", "restore it from a backup, or move it aside")
    assert db.read_bytes() == bytes(data)


@pytest.mark.parametrize("command", ["load", "status"])
def test_a_stray_write_ahead_log_is_named_and_the_database_kept(tmp_path, files, command):
    """A log left by a writer of another database (crashed, then its file replaced)."""
    small, big = files
    db = tmp_path / "warehouse.duckdb"
    assert mcred("load", small, "--db", db).returncode == 0
    other = tmp_path / "other.duckdb"
    code = (
        "import duckdb, os, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "con.execute(\"SET checkpoint_threshold = '1TB'\")\n"
        "con.execute('CREATE TABLE t AS SELECT range AS i FROM range(1000)')\n"
        "os._exit(9)\n"  # killed before any checkpoint: the log stays
    )
    subprocess.run([sys.executable, "-c", code, str(other)], check=False)
    stray = other.with_name(other.name + ".wal")
    assert stray.exists()
    wal = db.with_name(db.name + ".wal")
    shutil.copyfile(stray, wal)
    before = db.read_bytes()
    run = mcred(*(["load", big] if command == "load" else ["status"]), "--db", db)
    assert_one_line_failure(run, "has a write-ahead log warehouse.duckdb.wal that belongs to another database", "move")
    assert db.read_bytes() == before and wal.exists()
    wal.rename(wal.with_name(wal.name + ".stray"))  # as the message says
    assert mcred("load", big, "--db", db).returncode == 0
    assert offerings(db) == 5_050
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM submissions").fetchone()[0] == 2
