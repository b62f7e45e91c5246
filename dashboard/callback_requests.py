"""Malformed callback requests get HTTP 400, not a 500 from inside Dash.

Every Dash callback is a public endpoint (``POST /_dash-update-component``) that takes
whatever JSON a client sends. Dash assumes the shape its own renderer sends and fails
with a traceback (HTTP 500) on anything else. This checks the shape before Dash reads it:
an object naming a registered callback, with as many ``{"id", "property", "value"}`` items as
that callback declares inputs and states, each shaped as its declaration: a string id where a
component id is declared, an object id where a pattern is, and a list of them where the pattern
has a wildcard for many (ALL, ALLSMALLER).
What a well-formed request's values mean is each callback's own business (its page's
state parsing).
"""

from __future__ import annotations

from typing import Any

import dash
import flask

PATH = "/_dash-update-component"


class _Malformed(ValueError):
    pass


def install(app: dash.Dash) -> None:
    def check() -> flask.Response | None:
        if flask.request.path != PATH or flask.request.method != "POST":
            return None
        body = flask.request.get_json(silent=True)
        try:
            _check(body, app.callback_map)
        except _Malformed as exc:
            response = flask.make_response(f"400 Bad Request: malformed callback request: {exc}\n", 400)
            response.mimetype = "text/plain"
            return response
        return None

    app.server.before_request(check)


def _check(body: Any, callbacks: dict[str, Any]) -> None:
    if not isinstance(body, dict):
        raise _Malformed("the body must be a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callbacks:
        raise _Malformed("'output' must name a callback of this app")
    declared = callbacks[output]
    if "callback" not in declared:
        raise _Malformed("this callback runs in the browser, not on the server")
    for key in ("inputs", "state"):
        items = body.get(key, [])
        if not isinstance(items, list):
            raise _Malformed(f"{key!r} must be a list")
        expected = len(declared.get(key, []))
        if len(items) != expected:
            raise _Malformed(f"this callback takes {expected} {key}, not {len(items)}")
        for item, dependency in zip(items, declared.get(key, []), strict=True):
            _check_dependency(key, item, dependency["id"])
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise _Malformed("'changedPropIds' must be a list of strings")
    _check_outputs(body.get("outputs"), output)


def _check_outputs(outputs: Any, output: str) -> None:
    """As many outputs as the callback declares (Dash reads them by position): an object with id and
    property for each, or a list of them for a pattern-matching output."""
    multi = output.startswith("..")
    count = len(output.strip(".").split("...")) if multi else 1
    if multi:
        if not isinstance(outputs, list) or len(outputs) != count:
            raise _Malformed(f"'outputs' must be a list of this callback's {count} outputs")
        each = outputs
    else:
        each = [outputs]
    declared = (
        [part.rsplit(".", 1)[0] for part in output.strip(".").split("...")] if multi else [output.rsplit(".", 1)[0]]
    )
    for one, declared_id in zip(each, declared, strict=True):
        _check_dependency("outputs", one, declared_id)


def _check_dependency(key: str, item: Any, declared_id: str) -> None:
    """One input or state as the renderer sends it for the declared id (Dash's JSON of a pattern)."""
    pattern = declared_id.startswith("{")
    many = pattern and ('["ALL"]' in declared_id or '["ALLSMALLER"]' in declared_id)
    if many and not isinstance(item, list):
        raise _Malformed(f"{declared_id} in {key!r} matches many components: it must be a list")
    for one in item if many else [item]:
        _check_item(key, one)
        if isinstance(one["id"], dict) != pattern:
            kind = "an object (a pattern-matching id)" if pattern else "a string"
            raise _Malformed(f"the id of {declared_id} in {key!r} must be {kind}")


def _check_item(key: str, item: Any) -> None:
    if not isinstance(item, dict):
        raise _Malformed(f"each of {key!r} must be an object with id and property")
    if not isinstance(item.get("id"), str | dict) or not isinstance(item.get("property"), str):
        raise _Malformed(f"each of {key!r} needs an id (string or object) and a property (string)")
