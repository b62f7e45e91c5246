"""(Called by test_submit_access.py on the draft it uploads.) The validation report's downloads on /submit hold what its grid shows: the grid's columns in
its order (field names, or with headers=labels its headings), its rows, sorted as the grid is
sorted (the sort the links carry from the browser), and a crafted sort is refused with a 400."""

from __future__ import annotations

import csv
import io
import json

from openpyxl import load_workbook


def _component(tree, component_id: str) -> dict:
    """The component with that id in a callback's JSON answer."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == component_id:
            return tree
        values = tree.values()
    elif isinstance(tree, list):
        values = tree
    else:
        values = ()
    for value in values:
        found = _component(value, component_id)
        if found:
            return found
    return {}


def _file(value) -> str:
    return "" if value is None else str(value)


def assert_the_report_downloads_are_the_grid(client, cb, draft: int) -> None:
    """The report's downloads hold the grid's columns and rows in its order (any sort it is given)."""
    lee = client
    panel = cb.post(lee, "submit-panel.children", {'{"default":"","name":"draft","type":"urlparam"}': str(draft)})
    grid = _component(json.loads(panel.text), "submit-report-grid")["props"]
    fields = [c["field"] for c in grid["columnDefs"]]
    headings = [c["headerName"] for c in grid["columnDefs"]]
    shown = grid["rowData"]
    assert len(shown) >= 4 and fields == ["severity", "row", "column", "value", "expected", "message"]
    stores = _component(json.loads(panel.text), "submit-report-grid-downloads")["props"]["data"]
    csv_href, xlsx_href = stores

    def rows(href: str) -> list[list[str]]:
        response = lee.get(href)
        assert response.status_code == 200, response.text
        return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))

    header, *got = rows(csv_href)
    assert header == fields  # no rule column: the grid does not show one
    assert got == [[_file(r[f]) for f in fields] for r in shown]
    # the grid sorted by row (descending), then column: empty rows (whole-file issues) last
    want = sorted(shown, key=lambda r: r["column"] or "")
    want = sorted(want, key=lambda r: (r["row"] is not None, r["row"] or 0), reverse=True)
    header, *got = rows(f"{csv_href}?sort=row:desc,column:asc&headers=labels")
    assert header == headings
    assert got == [[_file(r[f]) for f in fields] for r in want]
    book = load_workbook(io.BytesIO(lee.get(f"{xlsx_href}?sort=row:desc,column:asc").data))
    sheet = list(book["issues"].iter_rows(values_only=True))
    assert list(sheet[0]) == fields
    assert [[_file(v) for v in r] for r in sheet[1:]] == [[_file(r[f]) for f in fields] for r in want]
    assert dict(book["about"].iter_rows(values_only=True))["sorted by"] == "Row (descending), Column (ascending)"
    for crafted, words in (
        ("rule:asc", "sort: unknown column 'rule': accepted columns are severity, row, column"),
        ("row:asc;DROP", "sort: unknown direction 'asc;drop' for row: accepted are asc, desc"),
        ("row:asc,'||1||':desc", "sort: unknown column \"'||1||'\""),
    ):
        refused = lee.get(csv_href, query_string={"sort": crafted})
        assert refused.status_code == 400 and words in refused.text, refused.text
    assert lee.get(csv_href, query_string={"headers": "<b>"}).status_code == 400
