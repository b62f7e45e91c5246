"""Helpers of the access tests: the accounts' password and signing in with a test client."""

from __future__ import annotations

import re

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "a long enough passphrase"


def csrf(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, next_path: str = "/"):
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf(client), "next": next_path}
    )


def callback_body(dep: dict, values: dict | None = None) -> dict:
    """A request to POST /_dash-update-component for the callback ``dep`` (an entry of
    /_dash-dependencies), whatever the page shows: what a crafted client could send.

    ``values``: "filter" -> {name: [values]} for the filter controls; a URL parameter's name
    -> its value; "<id>.<property>" -> the value of a plain input or state; a pattern id's
    "type" -> the list of items (id, property, value) to send for it.
    """
    import json

    values = values or {}

    def item(declared: dict):
        """A list of items for a pattern with a wildcard for many (ALL), else one item, as the renderer sends."""
        found = items(declared)
        ident = declared["id"]
        if not ident.startswith("{") or '["ALL"]' in ident or '["ALLSMALLER"]' in ident:
            return found
        return found[0] if found else {"id": json.loads(ident), "property": declared["property"], "value": None}

    def items(declared: dict):
        ident = json.loads(declared["id"]) if declared["id"].startswith("{") else declared["id"]
        prop = declared["property"]
        if isinstance(ident, dict):
            kind = ident.get("type")
            if kind == "filter":
                return [
                    {
                        "id": {"name": name, "type": "filter"},
                        "property": prop,
                        "value": {"name": name, "type": "filter"} if prop == "id" else v,
                    }
                    for name, v in values.get("filter", {}).items()
                ]
            if kind == "urlparam":
                params = [k for k, v in values.items() if "." not in k and isinstance(v, str)]
                names = [ident["name"]] if isinstance(ident["name"], str) else params
                return [
                    {"id": {"type": "urlparam", "name": n, "default": ""}, "property": prop, "value": values[n]}
                    for n in names
                    if n in params
                ]
            # Other patterns: the components named in ``values``, with the property asked for.
            return [
                {
                    "id": x["id"],
                    "property": prop,
                    "value": x["id"] if prop == "id" else (x.get("value") if x.get("property") == prop else None),
                }
                for x in values.get(kind, [])
            ]
        return {"id": ident, "property": prop, "value": values.get(f"{ident}.{prop}")}

    output = dep["output"]
    parts = output.strip(".").split("...") if output.startswith("..") else [output]
    inputs = [item(i) for i in dep["inputs"]]
    states = [item(i) for i in dep.get("state", [])]
    outputs = []
    for part in parts:
        ident, prop = part.split("@", 1)[0].rsplit(".", 1)  # "@<hash>": Dash's mark of a duplicate output
        if not ident.startswith("{"):
            outputs.append({"id": ident, "property": prop})
            continue
        pattern = json.loads(ident)
        if not any(isinstance(v, list) for v in pattern.values()):
            outputs.append({"id": pattern, "property": prop})
            continue
        # A wildcard output: the components of that type that the inputs and states name.
        same = [
            x["id"]
            for group in (*inputs, *states)
            if isinstance(group, list)
            for x in group
            if x["id"].get("type") == pattern.get("type")
        ]
        outputs.append([{"id": i, "property": prop} for i in {json.dumps(i, sort_keys=True): i for i in same}.values()])
    changed = [f"{i['id']}.{i['property']}" for i in dep["inputs"] if not i["id"].startswith("{")][:1]
    return {
        "output": output,
        "outputs": outputs if len(outputs) > 1 or output.startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": changed,
        "state": states,
    }


def find_callback(client, output_part: str) -> dict:
    """The entry of /_dash-dependencies whose output names ``output_part``."""
    deps = client.get("/_dash-dependencies").get_json()
    return next(d for d in deps if output_part in d["output"])
