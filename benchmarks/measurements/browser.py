"""The dashboard as people use it, at scale: the real production server (``mcred serve
--workers 1``, gunicorn) on the ``mcred sample --offerings N`` warehouse, driven by
warm headless Chromium.

One session (run once, shared by the measurements below) opens the overview, then walks
every page with filters, one filter change at a time, the way a person clicks; afterwards
it reads the worker's memory.

- ``overview_first_render``: from navigation to ``/`` (browser cache and server warm)
  until every headline figure holds a number and every chart has drawn its traces, read
  from the DOM (``performance.now()`` in the page; no sleeps).
- ``overview_filter_render``: from a filter change on ``/`` (the dropdown's value set
  through Dash's own ``set_props``, as a click does) until every chart has redrawn
  (``plotly_afterplot``) and every callback request has answered.
- ``filter_change_server_<page>``: the time the server was answering one filter change on
  that page: the union of its callback requests' intervals, from the request's sending
  (Resource Timing's ``requestStart``) to the last byte of the answer (``responseEnd``), read
  in the page (the browser's side of each interval adds only loopback
  transfer). The note beside it gives gunicorn's own request times (access log, last field):
  their sum, which counts twice the time two requests ran at once on the worker's threads,
  and the slowest request of each change. The bar is per change. The overview's cache does
  not help here: every state of the walk is new to the server.
- ``overview_first_render`` is warm on the server too: after the first visit the default
  view's aggregates come from the per-version cache (dashboard.data.overview).
- ``dashboard_memory``: resident memory of the gunicorn worker after the whole walk
  (``VmRSS``; its high-water mark ``VmHWM`` is the table's peak).
"""

from __future__ import annotations

import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.callbacks import current_offerings
from benchmarks.measurements.overview import sample_warehouse
from benchmarks.registry import Context, Result, measurement

KPIS = ("offerings", "institutions", "enrolments", "completions", "ce-share")
CHARTS = (
    "chart-type",
    "chart-delivery",
    "chart-credit",
    "chart-partner",
    "chart-ce-sector",
    "chart-field",
    "chart-trend",
)

# Each page with the filter changes walked on it: (filter name, new value), one at a time.
WALK = {
    "overview": (
        "/",
        [
            ("sector", ["college"]),
            ("type", ["pathway", "upskilling"]),
            ("delivery", ["online"]),
            ("sector", []),
            ("partner", ["indigenous_community"]),
            ("type", []),
            ("region", ["Mainland/Southwest"]),
            ("delivery", []),
            ("field", ["health"]),
            ("partner", []),
            ("period", []),  # every fiscal year
            ("region", []),
        ],
    ),
    "compare": (
        "/compare?focus=BCIT",
        [
            ("type", ["pathway"]),
            ("delivery", ["online"]),
            ("type", []),
            ("ce", ["yes"]),
            ("delivery", []),
            ("field", ["health"]),
            ("ce", []),
            ("period", []),
        ],
    ),
    "submissions": (
        "/submissions",
        [
            ("sector", ["college"]),
            ("institution", ["BCIT", "UBC"]),
            ("sector", []),
            ("region", ["Mainland/Southwest"]),
            ("institution", []),
            ("type", ["pathway"]),
            ("region", []),
            ("type", []),
        ],
    ),
    "explore": (
        "/explore",
        [
            ("sector", ["college"]),
            ("type", ["pathway"]),
            ("delivery", ["online"]),
            ("sector", []),
            ("field", ["health"]),
            ("type", []),
            ("period", []),
            ("delivery", []),
        ],
    ),
}

# Installed once per page: counts the page's callback requests (started, answered, when the
# last answered) and every chart's redraws, so a change is over when both have settled.
INSTRUMENT_JS = """
if (!window.__bench) {
  const b = window.__bench = {started: 0, answered: 0, lastAnswer: 0, plots: {}, lastPlot: 0};
  performance.setResourceTimingBufferSize(100000);  // every request of the walk keeps its timing
  const fetch0 = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === "string" ? input : (input && input.url) || "";
    if (!url.includes("_dash-update-component")) { return fetch0.apply(this, arguments); }
    b.started += 1;
    const end = function () { b.answered += 1; b.lastAnswer = performance.now(); };
    return fetch0.apply(this, arguments).then(
      function (r) { return r.clone().arrayBuffer().then(function () { end(); return r; }); },
      function (e) { end(); throw e; });
  };
}
const b = window.__bench;
for (const id of arguments[0]) {
  const gd = document.querySelector("#" + id + " .js-plotly-plot");
  if (gd && gd.on && gd.__benchId !== id) {
    gd.__benchId = id;
    b.plots[id] = 0;
    gd.on("plotly_afterplot", function () { b.plots[id] += 1; b.lastPlot = performance.now(); });
  }
}
return Object.keys(b.plots).length;
"""

# Overview drawn: every headline figure has its number, every chart has drawn traces, and no
# component is waiting for a callback.
RENDERED_JS = """
const kpis = arguments[0], charts = arguments[1];
const ready = kpis.every(function (k) {
  const el = document.getElementById("kpi-" + k);
  return el && el.textContent.trim() !== "" && el.textContent !== "\u2026";
});
const drawn = charts.every(function (id) {
  const gd = document.querySelector("#" + id + " .js-plotly-plot");
  return gd && gd._fullData && gd.data && gd.data.length > 0 && gd.querySelector(".main-svg .trace");
});
return ready && drawn && !document.querySelector('[data-dash-is-loading="true"], ._dash-loading');
"""

# From navigation start (the page's time origin) until RENDERED_JS holds.
NAVIGATION_JS = (
    "const done = arguments[arguments.length - 1]; const args = [arguments[0], arguments[1]];\n"
    "const rendered = new Function(" + json.dumps(RENDERED_JS) + ");\n"
    "(function poll() { if (rendered.apply(null, args)) { done(performance.now()); } else { setTimeout(poll, 5); } })();"
)

# One filter change: set the dropdown's value as a click does, then wait until every
# callback request it caused has answered (and none starts for QUIET ms) and, with
# charts, each has redrawn. Returns [ms from the change to the last answer or redraw,
# callback requests].
CHANGE_JS = (
    "const [name, value, charts, kpis, quiet] = arguments; const done = arguments[arguments.length - 1];\n"
    "const rendered = new Function(" + json.dumps(RENDERED_JS) + ");\n"
    """
const b = window.__bench;
const started0 = b.started, plots0 = Object.assign({}, b.plots);
const t0 = performance.now();
window.dash_clientside.set_props({type: "filter", name: name}, {value: value});
let quietSince = null;
(function poll() {
  const now = performance.now();
  const settled = b.started > started0 && b.answered === b.started &&
    !document.querySelector('[data-dash-is-loading="true"]') &&
    charts.every(function (id) { return (b.plots[id] || 0) > (plots0[id] || 0); }) &&
    (!charts.length || rendered(kpis, charts));
  if (settled && quietSince === null) { quietSince = now; }
  if (!settled) { quietSince = null; }
  if (settled && now - quietSince >= quiet && b.answered === b.started) {
    // the time some request of the change was at the server: the union of [sent, last byte in],
    // from the network stack's own timing (a busy main thread delays the page's promises, not these)
    let busy = 0, reach = t0;
    performance.getEntriesByType("resource")
      .filter(function (e) { return e.name.includes("_dash-update-component") && e.startTime >= t0; })
      .map(function (e) { return [e.requestStart || e.startTime, e.responseEnd]; })
      .sort(function (x, y) { return x[0] - y[0]; })
      .forEach(function (x) { const from = Math.max(x[0], reach); if (x[1] > from) { busy += x[1] - from; reach = x[1]; } });
    done([Math.max(b.lastAnswer, charts.length ? b.lastPlot : 0) - t0, b.started - started0, busy]);
  } else if (now - t0 > 60000) {
    done([null, b.started - started0, null]);
  } else {
    setTimeout(poll, 5);
  }
})();
"""
)
QUIET_MS = 150  # no new callback request for this long: the change (and its chained callbacks) is over

ACCESS_LINE = re.compile(r'"POST /_dash-update-component[^"]*" (\d{3}) .* (\d+\.\d{6})\s*$')


@dataclass
class Session:
    offerings: int
    navigations: list[float] = field(default_factory=list)  # overview: navigation -> drawn, seconds
    overview_changes: list[float] = field(default_factory=list)  # overview: filter change -> redrawn, seconds
    # page -> per filter change, the time some request of the change was being answered (the
    # union of the requests' intervals, sent to answered, read in the page)
    server: dict[str, list[float]] = field(default_factory=dict)
    # page -> per filter change, the sum of its requests' times in gunicorn's access log: requests
    # run at once on the worker's threads wait for one another, so overlapping time counts twice
    server_sum: dict[str, list[float]] = field(default_factory=dict)
    requests: dict[str, list[int]] = field(default_factory=dict)  # page -> callback requests per change
    slowest_request: dict[str, float] = field(default_factory=dict)
    # page -> the slowest request of each change (access log): the part of the change's server
    # time one request took; ``server`` (the union) is at least this and at most ``server_sum``
    slowest_per_change: dict[str, list[float]] = field(default_factory=dict)
    rss_mb: float = 0.0
    hwm_mb: float = 0.0
    seconds: float = 0.0
    workers: int = 1


_SESSIONS: dict[tuple[int, int, int], Session] = {}


def session(ctx: Context) -> Session:
    key = (ctx.offerings, ctx.seed, ctx.repeat)
    if key not in _SESSIONS:
        _SESSIONS[key] = _run_session(ctx)
    return _SESSIONS[key]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_server(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the dashboard did not start at {url}")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of ``pid`` in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def _driver():
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = os.environ.get("DASH_TEST_CHROMEPATH", "/usr/bin/chromium")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--window-size=1366,768",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_script_timeout(90)
    return driver


class _AccessLog:
    """The server's callback request times, read from gunicorn's access log as it grows."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def new_callback_seconds(self) -> list[float]:
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # whole lines only
        self.offset += end
        out = []
        for line in chunk[:end].decode("utf-8", "replace").splitlines():
            m = ACCESS_LINE.search(line)
            if m:
                if m.group(1) != "200" and m.group(1) != "204":
                    raise RuntimeError(f"a callback request failed: {line}")
                out.append(float(m.group(2)))
        return out

    def wait_for(self, count: int, timeout: float = 10) -> list[float]:
        got: list[float] = []
        deadline = time.monotonic() + timeout
        while len(got) < count and time.monotonic() < deadline:
            got += self.new_callback_seconds()
            if len(got) < count:
                time.sleep(0.01)  # gunicorn writes the line just after the response: poll the file
        if len(got) < count:
            raise RuntimeError(f"the access log shows {len(got)} of {count} callback requests")
        return got


def _open(driver, url: str, page: str) -> None:
    driver.get("about:blank")
    driver.get(url)
    if page == "overview":
        driver.execute_async_script(NAVIGATION_JS, list(KPIS), list(CHARTS))
    else:
        # Other pages: every initial callback answered (no component loading) and the network quiet.
        driver.execute_script(INSTRUMENT_JS, [])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if driver.execute_script(
                "return document.readyState === 'complete' && !!document.querySelector('#_pages_content') && "
                "!document.querySelector('[data-dash-is-loading=\"true\"]');"
            ):
                break
            time.sleep(0.02)


def _run_session(ctx: Context) -> Session:
    db_path = sample_warehouse(ctx)
    out = Session(current_offerings(db_path))
    port = _free_port()
    log_path = ctx.work_dir / f"serve_{port}.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MCRED_")}
    env["MCRED_AUTH"] = "none"
    started = time.perf_counter()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mcred.cli",
                "serve",
                "--db",
                str(db_path),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(out.workers),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    access = _AccessLog(log_path)
    driver = None
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for_server(base + "/")
        driver = _driver()
        # Warm: every page once (the browser caches the scripts, the worker registers the callbacks).
        for page, (path, _steps) in WALK.items():
            _open(driver, base + path, page)
        for _ in range(max(3 * ctx.repeat, 7)):
            driver.get("about:blank")
            driver.get(base + "/")
            out.navigations.append(driver.execute_async_script(NAVIGATION_JS, list(KPIS), list(CHARTS)) / 1000)
        access.new_callback_seconds()  # the walk below counts only the filter changes
        for page, (path, steps) in WALK.items():
            _open(driver, base + path, page)
            charts = list(CHARTS) if page == "overview" else []
            driver.execute_script(INSTRUMENT_JS, charts)
            access.new_callback_seconds()
            for name, value in steps:
                ms, n, busy_ms = driver.execute_async_script(CHANGE_JS, name, value, charts, list(KPIS), QUIET_MS)
                if ms is None:
                    raise RuntimeError(f"{page}: the change of {name} to {value} did not settle within 60 s")
                seconds = access.wait_for(n)
                if page == "overview":
                    out.overview_changes.append(ms / 1000)
                out.server.setdefault(page, []).append(busy_ms / 1000)
                out.server_sum.setdefault(page, []).append(sum(seconds))
                out.requests.setdefault(page, []).append(n)
                out.slowest_request[page] = max(out.slowest_request.get(page, 0.0), *seconds)
                out.slowest_per_change.setdefault(page, []).append(max(seconds))
        workers = _children(server.pid)
        if len(workers) != out.workers:
            raise RuntimeError(f"expected {out.workers} gunicorn worker, found {workers}")
        out.rss_mb, out.hwm_mb = _memory_mb(workers[0])
        out.seconds = time.perf_counter() - started
    finally:
        if driver is not None:
            driver.quit()
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return out


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


@measurement(
    "overview_first_render",
    "warm headless Chromium, mcred serve: navigation to / until every headline figure and chart is drawn",
    max_seconds=1.0,
)
def overview_first_render(ctx: Context) -> Result:
    s = session(ctx)
    return Result(
        statistics.median(s.navigations),
        None,
        None,
        f"{s.offerings:,} current offerings; median of {len(s.navigations)} navigations, "
        f"p90 {_p90(s.navigations):.2f} s, max {max(s.navigations):.2f} s",
    )


@measurement(
    "overview_filter_render",
    "warm headless Chromium, mcred serve: a filter change on / until every chart has redrawn",
    max_seconds=1.0,
)
def overview_filter_render(ctx: Context) -> Result:
    s = session(ctx)
    return Result(
        statistics.median(s.overview_changes),
        None,
        None,
        f"median of {len(s.overview_changes)} changes, p90 {_p90(s.overview_changes):.2f} s, "
        f"max {max(s.overview_changes):.2f} s",
    )


def _server_time(page: str):
    def run(ctx: Context) -> Result:
        s = session(ctx)
        times = s.server[page]
        return Result(
            statistics.median(times),
            None,
            None,
            f"{WALK[page][0]}: median of {len(times)} changes, p90 {_p90(times):.3f} s, max {max(times):.3f} s; "
            f"{statistics.median(s.requests[page]):.0f} callback requests per change; the access log's sum of "
            f"their times {statistics.median(s.server_sum[page]):.3f} s (overlaps counted twice), its slowest "
            f"request {statistics.median(s.slowest_per_change[page]):.3f} s (median), slowest of all "
            f"{s.slowest_request[page]:.3f} s",
        )

    return run


for _page in WALK:
    measurement(
        f"filter_change_server_{_page}",
        f"server time of one filter change on {WALK[_page][0]} (its callback requests, overlaps once), "
        "in warm headless Chromium",
        max_seconds=0.25,
    )(_server_time(_page))


@measurement(
    "dashboard_memory",
    "resident memory of the mcred serve worker after every page with several filters each (peak = VmHWM)",
    max_peak_mb=400,
)
def dashboard_memory(ctx: Context) -> Result:
    s = session(ctx)
    return Result(
        s.seconds,
        None,
        s.hwm_mb,
        f"VmRSS {s.rss_mb:.0f} MB after the walk ({sum(len(v) for v in s.server.values())} filter changes over "
        f"{len(s.server)} pages, {len(s.navigations)} overview loads); {s.workers} gunicorn worker; "
        "'ours s' is the walk's duration",
    )
