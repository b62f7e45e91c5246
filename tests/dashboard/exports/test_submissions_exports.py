"""Issue downloads (/export/issues.csv and .xlsx) through the real Flask routes, against
the warehouse of test_submissions_warehouse.py (loaded from real files)."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from openpyxl import load_workbook
from submissions_fixture import P24, submissions_warehouse  # noqa: F401  (session fixture)

from dashboard import cell_safety, context
from dashboard.data import submissions as sq
from dashboard.data.database import Database
from dashboard.exports import formats
from dashboard.exports import issues as issue_exports
from dashboard.exports.routes import exports

# The issue list's columns on /submissions, in its order: a download holds those and no more.
COLUMNS = ["institution_code", "file_name", "row", "column", "severity", "value", "message"]
LABELS = ["Institution", "File", "Row", "Column", "Severity", "Value given", "Problem"]


@pytest.fixture(scope="module")
def client(submissions_warehouse):  # noqa: F811
    server = Flask(__name__)
    server.extensions[context.EXTENSION_KEY] = {"db": Database(submissions_warehouse.db_path), "settings": None}
    server.register_blueprint(exports)
    return server.test_client()


def read_csv(response) -> list[dict]:
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel opens UTF-8 right
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, r)) for r in rows[1:]]


def filename(response) -> str:
    return response.headers["Content-Disposition"].split('filename="')[1].rstrip('"')


def test_csv_of_a_period_has_every_issue_with_the_institutions_row_numbers(client):
    response = client.get("/export/issues.csv?period=2024/25")
    rows = read_csv(response)
    assert filename(response) == "issues_2024-25.csv"
    got = {(r["institution_code"], r["file_name"], r["row"], r["column"], r["severity"]) for r in rows}
    assert got == {
        ("UBC", "ubc_2024-25.csv", "4", "completions", "error"),
        ("SFU", "sfu_2024-25_fix.csv", "2", "enrolments", "error"),
        ("SFU", "sfu_2024-25_fix.csv", "2", "completions", "error"),  # 15 completions > -5 enrolments
        ("CAM", "cam_2024-25.csv", "2", "mc_type", "error"),
        ("CAM", "cam_2024-25.csv", "3", "delivery_mode", "error"),
        ("BCIT", "bcit_2024-25.csv", "2", "duration_hours", "warning"),
        ("BCIT", "bcit_2024-25.csv", "3", "assessment", "warning"),
        ("BCIT", "bcit_2024-25.csv", "4", "partner_categories", "warning"),
    }
    assert all(r["message"] for r in rows)


def test_csv_neutralises_formulas_in_text_cells(client):
    rows = read_csv(client.get("/export/issues.csv?period=2024/25&institution=CAM,SFU"))
    values = {(r["institution_code"], r["column"]): r for r in rows}
    assert values[("CAM", "mc_type")]["value"] == "'=SUM(1+1)"
    assert values[("CAM", "delivery_mode")]["value"] == "'@cmd"
    assert values[("SFU", "enrolments")]["value"] == "'-5"
    # numbers stay numbers; a message that merely quotes a formula is not changed
    assert values[("CAM", "mc_type")]["row"] == "2"
    assert values[("CAM", "mc_type")]["message"].startswith("'=SUM(1+1)' is not")
    assert all(not r[c].startswith(cell_safety.FORMULA_STARTS) for r in rows for c in COLUMNS)


def test_csv_of_one_submission_with_filters(client, submissions_warehouse):  # noqa: F811
    db = Database(submissions_warehouse.db_path).reader()
    draft = int(sq.submission_history(db, "BCIT", P24).iloc[1].submission_id)
    response = client.get(f"/export/issues.csv?submission={draft}")
    rows = read_csv(response)
    assert filename(response) == f"issues_BCIT_2024-25_submission-{draft}.csv"
    assert [(r["file_name"], r["row"], r["column"]) for r in rows] == [
        ("bcit_2024-25_draft.csv", "2", "partner_categories")
    ]
    rows = read_csv(client.get("/export/issues.csv?period=2024/25&severity=warning"))
    assert {r["severity"] for r in rows} == {"warning"} and len(rows) == 3
    response = client.get("/export/issues.csv?period=2024/25&column=mc_type&severity=error")
    assert [(r["institution_code"], r["row"]) for r in read_csv(response)] == [("CAM", "2")]
    assert filename(response) == "issues_2024-25_errors_mc_type.csv"
    rows = read_csv(client.get("/export/issues.csv?period=2024/25&sector=institute"))
    assert {r["institution_code"] for r in rows} == {"BCIT"}
    # a cell: that institution and year's most recent file
    rows = read_csv(client.get("/export/issues.csv?cell=SFU_2024/25"))
    assert {r["file_name"] for r in rows} == {"sfu_2024-25_fix.csv"}


def test_xlsx_types_text_as_text_and_keeps_row_numbers(client):
    response = client.get("/export/issues.xlsx?period=2024/25&institution=CAM")
    assert response.status_code == 200
    assert filename(response) == "issues_CAM_2024-25.xlsx"
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["issues", "about"]
    sheet = book["issues"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == COLUMNS
    data = [dict(zip(COLUMNS, r)) for r in rows[1:]]
    assert [(r["row"], r["column"], r["value"]) for r in data] == [
        (2, "mc_type", "=SUM(1+1)"),
        (3, "delivery_mode", "@cmd"),
    ]
    value_cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.column == COLUMNS.index("value") + 1]
    assert [c.data_type for c in value_cells] == ["s", "s"]  # text, never a formula
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert isinstance(data[0]["row"], int)
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["rows"] == 2
    assert about["scope"].startswith("2024/25: each institution's most recent file")
    assert "institution: Camosun College" in about["scope"]
    assert "header row" in about["row numbers"]


def test_xlsx_beyond_excels_limit_is_refused_with_advice(client, monkeypatch):
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 7)
    response = client.get("/export/issues.xlsx?period=2024/25")
    assert response.status_code == 413
    assert response.data.decode() == (
        "8 issues are more than an .xlsx holds (7 rows): download the CSV, or choose "
        "a severity, column or institution\n"
    )
    assert client.get("/export/issues.xlsx?period=2024/25&severity=error").status_code == 200
    assert client.get("/export/issues.csv?period=2024/25").status_code == 200


@pytest.mark.parametrize(
    "query, status, words",
    [
        ("period=1999/00", 400, "unknown period '1999/00': accepted values are 2023/24, 2024/25, all"),
        ("period=2024/25&severity=fatal", 400, "unknown severity 'fatal'"),
        ("submission=abc", 400, "submission must be a submission number"),
        ("submission=99999", 404, "there is no submission 99999"),
        ("cell=KPU_2024/25", 404, "KPU has no submission for 2024/25"),
        ("cell=nonsense", 400, "cell must look like BCIT_2024/25"),
        ("flavour=mint", 400, "unknown filter 'flavour'"),
        # the sort and headers name what the issue list shows, nothing else (never a 500, never SQL)
        ("period=2024/25&sort=expected:asc", 400, "sort: unknown column 'expected'"),
        ("period=2024/25&sort=row;DROP TABLE x:asc", 400, "sort: unknown column 'row;DROP TABLE x'"),
        ('period=2024/25&sort=v."row":asc', 400, "accepted columns are institution_code, file_name, row"),
        ("period=2024/25&sort=row:sideways", 400, "sort: unknown direction 'sideways' for row"),
        ("period=2024/25&headers=fancy", 400, "headers: unknown value 'fancy': accepted are codes, labels"),
    ],
)
def test_bad_requests_say_what_is_accepted(client, query, status, words):
    for ext in ("csv", "xlsx"):
        response = client.get(f"/export/issues.{ext}?{query}")
        assert response.status_code == status
        assert words in response.data.decode()


def test_downloads_follow_the_lists_sort_and_headers(client):
    """sort=<field>:<dir>,... (the grid's sort) orders every issue as the grid does: empty values
    first ascending, last descending, ties in the list's own order; headers=labels: the headings."""
    plain = read_csv(client.get("/export/issues.csv?period=2024/25"))
    by_value = read_csv(client.get("/export/issues.csv?period=2024/25&sort=value:desc,row:asc"))
    assert sorted(map(tuple, (r.values() for r in by_value))) == sorted(map(tuple, (r.values() for r in plain)))

    def expected(rows, field, reverse, cast=str):
        keyed = [(r[field] != "", cast(r[field]) if r[field] != "" else 0) for r in rows]
        order = sorted(range(len(rows)), key=lambda i: keyed[i], reverse=reverse)
        return [rows[i] for i in order]

    def unmarked(rows):  # the download neutralises formulas; the sort is on the values
        return [{k: v.removeprefix("'") if k == "value" else v for k, v in r.items()} for r in rows]

    assert unmarked(by_value) == expected(expected(unmarked(plain), "row", False, int), "value", True)
    by_row = read_csv(client.get("/export/issues.csv?period=2024/25&sort=row:desc"))
    assert by_row == expected(plain, "row", True, int)
    labelled = client.get("/export/issues.xlsx?period=2024/25&headers=labels&sort=column:asc")
    sheet = list(load_workbook(io.BytesIO(labelled.data))["issues"].iter_rows(values_only=True))
    assert list(sheet[0]) == LABELS
    assert [r[3] for r in sheet[1:]] == sorted(r["column"] for r in plain)
    about = dict(load_workbook(io.BytesIO(labelled.data))["about"].iter_rows(values_only=True))
    assert about["sorted by"] == "Column (ascending)"


def test_csv_cell_rules():
    for text in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert issue_exports.csv_cell(text) == "'" + text
    assert issue_exports.csv_cell("plain") == "plain"
    assert issue_exports.csv_cell(-5) == "-5"  # a number is not text
    assert issue_exports.csv_cell(None) == ""


def test_csv_writer_applies_the_cell_rule_to_every_text_value():
    import pyarrow as pa

    values = ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "plain", None, 'a "quoted", value', "two\nlines", "x=1"]
    batch = pa.record_batch({"value": pa.array(values), "row": pa.array(range(len(values)), pa.int32())})
    text = b"".join(issue_exports.csv_chunks([batch, batch.slice(0, 1)], ["value", "row"])).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    assert rows[0] == ["value", "row"]
    assert [r[0] for r in rows[1:]] == [issue_exports.csv_cell(v) for v in values] + ["'=1+1"]
    assert [r[1] for r in rows[1:]] == [str(n) for n in range(len(values))] + ["0"]
    empty = b"".join(issue_exports.csv_chunks([], ["value", "row"])).decode("utf-8")
    assert list(csv.reader(io.StringIO(empty[1:]))) == [["value", "row"]]
