"""Every door, for every role: each server callback of ``app.callback_map`` and each URL rule
of ``app.server.url_map``, called by the anonymous visitor, the public (MCRED_PUBLIC=1), an
institution (BCIT) asking for another institution's data (UBC) with crafted inputs, and the
ministry. Nothing out of scope may come back: another institution's offering titles, file
names, issue values or submission ids never appear in a response body, and each door answers
with the right status (401 / 403 / a redirect to sign in).

A callback or a route added later must be classified here before this test passes: the
sweep fails on anything it does not know.
"""

from __future__ import annotations

import json
import re

import duckdb
import pytest
from access_helpers import callback_body, sign_in

# --- classification: what each callback serves (by its outputs, without Dash's @hash) ------------

CLIENTSIDE = "clientside"  # runs in the browser only: no server door
SHELL = "shell"  # page state and navigation: no data of one institution
AGGREGATE = "aggregate"  # aggregates: open to every role (counts of people suppressed)
ROWS = "rows"  # offering rows, files, issues, submission ids: not the public's, only one's own
MINISTRY = "ministry"  # accounts and the audit log

CALLBACKS = {
    "url-sync.data": CLIENTSIDE,
    "filter-more.is_open": CLIENTSIDE,
    "navbar-collapse.is_open": CLIENTSIDE,
    "explore-refresh.data": CLIENTSIDE,
    "explore-columns-panel.is_open": CLIENTSIDE,
    "_pages_dummy.children": CLIENTSIDE,
    '..{"default":"sector","name":"peers","type":"urlparam"}.value...compare-peer-pick-wrap.style..': CLIENTSIDE,
    '{"name":["ALL"],"type":"filter"}.value': SHELL,  # reset filters; the overview's click-to-filter
    '{"default":"","name":"focus","type":"urlparam"}.value': SHELL,
    "compare-peer-pick.value": SHELL,
    "matrix-selected.data": CLIENTSIDE,  # /submissions: the matrix marks its selected cell
    "_pages_content.children": SHELL,  # the page router: each page's layout, swept page by page
    "compare-heading.children": AGGREGATE,
    "kpi-offerings.children": AGGREGATE,
    "chart-trend.figure": AGGREGATE,
    "submissions-period.children": AGGREGATE,
    "overview-announce.children": CLIENTSIDE,
    '{"name":"institution","type":"filter"}.value': CLIENTSIDE,  # /compare: the filter follows the focus
    "submissions-announce.children": CLIENTSIDE,
    "filter-summary.children": CLIENTSIDE,
    # who has not reported and why: reporting status for all; file names and errors in scope only
    "overview-reporting.children": AGGREGATE,
    "submissions-status-list.children": AGGREGATE,
    "explore-grid.getRowsResponse": ROWS,
    "explore-grid.columnDefs": SHELL,
    # the grid's filter and sort models written to the URL parameters (q.<column>, sort)
    '{"default":"","name":"q-institution_code","type":"urlparam"}.value': CLIENTSIDE,
    # the download links: URLs of the export routes, which are doors of their own (swept below)
    '{"fmt":["ALL"],"type":"explore-download"}.href': SHELL,
    # a table's downloads follow its grid's sort (assets/grid_downloads.js): the sort into a store,
    # the store into the links' hrefs; the routes check the sort again (swept below)
    "compare-peers-grid-sort.data": CLIENTSIDE,
    "compare-peers-download.href": CLIENTSIDE,
    "issues-grid-sort.data": CLIENTSIDE,
    "issues-download-csv.href": CLIENTSIDE,
    "submit-report-grid-sort.data": CLIENTSIDE,
    "submit-report-csv.href": CLIENTSIDE,
    "submission-modal.is_open": ROWS,
    '{"default":"","name":"cell","type":"urlparam"}.value': SHELL,
    "submission-history.children": ROWS,
    "issues-title.children": ROWS,
    "admin-audit.children": MINISTRY,
    # /submit: one's own institution's drafts (the ministry: any); the review queue: the ministry's
    "submit-panel.children": ROWS,
    "submit-feedback.children": ROWS,
    '{"default":"","name":"draft","type":"urlparam"}.value': SHELL,
    "review-queue.children": MINISTRY,
    "review-feedback.children": MINISTRY,
}


def callback_name(key: str) -> str:
    """A callback's name here: its first output (Dash's multi-output key starts with '..')."""
    key = key.split("@", 1)[0]
    if key.startswith("..") and key not in CALLBACKS:
        return key.strip(".").split("...")[0]
    return key


# --- classification of the URL rules ----------------------------------------------------------------

OPEN = "open"  # code, styles, sign-in: anyone
PAGE = "page"  # anonymous: to /login
DATA = "data"  # anonymous: 401
CALLBACK_DOOR = "callback"  # POST /_dash-update-component: the callback sweep

RULES = {
    "/static/<path:filename>": PAGE,
    "/assets/<path:filename>": OPEN,
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": OPEN,
    "/_dash-layout": DATA,
    "/_dash-dependencies": DATA,
    "/_dash-update-component": CALLBACK_DOOR,
    "/_reload-hash": DATA,
    "/_favicon.ico": OPEN,
    "/": PAGE,
    "/<path:path>": PAGE,
    "/export/offerings.<fmt>": DATA,
    "/export/chart/<chart>.csv": DATA,
    "/export/peers.csv": DATA,
    "/export/issues.csv": DATA,
    "/export/issues.xlsx": DATA,
    "/login": OPEN,
    "/logout": OPEN,
    "/login/oidc": OPEN,
    "/login/oidc/callback": OPEN,
    "/healthz": OPEN,
    "/export/drafts/<int:draft_id>/file": DATA,
    "/export/drafts/<int:draft_id>/report.csv": DATA,
    "/export/drafts/<int:draft_id>/report.xlsx": DATA,
    "/export/drafts/template.xlsx": DATA,
}

ROLES = ("anonymous", "public", "institution", "ministry")
WHO = {"anonymous": None, "public": None, "institution": "lee@bcit.ca", "ministry": "ana@gov.bc.ca"}


@pytest.fixture(scope="module")
def world(tmp_path_factory, db_path, app_factory):
    """Two apps on one warehouse copy: sign-in with the public view, and sign-in without it."""
    import shutil

    from access_helpers import PASSWORD, SECRET

    from dashboard.access.settings import AccessSettings
    from dashboard.access.store import AccessStore, store_path

    folder = tmp_path_factory.mktemp("sweep")
    db = folder / "warehouse.duckdb"
    shutil.copy(db_path, db)
    store = AccessStore(store_path(db))
    store.add_account("ana@gov.bc.ca", "ministry", PASSWORD)
    store.add_account("lee@bcit.ca", "institution", PASSWORD, "BCIT")
    with duckdb.connect(str(db), read_only=True) as con:
        files = con.execute("SELECT institution_code, submission_id, file_name FROM submissions").fetchall()
        titles = con.execute("SELECT institution_code, title FROM current_offerings").fetchall()
        # An issue's message names its row's value: a sentence of one institution's file.
        issue_values = con.execute(
            "SELECT DISTINCT s.institution_code, v.message FROM validation_issues v "
            "JOIN submissions s USING (submission_id) WHERE length(v.message) >= 20"
        ).fetchall()
    public_app = app_factory(db, access=AccessSettings(auth="local", secret_key=SECRET, public=True))
    private_app = app_factory(db, access=AccessSettings(auth="local", secret_key=SECRET))
    return {
        "apps": {"public": public_app, "private": private_app},
        "files": files,
        "titles": titles,
        "issue_values": issue_values,
        "ubc_submission": max(sid for code, sid, _ in files if code == "UBC"),
    }


def _client(world, role: str):
    app = world["apps"]["public" if role == "public" else "private"]
    client = app.server.test_client()
    if WHO[role]:
        assert sign_in(client, WHO[role]).status_code == 302
    return client


def _leaks(world, role: str, text: str) -> list[str]:
    """What of other institutions' rows (for the public: of anyone's) appears in ``text``."""
    mine = "BCIT" if role == "institution" else None
    found = []
    for code, sid, name in world["files"]:
        if code == mine:
            continue
        if name and name in text:
            found.append(f"file {name}")
        # (A link may echo the submission a request named: that tells nothing.)
        if re.search(rf'"submission_id"\s*:\s*{sid}\b|#{sid}\b', text):
            found.append(f"submission id {sid} ({code})")
    for code, title in world["titles"]:
        if code != mine and title in text:
            found.append(f"title {title!r}")
    for code, value in world["issue_values"]:
        if code != mine and value in text:
            found.append(f"issue {value!r} ({code})")
    return found


# --- the callback sweep ---------------------------------------------------------------------------


def _crafted(world) -> dict:
    """Inputs naming another institution (UBC) wherever an input can name one."""
    sid = world["ubc_submission"]
    return {
        "filter": {"period": ["2024/25"], "institution": ["UBC"]},
        "focus": "UBC",
        "peers": "UBC,CAM",
        "cell": "UBC_2024/25",
        "submission": str(sid),
        "severity": "all",
        "column": "",
        "measure": "enrolments",
        "split": "type",
        "q": "",
        "matrix-click.data": {"cell": "UBC_2024/25", "at": 1},  # a click on a matrix cell (assets/matrix.js)
        "history-issues": [{"id": {"type": "history-issues", "submission": sid}, "property": "n_clicks", "value": 1}],
        "download-link": [
            {"id": {"type": "download-link", "path": "/export/offerings.csv"}, "property": "id", "value": None}
        ],
        "explore-grid.getRowsRequest": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}},
        "explore-grid.cellClicked": {"colId": "file_name", "rowId": f"{sid}/U1", "value": "x"},
        "explore-columns.value": ["offering_id", "title", "file_name"],
        "compare-peers-grid.cellClicked": {"rowId": "UBC"},
        "compare-peer-kind.value": "custom",
        "compare-peer-pick.value": ["UBC", "CAM"],
        "filter-reset.n_clicks": 1,
        "issues-all-period.n_clicks": 1,
        "admin-audit-page.data": 1,
        "issues-grid-sort.data": "value:asc,row');DROP TABLE submission;--:desc",  # a crafted grid sort
    }


def _server_callbacks(app) -> list[tuple[str, str]]:
    return [(key, callback_name(key)) for key, cb in app.callback_map.items() if "callback" in cb]


def test_every_callback_is_classified(world):
    app = world["apps"]["public"]
    unknown = sorted({name for key, name in ((k, callback_name(k)) for k in app.callback_map) if name not in CALLBACKS})
    assert not unknown, f"classify these callbacks in {__file__}: {unknown}"
    clientside = {callback_name(k) for k, cb in app.callback_map.items() if "callback" not in cb}
    assert {n for n, kind in CALLBACKS.items() if kind == CLIENTSIDE} >= clientside


def _bodies(world, client, key: str, name: str):
    """The crafted requests for one callback (the page router: one per page)."""
    deps = client.get("/_dash-dependencies").get_json() if client else None
    dep = next(d for d in deps if d["output"] == key.split("@", 1)[0] or d["output"] == key)
    values = _crafted(world)
    if name == "_pages_content.children":
        import dash

        for page in dash.page_registry.values():
            path = page["path"]
            yield (
                f"page {path}",
                callback_body(
                    dep, {"_pages_location.pathname": path, "_pages_location.search": "?institution=UBC&focus=UBC"}
                ),
            )
        return
    body = callback_body(dep, values)
    if dep["inputs"]:
        first = dep["inputs"][0]
        body["changedPropIds"] = [
            f"{first['id']}.{first['property']}"
            if not first["id"].startswith("{")
            else json.dumps(_first_item_id(body["inputs"][0]), separators=(",", ":")) + f".{first['property']}"
        ]
    yield name, body


def _first_item_id(item):
    if isinstance(item, list):
        return item[0]["id"] if item else {}
    return item["id"]


@pytest.mark.parametrize("role", ROLES)
def test_every_callback_for_every_role(world, role):
    client = _client(world, role)
    # The dependencies themselves are a data route: the anonymous visitor gets 401, so the
    # sweep reads them as the ministry and sends the requests as ``role``.
    reader = _client(world, "ministry")
    app = world["apps"]["public" if role == "public" else "private"]
    problems = []
    for key, name in _server_callbacks(app):
        kind = CALLBACKS[name]
        for label, body in _bodies(world, reader, key, name):
            response = client.post("/_dash-update-component", json=body)
            status, text = response.status_code, response.get_data(as_text=True)
            if status >= 500:
                problems.append(f"{label}: {status} {text[:200]}")
                continue
            if role == "anonymous":
                if status != 401:
                    problems.append(f"{label}: anonymous got {status}, not 401")
                continue
            if role == "ministry":
                if status not in (200, 204):
                    problems.append(f"{label}: the ministry got {status}: {text[:200]}")
                continue
            leaks = _leaks(world, role, text)
            if leaks:
                problems.append(f"{label}: {role} got {leaks[:3]}")
            if kind == MINISTRY and status != 403:
                problems.append(f"{label}: {role} got {status}, not 403")
            if kind == ROWS and role == "public" and status not in (403, 204):
                problems.append(f"{label}: the public got {status}, not 403")
            if label == "page /admin" and status != 403:
                problems.append(f"{label}: {role} got {status}, not 403")
    assert not problems, "\n".join(problems)


# --- the URL sweep ---------------------------------------------------------------------------------


def _urls(world, rule: str) -> list[tuple[str, str, dict[str, int]]]:
    """(method, URL, expected status per role) for one rule; -1: any status but 5xx."""
    sid = world["ubc_submission"]
    signed = {"public": 200, "institution": 200, "ministry": 200}
    page = {"anonymous": 302, **signed}
    data = {"anonymous": 401, **signed}
    if rule == "/<path:path>":
        return [
            ("GET", "/compare?focus=UBC&institution=UBC", page),
            ("GET", "/explore?institution=UBC", {**page, "public": 403}),
            ("GET", "/submissions?cell=UBC_2024/25", page),
            ("GET", "/admin", {**page, "public": 403, "institution": 403}),
            ("GET", "/no-such-page", page),
        ]
    if rule == "/":
        return [("GET", "/?institution=UBC", page)]
    if rule == "/static/<path:filename>":
        return [("GET", "/static/nothing.css", {"anonymous": 302, "public": 404, "institution": 404, "ministry": 404})]
    if rule == "/export/offerings.<fmt>":
        refused = {**data, "public": 403, "institution": 403}
        return [("GET", f"/export/offerings.{f}?institution=UBC", refused) for f in ("csv", "xlsx", "parquet")] + [
            ("GET", "/export/offerings.csv?period=2024/25", {**data, "public": 403})
        ]
    if rule == "/export/chart/<chart>.csv":
        return [("GET", "/export/chart/chart-type.csv?institution=UBC&measure=enrolments", data)]
    if rule == "/export/peers.csv":
        crafted = {**data, "public": 400, "institution": 400, "ministry": 400}
        return [
            ("GET", "/export/peers.csv?focus=UBC&peers=all&field=math_computer_science", data),
            ("GET", "/export/peers.csv?focus=UBC&peers=all&sort=enrolments:desc,name:asc&headers=labels", data),
            ("GET", "/export/peers.csv?focus=UBC&sort=is_focus:asc", crafted),
            ("GET", "/export/peers.csv?focus=UBC&sort=name%3Basc%27--", crafted),
        ]
    if rule == "/export/issues.csv":
        refused = {**data, "public": 403, "institution": 403}
        crafted = {**data, "public": 400, "institution": 400, "ministry": 400}  # checked before the scope
        return [
            ("GET", f"/export/issues.csv?submission={sid}", refused),
            ("GET", "/export/issues.csv?cell=UBC_2024/25", refused),
            ("GET", "/export/issues.csv?institution=UBC", refused),
            ("GET", f"/export/issues.csv?submission={sid}&sort=message:desc&headers=labels", refused),
            ("GET", f"/export/issues.csv?submission={sid}&sort=rule:asc", crafted),
        ]
    if rule.startswith("/export/drafts/<int:draft_id>/"):
        # No draft exists in this warehouse: never a 5xx; tests/dashboard/submitting sweeps real drafts
        # of two institutions door by door.
        path = rule.replace("<int:draft_id>", "1")
        return [("GET", path, {"anonymous": 401, "public": 403, "institution": -1, "ministry": -1})]
    if rule == "/export/drafts/template.xlsx":
        return [("GET", rule, {**data, "public": 403})]
    if rule == "/export/issues.xlsx":
        refused = {**data, "public": 403, "institution": 403}
        return [
            ("GET", f"/export/issues.xlsx?submission={sid}", refused),
            ("GET", f"/export/issues.xlsx?submission={sid}&sort=row:desc", refused),
        ]
    if rule in ("/_dash-layout", "/_dash-dependencies"):
        return [("GET", rule, data)]
    if rule == "/_reload-hash":
        return [("GET", rule, {"anonymous": 401, "public": -1, "institution": -1, "ministry": -1})]
    if rule == "/_dash-update-component":
        return []  # the callback sweep
    if rule == "/assets/<path:filename>":
        return [("GET", "/assets/style.css", dict.fromkeys(ROLES, 200))]
    if rule == "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>":
        return [("GET", "/_dash-component-suites/dash/nothing.v1.js", dict.fromkeys(ROLES, 404))]
    if rule == "/_favicon.ico":
        return [("GET", rule, dict.fromkeys(ROLES, -1))]
    if rule == "/login":
        return [
            ("GET", "/login", {"anonymous": 200, "public": 200, "institution": 200, "ministry": 200}),
            ("POST", "/login", dict.fromkeys(ROLES, 400)),  # no CSRF token
        ]
    if rule == "/logout":
        return [("GET", "/logout", dict.fromkeys(ROLES, 302))]
    if rule in ("/login/oidc", "/login/oidc/callback"):
        return [("GET", rule, dict.fromkeys(ROLES, 404))]  # single sign-on is off here
    if rule == "/healthz":
        return [("GET", rule, dict.fromkeys(ROLES, 200))]
    raise AssertionError(f"no URLs for rule {rule}: add them to {__file__}")


def test_every_url_rule_is_classified(world):
    rules = {r.rule for r in world["apps"]["public"].server.url_map.iter_rules()}
    unknown = sorted(rules - set(RULES))
    assert not unknown, f"classify these routes in {__file__}: {unknown}"


@pytest.mark.parametrize("role", ROLES)
def test_every_url_rule_for_every_role(world, role):
    app = world["apps"]["public" if role == "public" else "private"]
    problems = []
    for rule in sorted({r.rule for r in app.server.url_map.iter_rules()}):
        for method, url, expected in _urls(world, rule):
            client = _client(world, role)  # a fresh session: /logout would end a shared one
            response = client.open(url, method=method)
            status, body = response.status_code, response.get_data()
            want = expected[role]
            if status >= 500 or (want != -1 and status != want):
                problems.append(f"{method} {url}: {role} got {status}, expected {want}")
            if role == "anonymous" and want == 302 and not response.headers.get("Location", "").startswith("/login"):
                problems.append(f"{method} {url}: anonymous not sent to /login")
            if role in ("public", "institution"):
                leaks = _leaks(world, role, body.decode("utf-8", "replace"))
                if leaks:
                    problems.append(f"{method} {url}: {role} got {leaks[:3]}")
    assert not problems, "\n".join(problems)
