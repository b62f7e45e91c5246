"""Exports on a large warehouse (the ``mcred sample --offerings N`` warehouse of overview.py).

- ``export_csv_stream``: ``GET /export/offerings.csv?period=all`` through the Flask app in
  its own process, read chunk by chunk as a client would: total time, time to the first
  row bytes (streaming: they must come long before the end) and the process's peak memory,
  against the floor: DuckDB's own ``COPY (same SELECT) TO 'f.csv'`` in its own process.
- ``export_xlsx`` / ``export_parquet``: about 200,000 offerings (the fiscal year nearest
  that size) through ``dashboard.exports.export_to_file``; Parquet against DuckDB's
  ``COPY ... (FORMAT parquet)``. XLSX has no bare-DuckDB floor here.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import duckdb

from benchmarks.measurements.overview import sample_warehouse
from benchmarks.process import python, run_process
from benchmarks.registry import Context, Result, measurement

TARGET_ROWS = 200_000

# Ours: the endpoint, streamed; writes {"first": s, "total": s, "bytes": n} to argv[3].
SERVER_SIDE = """
import json, sys, time
from pathlib import Path
from dashboard.app import create_app
from dashboard.settings import DashboardSettings
app = create_app(DashboardSettings(db_path=Path(sys.argv[1])))
client = app.server.test_client()
client.get("/_dash-dependencies")
start = time.perf_counter()
response = client.get(sys.argv[2], buffered=False)
first, size = None, 0
for chunk in response.response:
    size += len(chunk)
    if first is None and size > 3:  # past the byte-order mark: the first rows
        first = time.perf_counter() - start
total = time.perf_counter() - start
assert response.status_code == 200, response.status_code
Path(sys.argv[3]).write_text(json.dumps({"first": first, "total": total, "bytes": size}))
"""

EXPORT_SIDE = """
import json, sys, time
from pathlib import Path
from dashboard.data import reference as queries
from dashboard.data.database import Database
from dashboard.exports.offerings import export_to_file, parse_filters
db = Database(Path(sys.argv[1])).reader()
filters, search = parse_filters(json.loads(sys.argv[2]), queries.vocabulary(db))
start = time.perf_counter()
with open(sys.argv[4], "wb") as out:
    rows = export_to_file(db, filters, sys.argv[3], out, search)
Path(sys.argv[5]).write_text(json.dumps({"total": time.perf_counter() - start, "rows": rows}))
"""

FLOOR_SIDE = """
import json, sys, time, duckdb
from pathlib import Path
spec = json.loads(Path(sys.argv[2]).read_text())
con = duckdb.connect(":memory:", config={"threads": 2})
con.execute("ATTACH '" + sys.argv[1].replace("'", "''") + "' AS wh (READ_ONLY)")
con.execute("USE wh")
start = time.perf_counter()
con.execute("COPY (" + spec["sql"] + ") TO '" + sys.argv[3].replace("'", "''") + "' (" + spec["options"] + ")",
            spec["params"])
Path(sys.argv[4]).write_text(json.dumps({"total": time.perf_counter() - start}))
"""


def _query(db_path: Path, query: dict, guard: bool) -> tuple[str, list]:
    from dashboard.data import explore as explore_queries
    from dashboard.data import reference as queries
    from dashboard.data.database import Database
    from dashboard.exports.offerings import parse_filters

    db = Database(db_path).reader()
    filters, search = parse_filters(query, queries.vocabulary(db))
    return explore_queries.export_sql(filters, search, guard_formulas=guard)


def _timed(script: str, *args: str) -> tuple[dict, float, int, str]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        run = run_process(python("-c", script, *args, str(report)))
        if run.exit_code != 0:
            raise RuntimeError(f"failed (exit {run.exit_code}): {run.stderr.strip()[-500:]}")
        return json.loads(report.read_text()), run.peak_mb, run.exit_code, run.stderr


def _floor(db_path: Path, sql: str, params: list, options: str, out: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "spec.json"
        spec.write_text(json.dumps({"sql": sql, "params": params, "options": options}))
        report, _, _, _ = _timed(FLOOR_SIDE, str(db_path), str(spec), str(out))
        return report["total"]


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


@measurement(
    "export_csv_stream",
    "GET /export/offerings.csv?period=all (every offering), streamed, vs DuckDB COPY (same SELECT) TO csv",
    max_ratio=2.0,
    max_peak_mb=500,
)
def export_csv_stream(ctx: Context) -> Result:
    db_path = sample_warehouse(ctx)
    sql, params = _query(db_path, {"period": "all"}, guard=True)
    ours, firsts, peaks, floors, size = [], [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(ctx.repeat):
            report, peak, _, _ = _timed(SERVER_SIDE, str(db_path), "/export/offerings.csv?period=all")
            ours.append(report["total"])
            firsts.append(report["first"])
            peaks.append(peak)
            size = report["bytes"]
            floors.append(_floor(db_path, sql, params, "HEADER", Path(tmp) / "floor.csv"))
    rows = _count(db_path, sql, params)
    note = (
        f"{rows:,} rows, {size / 1e6:.0f} MB; first rows after {_median(firsts):.2f} s of "
        f"{_median(ours):.2f} s (streamed)"
    )
    return Result(_median(ours), _median(floors), max(peaks), note)


def _count(db_path: Path, sql: str, params: list) -> int:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
    finally:
        con.close()


def _period_near(db_path: Path, rows: int) -> str:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute(
            "SELECT reporting_period FROM current_offerings GROUP BY ALL ORDER BY abs(count(*) - ?) LIMIT 1", [rows]
        ).fetchone()[0]
    finally:
        con.close()


def _file_export(ctx: Context, fmt: str, floor_options: str | None) -> Result:
    db_path = sample_warehouse(ctx)
    query = {"period": _period_near(db_path, TARGET_ROWS)}
    sql, params = _query(db_path, query, guard=False)
    ours, peaks, floors, rows = [], [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(ctx.repeat):
            report, peak, _, _ = _timed(EXPORT_SIDE, str(db_path), json.dumps(query), fmt, str(Path(tmp) / f"o.{fmt}"))
            ours.append(report["total"])
            peaks.append(peak)
            rows = report["rows"]
            if floor_options:
                floors.append(_floor(db_path, sql, params, floor_options, Path(tmp) / f"floor.{fmt}"))
    return Result(
        _median(ours), _median(floors) if floors else None, max(peaks), f"{rows:,} rows (period {query['period']})"
    )


@measurement(
    "export_xlsx",
    "export_to_file xlsx of about 200,000 offerings (sheet XML built by Arrow kernels, "
    "streamed into the zip); no bare-DuckDB floor",
    max_peak_mb=1000,
    max_seconds=10,
)
def export_xlsx(ctx: Context) -> Result:
    return _file_export(ctx, "xlsx", None)


@measurement(
    "export_parquet",
    "export_to_file parquet of about 200,000 offerings vs DuckDB COPY TO parquet",
    max_peak_mb=1000,
    max_ratio=4.0,
)
def export_parquet(ctx: Context) -> Result:
    return _file_export(ctx, "parquet", "FORMAT parquet, COMPRESSION zstd")
