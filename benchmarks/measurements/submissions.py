"""The submissions page and the issue downloads on a large warehouse (the
``mcred sample --offerings N`` warehouse of overview.py).

- ``submissions_filter_change``: server time of one filter change on ``/submissions``
  (the status, issues and history callbacks, posted to Dash's own endpoint through the
  Flask app in this process), against the floor: the same SQL statements, recorded while
  the callbacks ran, replayed on a bare DuckDB connection.
- ``issues_export_csv``: ``GET /export/issues.csv`` for the latest fiscal year (every
  institution's most recent file) read to the end, against DuckDB's own
  ``COPY (same SELECT) TO 'f.csv'``.
- ``issues_export_xlsx``: the same list as ``.xlsx``; no bare-DuckDB floor.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.callbacks import current_offerings, post_callbacks, record_sql, replay
from benchmarks.measurements.overview import sample_warehouse
from benchmarks.registry import Context, Result, measurement

FILTER_CHANGES = [
    {},
    {"sector": ["college"]},
    {"institution": ["BCIT", "UBC"]},
    {"region": ["Mainland/Southwest"]},
    {"type": ["pathway"]},  # applies to the compliance flags only
]
CALLBACK_OUTPUTS = ("status-matrix.children", "issues-grid.rowData", "submission-history.children")


def _app(db_path: Path):
    from dashboard.app import create_app
    from dashboard.settings import DashboardSettings

    app = create_app(DashboardSettings(db_path=db_path))
    app.server.test_client().get("/_dash-dependencies")  # the app takes its page callbacks
    return app


def _urlparam(name: str, default: str, value) -> dict:
    return {"id": {"type": "urlparam", "name": name, "default": default}, "property": "value", "value": value}


def _payloads(app, filters: dict[str, list[str]], period: str, cell: str) -> list[dict]:
    """The requests Dash's renderer sends to the page's data callbacks for one change."""
    from dashboard.data.filters import PARAMETERS

    filter_inputs = [
        {
            "id": {"type": "filter", "name": n},
            "property": "value",
            "value": filters.get(n, [period] if n == "period" else []),
        }
        for n in PARAMETERS
    ]
    values = {
        "cell": _urlparam("cell", "", cell),
        "submission": _urlparam("submission", "", ""),
        "severity": _urlparam("severity", "all", "all"),
        "column": _urlparam("column", "", None),
    }
    payloads = []
    for dep in app._callback_list:  # noqa: SLF001 - what Dash serves at /_dash-dependencies
        if not any(out in dep["output"] for out in CALLBACK_OUTPUTS):
            continue

        def item(spec: dict):
            if not spec["id"].startswith("{"):  # a plain component (a grid's sort store): as the page starts
                return {"id": spec["id"], "property": spec["property"], "value": None}
            ident = json.loads(spec["id"])
            return filter_inputs if ident.get("type") == "filter" else values[ident["name"]]

        inputs = [item(spec) for spec in dep["inputs"]]
        state = [item(spec) for spec in dep.get("state", [])]
        payloads.append(
            {
                "output": dep["output"],
                "outputs": _outputs(dep["output"]),
                "inputs": inputs,
                "state": state,
                "changedPropIds": ['{"name":"sector","type":"filter"}.value'],
            }
        )
    return payloads


def _outputs(output: str):
    def one(text: str) -> dict:
        ident, prop = text.rsplit(".", 1)
        return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}

    if output.startswith(".."):
        return [one(p) for p in output.strip(".").split("...")]
    return one(output)


def _latest_period(db_path: Path) -> str:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("SELECT max(reporting_period) FROM current_submissions").fetchone()[0]
    finally:
        con.close()


@measurement(
    "submissions_filter_change",
    "server time of a filter change on /submissions (status, issues, history callbacks through Dash's "
    "endpoint) vs the same SQL on bare DuckDB",
    max_ratio=2.5,
    max_seconds=0.5,
)
def submissions_filter_change(ctx: Context) -> Result:
    db_path = sample_warehouse(ctx)
    app = _app(db_path)
    client = app.server.test_client()
    database = app.server.extensions["mcred"]["db"]
    period = _latest_period(db_path)
    recorded = record_sql(database)
    ours, floors, counts = [], [], []
    for filters in FILTER_CHANGES * ctx.repeat:
        payloads = _payloads(app, filters, period, f"BCIT_{period}")
        recorded.clear()
        ours.append(post_callbacks(client, payloads))
        counts.append(len(recorded))
        floors.append(replay(db_path, list(recorded)))
    note = (
        f"{current_offerings(db_path):,} current offerings; {len(payloads)} callbacks, "
        f"{statistics.median(counts):.0f} SQL statements per change; median of {len(ours)} changes"
    )
    return Result(statistics.median(ours), statistics.median(floors), None, note)


def _issue_scope(db_path: Path, period: str):
    from dashboard.data import reference as queries
    from dashboard.data import submissions as sq
    from dashboard.data.database import Database
    from dashboard.data.filters import Filters

    db = Database(db_path).reader()
    vocab = sq.page_vocabulary(db, queries.vocabulary(db))
    filters, _ = Filters.parse({"period": [period]}, vocab, strict=True)
    return db, sq.IssueScope(period, filters)


@measurement(
    "issues_export_csv",
    "GET /export/issues.csv for the latest fiscal year, read to the end, vs DuckDB COPY of the same SELECT to CSV",
    max_ratio=3.0,
)
def issues_export_csv(ctx: Context) -> Result:
    from dashboard.data import submissions as sq

    db_path = sample_warehouse(ctx)
    period = _latest_period(db_path)
    client = _app(db_path).server.test_client()
    db, scope = _issue_scope(db_path, period)
    issues = sq.issue_counts(db, scope)["total"]
    sql, params = sq.issue_export_sql(scope)
    ours, floors, size = [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "floor.csv"
        for _ in range(ctx.repeat):
            start = time.perf_counter()
            response = client.get(f"/export/issues.csv?period={period}", buffered=False)
            size = sum(len(chunk) for chunk in response.response)
            ours.append(time.perf_counter() - start)
            con = duckdb.connect(":memory:", config={"threads": 2})
            con.execute(f"ATTACH '{db_path}' AS wh (READ_ONLY)")
            con.execute("USE wh")
            start = time.perf_counter()
            con.execute(f"COPY ({sql}) TO '{target}' (HEADER)", params)
            floors.append(time.perf_counter() - start)
            con.close()
    return Result(
        statistics.median(ours),
        statistics.median(floors),
        None,
        f"{issues:,} issues ({size / 1e6:.1f} MB) of {period}; median of {ctx.repeat}",
    )


@measurement("issues_export_xlsx", "GET /export/issues.xlsx for the latest fiscal year", max_seconds=15.0)
def issues_export_xlsx(ctx: Context) -> Result:
    from dashboard.data import submissions as sq

    db_path = sample_warehouse(ctx)
    period = _latest_period(db_path)
    client = _app(db_path).server.test_client()
    db, scope = _issue_scope(db_path, period)
    issues = sq.issue_counts(db, scope)["total"]
    times = []
    for _ in range(ctx.repeat):
        start = time.perf_counter()
        response = client.get(f"/export/issues.xlsx?period={period}")
        assert response.status_code == 200 and response.data[:2] == b"PK"
        times.append(time.perf_counter() - start)
    return Result(
        statistics.median(times),
        None,
        None,
        f"{issues:,} issues of {period} ({issues / statistics.median(times):,.0f} rows/s); median of {ctx.repeat}",
    )
