"""Waiting for an OS file lock (``flock``), for as long as a caller allows.

The loader's ``<db>.lock`` (etl.warehouse.Writer) and the portal's accept lock
(dashboard.submitting.service) wait alike: an exclusive ``flock`` tried without blocking
until it is free or the caller's time is up, so a waiter can say what it waits for and
give up with a message of its own. ``flock`` belongs to the open file, not the process:
a child that inherits the descriptor holds the lock too, and the lock is gone when the
last process holding the file closes it or dies.

Plain Python that etl and dashboard both import and that imports neither (a contract in
pyproject.toml): the one piece of code the two packages share.
"""

from __future__ import annotations

import errno
import fcntl
import time
from collections.abc import Callable

__all__ = ["take"]


def take(fd: int, seconds: float, *, poll: float, on_wait: Callable[[], None] | None = None) -> bool:
    """Take an exclusive ``flock`` on ``fd``, trying every ``poll`` seconds until ``seconds``
    have passed (0: one try); False when another still holds it then. ``on_wait`` is called
    once, when a try finds the lock held and there is time left to wait."""
    deadline = time.monotonic() + seconds
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        if time.monotonic() >= deadline:
            return False
        if on_wait is not None and not told:
            on_wait()
            told = True
        time.sleep(poll)
