"""Exports: the explorer grid, the download endpoints and `mcred export` return the same rows;
spreadsheet cells never run as formulas; a CSV export loads back as the same offerings;
unknown filters are refused with the accepted values (interfaces.md, "Export endpoints")."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from exports_fixture import COLUMNS, HOSTILE, ROWS, build, explore_page, make_app, write_csv  # noqa: F401

from dashboard.data import overview as queries
from dashboard.data.database import Database
from dashboard.data.explore import EXPORT_COLUMNS
from dashboard.data.filters import Filters
from dashboard.exports import offerings as exports
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from mcred.cli import main as mcred


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="module")
def client(db_path):
    return make_app(db_path).server.test_client()


@pytest.fixture(scope="module")
def grid_response(client):
    return explore_page().grid_response


@pytest.fixture
def db(db_path) -> Database:
    return Database(db_path).reader()


def parse(db: Database, query: str) -> tuple[Filters, str | None]:
    from urllib.parse import parse_qs

    return exports.parse_filters(parse_qs(query), queries.vocabulary(db))


def read_csv_bytes(data: bytes) -> list[dict]:
    assert data.startswith(exports.BOM)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


KEY = ("institution_code", "reporting_period", "offering_id")
QUERIES = [
    "",
    "period=all",
    "sector=college",
    "period=2023/24,2024/25&partner=community,government",
    "institution=BCIT&ce=no",
    "period=all&type=pathway&credit=credit",
    "period=all&q=DATA",
    "funded=yes",
    "field=health&delivery=blended",
]


# --- the same rows everywhere -----------------------------------------------------------


@pytest.mark.parametrize("query", QUERIES)
def test_grid_endpoint_and_cli_return_the_same_rows(query, db, db_path, client, grid_response, tmp_path, capsys):
    filters, search = parse(db, query)
    response, count_text, notice = grid_response(db, filters, search, {"startRow": 0, "endRow": 1000})
    assert notice == ""
    grid = {tuple(r[k] for k in KEY) for r in response["rowData"]}
    assert len(grid) == response["rowCount"] == int(count_text)

    got = client.get(f"/export/offerings.csv?{query}")
    assert got.status_code == 200
    endpoint = [tuple(r[k] for k in KEY) for r in read_csv_bytes(got.get_data())]

    argv = ["export", "--db", str(db_path), "--out", str(tmp_path / "out.csv")]
    for part in filter(None, query.split("&")):
        name, value = part.split("=")
        argv += ["--search" if name == "q" else f"--{name}", value]
    assert mcred(argv) == 0
    capsys.readouterr()
    cli = [tuple(r[k] for k in KEY) for r in read_csv_bytes((tmp_path / "out.csv").read_bytes())]

    assert sorted(endpoint) == sorted(cli) == sorted(grid)
    assert len(endpoint) == len(set(endpoint))
    # and the overview's headline agrees on the count
    if not search:
        now, _ = queries.headline(db, filters)
        assert now.offerings == len(grid)


def test_filters_select_what_they_say(db, client):
    rows = read_csv_bytes(client.get("/export/offerings.csv?period=all&partner=government,community").get_data())
    assert rows and all({"government", "community"} & set(r["partner_categories"].split(";")) for r in rows)
    assert {r["offering_id"] for r in rows} == {"F3", "F4", "U0"}
    rows = read_csv_bytes(client.get("/export/offerings.csv").get_data())  # default: latest period
    assert {r["reporting_period"] for r in rows} == {"2024/25"} and len(rows) == 9
    assert "OLD" not in {r["offering_id"] for r in rows}  # superseded submission


def test_columns_are_the_contract_columns_in_order(client):
    rows = read_csv_bytes(client.get("/export/offerings.csv?institution=BCIT").get_data())
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    assert list(EXPORT_COLUMNS[:24]) == list(COLUMNS)
    assert list(EXPORT_COLUMNS[24:]) == [
        "institution_name",
        "sector",
        "region",
        "over_duration",
        "no_assessment",
        "no_partner",
    ]
    b2 = next(r for r in rows if r["offering_id"] == "B2")
    assert b2["partner_categories"] == "employer_industry;professional_body"
    assert (b2["mc_type"], b2["sector"], b2["over_duration"], b2["no_assessment"], b2["no_partner"]) == (
        "upskilling",
        "institute",
        "true",
        "true",
        "false",
    )
    assert b2["institution_name"] == "British Columbia Institute of Technology"


# --- spreadsheet safety -----------------------------------------------------------------


def test_csv_neutralises_formulas_and_keeps_html_as_text(client):
    data = client.get("/export/offerings.csv?period=all").get_data()
    rows = {r["offering_id"]: r for r in read_csv_bytes(data)}
    for oid in ("F1", "F2", "F3", "F4"):
        assert rows[oid]["title"] == "'" + HOSTILE[oid]
    assert rows["F1"]["competencies"] == "'=cmd|' /C calc'!A0"
    assert rows["F5"]["title"] == HOSTILE["F5"]  # not a formula: left as it is
    assert rows["C1"]["title"] == 'Métis "land-based" learning — café'
    for row in rows.values():
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value


def test_xlsx_types_text_as_text_and_has_an_about_sheet(client):
    got = client.get("/export/offerings.xlsx?period=all")
    assert got.status_code == 200
    assert got.headers["Content-Type"] == exports.MEDIA_TYPES["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(got.get_data()))
    assert book.sheetnames == ["offerings", "about"]
    sheet = book["offerings"]
    header = [c.value for c in sheet[1]]
    assert header == list(EXPORT_COLUMNS)
    by_id = {}
    for row in sheet.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)
        by_id[row[2].value] = {h: c for h, c in zip(header, row)}
    assert len(by_id) == 11
    for oid, title in HOSTILE.items():
        cell = by_id[oid]["title"]
        assert cell.value == title and cell.data_type == "s"
    b1 = by_id["B1"]
    assert b1["enrolments"].value == 20 and b1["duration_hours"].value == 40
    assert b1["continuing_education"].value is True
    assert b1["start_date"].value == dt.datetime(2024, 9, 1)
    about = {r[0].value: r[1].value for r in book["about"].iter_rows()}
    assert about["rows"] == "11" and about["filters"] == "period: all"
    assert about["data_version"] and about["generated_at"].endswith("UTC")


def test_parquet_has_typed_columns_and_about_metadata(client):
    got = client.get("/export/offerings.parquet?sector=college")
    assert got.status_code == 200
    f = pq.ParquetFile(io.BytesIO(got.get_data()))
    table = f.read()
    assert table.column_names == list(EXPORT_COLUMNS)
    assert table.num_rows == 4
    assert str(table.schema.field("enrolments").type) == "int64"
    assert str(table.schema.field("start_date").type) == "date32[day]"
    meta = {k.decode(): v.decode() for k, v in f.metadata.metadata.items()}
    assert meta["rows"] == "4" and "sector: College" in meta["filters"]
    assert meta["query"] == "sector=college" and meta["data_version"]
    assert set(table.column("title").to_pylist()) >= {HOSTILE["F3"], HOSTILE["F5"]}  # raw, unprefixed


def test_empty_result_still_has_a_header_in_every_format(db, client):
    # a filter combination that matches nothing
    query = "institution=UBC&sector=college"
    rows = client.get(f"/export/offerings.csv?{query}").get_data()
    assert rows.decode("utf-8-sig").strip().replace('"', "").split(",") == list(EXPORT_COLUMNS)
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/export/offerings.xlsx?{query}").get_data()))
    assert [c.value for c in book["offerings"][1]] == list(EXPORT_COLUMNS) and book["offerings"].max_row == 1
    table = pq.read_table(io.BytesIO(client.get(f"/export/offerings.parquet?{query}").get_data()))
    assert table.num_rows == 0 and table.column_names == list(EXPORT_COLUMNS)


# --- the CSV round trip -------------------------------------------------------------------


def _reload(csv_bytes: bytes, tmp_path: Path) -> Database:
    exported = tmp_path / "export.csv"
    exported.write_bytes(csv_bytes)
    settings = Settings(db_path=tmp_path / "again.duckdb", data_dir=DEFAULT_DATA_DIR)
    outcomes = load_files([exported], settings)
    assert {o.status for o in outcomes} == {"accepted"}, [o.issues for o in outcomes if o.status != "accepted"]
    return Database(settings.db_path).reader()


def _assert_same_offerings(before: Database, after: Database) -> None:
    cols = ", ".join(EXPORT_COLUMNS)
    order = "ORDER BY institution_code, reporting_period, offering_id"
    old = before.frame(f"SELECT {cols} FROM current_offerings {order}")
    new = after.frame(f"SELECT {cols} FROM current_offerings {order}")
    assert len(old) == 11
    pd.testing.assert_frame_equal(old, new)
    assert set(new.title) >= set(HOSTILE.values())  # the loader dropped the formula guard again


def test_csv_export_loads_back_as_the_same_offerings(db, client, tmp_path):
    after = _reload(client.get("/export/offerings.csv?period=all").get_data(), tmp_path)
    _assert_same_offerings(db, after)


def test_csv_export_values_load_back_unchanged(db, client, tmp_path):
    """Every value survives the round trip (formula guards, quotes, dates, lists, booleans, numbers);
    with the institution_name column left out, so it checks values independently of header matching."""
    text = client.get("/export/offerings.csv?period=all").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    drop = rows[0].index("institution_name")
    buf = io.StringIO()
    csv.writer(buf).writerows([r[:drop] + r[drop + 1 :] for r in rows])
    _assert_same_offerings(db, _reload(buf.getvalue().encode("utf-8-sig"), tmp_path))


# --- refusing unknown filters ------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/export/offerings.csv", "/export/offerings.xlsx", "/export/offerings.parquet", "/export/chart/chart-type.csv"],
)
def test_unknown_filter_value_is_a_400_listing_accepted_values(client, path):
    got = client.get(f"{path}?sector=colege&ce=maybe")
    assert got.status_code == 400 and got.mimetype == "text/plain"
    text = got.get_data(as_text=True)
    assert "unknown sector 'colege'" in text and "research_university, teaching_university, college, institute" in text
    assert "unknown ce 'maybe'" in text and "yes, no" in text
    got = client.get(f"{path}?colour=blue")
    assert got.status_code == 400 and "filters are period, institution" in got.get_data(as_text=True)


def test_unknown_format_chart_and_measure(client):
    assert client.get("/export/offerings.json").status_code == 404
    assert client.get("/export/chart/chart-nope.csv").status_code == 404
    got = client.get("/export/chart/chart-type.csv?measure=dollars")
    assert got.status_code == 400 and "offerings, enrolments" in got.get_data(as_text=True)


# --- delivery -----------------------------------------------------------------------------


def test_downloads_are_attachments_with_descriptive_names(client):
    today = dt.date.today().strftime("%Y%m%d")
    got = client.get("/export/offerings.csv?period=2024-25&sector=college")
    assert got.is_streamed
    assert got.headers["Content-Disposition"] == f'attachment; filename="mcred-offerings-2024-25-college-{today}.csv"'
    assert got.headers["Content-Type"] == "text/csv; charset=utf-8"
    got = client.get("/export/offerings.parquet?period=all&institution=BCIT,UBC")
    assert f"mcred-offerings-all-periods-bcit-ubc-{today}.parquet" in got.headers["Content-Disposition"]


def test_file_name_is_safe_for_any_search_text(db):
    filters, _ = parse(db, "sector=college,institute")
    name = exports.file_name(filters, "xlsx", dt.date(2026, 11, 28), search='../"evil"\r\n name')
    assert name == "mcred-offerings-2024-25-college-institute-search-evil-name-20261128.xlsx"


def test_chart_csv_matches_the_overview_numbers(db, client):
    rows = read_csv_bytes(client.get("/export/chart/chart-type.csv?measure=enrolments").get_data())
    now, _ = queries.headline(db, parse(db, "")[0])
    # The chart's columns: the code, its label, the measure the chart counts and the share.
    assert list(rows[0]) == ["category", "label", "enrolments", "share"]
    assert sum(int(r["enrolments"]) for r in rows) == now.enrolments
    assert abs(sum(float(r["share"]) for r in rows) - 1) < 1e-6
    assert [r["category"] for r in rows] == [
        c for c in queries.vocabulary(db).codes("type") if c in {r["category"] for r in rows}
    ]
    by_offerings = read_csv_bytes(client.get("/export/chart/chart-type.csv").get_data())
    assert list(by_offerings[0]) == ["category", "label", "offerings", "share"]
    assert sum(int(r["offerings"]) for r in by_offerings) == now.offerings
    # The continuing-education chart: one row per bar, the sectors and then all sectors.
    sector = read_csv_bytes(client.get("/export/chart/chart-ce-sector.csv?sector=college").get_data())
    assert [r["sector"] for r in sector] == ["college", "all"]
    assert list(sector[0]) == ["sector", "label", "offerings_continuing_education", "offerings", "share"]
    college = sector[0]
    assert float(college["share"]) == pytest.approx(
        int(college["offerings_continuing_education"]) / int(college["offerings"])
    )
    assert sector[1]["label"] == "All sectors" and sector[1]["offerings"] == college["offerings"]
    trend = read_csv_bytes(client.get("/export/chart/chart-trend.csv?split=sector").get_data())
    assert {r["reporting_period"] for r in trend} == {"2023/24", "2024/25"}
    assert list(trend[0]) == ["reporting_period", "split", "category", "label", "offerings"]
    assert "all-periods" in client.get("/export/chart/chart-trend.csv").headers["Content-Disposition"]


def test_export_to_file_writes_to_unseekable_streams(db_path, tmp_path):
    import subprocess
    import sys

    # a pipe, as `mcred export --format parquet | ...` gives
    code = (
        "import sys; from pathlib import Path; from dashboard.exports.offerings import export_to_file, parse_filters;"
        "from dashboard.data.database import Database; from dashboard.data import overview as queries;"
        f"db = Database(Path({str(db_path)!r})).reader(); f, s = parse_filters({{'period': 'all'}}, queries.vocabulary(db));"
        "export_to_file(db, f, 'parquet', sys.stdout.buffer, s)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True).stdout
    assert pq.read_table(io.BytesIO(out)).num_rows == 11


def test_parquet_about_is_in_the_arrow_schema_metadata_too(client, tmp_path):
    path = tmp_path / "college.parquet"
    path.write_bytes(client.get("/export/offerings.parquet?sector=college").get_data())
    meta = {k.decode(): v.decode() for k, v in pq.read_table(path).schema.metadata.items()}
    assert meta["rows"] == "4" and "sector: College" in meta["filters"]
    assert meta["query"] == "sector=college" and meta["data_version"] and meta["generated_at"]
    empty = tmp_path / "none.parquet"
    empty.write_bytes(client.get("/export/offerings.parquet?institution=UBC&sector=college").get_data())
    assert pq.read_table(empty).schema.metadata[b"rows"] == b"0"
