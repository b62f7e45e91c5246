"""Issue #14, item 5: one warehouse version per request. A loader process publishes new versions
continuously, alternating between two states, while threads send the overview's and compare's
callbacks to the app as the browser does; no response may mix two versions.

The two states are built so that every output identifies its state: in state A, BCIT reports 7
offerings of one kind (technical skill, online, non-credit, employer partner, continuing
education, 11 enrolments each); in state B, 13 of another kind (upskilling, onsite,
credit, community partner, not continuing education, 29 each). JIBC (BCIT's sector
peer) stays as it is. Each output's exact content in A and in B is recorded while nothing loads;
during the loads every output of a response must equal its A content or its B content, and all
the outputs of one response the same one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path

import pytest
from submission_files import HEADER

from etl.config import Settings
from etl.load import load_files

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2024/25"
STATES = {
    "A": dict(
        n=7,
        type="technical_skill",
        delivery="online",
        credit="non_credit",
        partner="employer_industry",
        ce="yes",
        enrolments=11,
    ),
    "B": dict(n=13, type="upskilling", delivery="onsite", credit="credit", partner="community", ce="no", enrolments=29),
}
LOADS = 24  # publishes during the requests (12 of each state)

# The loader: a separate process that writes BCIT's file in state A or B (with a new title each
# time, so that every load is a new submission) and loads it, LOADS times. It is paced by the
# requests: after each publish it waits until the test's threads have had two more responses
# (their count, written by the test to the file argv[5]), so that every published version is
# asked for whatever the relative speed of loading and answering on this machine.
LOADER = r"""
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from test_snapshot_publish import write_state
from etl.config import Settings
from etl.load import load_files
settings = Settings(db_path=Path(sys.argv[1]))
folder, counter = Path(sys.argv[2]), Path(sys.argv[5])

def responses():
    return int(counter.read_text() or 0)

def two_more(since):
    deadline = time.monotonic() + 60
    while responses() < since + 2:
        if time.monotonic() > deadline:
            sys.exit(f"no two responses in 60 s after {since}")
        time.sleep(0.002)

for i in range(int(sys.argv[3])):
    state = "B" if i % 2 == 0 else "A"
    [outcome] = load_files([write_state(folder, state, f"run {i}")], settings)
    assert outcome.status == "accepted", outcome.issues[:3]
    print(state, flush=True)
    two_more(responses())
"""


def write_state(folder: Path, state: str, marker: str) -> Path:
    s = STATES[state]
    credits = "3" if s["credit"] == "credit" else ""
    rows = [
        ",".join(
            [
                "BCIT",
                PERIOD,
                f"{state}{i}",
                f"Offering {i} ({marker})",
                s["type"],
                s["delivery"],
                s["credit"],
                credits,
                s["partner"],
                s["ce"],
                "40",
                "yes",
                str(s["enrolments"]),
                str(s["enrolments"] // 2),
            ]
        )
        for i in range(s["n"])
    ]
    path = folder / f"bcit-{marker.replace(' ', '-')}.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _peer(folder: Path) -> Path:
    path = folder / "jibc.csv"
    rows = [
        f"JIBC,{PERIOD},J{i},Peer offering {i},pathway,blended,non_credit,,government,yes,30,yes,8,4" for i in range(3)
    ]
    path.write_text("\n".join([HEADER, *rows]) + "\n")
    return path


def _bodies(client) -> dict[str, dict]:
    """The overview's and compare's data callbacks, as the renderer sends them for 2024/25 (compare
    with BCIT as the focus), keyed by their output."""
    deps = client.get("/_dash-dependencies").get_json()
    wanted = ("kpi-offerings.children", "chart-trend.figure", "compare-heading.children")
    bodies = {}
    for dep in deps:
        if not any(w in dep["output"] for w in wanted) or "allow_duplicate" in dep["output"]:
            continue

        def item(declared):
            ident = declared["id"]
            if ident.startswith("{"):
                spec = json.loads(ident)
                if spec.get("type") == "filter":
                    return [{"id": {"name": "period", "type": "filter"}, "property": "value", "value": [PERIOD]}]
                if spec.get("name") == "focus":
                    return [
                        {
                            "id": {"type": "urlparam", "name": "focus", "default": ""},
                            "property": "value",
                            "value": "BCIT",
                        }
                    ]
                return []
            return {**declared, "value": None}

        outputs = [
            dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
            for part in dep["output"].strip(".").split("...")
        ]
        # a pattern of many (the overview's chart links): a list, empty here, as the renderer sends it
        outputs = [[] if '["ALL"]' in o["id"] else o for o in outputs]
        bodies[dep["output"]] = {
            "output": dep["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [item(i) for i in dep["inputs"]],
            "changedPropIds": [],
            "state": [item(i) for i in dep.get("state", [])],
        }
    return bodies


def _outputs(client, body) -> dict[str, str]:
    """Each output of one callback response, as canonical JSON."""
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:300]
    payload = response.get_json()["response"]
    return {
        f"{ident}.{prop}": json.dumps(value, sort_keys=True)
        for ident, props in payload.items()
        for prop, value in props.items()
    }


@pytest.mark.slow
def test_no_response_mixes_two_published_versions(tmp_path, app_factory):
    folder = tmp_path / "files"
    folder.mkdir()
    db = tmp_path / "warehouse.duckdb"
    settings = Settings(db_path=db)
    load_files([_peer(folder), write_state(folder, "A", "start")], settings)
    app = app_factory(db)
    client = app.server.test_client()
    bodies = _bodies(client)
    assert len(bodies) == 2, sorted(bodies)  # the overview's one data callback, compare's one

    # Each output's content in A and in B, recorded twice each while nothing loads: an output
    # that differs between two loads of the same state (none is expected) could not identify it.
    def snapshot():
        return {name: _outputs(client, body) for name, body in bodies.items()}

    a1 = snapshot()
    load_files([write_state(folder, "B", "ref b1")], settings)
    b1 = snapshot()
    load_files([write_state(folder, "A", "ref a2")], settings)
    a2 = snapshot()
    load_files([write_state(folder, "B", "ref b2")], settings)
    b2 = snapshot()
    assert a1 == a2 and b1 == b2, "an output changes between two loads of the same state"
    identifying = {name: {key for key in a1[name] if a1[name][key] != b1[name][key]} for name in bodies}
    # Every callback has outputs that tell the states apart, and the overview's every output does.
    assert all(identifying.values()), identifying
    overview = next(n for n in bodies if "kpi-offerings.children" in n)
    figures = {k for name in bodies for k in a1[name] if k.endswith(".figure")}
    assert len(figures) >= 6 and figures <= set().union(*identifying.values()), figures
    assert {"kpi-offerings.children", "kpi-enrolments.children"} <= identifying[overview]
    assert json.loads(a1[overview]["kpi-offerings.children"]) == "10"  # 7 of BCIT + 3 of JIBC
    assert json.loads(b1[overview]["kpi-offerings.children"]) == "16"

    counter = tmp_path / "responses"
    counter.write_text("0")
    loader = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(db), str(folder), str(LOADS), str(Path(__file__).parent), str(counter)],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": f"{PROJECT_ROOT}{os.pathsep}{PROJECT_ROOT / 'tests'}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stop = threading.Event()
    errors: list[str] = []
    seen = {"A": 0, "B": 0}
    responses = [0]

    def request_forever(names: list[str]) -> None:
        c = app.server.test_client()
        while not stop.is_set():
            for name in names:
                try:
                    got = _outputs(c, bodies[name])
                    states = set()
                    for key in identifying[name]:
                        if got[key] == a1[name][key]:
                            states.add("A")
                        elif got[key] == b1[name][key]:
                            states.add("B")
                        else:
                            states.add(f"neither ({key})")
                    if len(states) != 1 or not states <= {"A", "B"}:
                        errors.append(f"{name}: outputs from {sorted(states)}")
                    else:
                        seen[states.pop()] += 1
                    responses[0] += 1
                except Exception:  # noqa: BLE001 - every failure is reported below
                    errors.append(traceback.format_exc())

    def count_forever() -> None:  # the loader's pace: the responses so far, replaced whole
        while not stop.is_set():
            part = counter.with_suffix(".part")
            part.write_text(str(responses[0]))
            os.replace(part, counter)
            stop.wait(0.005)

    names = sorted(bodies)
    # four threads, each asking for every callback in its own order (an empty list would spin)
    rotations = [names[k % len(names) :] + names[: k % len(names)] for k in range(4)]
    threads = [threading.Thread(target=request_forever, args=(rotation,)) for rotation in rotations]
    threads.append(threading.Thread(target=count_forever))
    for t in threads:
        t.start()
    try:
        out, err = loader.communicate(timeout=600)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=120)
    print(f"{LOADS} publishes, {responses[0]} callback responses: {seen}, {len(errors)} mixed")
    assert loader.returncode == 0, err[-2000:]
    assert out.split() == ["B", "A"] * (LOADS // 2)
    assert errors == [], "\n".join(errors[:5])
    assert seen["A"] >= 5 and seen["B"] >= 5, seen  # the requests ran across both states
    assert responses[0] >= 2 * LOADS, responses  # two or more per publish: every version was asked for
