"""Downloads are the screen (issue 12, item 1): the export endpoints and `mcred export` honour the
explorer's columns=, q-<column>= grid filters, sort= and headers= exactly as the grid does (same
rows, same order, same columns, the count the page shows); malformed values are HTTP 400 / exit 2
naming the parameter and what it accepts; an institution's crafted parameters never reach
another institution's rows."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest
from exports_fixture import ROWS, build, explore_page, make_app

from dashboard.access.settings import AccessSettings
from dashboard.access.store import AccessStore, store_path
from dashboard.data import explore
from dashboard.data.columns import EXPORT_COLUMNS
from dashboard.data.database import Database
from dashboard.data.reference import vocabulary
from dashboard.exports import offerings as exports
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from mcred.cli import main as mcred

BOM = "\ufeff"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("explore-downloads"))


@pytest.fixture(scope="module")
def client(db_path):
    return make_app(db_path).server.test_client()


@pytest.fixture
def db(db_path):
    return Database(db_path).reader()


def rows_of(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def grid(db, query: str) -> tuple[list[dict], int, str]:
    """What the page's grid shows for ``query``: its rows, the count and the words beside it."""
    filters, state = exports.parse_filters(parse_qs(query), vocabulary(db))
    request = {"startRow": 0, "endRow": 1000, "filterModel": state.filter_model(), "sortModel": state.sort_model()}
    answer = explore_page().grid_answer(db, filters, state, request)
    assert answer.notice == ""
    return answer.response["rowData"], int(answer.count.replace(",", "")), answer.words


def cli_argv(query: str) -> list[str]:
    """The same view as `mcred export` options (q-<column> becomes --column-filter COLUMN=...)."""
    argv = []
    for name, values in parse_qs(query).items():
        for value in values:
            if name.startswith("q-"):
                argv += ["--column-filter", f"{name[2:]}={value}"]
            else:
                argv += ["--search" if name == "q" else f"--{name}", value]
    return argv


VIEWS = [
    "period=all&columns=offering_id,title,mc_type,delivery_mode,enrolments&q-title=contains:Data",
    "period=all&columns=title,offering_id&sort=title:desc",
    "period=all&columns=offering_id,enrolments,mc_type&sort=enrolments:asc,offering_id:desc&q-enrolments=lessThan:15",
    "period=all&columns=offering_id,mc_type&sort=mc_type:asc&q-mc_type=contains:Skill",  # labels: "Technical skill"
    "period=all&columns=offering_id,file_name&q-file_name=equals:offerings.csv&q-continuing_education=equals:no",
    "period=all&columns=offering_id,start_date&q-start_date=inRange:2024-01-01:2024-12-31",
    "period=all&columns=offering_id,field_of_study&q-field_of_study=notBlank&sector=college",
    "columns=offering_id,credits&q-credits=greaterThanOrEqual:1.5&q=data",
    "period=all&columns=offering_id,partner_categories&q-partner_categories=contains:Indigenous",
    # a filter and a sort on a formula-guarded column act on the value, not on the guarded cell
    "period=all&columns=offering_id,title&q-title=startsWith:=",
    "period=all&columns=title,offering_id&sort=title:asc&q-title=notContains:data",
]


@pytest.mark.parametrize("query", VIEWS)
def test_the_grid_the_endpoint_and_the_cli_give_the_same_rows_columns_and_order(
    query, db, db_path, client, tmp_path, capsys
):
    shown, count, _words = grid(db, query)
    columns = parse_qs(query)["columns"][0].split(",")
    got = client.get(f"/export/offerings.csv?{query}")
    assert got.status_code == 200, got.get_data(as_text=True)
    endpoint = rows_of(got.get_data())
    assert endpoint[0] == columns
    key = columns.index("offering_id")
    assert [r[key] for r in endpoint[1:]] == [r["offering_id"] for r in shown]  # the same order
    assert len(endpoint) - 1 == count == len(shown)

    out = tmp_path / "out.csv"
    assert mcred(["export", "--db", str(db_path), "--out", str(out), *cli_argv(query)]) == 0
    capsys.readouterr()
    assert rows_of(out.read_bytes()) == endpoint

    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/export/offerings.xlsx?{query}").get_data()))
    sheet = list(book["offerings"].iter_rows(values_only=True))
    assert list(sheet[0]) == columns and [r[key] for r in sheet[1:]] == [r["offering_id"] for r in shown]
    table = pq.read_table(io.BytesIO(client.get(f"/export/offerings.parquet?{query}").get_data()))
    assert table.column_names == columns and table.column("offering_id").to_pylist() == [
        r["offering_id"] for r in shown
    ]


def test_a_filter_on_a_coded_column_matches_what_the_screen_shows(db, client):
    by_label = rows_of(client.get("/export/offerings.csv?period=all&q-mc_type=equals:Technical skill").get_data())
    by_code = rows_of(client.get("/export/offerings.csv?period=all&q-mc_type=equals:technical_skill").get_data())
    expected = sorted(r["offering_id"] for r in ROWS if r["mc_type"] == "technical_skill")
    assert sorted(r[2] for r in by_label[1:]) == sorted(r[2] for r in by_code[1:]) == expected


def test_the_count_reads_in_words(db):
    _rows, count, words = grid(db, "period=all&q-offering_id=equals:B1")
    assert (count, words) == (1, " offering matches")
    _rows, count, words = grid(db, "period=all&q-offering_id=startsWith:B")
    assert (count, words) == (2, " offerings match")


def test_about_sheet_and_parquet_metadata_list_columns_filters_sort(client, tmp_path):
    query = "period=all&columns=offering_id,title&q-title=contains:Data&sort=title:desc"
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/export/offerings.xlsx?{query}").get_data()))
    about = dict(book["about"].iter_rows(values_only=True))
    assert about["columns"] == "offering_id, title"
    assert about["grid_filters"] == "Title contains 'Data'" and about["sort"] == "Title (descending)"
    assert about["rows"] == "2" and "codes" in about["headers"]
    assert "q-title=contains:Data" in about["query"] and "columns=offering_id,title" in about["query"]
    path = tmp_path / "x.parquet"
    path.write_bytes(client.get(f"/export/offerings.parquet?{query}").get_data())
    meta = {k.decode(): v.decode() for k, v in pq.ParquetFile(path).metadata.metadata.items()}
    assert meta["columns"] == "offering_id, title" and meta["grid_filters"] == "Title contains 'Data'"
    assert meta["sort"] == "Title (descending)" and meta["rows"] == "2"


def test_headers_labels_give_the_screen_s_names_and_values(client):
    query = "period=all&columns=offering_id,mc_type,partner_categories,continuing_education&q-offering_id=equals:B2"
    codes = rows_of(client.get(f"/export/offerings.csv?{query}").get_data())
    labels = rows_of(client.get(f"/export/offerings.csv?{query}&headers=labels").get_data())
    assert codes == [
        ["offering_id", "mc_type", "partner_categories", "continuing_education"],
        ["B2", "upskilling", "employer_industry;professional_body", "false"],
    ]
    assert labels[0] == ["Offering ID", "Type", "Partner categories", "Continuing ed."]
    assert labels[1][0] == "B2" and labels[1][3] == "no"
    assert labels[1][1] != "upskilling" and "; " in labels[1][2] and "_" not in labels[1][1] + labels[1][2]
    book = openpyxl.load_workbook(io.BytesIO(client.get(f"/export/offerings.xlsx?{query}&headers=labels").get_data()))
    assert [c.value for c in book["offerings"][1]] == labels[0]
    about = dict(book["about"].iter_rows(values_only=True))
    assert "not a submission file" in about["headers"]


def _reload(data: bytes, tmp_path: Path):
    exported = tmp_path / "export.csv"
    exported.write_bytes(data)
    settings = Settings(db_path=tmp_path / "again.duckdb", data_dir=DEFAULT_DATA_DIR)
    outcomes = load_files([exported], settings)
    assert {o.status for o in outcomes} == {"accepted"}, [o.issues for o in outcomes]
    return Database(settings.db_path).reader()


def test_a_sorted_grid_filtered_csv_is_still_a_valid_submission_file(db, client, tmp_path):
    """Codes (the default) keep a CSV a submission file: loading the filtered, sorted export of all
    columns into an empty database gives the same offerings as the rows the grid shows."""
    query = "period=2024/25&institution=CAM&q-enrolments=greaterThan:5&sort=title:desc"
    shown, count, _ = grid(db, query)
    data = client.get(f"/export/offerings.csv?{query}").get_data()
    assert rows_of(data)[0] == list(EXPORT_COLUMNS)
    after = _reload(data, tmp_path)
    cols = ", ".join(EXPORT_COLUMNS)
    key = "ORDER BY offering_id"
    ids = [r["offering_id"] for r in shown]
    before = db.frame(f"SELECT {cols} FROM current_offerings WHERE list_contains(?, offering_id) {key}", [ids])
    loaded = after.frame(f"SELECT {cols} FROM current_offerings {key}")
    assert len(loaded) == count and count > 1
    assert before.equals(loaded)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("columns=title,secret", "columns: unknown column 'secret'"),
        ("sort=title:sideways", "sort: unknown direction 'sideways'"),
        ("sort=1;DROP TABLE offering", "sort: unknown column '1;DROP TABLE offering'"),
        ("headers=pretty", "headers: unknown value 'pretty'"),
        ("q-submission_id=equals:1", "unknown grid filter 'q-submission_id'"),
        ("q-title=regex:.*", "q-title: unknown operator 'regex'"),
        ("q-enrolments=equals:1 OR 1=1", "q-enrolments: 'equals:1 OR 1=1' is not a number filter"),
        ("q-end_date=lessThan:tomorrow", "q-end_date: 'lessThan:tomorrow' is not a date filter"),
        ("q-duration_hours=inRange:1", "q-duration_hours: 'inRange:1' is not a number filter"),
    ],
)
def test_malformed_parameters_are_400_naming_the_parameter(client, fmt, query, words):
    got = client.get(f"/export/offerings.{fmt}?period=all&{query}")
    text = got.get_data(as_text=True)
    assert got.status_code == 400 and got.mimetype == "text/plain", text
    assert words in text and ("accepted" in text or "write e.g." in text), text


@pytest.mark.parametrize(
    "value",
    [
        "contains:'; DROP TABLE offering; --",
        "equals:x' OR '1'='1",
        'contains:") UNION SELECT * FROM submissions --',
        "startsWith:%",
        "contains:_",
    ],
)
def test_injection_attempts_are_plain_values(client, db_path, value):
    got = client.get("/export/offerings.csv", query_string={"period": "all", "q-title": value})
    assert got.status_code == 200
    titles = [r[3] for r in rows_of(got.get_data())[1:]]
    needle = value.split(":", 1)[1].lower()
    assert all(needle in t.lower() for t in titles)  # only titles that really contain the text
    with duckdb.connect(str(db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM current_offerings").fetchone()[0] == len(ROWS)


def test_cli_options_are_the_url_parameters(db_path, capsysbinary):
    code = mcred(
        ["export", "--db", str(db_path), "--period", "all", "--columns", "offering_id,title", "--column-filter",
         "title=contains:Data", "--sort", "offering_id:desc", "--headers", "labels"]
    )  # fmt: skip
    out = capsysbinary.readouterr().out
    assert code == 0 and rows_of(out) == [
        ["Offering ID", "Title"],
        ["U1", "Data ethics"],
        ["U0", "Data ethics (pilot)"],
    ]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--columns", "title,secret"], "columns: unknown column 'secret': accepted columns are institution_code"),
        (["--column-filter", "nope=contains:x"], "unknown grid filter 'q-nope'"),
        (["--column-filter", "title"], "--column-filter 'title': write COLUMN=OPERATOR:VALUE"),
        (["--column-filter", "enrolments=greaterThan:many"], "write e.g. q-enrolments=greaterThan:10"),
        (["--sort", "title:up"], "accepted are asc, desc"),
        (["--headers", "pretty"], "invalid choice: 'pretty'"),
    ],
)
def test_cli_unknown_values_exit_2_listing_the_accepted_ones(db_path, capsys, argv, words):
    with pytest.raises(SystemExit) if argv[0] == "--headers" else _no_raise() as caught:
        code = mcred(["export", "--db", str(db_path), *argv])
    if caught is not None and hasattr(caught, "value"):
        code = caught.value.code
    err = capsys.readouterr().err
    assert code == 2 and words in err and "Traceback" not in err, err


class _no_raise:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


# --- scope: an institution's crafted parameters never reach another institution's rows ------------

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PASSWORD = "a long enough passphrase"


@pytest.fixture(scope="module")
def signed_in(tmp_path_factory, db_path, app_factory):
    db = tmp_path_factory.mktemp("scoped") / "warehouse.duckdb"
    shutil.copy(db_path, db)
    app = app_factory(db, access=AccessSettings(auth="local", secret_key=SECRET))
    store = AccessStore(store_path(db))
    store.add_account("lee@bcit.ca", "institution", PASSWORD, "BCIT")
    store.add_account("ana@gov.bc.ca", "ministry", PASSWORD)

    def client(email):
        c = app.server.test_client()
        page = c.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        signed = c.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
        assert signed.status_code == 302
        return c

    return client


CRAFTED = [
    "columns=institution_code,offering_id,title",
    "columns=institution_code,institution_name,file_name&q-institution_code=equals:UBC",
    "columns=institution_code&q-institution_code=notEqual:BCIT",
    "columns=institution_code&q-institution_name=contains:British Columbia",
    "columns=institution_code&q-institution_code=contains:' OR 1=1 --",
    "columns=institution_code&q-file_name=notBlank&sort=institution_code:desc",
    "columns=institution_code,sector,region&headers=labels",
    "columns=institution_code&q-region=notBlank&q-sector=notBlank",
]


@pytest.mark.parametrize("query", CRAFTED)
def test_an_institution_s_crafted_columns_and_filters_stay_in_its_own_rows(signed_in, query):
    c = signed_in("lee@bcit.ca")
    for fmt in ("csv", "xlsx", "parquet"):
        got = c.get(f"/export/offerings.{fmt}?period=all&{query}")
        assert got.status_code == 200, (fmt, got.get_data(as_text=True)[:300])
        if fmt == "csv":
            institutions = {r[0] for r in rows_of(got.get_data())[1:]}
        elif fmt == "xlsx":
            book = openpyxl.load_workbook(io.BytesIO(got.get_data()))
            institutions = {r[0] for r in list(book["offerings"].iter_rows(values_only=True))[1:]}
        else:
            institutions = set(pq.read_table(io.BytesIO(got.get_data())).column(0).to_pylist())
        assert institutions <= {"BCIT"}, (fmt, institutions)
    assert c.get(f"/export/offerings.csv?period=all&institution=UBC&{query}").status_code == 403


def test_the_ministry_sees_every_institution_with_the_same_parameters(signed_in):
    c = signed_in("ana@gov.bc.ca")
    got = c.get("/export/offerings.csv?period=all&columns=institution_code&q-institution_code=notEqual:BCIT")
    assert {r[0] for r in rows_of(got.get_data())[1:]} == {"CAM", "UBC"}


def test_count_and_rows_go_through_the_scope(db_path):
    """The data layer applies the viewer's scope to the grid filters' count and rows too."""
    from dashboard.access.actor import Scope

    reader = Database(db_path).reader(Scope("institution", "BCIT"))
    filters, state = exports.parse_filters(parse_qs("period=all&q-institution_code=notEqual:BCIT"), vocabulary(reader))
    assert explore.count(reader, filters, state) == 0
    assert explore.grid_rows(reader, filters, state, {"startRow": 0, "endRow": 100}).rows == []


def test_a_grid_filtered_download_says_so_in_its_name(client):
    got = client.get("/export/offerings.csv?period=all&q-title=contains:Data&q-enrolments=greaterThan:1")
    assert re.search(
        r'filename="mcred-offerings-all-periods-filtered-title-enrolments-\d{8}\.csv"',
        got.headers["Content-Disposition"],
    )
