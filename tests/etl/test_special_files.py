"""Only regular files are read, and any file name works (issue 14, item 1): a FIFO, a symlink
to /dev/zero or a socket is one rejected submission naming the file (never a hang while the
writer lock is held); names with bytes that are not UTF-8 or with newlines load and are
printed escaped, on one line."""

from __future__ import annotations

import os
import signal
import socket

import pytest
from submission_files import csv_file, offering_row

from etl.load import load_files
from etl.warehouse import read_only
from mcred.cli import main


@pytest.fixture
def deadline():
    """Fail (instead of hanging the run) if a load blocks on a special file."""

    def expire(signum, frame):
        raise TimeoutError("the load blocked on a special file")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_fifo_device_and_socket_are_rejected_and_the_valid_file_loads(settings, tmp_path, deadline):
    folder = tmp_path / "batch"
    folder.mkdir()
    csv_file(folder, "good.csv", [offering_row()])
    os.mkfifo(folder / "pipe.csv")
    os.symlink("/dev/zero", folder / "zero.xlsx")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(folder / "sock.csv"))
    try:
        outcomes = load_files([folder], settings)
        given = load_files([folder / "pipe.csv"], settings)  # named directly, too
    finally:
        sock.close()
    by_file = {o.file: o for o in outcomes}
    assert by_file["good.csv"].status == "accepted"
    for name, what in [("pipe.csv", "a FIFO"), ("zero.xlsx", "a character device"), ("sock.csv", "a socket")]:
        outcome = by_file[name]
        assert outcome.status == "rejected" and outcome.institution_code is None
        [issue] = outcome.issues
        assert issue["message"].startswith(f"the path is {what}") and "not a regular file" in issue["message"]
    assert given[0].status in ("rejected", "already_loaded") and given[0].file == "pipe.csv"


def test_odd_file_names_load_and_print_escaped(settings, tmp_path, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    odd = os.fsdecode(b"caf\xe9.csv")  # Latin-1 bytes: not UTF-8
    forged = "a.csv\nACCEPTED        BCIT 2024-25   forged.csv"
    csv_file(folder, odd, [offering_row(oid="A1")])
    csv_file(folder, forged + ".csv", [offering_row(inst="UBC", oid="A1")])
    code = main(["load", str(folder), "--db", str(settings.db_path)])
    captured = capsys.readouterr()
    out = captured.out
    assert code == 0, captured
    lines = out.splitlines()
    assert len(lines) == 3, out  # two submissions and the summary: the newline forged no line
    assert any("caf\\xe9.csv" in line for line in lines)
    assert any("a.csv\\nACCEPTED" in line for line in lines)
    with read_only(settings.db_path) as con:
        names = sorted(r[0] for r in con.execute("SELECT file_name FROM submissions").fetchall())
    assert names == ["a.csv\\nACCEPTED        BCIT 2024-25   forged.csv.csv", "caf\\xe9.csv"]
