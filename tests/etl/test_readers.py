"""Reading submission files: headers and their aliases, encodings, delimiters, title
rows, sheets, blank rows and columns, Excel cell types.

Every case is a real file written in tmp_path and loaded through ``load_files``; the
result is read back from the warehouse views. Files of one module are loaded in one
call (each under its own institution) to keep the suite fast.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import openpyxl
import pytest

from etl import spec
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.warehouse import read_only

# Header aliases, copied from the contract (submission-format.md, "Columns"): the
# minimum to accept. Written out here, not read from spec.py, so that a test fails
# when spec.py loses one.
CONTRACT_HEADER_ALIASES = {
    "institution_code": ["institution", "inst code", "institution id"],
    "reporting_period": ["period", "fiscal year", "fy", "reporting year"],
    "offering_id": ["id", "offering code", "course code", "program code"],
    "title": ["name", "offering title", "micro credential title"],
    "mc_type": ["type", "purpose", "micro credential type", "category"],
    "delivery_mode": ["delivery", "mode", "mode of delivery", "format"],
    "credit_status": ["credit", "credit bearing", "credit type"],
    "credits": ["credit value", "credit hours"],
    "partner_categories": ["partners", "partner", "partner category", "partner type"],
    "continuing_education": ["ce", "continuing ed", "offered through ce", "con ed"],
    "duration_hours": ["duration", "hours", "duration hrs", "length hours"],
    "assessment": ["assessed", "has assessment", "assessment required"],
    "recognition": ["credential format", "badge", "issued as"],
    "ladders_to_credential": ["laddering", "stackable", "pathway to credential"],
    "prior_learning_recognition": ["plar", "rpl", "prior learning"],
    "field_of_study": ["field", "program area", "discipline"],
    "ministry_funded": ["funded", "provincial funding"],
    "competencies": ["learning outcomes", "outcomes", "skills"],
    "noc_codes": ["noc", "occupations", "noc 2021"],
    "enrolments": ["enrollments", "enrolment", "registrations", "learners enrolled"],
    "completions": ["completers", "completed", "credentials awarded"],
    "tuition_cad": ["tuition", "fee", "price"],
    "start_date": ["start", "begins"],
    "end_date": ["end", "ends"],
}
CONTRACT_REQUIRED = [
    "institution_code",
    "reporting_period",
    "offering_id",
    "title",
    "mc_type",
    "delivery_mode",
    "credit_status",
    "partner_categories",
    "continuing_education",
    "duration_hours",
    "assessment",
    "enrolments",
    "completions",
]

# One valid offering with every column, as written in a file...
FULL_ROW = {
    "institution_code": "BCIT",
    "reporting_period": "2024/25",
    "offering_id": "MC-1",
    "title": "Data analytics",
    "mc_type": "technical_skill",
    "delivery_mode": "online",
    "credit_status": "credit",
    "credits": "3",
    "partner_categories": "employer_industry;community",
    "continuing_education": "yes",
    "duration_hours": "40",
    "assessment": "yes",
    "recognition": "digital_badge",
    "ladders_to_credential": "yes",
    "prior_learning_recognition": "no",
    "field_of_study": "health",
    "ministry_funded": "no",
    "competencies": "Clean data;Build a dashboard",
    "noc_codes": "21211;21223",
    "enrolments": "20",
    "completions": "15",
    "tuition_cad": "450",
    "start_date": "2024-09-09",
    "end_date": "2024-11-29",
}
# ... and as the warehouse holds it.
FULL_STORED = {
    "reporting_period": "2024/25",
    "offering_id": "MC-1",
    "title": "Data analytics",
    "mc_type": "technical_skill",
    "delivery_mode": "online",
    "credit_status": "credit",
    "credits": 3.0,
    "partner_categories": ["employer_industry", "community"],
    "continuing_education": True,
    "duration_hours": 40.0,
    "assessment": True,
    "recognition": "digital_badge",
    "ladders_to_credential": True,
    "prior_learning_recognition": False,
    "field_of_study": "health",
    "ministry_funded": False,
    "competencies": "Clean data;Build a dashboard",
    "noc_codes": "21211;21223",
    "enrolments": 20,
    "completions": 15,
    "tuition_cad": 450.0,
    "start_date": dt.date(2024, 9, 9),
    "end_date": dt.date(2024, 11, 29),
}
STORED_COLUMNS = list(FULL_STORED)
SHORT_HEADER = [
    "institution_code",
    "reporting_period",
    "offering_id",
    "title",
    "mc_type",
    "delivery_mode",
    "credit_status",
    "partner_categories",
    "continuing_education",
    "duration_hours",
    "assessment",
    "enrolments",
    "completions",
]


def short_row(inst: str, oid: str = "MC-1", title: str = "Data analytics", **over) -> list[str]:
    values = {**FULL_ROW, "institution_code": inst, "offering_id": oid, "title": title, **over}
    return [values[c] for c in SHORT_HEADER]


def write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
    before: list[list[str]] = (),
) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerows(before)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def stored(con, inst: str) -> list[dict]:
    cur = con.execute(
        f"SELECT {', '.join(STORED_COLUMNS)}, source_row FROM current_offerings "
        "WHERE institution_code = ? ORDER BY source_row",
        [inst],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


# --- header matching, pure ----------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "alias"), [(c, a) for c, aliases in CONTRACT_HEADER_ALIASES.items() for a in [c, *aliases]]
)
def test_every_contract_header_alias_names_its_column(column, alias):
    assert spec.match_header(alias) == column


def test_contract_columns_and_required_flags():
    assert list(spec.COLUMN_NAMES) == list(CONTRACT_HEADER_ALIASES)
    assert [c.name for c in spec.COLUMNS if c.required] == CONTRACT_REQUIRED


@pytest.mark.parametrize(
    "header",
    [
        "Duration (hours)",
        "duration hours",
        "DURATION_HOURS",
        "Duration-Hours",
        "duration/hours",
        "duration.hours",
        "  Duration  Hours  ",
        "duration__hours",
        "Duration - (Hours)",
        "\tduration_hours ",
    ],
)
def test_header_separators_case_and_white_space_do_not_matter(header):
    assert spec.match_header(header) == "duration_hours"


@pytest.mark.parametrize("header", ["duration hours extra", "durationhours", "notes", ""])
def test_other_headers_match_nothing(header):
    assert spec.match_header(header) is None


# --- every file of this module, loaded once ------------------------------------------

INSTITUTIONS = [line.split(",")[0] for line in (DEFAULT_DATA_DIR / "institutions.csv").read_text().splitlines()[1:]]
ALIAS_FILES = 5  # the most names a column has: its own plus four aliases


def _separator_variant(name: str, k: int) -> str:
    words = name.split(" ")
    styles = [
        lambda w: " ".join(x.title() for x in w),
        lambda w: "-".join(x.upper() for x in w),
        lambda w: ".".join(w),
        lambda w: "/".join(w),
        lambda w: "  " + "_".join(x.upper() for x in w) + "  ",
        lambda w: "(" + " ".join(w) + ")",
        lambda w: w[0] + " (" + " ".join(w[1:]) + ")" if len(w) > 1 else w[0].upper(),
        lambda w: "__".join(w),
    ]
    return styles[k % len(styles)](words)


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    ws.cell(row=r, column=c, value=value)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    """Write every file of this module, load them in one call; return (settings, outcomes by file)."""
    d = tmp_path_factory.mktemp("readers")
    settings = Settings(db_path=d / "warehouse.duckdb", data_dir=DEFAULT_DATA_DIR)
    files: list[Path] = []
    insts = iter(INSTITUTIONS)
    plan: dict[str, str] = {}  # file name -> institution

    def inst_for(name: str) -> str:
        plan[name] = next(insts)
        return plan[name]

    # Header aliases: file k names each column by its k-th name (own name first).
    for k in range(ALIAS_FILES):
        name = f"aliases-{k}.csv"
        inst = inst_for(name)
        header = [([c, *aliases])[k % (len(aliases) + 1)] for c, aliases in CONTRACT_HEADER_ALIASES.items()]
        row = [{**FULL_ROW, "institution_code": inst}[c] for c in CONTRACT_HEADER_ALIASES]
        files.append(write_csv(d / name, header, [row]))
    # Separator variants: "Duration (hours)" = "duration hours" = "DURATION_HOURS".
    for k in range(2):
        name = f"separators-{k}.csv"
        inst = inst_for(name)
        header = [_separator_variant(spec.normalize_key(c), n + k) for n, c in enumerate(CONTRACT_HEADER_ALIASES)]
        row = [{**FULL_ROW, "institution_code": inst}[c] for c in CONTRACT_HEADER_ALIASES]
        files.append(write_csv(d / name, header, [row]))

    # Encodings.
    accents = "Café de l’été à 5 €"
    for name, encoding in (("utf8.csv", "utf-8"), ("utf8-bom.csv", "utf-8-sig"), ("cp1252.csv", "cp1252")):
        inst = inst_for(name)
        files.append(write_csv(d / name, SHORT_HEADER, [short_row(inst, title=accents)], encoding=encoding))

    # Delimiters (the semicolon file carries an unquoted thousands separator).
    for name, delimiter in (("comma.csv", ","), ("semicolon.csv", ";"), ("tab.csv", "\t")):
        inst = inst_for(name)
        files.append(
            write_csv(
                d / name, SHORT_HEADER, [short_row(inst, enrolments="1,200", completions="1,100")], delimiter=delimiter
            )
        )

    # Title rows above the header, blank rows among the data, CSV: header on row 4.
    name = "titled.csv"
    inst = inst_for(name)
    body = "\r\n".join(
        [
            "Micro-credential report 2024/25",
            "Prepared by the Office of Institutional Research, June 2025",
            "",
            ",".join(SHORT_HEADER),
            ",".join(short_row(inst, "T-1", "First")),
            "",
            ",".join(short_row(inst, "T-2", "Second")),
            "," * (len(SHORT_HEADER) - 1),
            " , ,\t, ",
            ",".join(short_row(inst, "T-3", "Third")),
            "",
            "",
        ]
    )
    (d / name).write_text(body, encoding="utf-8")
    files.append(d / name)

    # A title cell holding a line break (Alt+Enter in Excel, which writes it as \n inside quotes)
    # above the header: the header is still row 3 as a spreadsheet shows it, and not a data row.
    name = "title-line-break.csv"
    inst = inst_for(name)
    body = "\r\n".join(
        [
            '"Micro-credential report\n2024/25",,',
            "Prepared by the Office of Institutional Research",
            ",".join(SHORT_HEADER),
            ",".join(short_row(inst, "B-1", "First")),
            ",".join(short_row(inst, "B-2", "Second")),
        ]
    )
    (d / name).write_text(body + "\r\n", encoding="utf-8")
    files.append(d / name)

    # Line endings: \n (Unix), \r\n (Windows, the other files) and a lone \r (old Excel for Mac).
    for name, newline in (("lf.csv", "\n"), ("cr.csv", "\r")):
        inst = inst_for(name)
        lines = [
            "Report",
            ",".join(SHORT_HEADER),
            ",".join(short_row(inst, "L-1", "One")),
            "",
            ",".join(short_row(inst, "L-2", "Two")),
        ]
        (d / name).write_bytes(newline.join(lines).encode())
        files.append(d / name)

    # A title row naming only three known columns is not the header: the header names at least four.
    name = "three-known.csv"
    inst = inst_for(name)
    files.append(
        write_csv(
            d / name,
            SHORT_HEADER,
            [short_row(inst, "H-1")],
            before=[["Institution", "Period", "Title", "Prepared by"], ["BCIT", "2024/25", "Report"]],
        )
    )

    # Empty columns (no header, no data) in the middle and at the end are ignored.
    name = "empty-columns.csv"
    inst = inst_for(name)
    header = SHORT_HEADER[:5] + [""] + SHORT_HEADER[5:] + ["", ""]
    rows = [r[:5] + [""] + r[5:] + ["", ""] for r in (short_row(inst, "E-1", "One"), short_row(inst, "E-2", "Two"))]
    files.append(write_csv(d / name, header, rows))

    # XLSX: title rows, blank rows, empty column, typed cells.
    name = "typed.xlsx"
    inst = inst_for(name)
    typed_header = SHORT_HEADER + ["credits", "tuition_cad", "start_date", "end_date", "ladders_to_credential"]
    typed_row = {**{c: FULL_ROW[c] for c in SHORT_HEADER}, "institution_code": inst}
    xl_rows = [
        ["Micro-credentials offered in 2024/25"],
        [],
        [*typed_header[:3], None, *typed_header[3:]],
        [
            *[typed_row[c] for c in SHORT_HEADER[:3]],
            None,
            "Excel cells",
            "technical_skill",
            "online",
            "credit",
            "employer_industry",
            True,
            40.5,
            False,
            1200,
            1100,
            3,
            1234.5,
            dt.datetime(2024, 9, 9),
            dt.date(2024, 11, 29),
            "TRUE",
        ],
        [],
        [
            *[typed_row[c] for c in SHORT_HEADER[:2]],
            1001,
            None,
            "Numeric id",
            "technical_skill",
            "online",
            "non_credit",
            "community",
            False,
            40,
            True,
            20.0,
            15,
            None,
            None,
            "2024-09-09",
            None,
            "FALSE",
        ],
    ]
    files.append(_xlsx(d / name, {"Sheet1": xl_rows}))

    # Sheet choice: "offerings" in any case wins, wherever it is; else the first sheet.
    for name, sheets, right in (
        ("sheet-named.xlsx", ("Notes", "OFFERINGS"), 1),
        ("sheet-named-lower.xlsx", ("Read me", " offerings "), 1),
        ("sheet-first.xlsx", ("Data", "Other"), 0),
    ):
        inst = inst_for(name)
        content = {}
        for n, title in enumerate(sheets):
            oid = "RIGHT" if n == right else "WRONG"
            content[title] = [SHORT_HEADER, short_row(inst, oid, f"From {title.strip()}")]
        files.append(_xlsx(d / name, content))

    outcomes = load_files(files, settings)
    by_file: dict[str, list] = {}
    for o in outcomes:
        by_file.setdefault(o.file, []).append(o)
    return settings, by_file, plan


def _only(loaded, name: str):
    settings, by_file, plan = loaded
    [outcome] = by_file[name]
    return outcome


def _offerings(loaded, name: str) -> list[dict]:
    settings, _, plan = loaded
    with read_only(settings.db_path) as con:
        return stored(con, plan[name])


def _issues(loaded, name: str) -> list[tuple]:
    settings, _, _ = loaded
    outcome = _only(loaded, name)
    with read_only(settings.db_path) as con:
        return con.execute(
            'SELECT severity, "row", "column", value, message FROM validation_issues '
            'WHERE submission_id = ? ORDER BY "row", "column"',
            [outcome.submission_id],
        ).fetchall()


@pytest.mark.parametrize("k", range(ALIAS_FILES))
def test_files_with_aliased_headers_load_every_column(loaded, k):
    name = f"aliases-{k}.csv"
    outcome = _only(loaded, name)
    assert outcome.status == "accepted", outcome.issues
    assert _issues(loaded, name) == []
    [row] = _offerings(loaded, name)
    assert {c: row[c] for c in STORED_COLUMNS} == FULL_STORED


@pytest.mark.parametrize("k", range(2))
def test_files_with_header_separator_variants_load_every_column(loaded, k):
    name = f"separators-{k}.csv"
    assert _only(loaded, name).status == "accepted"
    assert _issues(loaded, name) == []
    [row] = _offerings(loaded, name)
    assert {c: row[c] for c in STORED_COLUMNS} == FULL_STORED


@pytest.mark.parametrize("name", ["utf8.csv", "utf8-bom.csv", "cp1252.csv"])
def test_encodings(loaded, name):
    assert _only(loaded, name).status == "accepted"
    [row] = _offerings(loaded, name)
    assert row["title"] == "Café de l’été à 5 €"
    assert _issues(loaded, name) == []  # a BOM does not spoil the first header


@pytest.mark.parametrize("name", ["comma.csv", "semicolon.csv", "tab.csv"])
def test_delimiters(loaded, name):
    assert _only(loaded, name).status == "accepted", _only(loaded, name).issues
    [row] = _offerings(loaded, name)
    assert (row["enrolments"], row["completions"]) == (1200, 1100)
    assert row["partner_categories"] == ["employer_industry", "community"]


def test_csv_title_rows_and_blank_rows(loaded):
    outcome = _only(loaded, "titled.csv")
    assert outcome.status == "accepted", outcome.issues
    assert outcome.rows_accepted == 3 and outcome.rows_rejected == 0
    rows = _offerings(loaded, "titled.csv")
    # Header on row 4: rows as a person sees them, blank rows counted but not loaded.
    assert [(r["offering_id"], r["source_row"]) for r in rows] == [("T-1", 5), ("T-2", 7), ("T-3", 10)]
    assert _issues(loaded, "titled.csv") == []


def test_a_line_break_in_a_title_cell_above_the_header(loaded):
    outcome = _only(loaded, "title-line-break.csv")
    assert outcome.status == "accepted", outcome.issues  # the header row read as data would be rejected
    rows = _offerings(loaded, "title-line-break.csv")
    assert [(r["offering_id"], r["source_row"]) for r in rows] == [("B-1", 4), ("B-2", 5)]


@pytest.mark.parametrize("name", ["lf.csv", "cr.csv"])
def test_line_endings(loaded, name):
    outcome = _only(loaded, name)
    assert outcome.status == "accepted", outcome.issues
    assert [(r["offering_id"], r["source_row"]) for r in _offerings(loaded, name)] == [("L-1", 3), ("L-2", 5)]


def test_header_is_the_first_row_naming_four_known_columns(loaded):
    outcome = _only(loaded, "three-known.csv")
    assert outcome.status == "accepted", outcome.issues
    assert [(r["offering_id"], r["source_row"]) for r in _offerings(loaded, "three-known.csv")] == [("H-1", 4)]


def test_empty_columns_are_ignored(loaded):
    outcome = _only(loaded, "empty-columns.csv")
    assert outcome.status == "accepted"
    assert [r["offering_id"] for r in _offerings(loaded, "empty-columns.csv")] == ["E-1", "E-2"]
    assert _issues(loaded, "empty-columns.csv") == []


def test_xlsx_title_rows_blank_rows_and_typed_cells(loaded):
    outcome = _only(loaded, "typed.xlsx")
    assert outcome.status == "accepted", outcome.issues
    assert outcome.sheet == "Sheet1"
    first, second = _offerings(loaded, "typed.xlsx")
    # Header on row 3, blank row 5.
    assert (first["source_row"], second["source_row"]) == (4, 6)
    # Excel booleans, numbers and dates are read as such.
    assert first["continuing_education"] is True and first["assessment"] is False
    assert second["continuing_education"] is False and second["assessment"] is True
    assert (first["duration_hours"], first["enrolments"], first["completions"]) == (40.5, 1200, 1100)
    assert (first["credits"], first["tuition_cad"]) == (3.0, 1234.5)
    assert (first["start_date"], first["end_date"]) == (dt.date(2024, 9, 9), dt.date(2024, 11, 29))
    assert first["ladders_to_credential"] is True and second["ladders_to_credential"] is False
    assert second["offering_id"] == "1001"  # a numeric id cell stays "1001", not "1001.0"
    assert (second["enrolments"], second["start_date"]) == (20, dt.date(2024, 9, 9))
    # The empty column D (no header, no data) and the blank row raise nothing but the no-assessment flag.
    assert [(i[0], i[1], i[2]) for i in _issues(loaded, "typed.xlsx")] == [("warning", 4, "assessment")]


@pytest.mark.parametrize(
    ("name", "sheet"),
    [
        ("sheet-named.xlsx", "OFFERINGS"),
        ("sheet-named-lower.xlsx", " offerings "),
        ("sheet-first.xlsx", "Data"),
    ],
)
def test_sheet_choice(loaded, name, sheet):
    outcome = _only(loaded, name)
    assert outcome.status == "accepted"
    assert outcome.sheet == sheet
    assert [r["offering_id"] for r in _offerings(loaded, name)] == ["RIGHT"]


def test_an_exact_column_name_wins_over_an_alias_of_it(tmp_path):
    """An export carries institution_code and institution_name; 'institution name' is also an
    alias of institution_code. The exact name is the column; the other is an unknown column."""
    from etl.readers import read_submission_file

    header = (
        "institution_code,reporting_period,offering_id,title,mc_type,delivery_mode,credit_status,"
        "partner_categories,continuing_education,duration_hours,assessment,enrolments,completions,"
        "institution_name"
    )
    row = "BCIT,2024/25,A1,Intro,technical_skill,online,non_credit,employer_industry,yes,40,yes,20,15,Somewhere"
    path = tmp_path / "export.csv"
    path.write_text(header + "\n" + row + "\n", encoding="utf-8")
    raw = read_submission_file(path)
    assert raw.headers["institution_code"] == "institution_code"
    assert raw.table.column("institution_code").to_pylist() == ["BCIT"]
    rules = [(i.rule, i.severity, i.column) for i in raw.issues]
    assert ("unknown_column", "warning", "institution_name") in rules
    assert not any(rule == "duplicate_column" for rule, _, _ in rules)


@pytest.mark.parametrize("ragged", [False, True])
def test_windows_1252_found_late_in_a_long_file(tmp_path, ragged):
    """The only non-UTF-8 byte sits far past the part read to find the header (and, when
    ragged, in a file the fast parser hands to the tolerant one): still Windows-1252."""
    from etl.readers import read_submission_file

    rows = [short_row("BCIT", f"MC-{n}", f"Offering {n}") for n in range(20_000)]
    rows.append(short_row("BCIT", "MC-last", "Café"))
    if ragged:
        rows[100] = rows[100][:-1]
    path = write_csv(tmp_path / "late.csv", SHORT_HEADER, rows, encoding="cp1252")
    assert path.stat().st_size > 1_000_000
    raw = read_submission_file(path)
    assert raw.table.column("title").to_pylist()[-1] == "Café"
    assert raw.table.num_rows == 20_001
    assert raw.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_xlsx_cells_read_as_the_text_a_person_sees(tmp_path):
    import openpyxl

    from etl.readers import read_submission_file

    values = [
        "a",
        1.0,
        2.5,
        True,
        False,
        dt.datetime(2024, 9, 30),
        dt.datetime(2024, 9, 30, 12, 30),
        dt.date(2024, 1, 2),
        7,
        40.0,
        0.1,
        -3.25,
        123456789012,
        dt.time(13, 45),
        " b ",
        "0",
        "",
        None,
    ]
    expected = [
        "a",
        "1",
        "2.5",
        "true",
        "false",
        "2024-09-30",
        "2024-09-30 12:30:00",
        "2024-01-02",
        "7",
        "40",
        "0.1",
        "-3.25",
        "123456789012",
        "13:45:00",
        " b ",
        "0",
        None,
        None,
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["institution_code", "reporting_period", "offering_id", "title"])
    for value in values:
        sheet.append(["BCIT", "2024/25", "X", value])
    sheet.append(["BCIT", "2024/25", "last", "end"])  # trailing empty cells above stay rows
    book.save(tmp_path / "cells.xlsx")
    raw = read_submission_file(tmp_path / "cells.xlsx")
    assert raw.table.column("title").to_pylist() == [*expected, "end"]
