"""Reader.at_once: a request's independent queries side by side, on the request's one version."""

from __future__ import annotations

import os
import select
import signal
import threading

import pytest


def test_results_come_back_in_order_each_from_its_own_thread(db):
    names = []

    def query(n):
        def run():
            names.append(threading.current_thread().name)
            return db.rows(f"SELECT {n} + count(*) * 0 FROM submissions")[0][0]

        return run

    assert db.at_once([query(n) for n in range(4)]) == [0, 1, 2, 3]
    assert sorted(names).count("mcred-sql") == 3  # the caller's thread took the first
    assert db.at_once([]) == []


def test_the_first_error_is_raised_after_every_call_has_run(db):
    finished = []

    def fails():
        raise ValueError("bad query")

    def slow():
        db.rows("SELECT count(*) FROM current_offerings")
        finished.append(True)

    with pytest.raises(ValueError, match="bad query"):
        db.at_once([fails, slow, slow])
    assert finished == [True, True]


def test_every_call_reads_the_version_pinned_before_they_start(db):
    version = db.version
    seen = db.at_once([lambda: db.version for _ in range(3)])
    assert seen == [version] * 3


def test_it_still_works_in_a_forked_child(db):
    """No pool state is carried over a fork (gunicorn forks its workers)."""
    db.at_once([lambda: 1, lambda: 2])
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, whatever happens
        try:
            ok = db.at_once([lambda: 1, lambda: 2]) == [1, 2]
        except BaseException:  # noqa: BLE001
            ok = False
        os.write(write, b"1" if ok else b"0")
        os._exit(0)
    os.close(write)
    ready, _, _ = select.select([read], [], [], 60)
    answer = os.read(read, 1) if ready else b"timeout"
    if not ready:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    assert answer == b"1"
