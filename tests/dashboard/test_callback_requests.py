"""Crafted and malformed requests to Dash's callback endpoint get HTTP 400 with plain words,
never a 500 (dashboard/callback_requests.py)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def client(overview_app):
    return overview_app.server.test_client()


@pytest.fixture(scope="module")
def callback(client):
    """A registered callback of the overview, as the renderer would name it."""
    deps = client.get("/_dash-dependencies").get_json()
    return next(d for d in deps if "kpi-offerings.children" in d["output"])


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b"null",
        b'"text"',
        b'{"output": "nope.children"}',
        b'{"output": 5}',
    ],
)
def test_malformed_bodies_get_400(client, body):
    response = client.post("/_dash-update-component", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and "Traceback" not in response.text


def _body(callback, inputs):
    """A request for ``callback``: its outputs as the renderer names them (a list, empty here, for a
    pattern of many), with ``inputs``."""
    outputs = [
        _renderer_item(dict(zip(("id", "property"), part.rsplit(".", 1), strict=True)))
        for part in callback["output"].strip(".").split("...")
    ]
    for out in outputs:
        if isinstance(out, dict):
            del out["value"]
    return {"output": callback["output"], "outputs": outputs, "inputs": inputs, "changedPropIds": [], "state": []}


def _renderer_item(declared: dict, value=None):
    """An input or state as the renderer sends it: a list for a pattern with ALL (empty here)."""
    ident = declared["id"]
    if ident.startswith("{"):
        spec = json.loads(ident)
        if ["ALL"] in spec.values() or ["ALLSMALLER"] in spec.values():
            return []
        return {"id": spec, "property": declared["property"], "value": value}
    return {"id": ident, "property": declared["property"], "value": value}


@pytest.mark.parametrize(
    "inputs",
    [
        "x",
        [1, 2],
        [{"id": 5, "property": "value"}],
        [{"property": "value"}],
        [[{"id": "a"}]],
    ],
)
def test_wrongly_shaped_inputs_get_400(client, callback, inputs):
    body = _body(callback, inputs)
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400 and "malformed callback request" in response.text


def test_too_few_inputs_get_400(client, callback):
    response = client.post("/_dash-update-component", json=_body(callback, []))
    assert response.status_code == 400 and f"takes {len(callback['inputs'])} inputs" in response.text


def test_a_request_shaped_like_the_renderer_s_passes_the_check(client, callback):
    inputs = [_renderer_item(i) for i in callback["inputs"]]
    response = client.post("/_dash-update-component", json=_body(callback, inputs))
    assert response.status_code == 200, response.text


def test_outputs_not_shaped_as_the_callback_declares_get_400(client, callback):
    """Dash reads the outputs by position: too few was an IndexError inside Dash (HTTP 500)."""
    inputs = [_renderer_item(i) for i in callback["inputs"]]
    for outputs in ([], [1, 2], _body(callback, inputs)["outputs"][:3], 10**30):
        body = {**_body(callback, inputs), "outputs": outputs}
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 400 and "outputs" in response.text, response.text


def test_an_output_of_many_components_sent_as_one_gets_400(client, callback):
    """The overview's download links are a pattern of many: one object there reached the callback (HTTP 500)."""
    inputs = [_renderer_item(i) for i in callback["inputs"]]
    outputs = _body(callback, inputs)["outputs"]
    many = next(i for i, o in enumerate(outputs) if isinstance(o, list))
    for wrong in (
        {"id": {"type": "download-link", "path": "/export/chart/chart-type.csv"}, "property": "href"},
        [{"id": "chart-type", "property": "href"}],
    ):
        body = {**_body(callback, inputs), "outputs": [*outputs[:many], wrong, *outputs[many + 1 :]]}
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 400 and "outputs" in response.text, response.text


def test_a_clientside_callback_gets_400(client):
    """A callback that runs in the browser has no server function: Dash raised a KeyError (HTTP 500)."""
    deps = client.get("/_dash-dependencies").get_json()
    browser = next(d for d in deps if d.get("clientside_function"))
    body = {
        "output": browser["output"],
        "outputs": {"id": "x", "property": "y"},
        "inputs": [],
        "changedPropIds": [],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 400 and "runs in the browser" in response.text


@pytest.mark.parametrize("value", [2024, 2024.25, ["2024/25", 5], {"a": 1}, True])
def test_a_period_sent_as_a_number_or_object_is_not_a_500(client, callback, value):
    """The issue's reproduction: ``period`` sent as a number gave HTTP 500."""
    inputs = [
        [{"id": {"type": "filter", "name": "period"}, "property": "value", "value": value}]
        if json.loads(i["id"]).get("type") == "filter"
        else []
        for i in callback["inputs"]
    ]
    response = client.post("/_dash-update-component", json=_body(callback, inputs))
    assert response.status_code in (200, 400), response.text[:300]
    assert "Traceback" not in response.text


def _crafted(declared: dict) -> list:
    """Ids of the wrong kind for the declaration: what made reset_filters and highlight_cell 500."""
    ident, prop = declared["id"], declared["property"]
    if ident.startswith("{"):
        spec = json.loads(ident)
        crafted = [
            {"id": ident, "property": prop, "value": None},  # the pattern as a string
            [{"id": "period", "property": prop, "value": None}],  # a plain id where a pattern is declared
            [{"id": ["a"], "property": prop, "value": None}],
        ]
        if ["ALL"] in spec.values():
            crafted.append({"id": {**spec, "name": "period"}, "property": prop, "value": None})  # one for many
        return crafted
    return [
        {"id": {"type": "filter", "name": "period"}, "property": prop, "value": None},  # an object id
        [{"id": ident, "property": prop, "value": None}],  # a list where one component is declared
    ]


def test_ids_of_the_wrong_kind_get_400_on_every_callback(client):
    deps = [d for d in client.get("/_dash-dependencies").get_json() if not d.get("clientside_function")]
    tried = 0
    for dep in deps:
        outputs = [
            dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
            for part in dep["output"].strip(".").split("...")
        ]
        good = {
            "output": dep["output"],
            "outputs": outputs if dep["output"].startswith("..") else outputs[0],
            "inputs": [_renderer_item(i) for i in dep["inputs"]],
            "changedPropIds": [],
            "state": [_renderer_item(s) for s in dep.get("state", [])],
        }
        for key in ("inputs", "state"):
            for position, declared in enumerate(dep.get(key, [])):
                for item in _crafted(declared):
                    body = {**good, key: [*good[key][:position], item, *good[key][position + 1 :]]}
                    response = client.post("/_dash-update-component", json=body)
                    tried += 1
                    assert response.status_code == 400, (dep["output"], key, item, response.text[:300])
                    assert "malformed callback request" in response.text
    assert tried > 50, tried
