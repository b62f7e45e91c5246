"""Timing a command in its own process: wall time and that process's peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
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
    give the largest peak of every child so far.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(args), cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: keep Popen from waiting again
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    # ru_maxrss is in KiB on Linux.
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, stderr, usage.ru_utime + usage.ru_stime)


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
