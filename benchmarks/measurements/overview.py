"""The provincial overview on a large warehouse.

- ``overview_filter_change``: server time of one filter change on ``/`` (every callback
  the change fires, posted to Dash's own endpoint through the Flask app in this
  process), against the floor: the same SQL statements, recorded while the callbacks
  ran, replayed on a bare DuckDB connection.
- ``overview_first_render``: headless Chromium opens ``/`` on a running server; the time
  until every headline figure and chart has rendered.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

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
        made = run_process(python("-m", "mcred.cli", "sample", "--out", str(out), "--offerings",
                                  str(ctx.offerings), "--seed", str(ctx.seed)))
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


def _callback_payloads(app, filters: dict[str, list[str]], periods: list[str]) -> list[dict]:
    """The requests Dash's renderer sends for one filter change on the overview."""
    from dashboard.filters import PARAMETERS

    deps = app._callback_list  # noqa: SLF001 - the same list Dash serves at /_dash-dependencies
    filter_inputs = []
    for name in PARAMETERS:
        value = filters.get(name, [])
        if name == "period" and not value:
            value = periods[-1:]
        filter_inputs.append({"id": {"type": "filter", "name": name}, "property": "value", "value": value})
    measure = [{"id": {"type": "urlparam", "name": "measure", "default": "offerings"}, "property": "value",
                "value": "offerings"}]
    split = [{"id": {"type": "urlparam", "name": "split", "default": "sector"}, "property": "value",
              "value": "sector"}]
    payloads = []
    for dep in deps:
        ins = [i["id"] for i in dep["inputs"]]
        uses_filters = any('"type":"filter"' in i.replace(" ", "") for i in ins)
        if not uses_filters or dep.get("clientside_function") or any("clickData" in str(i) for i in dep["inputs"]):
            continue
        if any("n_clicks" in i.get("property", "") for i in dep["inputs"]):
            continue
        inputs = []
        for i in dep["inputs"]:
            ident = i["id"].replace(" ", "")
            if '"type":"filter"' in ident:
                inputs.append(filter_inputs)
            elif '"name":"measure"' in ident:
                inputs.append(measure)
            elif '"name":"split"' in ident:
                inputs.append(split)
            else:
                inputs = None
                break
        if inputs is None:
            continue
        outputs = dep["output"]
        payloads.append({
            "output": outputs,
            "outputs": _outputs_spec(outputs),
            "inputs": inputs,
            "changedPropIds": ['{"name":"sector","type":"filter"}.value'],
            "state": [],
        })
    return payloads


def _outputs_spec(output: str):
    if output.startswith(".."):
        parts = [p for p in output.strip(".").split("...")]
        return [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]
    ident, prop = output.rsplit(".", 1)
    return {"id": ident, "property": prop}


@measurement("overview_filter_change",
             "server time of a filter change on / (all its callbacks, through Dash's endpoint) vs the same SQL "
             "on bare DuckDB", max_ratio=2.0, max_seconds=0.25)
def overview_filter_change(ctx: Context) -> Result:
    from dashboard import queries
    from dashboard.app import create_app
    from dashboard.db import Database
    from dashboard.settings import DashboardSettings

    db_path = sample_warehouse(ctx)
    app = create_app(DashboardSettings(db_path=db_path))
    client = app.server.test_client()
    client.get("/")  # first request registers the pages' callbacks
    database: Database = app.server.extensions["mcred"]["db"]
    periods = queries.vocabulary(database).codes("period")

    recorded: list[tuple[str, list]] = []
    for method in ("frame", "rows"):
        original = getattr(database, method)

        def recording(sql, params=None, _original=original):
            recorded.append((sql, list(params or [])))
            return _original(sql, params)

        setattr(database, method, recording)

    ours, floors, sql_counts = [], [], []
    for filters in FILTER_CHANGES * ctx.repeat:
        payloads = _callback_payloads(app, filters, periods)
        recorded.clear()
        start = time.perf_counter()
        for payload in payloads:
            response = client.post("/_dash-update-component", json=payload)
            if response.status_code != 200:
                raise RuntimeError(f"callback failed ({response.status_code}): {response.data[:300]!r}")
        ours.append(time.perf_counter() - start)
        statements = [(sql, params) for sql, params in recorded if "data_version" not in sql]
        sql_counts.append(len(statements))
        floors.append(_replay(db_path, statements))
    note = (f"{_offerings(db_path):,} current offerings; {len(_callback_payloads(app, {}, periods))} callbacks, "
            f"{statistics.median(sql_counts):.0f} SQL statements per change; median of "
            f"{len(FILTER_CHANGES) * ctx.repeat} changes")
    return Result(statistics.median(ours), statistics.median(floors), None, note)


def _replay(db_path: Path, statements: list[tuple[str, list]]) -> float:
    con = duckdb.connect(":memory:")
    con.execute(f"ATTACH '{db_path}' AS wh (READ_ONLY)")
    con.execute("USE wh")
    start = time.perf_counter()
    for sql, params in statements:
        con.execute(sql, params).fetchall()
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed


def _offerings(db_path: Path) -> int:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM current_offerings").fetchone()[0]
    finally:
        con.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER = """
import sys
from pathlib import Path
from dashboard.app import create_app
from dashboard.settings import DashboardSettings
app = create_app(DashboardSettings(db_path=Path(sys.argv[1])))
app.run(host="127.0.0.1", port=int(sys.argv[2]), debug=False)
"""


@measurement("overview_first_render", "headless Chromium: open / until every headline figure and chart has rendered",
             max_seconds=2.0)
def overview_first_render(ctx: Context) -> Result:
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    db_path = sample_warehouse(ctx)
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(db_path), str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    options = Options()
    options.binary_location = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--window-size=1366,768"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_server(url)
        driver.get(url)  # warm: the server registers page callbacks on its first request
        _wait_rendered(driver)
        times = []
        for _ in range(ctx.repeat):
            driver.get("about:blank")
            start = time.perf_counter()
            driver.get(url)
            _wait_rendered(driver)
            times.append(time.perf_counter() - start)
    finally:
        driver.quit()
        server.terminate()
        server.wait(timeout=10)
    return Result(statistics.median(times), None, None, f"{_offerings(db_path):,} current offerings; "
                                                      f"median of {ctx.repeat} loads after a warm-up")


def _wait_for_server(url: str, timeout: float = 60) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the dashboard did not start at {url}")


RENDERED_JS = """
const kpis = ["kpi-offerings", "kpi-institutions", "kpi-enrolments", "kpi-completions", "kpi-ce-share"];
const ready = kpis.every(id => { const el = document.getElementById(id); return el && el.textContent !== "…"; });
const charts = ["chart-type", "chart-delivery", "chart-credit", "chart-partner", "chart-ce-sector", "chart-field",
                "chart-trend"];
const drawn = charts.every(id => document.querySelector("#" + id + " .main-svg .plot, #" + id + " .main-svg .infolayer"));
return ready && drawn && !document.querySelector("._dash-loading");
"""


def _wait_rendered(driver, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if driver.execute_script(RENDERED_JS):
            return
        time.sleep(0.02)
    raise RuntimeError("the overview did not finish rendering: " + json.dumps(driver.get_log("browser"))[:500])
