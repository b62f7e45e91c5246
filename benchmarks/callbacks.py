"""Timing Dash callbacks in-process, and the bare-DuckDB floor of the SQL they ran."""

from __future__ import annotations

import time
from pathlib import Path

import duckdb


def record_sql(database) -> list[tuple[str, list]]:
    """Record every statement (and its parameters) that ``database`` (a dashboard
    Database) runs from now on; the list fills as callbacks run."""
    recorded: list[tuple[str, list]] = []
    for method in ("frame", "rows"):
        original = getattr(database, method)

        def recording(sql, params=None, _original=original, **kwargs):
            recorded.append((sql, list(params or [])))
            return _original(sql, params, **kwargs)

        setattr(database, method, recording)
    return recorded


def post_callbacks(client, payloads: list[dict]) -> float:
    """Post each callback request to Dash's endpoint; the wall time of them all."""
    start = time.perf_counter()
    for payload in payloads:
        response = client.post("/_dash-update-component", json=payload)
        if response.status_code != 200:
            raise RuntimeError(f"callback failed ({response.status_code}): {response.data[:300]!r}")
    return time.perf_counter() - start


def replay(db_path: Path, statements: list[tuple[str, list]]) -> float:
    """The floor: the same statements on a bare read-only DuckDB connection."""
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{db_path}' AS wh (READ_ONLY)")
    con.execute("USE wh")
    start = time.perf_counter()
    for sql, params in statements:
        con.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def current_offerings(db_path: Path) -> int:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM current_offerings").fetchone()[0]
    finally:
        con.close()
