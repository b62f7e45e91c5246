"""mcred_locks.take, and the messages of the two locks that wait with it: the loader's
``<db>.lock`` and the portal's accept lock. Each held by another open file, as another
process would hold it (flock belongs to the open file)."""

from __future__ import annotations

import fcntl
import os
import threading

import pytest

import mcred_locks
from dashboard.submitting.service import Portal
from dashboard.submitting.store import StateError, submissions_store_path
from etl.warehouse import WarehouseError, Writer


@pytest.fixture
def held(tmp_path):
    """Open ``path`` and hold its lock, as another process would; released at the end."""
    fds = []

    def hold(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fds.append(fd)
        return fd

    yield hold
    for fd in fds:
        os.close(fd)


def _open(path):
    return os.open(path, os.O_RDWR | os.O_CREAT, 0o600)


def test_a_free_lock_is_taken_at_once_and_a_held_one_is_not(tmp_path, held):
    path = tmp_path / "x.lock"
    fd = _open(path)
    try:
        assert mcred_locks.take(fd, 0, poll=0.01)
        other = _open(path)
        told = []
        try:
            assert not mcred_locks.take(other, 0, poll=0.01, on_wait=lambda: told.append(1))
            assert told == []  # one try, nothing to wait for
            assert not mcred_locks.take(other, 0.05, poll=0.01, on_wait=lambda: told.append(1))
            assert told == [1]  # told once, however many tries
        finally:
            os.close(other)
    finally:
        os.close(fd)


def test_a_waiter_takes_the_lock_when_its_holder_lets_go(tmp_path, held):
    path = tmp_path / "x.lock"
    holder = held(path)
    threading.Timer(0.1, fcntl.flock, (holder, fcntl.LOCK_UN)).start()
    fd = _open(path)
    try:
        assert mcred_locks.take(fd, 30, poll=0.01)
    finally:
        os.close(fd)


def test_a_bad_descriptor_is_an_error_not_a_wait(tmp_path):
    fd = _open(tmp_path / "x.lock")
    os.close(fd)
    with pytest.raises(OSError):
        mcred_locks.take(fd, 30, poll=0.01)


def test_the_loader_says_it_waits_and_gives_up_with_a_message(tmp_path, held):
    db = tmp_path / "w.duckdb"
    held(tmp_path / "w.duckdb.lock")
    told: list[str] = []
    with pytest.raises(WarehouseError, match=r"another load into .*w\.duckdb has been running for over 0 s"):
        with Writer(db, lock_wait=0.05, on_wait=told.append):
            pass
    assert told == [f"waiting for another load into {db} to finish"]
    assert not db.exists()  # nothing written while it waited


def test_the_portal_tries_its_accept_lock_once_or_waits_and_gives_up_with_a_message(tmp_path, held):
    portal = Portal(tmp_path / "w.duckdb")
    held(submissions_store_path(portal.db_path).with_suffix(".accept.lock"))
    with portal._accept_lock(wait=0) as fd:  # noqa: SLF001 - recover() asks so; it skips when -1
        assert fd == -1
    with pytest.raises(StateError, match="another file is being loaded and has taken over 0 minutes"):
        with portal._accept_lock(wait=0.05):  # noqa: SLF001
            pass
