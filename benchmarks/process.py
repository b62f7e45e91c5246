"""Timing a command in its own process: wall time and the peak memory of it and its children."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    exit_code: int
    stderr: str
    cpu_seconds: float = 0.0  # user + system: less sensitive than wall time to other work on the machine


def run_process(args: Sequence[str], cwd: Path = PROJECT_ROOT) -> Run:
    """Run ``args`` to completion; its wall time and peak resident memory.

    ``os.wait4`` gives the rusage of this one child, where RUSAGE_CHILDREN would
    give the largest peak of every child so far. Its ``ru_maxrss`` also counts this
    process's own memory at the fork (Linux keeps the high-water mark across exec): once
    the in-process measurements had grown this process to 986 MB, every later command
    "peaked" at 986 MB at least. So the peak is the child's own ``VmHWM`` (its image
    after exec) or, when it starts processes of its own, the most their tree held at once,
    read every few milliseconds until it exits; ``ru_maxrss`` only where /proc cannot be read.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(args), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        watched = _HighWater(proc.pid)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss is in KiB on Linux.
    peak = watched.stop() or usage.ru_maxrss / 1024
    return Run(seconds, peak, proc.returncode, stderr, usage.ru_utime + usage.ru_stime)


class _HighWater:
    """The peak memory of a running process and the processes it starts (an .xlsx is read in
    a child of ``mcred load``), polled on a thread (MB; 0 if never read): the larger of the
    process's own VmHWM and the most the whole tree held at once (the sum of VmRSS)."""

    def __init__(self, pid: int, every: float = 0.005):
        self._pid, self._every, self.mb = pid, every, 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    def _poll(self) -> None:
        while not self._done.is_set():
            root = _status(self._pid)
            if root is None:
                return  # gone (or a zombie without memory): the last reading stands
            # A child may end between the listing and the reading of its status: it counts 0.
            tree = root["VmRSS"] + sum((_status(child) or {}).get("VmRSS", 0.0) for child in _descendants(self._pid))
            self.mb = max(self.mb, root["VmHWM"], tree)
            self._done.wait(self._every)

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.mb


def _status(pid: int) -> dict[str, float] | None:
    """VmHWM and VmRSS of ``pid`` in MB (None when it is gone or has no memory left)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            fields = {
                k: int(v.split()[0]) / 1024
                for k, _, v in (line.partition(":") for line in f)
                if k in ("VmHWM", "VmRSS")
            }
    except (OSError, ValueError):
        return None
    return fields if len(fields) == 2 else None


def _descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            with open(f"/proc/{parent}/task/{parent}/children") as f:
                children = [int(c) for c in f.read().split()]
        except OSError:
            children = []
        out += children
        todo += children
    return out


def python(*args: str) -> list[str]:
    """A command line running this interpreter (the project's venv)."""
    return [sys.executable, *args]


def repeated(times: int, prepare: Callable[[], None], args: Sequence[str]) -> list[Run]:
    """Run ``args`` ``times`` times, calling ``prepare`` (e.g. remove the database) before each."""
    return interleaved(times, (prepare, args))[0]


def interleaved(times: int, *commands: tuple[Callable[[], None], Sequence[str]]) -> list[list[Run]]:
    """Run each (prepare, args) in turn, ``times`` rounds; the runs of each command.

    Alternating ours and the floor exposes both to the same background load, which
    keeps their ratio meaningful on a shared machine.
    """
    runs: list[list[Run]] = [[] for _ in commands]
    for _ in range(times):
        for (prepare, args), out in zip(commands, runs):
            prepare()
            out.append(run_process(args))
    return runs


def median_seconds(runs: Sequence[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def median_cpu_seconds(runs: Sequence[Run]) -> float:
    return statistics.median(r.cpu_seconds for r in runs)


def max_peak_mb(runs: Sequence[Run]) -> float:
    return max(r.peak_mb for r in runs)


def remove(*paths: Path) -> Callable[[], None]:
    """A ``prepare`` step that deletes files (a database and its side files) if present."""

    def prepare() -> None:
        for path in paths:
            for p in (path, path.with_name(path.name + ".wal"), path.with_name(path.name + ".lock")):
                p.unlink(missing_ok=True)

    return prepare
