"""Issue #14, item 7: a fuzzing corpus of requests, generated here from fixed seeds. Malformed
bodies sent to every registered callback, and odd URL filters sent to every page and export:
the answer is never a 500 and never a traceback."""

from __future__ import annotations

import json
import random
from urllib.parse import quote

import pytest

CASES = 60
PAGES = ("/", "/compare", "/explore", "/submissions")
EXPORTS = ("/export/offerings.csv", "/export/offerings.xlsx", "/export/offerings.parquet")
PARAMETERS = (
    "period",
    "institution",
    "sector",
    "region",
    "type",
    "delivery",
    "credit",
    "partner",
    "ce",
    "field",
    "measure",
    "split",
    "focus",
    "peers",
    "cell",
    "submission",
    "severity",
    "column",
    "search",
    "sort",
)
ODD_VALUES = [
    "",
    "all",
    "2024/25",
    "2099/00",
    "0000/01",
    "2024-25",
    "BCIT",
    "bcit",
    "UBC,SFU",
    ",,,",
    "'; DROP TABLE x; --",
    "<script>alert(1)</script>",
    "%00",
    "\x00",
    "é" * 300,
    "x" * 5_000,
    "9" * 40,
    "-1",
    "1e309",
    "NaN",
    "null",
    "[]",
    "{}",
    "..%2F..%2Fetc%2Fpasswd",
    "\ud800",
    "BCIT_2024/25",
    "period=2024/25",
    "yes",
    "no",
    "=1+1",
]


@pytest.fixture(scope="module")
def client(overview_app):
    return overview_app.server.test_client()


@pytest.fixture(scope="module")
def callbacks(client):
    return client.get("/_dash-dependencies").get_json()


def _junk(rng: random.Random, depth: int = 0):
    kind = rng.randrange(9 if depth < 3 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([0, -1, 1.5, 10**30, True, False])
    if kind == 2:
        return rng.choice(ODD_VALUES)
    if kind == 3:
        return rng.choice(["value", "children", "id", "property", "ALL", "MATCH"])
    if kind == 4:
        return {
            "id": rng.choice(["x", 5, None, {"type": "filter", "name": rng.choice(PARAMETERS)}]),
            "property": "value",
        }
    if kind in (5, 6):
        return [_junk(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {
        rng.choice(["id", "property", "value", "type", "name", "x"]): _junk(rng, depth + 1)
        for _ in range(rng.randint(0, 4))
    }


def _body(rng: random.Random, callback: dict) -> dict:
    """A body shaped like the renderer's for ``callback``, with parts replaced by junk."""
    inputs = []
    for declared in callback["inputs"]:
        ident = declared["id"]
        if ident.startswith("{"):
            spec = json.loads(ident)
            members = [
                {
                    "id": {**{k: v for k, v in spec.items() if v != ["ALL"]}, "name": rng.choice(PARAMETERS)},
                    "property": declared["property"],
                    "value": _junk(rng),
                }
                for _ in range(rng.randint(0, 3))
            ]
            inputs.append(members)
        else:
            inputs.append({"id": ident, "property": declared["property"], "value": _junk(rng)})
    body = {
        "output": callback["output"],
        "outputs": _junk(rng),
        "inputs": inputs,
        "changedPropIds": _junk(rng),
        "state": [],
    }
    for _ in range(rng.randint(0, 2)):  # and some parts broken outright
        key = rng.choice(sorted(body))
        body[key] = _junk(rng)
    return body


@pytest.mark.parametrize("seed", range(CASES))
def test_malformed_callback_bodies_never_get_a_500(client, callbacks, seed):
    rng = random.Random(seed)
    for callback in rng.sample(callbacks, min(6, len(callbacks))):
        body = _body(rng, callback)
        if rng.random() < 0.2:
            raw = json.dumps(body)
            cut = raw[: rng.randrange(len(raw))]  # cut short: not JSON at all
            response = client.post("/_dash-update-component", data=cut, headers={"Content-Type": "application/json"})
        else:
            response = client.post("/_dash-update-component", json=body)
        assert response.status_code < 500, (callback["output"], body, response.text[:500])
        assert "Traceback" not in response.text


def _query(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 6)):
        name = rng.choice(PARAMETERS + ("unknown", "", "period[]", "PERIOD"))
        value = rng.choice(ODD_VALUES)
        parts.append(f"{quote(name, safe='')}={quote(value, safe='', errors='surrogatepass')}")
    if rng.random() < 0.2:
        parts.append(rng.choice(["%", "%zz", "&&&", "=", "period", "a=b=c"]))
    return "&".join(parts)


@pytest.mark.parametrize("seed", range(CASES))
def test_odd_url_filters_never_get_a_500(client, seed):
    rng = random.Random(10_000 + seed)
    for path in (rng.choice(PAGES), rng.choice(EXPORTS)):
        url = f"{path}?{_query(rng)}"
        response = client.get(url)
        assert response.status_code < 500, (url, response.text[:500])
        assert response.status_code in (200, 400, 403, 404, 413), (url, response.status_code)
        assert b"Traceback" not in response.get_data()[:20_000]
