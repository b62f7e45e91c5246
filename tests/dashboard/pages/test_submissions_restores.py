"""Issue #14, item 3: a restore (``mcred restore``) shows in the matrix cell's history on
/submissions, as an event between the loads: which submission was made current again,
instead of which, when and by whom. Through the page's callback, as the browser asks for it."""

from __future__ import annotations

import json

from submission_files import csv_file, offering_row

from etl import history
from etl.config import Settings
from etl.history import restore_submission
from etl.load import load_files


def _history(client) -> list:
    deps = client.get("/_dash-dependencies").get_json()
    dep = next(d for d in deps if d["output"] == "submission-history.children")
    inputs = [
        {"id": json.loads(i["id"]), "property": i["property"], "value": "BCIT_2024/25" if '"cell"' in i["id"] else ""}
        for i in dep["inputs"]
    ]
    body = {
        "output": dep["output"],
        "outputs": {"id": "submission-history", "property": "children"},
        "inputs": inputs,
        "changedPropIds": [],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.text[:300]
    return response.get_json()["response"]["submission-history"]["children"]


def _rows(children) -> list[list[str]]:
    """The history table's rows (after the header) as the texts of their cells."""
    text = json.dumps(children)
    assert "history-table" in text
    table = next(c for c in children if isinstance(c, dict) and c.get("props", {}).get("id") == "history-table")
    body = table["props"]["children"][1]["props"]["children"]
    return [[_text(td) for td in tr["props"]["children"]] for tr in body]


def _text(node) -> str:
    if node is None:
        return ""
    if isinstance(node, (str, int, float)):
        return str(node)
    if isinstance(node, list):
        return " ".join(t for t in (_text(n) for n in node) if t)
    return _text(node.get("props", {}).get("children"))


def test_a_restore_is_an_event_in_the_cells_history(tmp_path, app_factory):
    settings = Settings(db_path=tmp_path / "warehouse.duckdb")
    first = csv_file(tmp_path, "first.csv", [offering_row(oid=f"F{i}") for i in range(5)])
    second = csv_file(tmp_path, "second.csv", [offering_row(oid=f"S{i}") for i in range(3)])
    [a] = load_files([first], settings)
    [b] = load_files([second], settings)
    restore_submission(settings, a.submission_id)

    client = app_factory(settings.db_path).server.test_client()
    rows = _rows(_history(client))
    # Newest first: the restore, then the second load, then the first.
    assert len(rows) == 3, rows
    restore, loaded_second, loaded_first = rows
    assert restore[0] == f"#{a.submission_id}"
    assert restore[1].startswith(f"Restored: #{a.submission_id} (first.csv) made the submission in use again")
    assert restore[1].endswith(f"replacing #{b.submission_id} by {history._user()}")
    assert restore[3] == "restored" and restore[2].endswith(("PST", "PDT"))  # Pacific time (dashboard.display)
    assert loaded_second[:2] == [f"#{b.submission_id}", "second.csv"]
    assert f"#{a.submission_id}" in loaded_second  # superseded by the restored one
    assert loaded_first[:2] == [f"#{a.submission_id}", "first.csv"] and "in use" in " ".join(loaded_first)


def test_the_history_panel_without_restores_is_unchanged(tmp_path, app_factory):
    settings = Settings(db_path=tmp_path / "warehouse.duckdb")
    load_files([csv_file(tmp_path, "only.csv", [offering_row()])], settings)
    rows = _rows(_history(app_factory(settings.db_path).server.test_client()))
    assert len(rows) == 1 and rows[0][1] == "only.csv" and "restored" not in rows[0]
