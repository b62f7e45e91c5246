"""A hostile corpus: every file gets a clear rejection (or a clear warning), never a
traceback, and the warehouse stays usable after each of them."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from submission_files import HEADER, csv_file, offering_row

from etl import readers
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.warehouse import read_only

LONG = "x" * 10_000
MAX_MESSAGE = 1_000  # a message a person can read: long values are cut short
MAX_VALUE = 600


def _xlsx(path: Path, rows: list[list], title: str = "offerings") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _with_cached_values(path: Path, values: dict[str, str]) -> Path:
    """Give formula cells a saved result, as Excel does when it saves (openpyxl cannot)."""
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet = members["xl/worksheets/sheet1.xml"].decode()
    for ref, value in values.items():
        sheet, n = re.subn(rf'(<c r="{ref}"[^>]*>)(<f>[^<]*</f>)<v\s*/?>(</v>)?', rf"\1\2<v>{value}</v>", sheet)
        assert n == 1, ref
    members["xl/worksheets/sheet1.xml"] = sheet.encode()
    return _zip(path, members)


HEADER_CELLS = HEADER.split(",")


def _cells(**over) -> list:
    return offering_row(**over).split(",")


def build_corpus(d: Path) -> dict[str, tuple[str, str]]:
    """Write the corpus; return {file name: (expected status, fragment of the message)}."""
    rng = random.Random(20240401)
    expect: dict[str, tuple[str, str]] = {}

    (d / "empty.csv").write_bytes(b"")
    expect["empty.csv"] = ("rejected", "empty")
    (d / "empty.xlsx").write_bytes(b"")
    expect["empty.xlsx"] = ("rejected", "empty")
    (d / "whitespace.csv").write_text("\n\n   \n,,,\n")
    expect["whitespace.csv"] = ("rejected", "no header row")
    (d / "header-only.csv").write_text(HEADER + "\n")
    expect["header-only.csv"] = ("rejected", "no data rows")
    _xlsx(d / "header-only.xlsx", [HEADER_CELLS])
    expect["header-only.xlsx"] = ("rejected", "no data rows")
    (d / "not-a-submission.csv").write_text("name,colour\napple,red\npear,green\n")
    expect["not-a-submission.csv"] = ("rejected", "no header row")

    (d / "junk.xlsx").write_bytes(rng.randbytes(4096))
    expect["junk.xlsx"] = ("rejected", "not a valid .xlsx")
    (d / "junk-nul.csv").write_bytes(rng.randbytes(4096))
    expect["junk-nul.csv"] = ("rejected", "not text")
    # Bytes that are neither UTF-8 nor Windows-1252 (0x81 is undefined there).
    (d / "junk-bytes.csv").write_bytes((HEADER + "\n").encode() + bytes([0x81, 0x8D, 0xC3, 0x28]) * 64)
    expect["junk-bytes.csv"] = ("rejected", "neither UTF-8 nor Windows-1252")
    (d / "utf16.csv").write_bytes((HEADER + "\n" + offering_row() + "\n").encode("utf-16"))
    expect["utf16.csv"] = ("rejected", "UTF-16")

    _zip(d / "archive.xlsx", {"readme.txt": b"hello", "data/offerings.csv": (HEADER + "\n").encode()})
    expect["archive.xlsx"] = ("rejected", "not an .xlsx")
    good_book = _xlsx(d / "book-named-csv.csv", [HEADER_CELLS, _cells()])
    assert good_book.exists()
    expect["book-named-csv.csv"] = ("rejected", "rename it to .xlsx")
    whole = _xlsx(d / "tmp-truncated.xlsx", [HEADER_CELLS, _cells()]).read_bytes()
    (d / "tmp-truncated.xlsx").unlink()
    (d / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])
    expect["truncated.xlsx"] = ("rejected", ".xlsx")
    _zip(
        d / "bad-xml.xlsx",
        {
            "[Content_Types].xml": b"<Types",
            "xl/workbook.xml": b"<workbook><sheets>",
            "xl/_rels/workbook.xml.rels": b"not xml",
        },
    )
    expect["bad-xml.xlsx"] = ("rejected", "cannot be opened")
    _zip(d / "zip-bomb.xlsx", {"xl/workbook.xml": b"<workbook/>", "xl/worksheets/sheet1.xml": bytes(30_000_000)})
    expect["zip-bomb.xlsx"] = ("rejected", "unsafe")
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(
            b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10) for n in range(1, 10)
        )
        + b']><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">&lol9;</workbook>'
    )
    book = _xlsx(d / "tmp-laughs.xlsx", [HEADER_CELLS, _cells()])
    with zipfile.ZipFile(book) as zf:
        members = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    book.unlink()
    members["xl/workbook.xml"] = laughs
    _zip(d / "xml-bomb.xlsx", members)
    expect["xml-bomb.xlsx"] = ("rejected", "cannot be opened")

    csv_file(d, "duplicate-headers.csv", [offering_row() + ",Other title"], header=HEADER + ",Title")
    expect["duplicate-headers.csv"] = ("rejected", "both name title")
    long_row = ",".join([LONG] * len(HEADER_CELLS))
    csv_file(d, "long-cells.csv", [long_row, offering_row(oid=LONG, title=LONG, partners=LONG)])
    expect["long-cells.csv"] = ("rejected", "characters")
    _xlsx(d / "long-cells.xlsx", [HEADER_CELLS, _cells(title=LONG, mc_type=LONG, partners=";".join([LONG] * 3))])
    expect["long-cells.xlsx"] = ("rejected", "characters")
    csv_file(d, "long-header.csv", [offering_row(inst="UBC") + ",note"], header=HEADER + "," + LONG)
    expect["long-header.csv"] = ("accepted", "not a known column")
    csv_file(
        d, "ragged.csv", [offering_row(inst="SFU", oid="R1") + ",extra,cells", offering_row(inst="SFU", oid="R2")[:20]]
    )
    expect["ragged.csv"] = ("rejected", "required")
    (d / "unbalanced-quote.csv").write_text(
        HEADER + "\n" + offering_row(title='"Never closed') + "\n" + offering_row(oid="A2") + "\n"
    )
    expect["unbalanced-quote.csv"] = ("rejected", "")

    # Formulas: as CSV text, where a number is expected, and as XLSX formula cells.
    csv_file(
        d,
        "formula-text.csv",
        [offering_row(oid="F1", enrolments="=1+1"), offering_row(oid="F2", title='=HYPERLINK("http://x";"y")')],
    )
    expect["formula-text.csv"] = ("rejected", "'=1+1' is not a whole number")
    row = _cells(oid="F1")
    row[HEADER_CELLS.index("enrolments")] = "=10+10"
    row[HEADER_CELLS.index("title")] = '=CONCATENATE("a","b")'
    _xlsx(d / "formula-cells.xlsx", [HEADER_CELLS, row])
    expect["formula-cells.xlsx"] = ("rejected", "formula")

    # An export's guard apostrophe is not hostile: it is dropped.
    csv_file(d, "guarded.csv", [offering_row(inst="UVIC", title="'=1+1")])
    expect["guarded.csv"] = ("accepted", "")
    return expect


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    folder = d / "corpus"
    folder.mkdir()
    expect = build_corpus(folder)
    settings = Settings(db_path=d / "warehouse.duckdb", data_dir=DEFAULT_DATA_DIR)
    # A good submission first: every hostile file must leave it current.
    load_files([csv_file(d, "good.csv", [offering_row(inst="BCIT", oid="GOOD")])], settings)
    outcomes = load_files(sorted(folder.iterdir()), settings)
    by_file: dict[str, list] = {}
    for o in outcomes:
        by_file.setdefault(o.file, []).append(o)
    return folder, settings, expect, by_file


def test_the_corpus_is_complete(corpus):
    folder, _, expect, by_file = corpus
    assert sorted(by_file) == sorted(p.name for p in folder.iterdir()) == sorted(expect)


def _case_names() -> list[str]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        return sorted(build_corpus(Path(tmp)))


@pytest.mark.parametrize("name", _case_names())
def test_each_hostile_file_gets_a_clear_outcome(corpus, name):
    _, settings, expect, by_file = corpus
    status, fragment = expect[name]
    outcomes = by_file[name]
    assert {o.status for o in outcomes} == {status}, [(o.status, o.issues[:3]) for o in outcomes]
    messages = [i["message"] for o in outcomes for i in o.issues]
    if status == "rejected":
        assert any(i["severity"] == "error" for o in outcomes for i in o.issues)
    if fragment:
        assert any(fragment in m for m in messages), messages[:5]
    for o in outcomes:
        for issue in o.issues:
            assert issue["message"] and len(issue["message"]) <= MAX_MESSAGE, (issue["column"], issue["message"][:200])
            assert issue["value"] is None or len(issue["value"]) <= MAX_VALUE
            assert issue["column"] is None or len(issue["column"]) <= 100
            assert "Traceback" not in issue["message"]


def test_xlsx_formula_cells_are_named(corpus):
    _, _, _, by_file = corpus
    [o] = by_file["formula-cells.xlsx"]
    formula_issues = [i for i in o.issues if "formula" in i["message"]]
    assert {(i["row"], i["column"]) for i in formula_issues} >= {(2, "enrolments"), (2, "title")}
    assert any("=10+10" in i["message"] for i in formula_issues)


def test_formula_cells_are_named_when_a_big_sheet_is_read_before_it_is_measured(tmp_path, monkeypatch):
    """A sheet beyond SERIAL_SCAN_BYTES (here every sheet) is looked at for formulas on a thread
    beside calamine, in the part that is read (offerings, here not the first sheet): the same
    cells are named as for a small sheet."""
    monkeypatch.setattr(readers, "SERIAL_SCAN_BYTES", 0)
    row = _cells(oid="F1")
    row[HEADER_CELLS.index("enrolments")] = "=10+10"
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.active.append(["no formulas here"])
    sheet = wb.create_sheet("offerings")
    for cells in (HEADER_CELLS, row):
        sheet.append(cells)
    wb.save(tmp_path / "second-sheet.xlsx")
    raw = readers.read_submission_file(tmp_path / "second-sheet.xlsx")
    assert [(i.row, i.column, i.rule) for i in raw.issues if i.severity == "error"] == [
        (2, "enrolments", "formula_without_result")
    ]


@pytest.mark.parametrize(
    ("xml", "found"),
    [
        (b"<c r='A1'><f>1+1</f></c>", True),
        (b"<x:c r='A1'><x:f t='shared' si='0'/></x:c>", True),
        (b"<c r='A1' t='b'><v>1</v></c><row hidden='false'/>", False),  # f after other bytes than < or :
    ],
)
def test_the_formula_scan_finds_a_tag_split_across_its_reads(tmp_path, xml, found):
    """The scan reads 1 MB at a time: a tag that starts in one read and ends in the next is found."""
    padding = b" " * ((1 << 20) - len(xml.split(b"f", 1)[0]))  # the byte before the first f ends the first read
    path = _zip(tmp_path / "split.xlsx", {"xl/worksheets/sheet1.xml": b"<worksheet>" + padding[11:] + xml})
    assert readers._workbook_has_formulas(path, ["xl/worksheets/sheet1.xml"]) is found


def test_xlsx_formula_cells_with_saved_results_load_as_their_results(settings, tmp_path):
    row = _cells(oid="F1")
    row[HEADER_CELLS.index("enrolments")] = "=10+10"
    row[HEADER_CELLS.index("completions")] = "=M2-5"
    path = _xlsx(tmp_path / "saved.xlsx", [HEADER_CELLS, row])
    col = {name: openpyxl.utils.get_column_letter(n + 1) for n, name in enumerate(HEADER_CELLS)}
    _with_cached_values(path, {f"{col['enrolments']}2": "20", f"{col['completions']}2": "15"})
    [o] = load_files([path], settings)
    assert o.status == "accepted", o.issues
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT enrolments, completions FROM current_offerings").fetchone() == (20, 15)


def test_formula_text_is_kept_as_text_never_evaluated(corpus):
    _, settings, _, by_file = corpus
    [o] = by_file["formula-text.csv"]
    errors = [(i["row"], i["column"], i["value"]) for i in o.issues if i["severity"] == "error"]
    assert errors == [(2, "enrolments", "=1+1")]
    [g] = by_file["guarded.csv"]
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT title FROM current_offerings WHERE institution_code = 'UVIC'").fetchone() == (
            "=1+1",
        )


def test_the_warehouse_is_usable_after_the_corpus(corpus, tmp_path):
    folder, settings, expect, by_file = corpus
    with read_only(settings.db_path) as con:
        current = con.execute("SELECT institution_code, offering_id FROM current_offerings ORDER BY ALL").fetchall()
        n_subs = con.execute("SELECT count(*) FROM submissions").fetchone()[0]
        unreadable = con.execute("SELECT count(*) FROM submissions WHERE institution_code IS NULL").fetchone()[0]
    assert ("BCIT", "GOOD") in current  # no hostile file touched the good submission
    assert n_subs == 1 + sum(len(v) for v in by_file.values())
    assert unreadable >= 10
    [o] = load_files([csv_file(tmp_path, "after.csv", [offering_row(inst="BCIT", oid="AFTER")])], settings)
    assert o.status == "accepted"


def test_the_command_line_never_shows_a_traceback(corpus, tmp_path):
    folder, _, expect, _ = corpus
    env = {**os.environ, "MCRED_DEBUG": ""}
    proc = subprocess.run(
        [sys.executable, "-m", "mcred.cli", "load", "--db", str(tmp_path / "w.duckdb"), str(folder)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr == ""
    for name in expect:
        assert name in proc.stdout
