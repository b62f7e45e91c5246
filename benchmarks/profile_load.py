"""Where ``mcred load`` spends its time and memory: ``python -m benchmarks.profile_load FILE [--db PATH]``.

Runs ``etl.load.load_files`` in this process with every DuckDB statement (and the
reading, validating and publishing steps) timed, and prints the steps that took
longest with the resident memory after each and the peak so far. It changes
nothing in ``etl``: it wraps the connection that ``duckdb.connect`` returns.
"""

from __future__ import annotations

import argparse
import re
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from etl import load, readers, warehouse
from etl.config import settings as make_settings

PAGE_MB = 4096 / 2**20


@dataclass
class Step:
    what: str
    seconds: float
    cpu_seconds: float  # of every thread of the process: above ``seconds`` when the step ran in parallel
    rss_mb: float
    peak_mb: float


STEPS: list[Step] = []

# Python steps timed as a whole (their SQL statements are timed one by one as well).
WRAPPED: tuple[tuple[Any, str], ...] = (
    (readers, "read_submission_file"),
    (readers, "_find_csv_header"),
    (readers, "_parse_csv_fast"),
    (readers, "_assemble"),
    (load, "validate"),
    (load, "validate_batch"),
    (load, "_load_batch"),
    (load, "_record_group"),
    (load, "_record_batch"),
    (load, "_write_batch"),
    (load, "_attach_issues"),
    (warehouse.Writer, "publish"),
    (warehouse.Writer, "reopen"),
)


def _rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE_MB


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _record(what: str, started: tuple[float, float]) -> None:
    wall, cpu = _now()
    STEPS.append(Step(what, wall - started[0], cpu - started[1], _rss_mb(), _peak_mb()))


def _timed(what: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = _now()
        try:
            return fn(*args, **kwargs)
        finally:
            _record(what, started)

    return wrapper


def _sql_label(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()[:110]


class TimedConnection:
    """A DuckDB connection whose statements are timed; everything else passes through."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self._con = con

    def execute(self, sql: str, *args: Any) -> Any:
        started = _now()
        try:
            return self._con.execute(sql, *args)
        finally:
            _record("SQL " + _sql_label(sql), started)

    def executemany(self, sql: str, *args: Any) -> Any:
        started = _now()
        try:
            return self._con.executemany(sql, *args)
        finally:
            _record("SQL many " + _sql_label(sql), started)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_load", description=__doc__)
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--db", type=Path, help="database to load into (default: a fresh one in a temp folder)")
    parser.add_argument("--top", type=int, default=25, help="how many of the slowest steps to list")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a DuckDB setting to try on every connection the loader opens (e.g. memory_limit=1GB)",
    )
    args = parser.parse_args(argv)
    settings_to_try = [item.split("=", 1) for item in args.set]
    if any(len(pair) != 2 or not pair[0].isidentifier() for pair in settings_to_try):
        parser.error("--set takes NAME=VALUE")

    real_connect = duckdb.connect

    def connect(*a: Any, **k: Any) -> TimedConnection:
        con = real_connect(*a, **k)
        for name, value in settings_to_try:
            con.execute(f"SET {name} = ?", [value])
        return TimedConnection(con)

    warehouse.duckdb.connect = connect  # type: ignore[attr-defined]
    for owner, name in WRAPPED:
        if hasattr(owner, name):  # the loader evolves: wrap what is there
            setattr(owner, name, _timed(f"{getattr(owner, '__name__', owner)}.{name}", getattr(owner, name)))

    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "profile.duckdb"
        started = _now()
        load.load_files(args.paths, make_settings(db))
        total, cpu = (end - start for end, start in zip(_now(), started))
    print(f"total {total:.2f} s ({cpu:.2f} CPU s), peak {_peak_mb():.0f} MB, {len(STEPS)} steps; slowest {args.top}:")
    print(f"{'seconds':>8} {'share':>6} {'CPU s':>6} {'rss MB':>7} {'peak MB':>8}  step")
    for step in sorted(STEPS, key=lambda s: -s.seconds)[: args.top]:
        print(
            f"{step.seconds:8.2f} {step.seconds / total:6.1%} {step.cpu_seconds:6.2f} "
            f"{step.rss_mb:7.0f} {step.peak_mb:8.0f}  {step.what}"
        )
    print("\nin order (steps over 1% of the total):")
    for step in STEPS:
        if step.seconds >= total / 100:
            print(f"{step.seconds:8.2f} {step.cpu_seconds:6.2f} {step.rss_mb:7.0f} {step.peak_mb:8.0f}  {step.what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
