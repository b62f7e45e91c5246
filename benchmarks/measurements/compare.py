"""The portfolio comparison (/compare) on a large warehouse.

- ``compare_focus_change``: server time of one change of focus institution or peer group
  (every callback the change fires, posted to Dash's own endpoint through the Flask app in
  this process), with the shared filters unchanged since the page loaded.
- ``compare_filter_change``: the same with a new filter combination each time, so the
  per-institution counts are computed afresh (the profile cache is emptied first).

The floor of both is bare DuckDB running the SQL the comparison cannot do without: the one
per-institution GROUP BY over current_offerings (every composition count and target
numerator) and the per-period GROUP BY of the trend, same text and parameters. A filter
change's floor is measured right after it, for the same filters: on a shared machine a
floor measured minutes apart from its change saw other work.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import duckdb

from benchmarks.callbacks import current_offerings
from benchmarks.measurements.overview import sample_warehouse
from benchmarks.registry import Context, Result, measurement

# (focus, peers): a walk through focus and peer-group changes
CHANGES = [
    ("BCIT", "sector"),
    ("UBC", "sector"),
    ("UBC", "region"),
    ("CAM", "region"),
    ("CAM", "all"),
    ("KPU", "all"),
    ("KPU", "UBC,SFU,UVIC"),
    ("NVIT", "sector"),
    ("DOUG", "region"),
    ("TRU", "sector"),
]
FILTERS = [
    {},
    {"type": ["pathway"]},
    {"delivery": ["online"], "credit": ["credit"]},
    {"partner": ["indigenous_community"]},
    {"ce": ["yes"]},
    {"field": ["health"]},
    {"period": ["all"]},
    {"funded": ["yes"]},
]

# The cached results a filter change computes afresh (the other cached results, such as the
# vocabulary, stay: they depend on the warehouse version only).
COUNTS = ("institution_profile", "trend_counts")
OUTPUTS = [
    "compare-heading.children",
    "compare-subheading.children",
    "compare-message.children",
    "compare-body.style",
    "compare-standouts.children",
    "compare-composition.children",
    "compare-scorecard.children",
    "compare-peers-grid.rowData",
    "compare-peers-grid-downloads.data",  # the peer download links (views/grid_downloads.py)
    "compare-trend.children",
]


def _payloads(filters: dict[str, list[str]], focus: str, peers: str, latest: str) -> list[dict]:
    """The request Dash's renderer sends when the focus or the peer group changes."""
    from dashboard.data.filters import PARAMETERS

    filter_inputs = []
    for name in PARAMETERS:
        value = filters.get(name, [])
        if name == "period" and not value:
            value = [latest]
        filter_inputs.append({"id": {"type": "filter", "name": name}, "property": "value", "value": value})
    inputs = [
        filter_inputs,
        [{"id": {"type": "urlparam", "name": "focus", "default": ""}, "property": "value", "value": focus}],
        [{"id": {"type": "urlparam", "name": "peers", "default": "sector"}, "property": "value", "value": peers}],
    ]
    changed = ['{"default":"","name":"focus","type":"urlparam"}.value']
    return [
        {
            "output": ".." + "...".join(OUTPUTS) + "..",
            "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]} for o in OUTPUTS],
            "inputs": inputs,
            "changedPropIds": changed,
            "state": [],
        }
    ]


def _floor_statements(database, filters_obj, vocab) -> list[tuple[str, list]]:
    """The comparison's essential SQL for these filters (profile + trend), as our code writes it."""
    from dashboard.data import compare as cq

    recorded: list[tuple[str, list]] = []
    original = database.frame

    def recording(sql, params=None, **kwargs):
        recorded.append((sql, list(params or [])))
        return original(sql, params, **kwargs)

    database.frame = recording
    try:
        database.cache.clear(COUNTS)  # force the GROUP BYs to run so they can be recorded
        reader = database.reader()
        cq.institution_profile(reader, filters_obj, vocab)
        cq.trend_counts(reader, filters_obj)
    finally:
        database.frame = original
    return recorded


def _run(ctx: Context, cold: bool) -> Result:
    from dashboard.app import create_app
    from dashboard.data import reference as queries
    from dashboard.data.filters import Filters
    from dashboard.settings import DashboardSettings

    db_path = sample_warehouse(ctx)
    app = create_app(DashboardSettings(db_path=db_path))
    client = app.server.test_client()
    client.get("/compare")  # the first request registers the pages' callbacks
    database = app.server.extensions["mcred"]["db"]
    vocab = queries.vocabulary(database.reader())
    latest = vocab.latest_period

    def post(filters, focus, peers):
        for payload in _payloads(filters, focus, peers, latest):
            response = client.post("/_dash-update-component", json=payload)
            if response.status_code != 200:
                raise RuntimeError(f"callback failed ({response.status_code}): {response.data[:300]!r}")

    ours, cpu, floors = [], [], []
    if cold:
        runs = [(f, CHANGES[i % len(CHANGES)]) for i, f in enumerate(FILTERS * ctx.repeat)]
    else:
        post({}, *CHANGES[-1])  # the page as loaded: its filters' counts are computed once
        runs = [({}, c) for c in CHANGES * ctx.repeat]

    def floor(filters) -> float:
        filters_obj, _ = Filters.parse(dict(filters), vocab, strict=True)
        return _replay(db_path, _floor_statements(database, filters_obj, vocab), ctx.repeat)

    for filters, (focus, peers) in runs:
        if cold:
            database.cache.clear(COUNTS)  # the counts computed afresh
        start, start_cpu = time.perf_counter(), time.process_time()
        post(filters, focus, peers)
        ours.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if cold:  # the floor of the same filters at once, so both see the machine as it is then
            floors.append(floor(filters))
    if not cold:
        floors.append(floor({}))
    note = (
        f"{current_offerings(db_path):,} current offerings; 1 callback request per change (the comparison and its trend); median of {len(runs)} "
        + ("filter changes (counts recomputed)" if cold else "focus/peer changes (same filters)")
        + f"; median process CPU {statistics.median(cpu) * 1000:.0f} ms"
    )
    return Result(statistics.median(ours), statistics.median(floors), None, note)


def _replay(db_path: Path, statements: list[tuple[str, list]], repeat: int) -> float:
    con = duckdb.connect(":memory:", config={"threads": 2})
    con.execute(f"ATTACH '{db_path}' AS wh (READ_ONLY)")
    con.execute("USE wh")
    times = []
    for _ in range(max(repeat, 3)):
        start = time.perf_counter()
        for sql, params in statements:
            con.execute(sql, params).fetchall()
        times.append(time.perf_counter() - start)
    con.close()
    return statistics.median(times)


@measurement(
    "compare_focus_change",
    "server time of a focus or peer-group change on /compare (its one callback request, through Dash's endpoint) "
    "vs bare DuckDB running the comparison's GROUP BYs",
    max_seconds=0.3,
)
def compare_focus_change(ctx: Context) -> Result:
    return _run(ctx, cold=False)


@measurement(
    "compare_filter_change",
    "server time of a filter change on /compare, per-institution counts recomputed, vs bare DuckDB "
    "running the same GROUP BYs",
    max_ratio=2.0,
    max_seconds=0.6,
)
def compare_filter_change(ctx: Context) -> Result:
    return _run(ctx, cold=True)
