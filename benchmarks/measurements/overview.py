"""The provincial overview on a large warehouse.

- ``overview_filter_change``: server time of one filter change on ``/`` (every callback
  the change fires, posted to Dash's own endpoint through the Flask app in this
  process), against the floor: the same SQL statements, recorded while the callbacks
  ran, replayed on a bare DuckDB connection.
(The overview in a browser is measured in browser.py.)
"""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

from benchmarks.callbacks import current_offerings, post_callbacks, record_sql, replay
from benchmarks.process import python, run_process
from benchmarks.registry import Context, Result, measurement

FILTER_CHANGES = [
    {},
    {"sector": ["college"]},
    {"type": ["pathway", "upskilling"]},
    {"delivery": ["online"], "credit": ["credit"]},
    {"partner": ["indigenous_community"]},
    {"region": ["Mainland/Southwest"], "ce": ["yes"]},
    {"field": ["health"]},
    {"sector": ["research_university"], "type": ["technical_skill"]},
]


def sample_warehouse(ctx: Context) -> Path:
    """A warehouse loaded from ``mcred sample --offerings N`` (built once, reused)."""
    db = ctx.work_dir / f"warehouse_{ctx.offerings}_{ctx.seed}.duckdb"
    if db.exists():
        return db
    out = ctx.work_dir / f"sample_{ctx.offerings}_{ctx.seed}"
    ctx.work_dir.mkdir(parents=True, exist_ok=True)
    if not out.exists():
        made = run_process(
            python(
                "-m",
                "mcred.cli",
                "sample",
                "--out",
                str(out),
                "--offerings",
                str(ctx.offerings),
                "--seed",
                str(ctx.seed),
            )
        )
        if made.exit_code != 0:
            raise RuntimeError(f"mcred sample failed: {made.stderr.strip()[-500:]}")
    partial = db.with_name("building-" + db.name)
    for stale in (partial, partial.with_name(partial.name + ".lock")):
        stale.unlink(missing_ok=True)
    run = run_process(python("-m", "mcred.cli", "load", str(out), "--db", str(partial)))
    if run.exit_code not in (0, 1):  # 1: the sample's deliberately faulty files were rejected
        raise RuntimeError(f"loading the sample failed: {run.stderr.strip()[-500:]}")
    os.replace(partial, db)
    return db


def _layout_components(app) -> dict:
    """id (str, or JSON of a dict id) -> props of every component in the overview's layout."""
    import dash

    page = next(p for p in dash.page_registry.values() if p["path"] == "/")
    with app.server.app_context():
        root = page["layout"]()
    found = {}

    def walk(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "to_plotly_json"):
            return
        props = {k: getattr(node, k) for k in node._prop_names if getattr(node, k, None) is not None}  # noqa: SLF001
        if "id" in props:
            ident = props["id"]
            key = json.dumps(ident, sort_keys=True, separators=(",", ":")) if isinstance(ident, dict) else ident
            found[key] = props
        walk(props.get("children"))

    walk(root)
    return found


def _matches(pattern: str, ident: str) -> bool:
    if not pattern.startswith("{"):
        return pattern == ident
    if not ident.startswith("{"):
        return False
    want, have = json.loads(pattern), json.loads(ident)
    return want.keys() == have.keys() and all(v == ["ALL"] or v == have[k] for k, v in want.items())


def _spec(pattern: str, prop: str, components: dict, value_of) -> list | dict | None:
    """The renderer's input/state entry for ``pattern.prop``: a list for wildcards."""
    hits = [i for i in components if _matches(pattern, i)]
    if not hits:
        return None
    entries = [
        {"id": json.loads(i) if i.startswith("{") else i, "property": prop, "value": value_of(i, prop)} for i in hits
    ]
    return entries if pattern.startswith("{") else entries[0]


def _callback_payloads(app, filters: dict[str, list[str]], periods: list[str]) -> list[dict]:
    """The requests Dash's renderer sends for one filter change on the overview: every
    server callback whose inputs and outputs are on the page, with the page's values."""
    components = _layout_components(app)

    def value_of(ident: str, prop: str):
        if ident.startswith("{") and json.loads(ident).get("type") == "filter" and prop == "value":
            name = json.loads(ident)["name"]
            return filters.get(name) or (periods[-1:] if name == "period" else [])
        return components[ident].get(prop)

    payloads = []
    for dep in app._callback_list:  # noqa: SLF001 - what Dash serves at /_dash-dependencies
        if dep.get("clientside_function") or not any('"type":"filter"' in i["id"] for i in dep["inputs"]):
            continue
        if any(i["property"] in ("n_clicks", "clickData") for i in dep["inputs"]):
            continue  # fired by clicks, not by a filter change
        inputs = [_spec(i["id"], i["property"], components, value_of) for i in dep["inputs"]]
        state = [_spec(s["id"], s["property"], components, value_of) for s in dep.get("state", [])]
        outputs = _outputs_spec(dep["output"], components)
        if any(x is None or x == [] for x in (*inputs, *state)) or outputs is None:
            continue  # not on this page
        payloads.append(
            {
                "output": dep["output"],
                "outputs": outputs,
                "inputs": inputs,
                "state": state,
                "changedPropIds": ['{"name":"sector","type":"filter"}.value'],
            }
        )
    return payloads


def _outputs_spec(output: str, components: dict):
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    specs = []
    for part in parts:
        ident, prop = part.rsplit(".", 1)
        prop = prop.split("@")[0]
        hits = [i for i in components if _matches(ident, i)]
        if not hits:
            return None
        entries = [{"id": json.loads(i) if i.startswith("{") else i, "property": prop} for i in hits]
        specs.append(entries if ident.startswith("{") else entries[0])
    return specs if output.startswith("..") else specs[0]


@measurement(
    "overview_filter_change",
    "server time of a filter change on / (all its callbacks, through Dash's endpoint) vs the same SQL on bare DuckDB",
    max_ratio=2.0,
    max_seconds=0.25,
)
def overview_filter_change(ctx: Context) -> Result:
    from dashboard.app import create_app
    from dashboard.data import reference as queries
    from dashboard.data.database import Database
    from dashboard.settings import DashboardSettings

    db_path = sample_warehouse(ctx)
    app = create_app(DashboardSettings(db_path=db_path))
    client = app.server.test_client()
    client.get("/")  # first request registers the pages' callbacks
    database: Database = app.server.extensions["mcred"]["db"]
    periods = queries.vocabulary(database.reader()).codes("period")

    recorded = record_sql(database)
    ours, floors, sql_counts = [], [], []
    for filters in FILTER_CHANGES * ctx.repeat:
        payloads = _callback_payloads(app, filters, periods)
        recorded.clear()
        # Computed afresh: a repeated filter set would be a cache hit (of its SQL or of the whole output).
        database.cache.clear(
            ["overview", "overview_shown", "overview_trend_shown", "overview_page", "overview_trend_page"]
        )
        ours.append(post_callbacks(client, payloads))
        statements = [(sql, params) for sql, params in recorded if "data_version" not in sql]
        sql_counts.append(len(statements))
        floors.append(replay(db_path, statements))
    note = (
        f"{current_offerings(db_path):,} current offerings; {len(_callback_payloads(app, {}, periods))} callbacks, "
        f"{statistics.median(sql_counts):.0f} SQL statements per change; median of "
        f"{len(FILTER_CHANGES) * ctx.repeat} changes"
    )
    return Result(statistics.median(ours), statistics.median(floors), None, note)
