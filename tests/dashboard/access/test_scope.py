"""Who sees which rows, door by door, with crafted requests (URL parameters, export
parameters, callback bodies): ministry everything, an institution its own rows only, the
public no rows at all (dashboard/data/scope.py, applied by the Reader of each request)."""

from __future__ import annotations

import csv
import io
import json

import pytest


@pytest.fixture
def doors(public_site):
    return public_site.client, public_site.submission_ids


def _institutions(response) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    return {r["institution_code"] for r in rows}


def test_ministry_sees_every_institution_s_rows(doors):
    client, ids = doors
    c = client("ana@gov.bc.ca")
    assert _institutions(c.get("/export/offerings.csv?period=2024/25")) == {"BCIT", "UBC", "CAM"}
    assert c.get(f"/export/issues.csv?submission={ids['UBC']}").status_code == 200


def test_an_institution_downloads_its_own_offerings_only(doors):
    client, _ = doors
    c = client("lee@bcit.ca")
    response = c.get("/export/offerings.csv?period=2024/25")
    assert response.status_code == 200 and _institutions(response) == {"BCIT"}
    for fmt in ("xlsx", "parquet"):
        assert c.get(f"/export/offerings.{fmt}?period=2024/25").status_code == 200
    assert _institutions(c.get("/export/offerings.csv?period=2024/25&institution=BCIT")) == {"BCIT"}


@pytest.mark.parametrize(
    "query",
    [
        "institution=UBC",
        "institution=BCIT,UBC",
        "institution=ubc",
        "period=all&institution=CAM",
    ],
)
def test_an_institution_asking_for_others_rows_gets_403(doors, query):
    client, _ = doors
    c = client("lee@bcit.ca")
    for fmt in ("csv", "xlsx", "parquet"):
        response = c.get(f"/export/offerings.{fmt}?{query}")
        assert response.status_code == 403 and "not yours to see" in response.text, (fmt, response.text)


def test_an_institution_never_gets_another_s_files_or_issues(doors):
    client, ids = doors
    c = client("lee@bcit.ca")
    assert c.get(f"/export/issues.csv?submission={ids['BCIT']}").status_code == 200
    for path in (
        f"/export/issues.csv?submission={ids['UBC']}",
        f"/export/issues.xlsx?submission={ids['CAPU']}",
        "/export/issues.csv?cell=UBC_2024/25",
        "/export/issues.csv?institution=UBC",
    ):
        response = c.get(path)
        assert response.status_code == 403, (path, response.status_code, response.text)
    # Without a choice, the issues are those of its own files only.
    rows = list(
        csv.DictReader(io.StringIO(c.get("/export/issues.csv?period=2024/25").get_data(as_text=True).lstrip("\ufeff")))
    )
    assert {r["institution_code"] for r in rows} <= {"BCIT"}


def test_aggregates_stay_open_to_an_institution(doors):
    client, _ = doors
    c = client("lee@bcit.ca")
    assert c.get("/export/peers.csv?period=2024/25&focus=BCIT").status_code == 200
    assert c.get("/export/chart/chart-type.csv?period=2024/25").status_code == 200


def test_the_public_gets_aggregates_and_no_rows(doors):
    client, ids = doors
    c = client(None)
    assert c.get("/").status_code == 200 and c.get("/compare").status_code == 200
    assert c.get("/export/chart/chart-type.csv?period=2024/25").status_code == 200
    for path in (
        "/export/offerings.csv",
        "/export/offerings.parquet",
        f"/export/issues.csv?submission={ids['UBC']}",
        "/export/issues.csv",
    ):
        response = c.get(path)
        assert response.status_code == 403 and "aggregates only" in response.text, path
    for page in ("/explore", "/explore?institution=BCIT", "/admin"):
        response = c.get(page)
        assert response.status_code == 403 and "not part of the public view" in response.text
    # /submissions shows the public the reporting status only (test_admin_and_audit.py).
    assert c.get("/submissions").status_code == 200
    layout = json.dumps(c.get("/_dash-layout").get_json())
    assert '"/explore"' not in layout and '"/admin"' not in layout  # not in the navbar either
    assert '"/submissions"' in layout


def _grid_body(app_client, filters: dict[str, list[str]]):
    """A getRowsRequest of the explorer's grid, with the filter controls set to ``filters``:
    what a client could send whatever the page shows."""
    deps = app_client.get("/_dash-dependencies").get_json()
    grid = next(d for d in deps if "getRowsResponse" in d["output"])

    def item(declared):
        ident = declared["id"]
        if ident.startswith("{") and '"filter"' in ident:
            return [
                {"id": {"name": name, "type": "filter"}, "property": "value", "value": values}
                for name, values in filters.items()
            ]
        if ident.startswith("{"):
            return []
        if declared["property"] == "getRowsRequest":
            return {**declared, "value": {"startRow": 0, "endRow": 100, "sortModel": [], "filterModel": {}}}
        return {**declared, "value": None}

    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in grid["output"].strip(".").split("...")
    ]
    return {
        "output": grid["output"],
        "outputs": outputs,
        "inputs": [item(i) for i in grid["inputs"]],
        "changedPropIds": [f"{grid['inputs'][0]['id']}.getRowsRequest"],
        "state": [item(i) for i in grid.get("state", [])],
    }


def test_a_crafted_grid_callback_for_another_institution_gets_403(doors):
    client, _ = doors
    c = client("lee@bcit.ca")
    body = _grid_body(c, {"period": ["2024/25"], "institution": ["UBC"]})
    response = c.post("/_dash-update-component", json=body)
    assert response.status_code == 403 and "not yours to see" in response.text, response.text[:300]
    own = c.post("/_dash-update-component", json=_grid_body(c, {"period": ["2024/25"]}))
    assert own.status_code == 200
    rows = own.get_json()["response"]
    text = json.dumps(rows)
    assert "BCIT" in text and '"UBC"' not in text and '"CAM"' not in text
