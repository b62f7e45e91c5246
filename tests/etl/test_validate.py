"""Checking values: every value alias, booleans, numbers, units, periods, institutions
and dates are accepted and stored in canonical form; every error and warning of the
contract is reported on the row a person sees, with its column, value and message.

Each group of cases is one real file loaded through ``load_files``; the cases are
then read back from the warehouse views.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import numpy as np
import pytest

from etl import spec
from etl.config import DEFAULT_DATA_DIR, Settings
from etl.load import load_files
from etl.validate import parse_period
from etl.validate.batch import _distinct
from etl.warehouse import read_only

# Value aliases, copied from the contract (submission-format.md, "Values"); the codes
# themselves are accepted too. Written out here so that a test fails when spec.py
# loses one.
CONTRACT_VALUE_ALIASES = {
    "mc_type": {
        "pathway": ["bridging", "pathway to qualification"],
        "upskilling": ["update", "professional development", "reskilling"],
        "technical_skill": ["technical", "technical skills"],
        "transferable_skill": ["transferable", "soft skill", "soft skills", "transferable skills"],
        "teaser": ["recruitment", "taster"],
        "assessment_only": ["assessment only", "direct assessment"],
        "pick_and_choose": ["pick n choose", "pick and choose", "custom"],
    },
    "delivery_mode": {
        "online": ["virtual", "remote", "distance", "online only"],
        "onsite": ["on site", "in person", "face to face", "f2f", "campus", "classroom"],
        "blended": ["hybrid", "online and onsite", "mixed", "blended learning"],
    },
    "credit_status": {
        "credit": ["credit bearing", "for credit", "yes"],
        "non_credit": ["non credit", "noncredit", "not for credit", "no"],
    },
    "partner_categories": {
        "employer_industry": ["employer", "industry", "employer industry", "business"],
        "community": ["community organization", "non profit", "nonprofit"],
        "indigenous_community": ["indigenous", "indigenous community", "first nations", "metis", "inuit", "nation"],
        "professional_body": ["professional association", "regulator", "regulatory body"],
        "other_institution": ["institution", "post secondary", "post secondary institution"],
        "government": ["ministry", "health authority", "public sector"],
        "none": ["no partner", "n/a", "na"],
    },
    "recognition": {
        "digital_badge": ["badge", "open badge"],
        "digital_certificate": ["e certificate", "electronic certificate"],
        "paper_certificate": ["certificate", "printed certificate"],
        "transcript": ["transcript notation", "transcript entry"],
    },
    "field_of_study": {
        code: []
        for code in (
            "education",
            "arts_communications",
            "humanities",
            "social_sciences_law",
            "business_management",
            "physical_life_sciences",
            "math_computer_science",
            "engineering_architecture",
            "agriculture_natural_resources",
            "health",
            "personal_protective_transport",
            "other",
        )
    },
}
BOOLEAN_SPELLINGS = {
    "yes": True,
    "no": False,
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
    "YES": True,
    "No": False,
    "Y": True,
    "N": False,
    "TRUE": True,
    "FALSE": False,
    "True": True,
    "False": False,
}
BOOLEAN_COLUMNS = [
    "continuing_education",
    "assessment",
    "ladders_to_credential",
    "prior_learning_recognition",
    "ministry_funded",
]

HEADER = list(spec.COLUMN_NAMES)
VALID = {
    "institution_code": "BCIT",
    "reporting_period": "2024/25",
    "offering_id": "",
    "title": "",
    "mc_type": "technical_skill",
    "delivery_mode": "online",
    "credit_status": "credit",
    "credits": "3",
    "partner_categories": "employer_industry",
    "continuing_education": "yes",
    "duration_hours": "40",
    "assessment": "yes",
    "recognition": "digital_badge",
    "ladders_to_credential": "no",
    "prior_learning_recognition": "no",
    "field_of_study": "health",
    "ministry_funded": "no",
    "competencies": "Plan;Do",
    "noc_codes": "21211",
    "enrolments": "20",
    "completions": "15",
    "tuition_cad": "450",
    "start_date": "2024-09-09",
    "end_date": "2024-11-29",
}


def _variant(text: str) -> str:
    """The same value spelled differently: case, hyphens, surrounding white space."""
    return "  " + "-".join(w.capitalize() for w in text.split(" ")) + " "


def _write(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def _settings(tmp_path_factory, name: str) -> tuple[Path, Settings]:
    d = tmp_path_factory.mktemp(name)
    return d, Settings(db_path=d / "warehouse.duckdb", data_dir=DEFAULT_DATA_DIR)


# --- accepted spellings, pure ---------------------------------------------------------


def _value_cases():
    for column, codes in CONTRACT_VALUE_ALIASES.items():
        for code, aliases in codes.items():
            for alias in [code, *aliases]:
                yield column, code, alias


def _lookup(column: str) -> dict[str, str]:
    return spec.CODE_LISTS[spec.COLUMNS_BY_NAME[column].code_list].lookup()


@pytest.mark.parametrize(("column", "code", "alias"), list(_value_cases()))
def test_every_contract_value_alias_names_its_code(column, code, alias):
    assert _lookup(column).get(spec.normalize_key(alias)) == code
    assert _lookup(column).get(spec.normalize_key(_variant(alias))) == code


def test_code_lists_match_the_contract():
    for column, codes in CONTRACT_VALUE_ALIASES.items():
        code_list = spec.CODE_LISTS[spec.COLUMNS_BY_NAME[column].code_list]
        assert code_list.values == list(codes), column


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2024/25", "2024/25"),
        ("2024-25", "2024/25"),
        ("2024/2025", "2024/25"),
        ("2024-2025", "2024/25"),
        ("FY2024/25", "2024/25"),
        ("fy2024-2025", "2024/25"),
        ("FY 2024/25", "2024/25"),
        (" 2024 / 25 ", "2024/25"),
        ("1999/00", "1999/00"),
        ("1999/2000", "1999/00"),
        ("2024/26", None),
        ("2024-2026", None),
        ("2023/25", None),
        ("2024/24", None),
        ("2024/2024", None),
        ("2024", None),
        ("24/25", None),
        ("FY24/25", None),
        ("2024/25/26", None),
        ("2024 25", None),
        ("", None),
    ],
)
def test_parse_period(text, period):
    assert parse_period(text) == period


# --- accepted spellings, loaded -------------------------------------------------------


@pytest.fixture(scope="module")
def values_loaded(tmp_path_factory):
    """One file, one row per accepted spelling; returns (settings, outcome, {offering_id: expected})."""
    d, settings = _settings(tmp_path_factory, "values")
    rows, expected = [], {}

    def add(column: str, given: str, stored, **extra):
        oid = f"V{len(rows) + 1}"
        values = {**VALID, "offering_id": oid, "title": f"Spelling {oid}", column: given, **extra}
        if column == "credit_status" and stored == "non_credit":
            values["credits"] = ""
        rows.append([values[c] for c in HEADER])
        expected[oid] = (column, given, stored)

    for column, code, alias in _value_cases():
        stored = [code] if column == "partner_categories" else code
        add(column, alias, stored)
        add(column, _variant(alias), stored)
    # Several partner categories, with each separator; repeats collapse; stored in list order.
    add("partner_categories", "employer; community", ["employer_industry", "community"])
    add("partner_categories", "Community,Employer", ["employer_industry", "community"])
    add("partner_categories", "first nations | Métis | industry", ["employer_industry", "indigenous_community"])
    add("partner_categories", "government;ministry", ["government"])
    for column in BOOLEAN_COLUMNS:
        for given, stored in BOOLEAN_SPELLINGS.items():
            add(column, given, stored)
    # Numbers with thousands separators, decimals, and hour units.
    add("enrolments", "1,200", 1200, completions="1,100")
    add("enrolments", "12,345", 12345)
    add("completions", "0", 0)
    add("tuition_cad", "1,234.50", 1234.5)
    add("tuition_cad", "0", 0.0)
    add("credits", "1.5", 1.5)
    add("credits", "0", 0.0)
    for given, stored in (
        ("40 h", 40.0),
        ("40 hrs", 40.0),
        ("40 hours", 40.0),
        ("40h", 40.0),
        ("40 Hours", 40.0),
        ("40.5", 40.5),
        ("0.5", 0.5),
        ("1,500", 1500.0),
        ("2000", 2000.0),
        ("2,000 hours", 2000.0),
    ):
        add("duration_hours", given, stored)
    add("start_date", "2024-09-09", dt.date(2024, 9, 9), end_date="2024-09-09")
    add("end_date", "2025-03-31", dt.date(2025, 3, 31))
    add("noc_codes", "21211, 21223;41200", "21211;21223;41200")
    add("competencies", " Plan ; Do ;; Check ", "Plan;Do;Check")
    # The export's formula guard: a leading apostrophe before = + - @ is dropped.
    add("title", "'=SUM(A1:A2)", "=SUM(A1:A2)")
    add("title", "'-5 ways to lead", "-5 ways to lead")
    add("title", "'@mention", "@mention")
    add("title", "'Twas the night", "'Twas the night")  # not a guard: kept

    path = _write(d / "values.csv", rows)
    [outcome] = load_files([path], settings)
    return settings, outcome, expected


def test_values_file_is_accepted_whole(values_loaded):
    settings, outcome, expected = values_loaded
    assert outcome.status == "accepted", [i for i in outcome.issues if i["severity"] == "error"]
    assert outcome.rows_accepted == len(expected)
    assert outcome.errors == 0


def _stored_values(values_loaded) -> dict[str, dict]:
    settings, _, _ = values_loaded
    with read_only(settings.db_path) as con:
        cur = con.execute("SELECT * FROM current_offerings")
        names = [d[0] for d in cur.description]
        return {r[names.index("offering_id")]: dict(zip(names, r)) for r in cur.fetchall()}


@pytest.fixture(scope="module")
def stored_values(values_loaded):
    return _stored_values(values_loaded)


def test_every_accepted_spelling_is_stored_in_canonical_form(values_loaded, stored_values):
    _, _, expected = values_loaded
    wrong = {}
    for oid, (column, given, want) in expected.items():
        got = stored_values.get(oid, {}).get(column, "(row not loaded)")
        if got != want:
            wrong[oid] = (column, given, want, got)
    assert wrong == {}


def test_accepted_spellings_raise_no_errors(values_loaded):
    settings, outcome, _ = values_loaded
    with read_only(settings.db_path) as con:
        errors = con.execute(
            'SELECT "row", "column", value, message FROM validation_issues '
            "WHERE submission_id = ? AND severity = 'error'",
            [outcome.submission_id],
        ).fetchall()
    assert errors == []


@pytest.fixture(scope="module")
def names_loaded(tmp_path_factory):
    """Institutions by code or name, any case; periods in every accepted form: one submission."""
    d, settings = _settings(tmp_path_factory, "names")
    institutions = [
        "JIBC",
        "jibc",
        "Justice Institute of British Columbia",
        "JUSTICE INSTITUTE OF BRITISH COLUMBIA",
        "  justice institute of british columbia ",
        "Jibc",
    ]
    periods = ["2023/24", "2023-24", "2023/2024", "2023-2024", "FY2023/24", "fy2023-24", "FY 2023/2024"]
    rows = []
    for n, period in enumerate(periods):
        values = {
            **VALID,
            "institution_code": institutions[n % len(institutions)],
            "reporting_period": period,
            "offering_id": f"N{n}",
            "title": f"Names {n}",
        }
        rows.append([values[c] for c in HEADER])
    path = _write(d / "names.csv", rows)
    return settings, load_files([path], settings), len(rows)


def test_institution_by_code_or_name_and_every_period_form_make_one_submission(names_loaded):
    settings, outcomes, n_rows = names_loaded
    [outcome] = outcomes
    assert (outcome.status, outcome.institution_code, outcome.reporting_period) == ("accepted", "JIBC", "2023/24")
    with read_only(settings.db_path) as con:
        got = con.execute("SELECT DISTINCT institution_code, reporting_period FROM current_offerings").fetchall()
        count = con.execute("SELECT count(*) FROM current_offerings").fetchone()[0]
    assert got == [("JIBC", "2023/24")]
    assert count == n_rows


# --- errors ------------------------------------------------------------------------------

# (id, overrides, column, value as shown, fragments of the message)
REQUIRED = [c.name for c in spec.COLUMNS if c.required]
ERROR_CASES = [
    *[(f"missing-{c}", {c: ""}, c, None, [c, "required"]) for c in REQUIRED],
    ("missing-blank-spaces", {"title": "   "}, "title", None, ["title", "required"]),
    ("not-integer-word", {"enrolments": "twenty"}, "enrolments", "twenty", ["'twenty'", "whole number"]),
    (
        "not-integer-decimal",
        {"enrolments": "12.5", "completions": "10"},
        "enrolments",
        "12.5",
        ["'12.5'", "whole number"],
    ),
    ("not-integer-completions", {"completions": "abc"}, "completions", "abc", ["'abc'", "whole number"]),
    ("not-number-duration", {"duration_hours": "forty"}, "duration_hours", "forty", ["'forty'", "number", "2000"]),
    ("not-number-unit", {"duration_hours": "40 minutes"}, "duration_hours", "40 minutes", ["'40 minutes'", "number"]),
    ("not-number-credits", {"credits": "three"}, "credits", "three", ["'three'", "number"]),
    ("not-number-tuition", {"tuition_cad": "$450"}, "tuition_cad", "$450", ["'$450'", "number"]),
    ("not-date-format", {"start_date": "09/09/2024"}, "start_date", "09/09/2024", ["'09/09/2024'", "date"]),
    ("not-date-day", {"end_date": "2025-02-30"}, "end_date", "2025-02-30", ["'2025-02-30'", "date"]),
    ("not-boolean", {"continuing_education": "maybe"}, "continuing_education", "maybe", ["'maybe'", "yes/no"]),
    (
        "not-boolean-optional",
        {"ministry_funded": "sometimes"},
        "ministry_funded",
        "sometimes",
        ["'sometimes'", "yes/no"],
    ),
    ("not-noc", {"noc_codes": "1234"}, "noc_codes", "1234", ["'1234'", "NOC"]),
    (
        "too-many-noc",
        {"noc_codes": "11111;22222;33333;44444"},
        "noc_codes",
        "11111;22222;33333;44444",
        ["NOC", "three"],
    ),
    ("title-too-long", {"title": "T" * 301}, "title", "T" * 301, ["301", "300"]),
    (
        "code-mc-type",
        {"mc_type": "workshop"},
        "mc_type",
        "workshop",
        ["'workshop'", *spec.CODE_LISTS["mc_type"].values],
    ),
    (
        "code-delivery",
        {"delivery_mode": "carrier pigeon"},
        "delivery_mode",
        "carrier pigeon",
        ["'carrier pigeon'", "online", "onsite", "blended"],
    ),
    (
        "code-credit",
        {"credit_status": "partial credit"},
        "credit_status",
        "partial credit",
        ["'partial credit'", "credit", "non_credit"],
    ),
    (
        "code-partner",
        {"partner_categories": "employer;aliens"},
        "partner_categories",
        "employer;aliens",
        ["'aliens'", "employer_industry", "community"],
    ),
    ("code-recognition", {"recognition": "trophy"}, "recognition", "trophy", ["'trophy'", "digital_badge"]),
    ("code-field", {"field_of_study": "astrology"}, "field_of_study", "astrology", ["'astrology'", "health"]),
    ("range-duration-0", {"duration_hours": "0"}, "duration_hours", "0", ["'0'", "greater than 0"]),
    ("range-duration-2001", {"duration_hours": "2001"}, "duration_hours", "2001", ["'2001'", "at most 2000"]),
    ("range-duration-negative", {"duration_hours": "-5 h"}, "duration_hours", "-5 h", ["'-5 h'", "greater than 0"]),
    ("range-enrolments", {"enrolments": "-1", "completions": "0"}, "enrolments", "-1", ["'-1'", "at least 0"]),
    ("range-completions", {"completions": "-1"}, "completions", "-1", ["'-1'", "at least 0"]),
    ("range-credits", {"credits": "-1"}, "credits", "-1", ["'-1'", "at least 0"]),
    ("range-tuition", {"tuition_cad": "-5"}, "tuition_cad", "-5", ["'-5'", "at least 0"]),
    (
        "completions-over-enrolments",
        {"enrolments": "10", "completions": "11"},
        "completions",
        "11",
        ["11", "10", "enrolments"],
    ),
    (
        "credits-on-non-credit",
        {"credit_status": "non_credit", "credits": "3"},
        "credits",
        "3",
        ["non-credit", "credit_status"],
    ),
    (
        "end-before-start",
        {"start_date": "2024-09-09", "end_date": "2024-09-08"},
        "end_date",
        "2024-09-08",
        ["2024-09-08", "before", "2024-09-09"],
    ),
    (
        "none-combined",
        {"partner_categories": "none;employer_industry"},
        "partner_categories",
        "none;employer_industry",
        ["none", "combined"],
    ),
    (
        "unknown-institution",
        {"institution_code": "Hogwarts"},
        "institution_code",
        "Hogwarts",
        ["'Hogwarts'", "institution"],
    ),
    ("malformed-period", {"reporting_period": "2024"}, "reporting_period", "2024", ["'2024'", "2024/25"]),
    (
        "period-not-consecutive",
        {"reporting_period": "2024/26"},
        "reporting_period",
        "2024/26",
        ["'2024/26'", "consecutive"],
    ),
    ("period-two-digits", {"reporting_period": "24/25"}, "reporting_period", "24/25", ["'24/25'", "2024/25"]),
]
DUPLICATE_ID = "DUP-1"
CASCADES = {"range-enrolments": ["completions"]}


@pytest.fixture(scope="module")
def errors_loaded(tmp_path_factory):
    """Title rows, a blank line, the header on row 3, then one case per row (with blank
    lines among them); returns (settings, outcome, {case id: row number}, {row: issues})."""
    d, settings = _settings(tmp_path_factory, "errors")
    lines = ["Micro-credential submission,,,", ""]
    header_row = 3
    row_of: dict[str, int] = {}
    data: list[str] = []

    def line(values: dict) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="").writerow([values[c] for c in HEADER])
        return buf.getvalue()

    def add(case_id: str, overrides: dict) -> None:
        values = {**VALID, "offering_id": f"E-{case_id}", "title": f"Case {case_id}", **overrides}
        data.append(line(values))
        row_of[case_id] = header_row + len(data)

    add("valid-first", {})
    for n, (case_id, overrides, *_rest) in enumerate(ERROR_CASES):
        add(case_id, overrides)
        if n % 10 == 9:
            data.append("")  # a blank row: counted in row numbers, not loaded
    add("dup-first", {"offering_id": DUPLICATE_ID})
    add("dup-second", {"offering_id": DUPLICATE_ID})
    # Boundaries that are not errors.
    add("ok-duration-2000", {"duration_hours": "2000"})
    add("ok-zero-counts", {"enrolments": "0", "completions": "0"})
    add("ok-zero-credits", {"credits": "0"})
    add("ok-same-day", {"start_date": "2024-09-09", "end_date": "2024-09-09"})
    add("ok-no-credits-on-credit", {"credits": ""})
    add("ok-title-300", {"title": "T" * 300})
    path = d / "errors.csv"
    path.write_text("\r\n".join([*lines, line({c: c for c in HEADER}), *data]) + "\r\n", encoding="utf-8")
    [outcome] = load_files([path], settings)
    with read_only(settings.db_path) as con:
        issues = con.execute(
            'SELECT "row", severity, "column", value, message, expected, file_name '
            "FROM validation_issues WHERE submission_id = ?",
            [outcome.submission_id],
        ).fetchall()
    by_row: dict[int, list] = {}
    for row, severity, column, value, message, expected, file_name in issues:
        by_row.setdefault(row, []).append(
            {
                "severity": severity,
                "column": column,
                "value": value,
                "message": message,
                "expected": expected,
                "file": file_name,
            }
        )
    return settings, outcome, row_of, by_row


@pytest.mark.parametrize(
    ("case_id", "overrides", "column", "value", "fragments"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES]
)
def test_each_error_is_reported_on_its_row(errors_loaded, case_id, overrides, column, value, fragments):
    _, _, row_of, by_row = errors_loaded
    row = row_of[case_id]
    errors = [i for i in by_row.get(row, []) if i["severity"] == "error"]
    mine = [i for i in errors if (i["column"], i["value"]) == (column, value)]
    others = [i for i in errors if i not in mine]
    assert len(mine) == 1, errors
    # An out-of-range enrolment also makes completions exceed it; nothing else cascades.
    assert [i["column"] for i in others] == CASCADES.get(case_id, []), others
    message = mine[0]["message"]
    assert mine[0]["file"] == "errors.csv" and mine[0]["expected"]  # names the file and what is accepted
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_repeated_offering_id_is_an_error_on_the_repeat(errors_loaded):
    _, _, row_of, by_row = errors_loaded
    first, second = row_of["dup-first"], row_of["dup-second"]
    assert [i for i in by_row.get(first, []) if i["severity"] == "error"] == []
    [error] = [i for i in by_row[second] if i["severity"] == "error"]
    assert (error["column"], error["value"]) == ("offering_id", DUPLICATE_ID)
    assert DUPLICATE_ID in error["message"] and f"row {first}" in error["message"]


@pytest.mark.parametrize(
    "case_id",
    [
        "valid-first",
        "ok-duration-2000",
        "ok-zero-counts",
        "ok-zero-credits",
        "ok-same-day",
        "ok-no-credits-on-credit",
        "ok-title-300",
    ],
)
def test_boundaries_are_not_errors(errors_loaded, case_id):
    _, _, row_of, by_row = errors_loaded
    assert [i for i in by_row.get(row_of[case_id], []) if i["severity"] == "error"] == []


def test_errors_reject_the_submission_and_are_counted(errors_loaded):
    settings, outcome, row_of, by_row = errors_loaded
    error_rows = {r for r, issues in by_row.items() if any(i["severity"] == "error" for i in issues)}
    assert outcome.status == "rejected"
    assert (outcome.institution_code, outcome.reporting_period) == ("BCIT", "2024/25")
    assert outcome.rows_accepted == 0 and outcome.rows_rejected == len(row_of)
    assert outcome.errors == sum(i["severity"] == "error" for issues in by_row.values() for i in issues)
    assert len(error_rows) == len(ERROR_CASES) + 1  # + the repeated offering_id
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM current_offerings").fetchone()[0] == 0
        sub = con.execute("SELECT status, rows_rejected, errors, is_current FROM submissions").fetchone()
    assert sub == ("rejected", len(row_of), outcome.errors, False)


@pytest.fixture(scope="module")
def missing_columns_loaded(tmp_path_factory):
    """One file per required column, each without that column; all loaded in one call."""
    d, settings = _settings(tmp_path_factory, "missing-columns")
    institutions = [line.split(",")[0] for line in (DEFAULT_DATA_DIR / "institutions.csv").read_text().splitlines()[1:]]
    files = []
    for n, column in enumerate(REQUIRED):
        header = [c for c in HEADER if c != column]
        values = {**VALID, "institution_code": institutions[n], "offering_id": "M-1", "title": "Missing"}
        rows = [[values[c] for c in header], [{**values, "offering_id": "M-2", "title": "Other"}[c] for c in header]]
        files.append(_write(d / f"without-{column}.csv", rows, header=header))
    outcomes = load_files(files, settings)
    return settings, {o.file: o for o in outcomes}


@pytest.mark.parametrize("column", REQUIRED)
def test_missing_required_column_rejects_the_whole_file_naming_it(missing_columns_loaded, column):
    settings, outcomes = missing_columns_loaded
    outcome = outcomes[f"without-{column}.csv"]
    assert outcome.status == "rejected"
    assert outcome.rows_accepted == 0 and outcome.rows_rejected == 2
    named = [i for i in outcome.issues if i["severity"] == "error" and i["column"] == column]
    assert len(named) == 1
    assert column in named[0]["message"] and "missing" in named[0]["message"]
    assert named[0]["row"] == 1  # the header row


def test_missing_required_columns_leave_no_offerings(missing_columns_loaded):
    settings, _ = missing_columns_loaded
    with read_only(settings.db_path) as con:
        assert con.execute("SELECT count(*) FROM current_offerings").fetchone()[0] == 0


# --- warnings ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def warnings_loaded(tmp_path_factory):
    d, settings = _settings(tmp_path_factory, "warnings")
    header = [*HEADER[:5], "Notes", *HEADER[5:], ""]
    cases = [
        ("clean", {}),
        ("duration-288", {"duration_hours": "288"}),
        ("duration-under", {"duration_hours": "287.9"}),
        ("duration-2000", {"duration_hours": "2,000"}),
        ("duration-unit", {"duration_hours": "300 hours"}),
        ("no-assessment", {"assessment": "no"}),
        ("no-assessment-n", {"assessment": "N"}),
        ("no-partner", {"partner_categories": "none"}),
        ("no-partner-na", {"partner_categories": "n/a"}),
        ("title-first", {"title": "Same title"}),
        ("title-repeat", {"title": "Same title"}),
    ]
    rows, row_of = [], {}
    for n, (case_id, overrides) in enumerate(cases):
        values = {**VALID, "offering_id": f"W-{n}", "title": f"Warn {case_id}", **overrides}
        rows.append(
            [*[values[c] for c in HEADER[:5]], f"note {n}", *[values[c] for c in HEADER[5:]], "stray" if n == 0 else ""]
        )
        row_of[case_id] = n + 2
    path = _write(d / "warnings.csv", rows, header=header)
    [outcome] = load_files([path], settings)
    with read_only(settings.db_path) as con:
        issues = con.execute(
            'SELECT "row", severity, "column", value, message FROM validation_issues '
            'WHERE submission_id = ? ORDER BY "row", "column"',
            [outcome.submission_id],
        ).fetchall()
        flags = {
            r[0]: r[1:]
            for r in con.execute(
                "SELECT offering_id, over_duration, no_assessment, no_partner FROM current_offerings"
            ).fetchall()
        }
    return outcome, row_of, issues, flags


def test_warnings_keep_the_rows(warnings_loaded):
    outcome, row_of, issues, flags = warnings_loaded
    assert outcome.status == "accepted"
    assert outcome.rows_accepted == len(row_of) and outcome.rows_rejected == 0
    assert outcome.errors == 0
    assert all(i[1] == "warning" for i in issues)
    assert outcome.warnings == len(issues)


@pytest.mark.parametrize(
    ("case_id", "column", "value", "fragments"),
    [
        ("duration-288", "duration_hours", "288", ["288", "under 288"]),
        ("duration-2000", "duration_hours", "2,000", ["2,000", "under 288"]),
        ("duration-unit", "duration_hours", "300 hours", ["300 hours", "under 288"]),
        ("no-assessment", "assessment", "no", ["assessment"]),
        ("no-assessment-n", "assessment", "N", ["assessment"]),
        ("no-partner", "partner_categories", "none", ["partner"]),
        ("no-partner-na", "partner_categories", "n/a", ["partner"]),
        ("title-repeat", "title", "Same title", ["row"]),
    ],
)
def test_each_warning_is_reported_on_its_row(warnings_loaded, case_id, column, value, fragments):
    outcome, row_of, issues, flags = warnings_loaded
    row = row_of[case_id]
    on_row = [i for i in issues if i[0] == row]
    assert [(i[1], i[2], i[3]) for i in on_row] == [("warning", column, value)]
    for fragment in fragments:
        assert fragment in on_row[0][4], (fragment, on_row[0][4])
    if case_id == "title-repeat":
        assert f"row {row_of['title-first']}" in on_row[0][4]


@pytest.mark.parametrize("case_id", ["clean", "duration-under", "title-first"])
def test_rows_without_warnings(warnings_loaded, case_id):
    outcome, row_of, issues, flags = warnings_loaded
    assert [i for i in issues if i[0] == row_of[case_id]] == []


def test_unknown_columns_are_warned_about_on_the_header_row(warnings_loaded):
    outcome, row_of, issues, flags = warnings_loaded
    on_header = [i for i in issues if i[0] == 1]
    assert len(on_header) == 2, on_header
    notes, stray = on_header if on_header[0][2] == "Notes" else on_header[::-1]
    assert notes[2] == "Notes" and "not a known column" in notes[4] and "F" in notes[4]
    # The column with data but no header (the last one) is reported by its letter.
    assert stray[2] == "Z" and "no header" in stray[4]


def test_compliance_flags_follow_the_warnings(warnings_loaded):
    outcome, row_of, issues, flags = warnings_loaded
    by_case = {case_id: flags[f"W-{row - 2}"] for case_id, row in row_of.items()}
    assert by_case["duration-288"] == (True, False, False)
    assert by_case["duration-under"] == (False, False, False)
    assert by_case["no-assessment"] == (False, True, False)
    assert by_case["no-partner-na"] == (False, False, True)
    assert by_case["clean"] == (False, False, False)


@pytest.mark.parametrize(
    "keys",
    [[], [5], [3, 0, 3, 7, 0], list(range(100, 0, -1)) * 3, [0, 10**9, 7, 10**9]],  # the last: sorted, not tabled
)
def test_submission_keys_are_numbered_as_np_unique_numbers_them(keys):
    values = np.array(keys, dtype=np.int64)
    distinct, inverse = _distinct(values)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    assert distinct.tolist() == expected.tolist()
    assert inverse.tolist() == expected_inverse.reshape(-1).tolist()
