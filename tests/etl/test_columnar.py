"""The Arrow fast paths give exactly what the SQL rules give, or step aside; checks that cannot fire are skipped."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from etl import columnar, spec
from etl.validate import Facts, arrow_typed, checks_for, typed_sql

GUARDED = ("=", "+", "-", "@", "\t", "\r")


def reference_clean(text: str | None) -> str | None:
    """The cleaning rule, written plainly."""
    if text is None:
        return None
    trimmed = text.strip(" \t\r\n\u00a0")
    if trimmed.startswith("'") and trimmed[1:2] in GUARDED and len(trimmed) > 1:
        return trimmed[1:]
    return trimmed or None


def chunked(values: list[str | None], sliced: bool = False) -> pa.ChunkedArray:
    if not sliced:
        return pa.chunked_array([pa.array(values, type=pa.string())])
    # Chunks that start inside their buffers, as Arrow slices and multi-block reads do.
    padded = pa.array(["pad", *values, "pad"], type=pa.string())
    middle = len(values) // 2
    return pa.chunked_array([padded.slice(1, middle), padded.slice(1 + middle, len(values) - middle)])


CLEAN_CASES = [
    "plain", "", " ", "  lead", "trail  ", "\tboth\t", "\u00a0nbsp\u00a0", "in side", "'=SUM(A1)", " '+1 ",
    "'-5", "'@x", "'\ttab", "'abc", "'", "''", "voilà", "à", "\u00a0", "\r\n", None, "é ", "'=", "x'",
]


@pytest.mark.parametrize("sliced", [False, True])
def test_clean_text_matches_the_rule_case_by_case(sliced):
    for case in CLEAN_CASES:
        got = columnar.clean_text(chunked([case, "ok"], sliced)).to_pylist()
        assert got == [reference_clean(case), "ok"], repr(case)


@pytest.mark.parametrize("sliced", [False, True])
def test_clean_text_matches_the_rule_on_random_columns(sliced):
    rng = random.Random(7)
    alphabet = ["a", "b", "1", " ", "\t", "\u00a0", "'", "=", "-", "é", ";", "\n"]
    for _ in range(200):
        column = [None if rng.random() < 0.1 else "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 5)))
                  for _ in range(rng.randint(1, 12))]
        assert columnar.clean_text(chunked(column, sliced)).to_pylist() == [reference_clean(c) for c in column]


def test_clean_text_keeps_clean_cells_in_place_and_nulls_empty_ones():
    column = chunked(["a", "", "b"])
    cleaned = columnar.clean_text(column)
    assert cleaned.to_pylist() == ["a", None, "b"]
    # No copy of the text: the same data buffer, a new validity bitmap.
    assert cleaned.chunk(0).buffers()[2].address == column.chunk(0).buffers()[2].address


def test_present_marks_rows_with_any_cell():
    a, b = chunked(["x", None, None]), chunked([None, "y", None])
    assert columnar.present([a, b]).to_pylist() == [True, True, False]
    assert columnar.present([chunked(["x"]), chunked(["y"])]) is None


VALUES = {
    "enrolments": ["0", "12", "-5", "007", "+5", "0x1F", "0x10", "1_000", "1e3", "12.0", "12.5", "-", "5-", "--5",
                   "-0", "123456789012345", "1234567890123456", "1,000", "1,000,000", "10,00", " 7", "1e400", "NaN"],
    "credits": ["1.5", ".5", "1.", "-.5", "1e3", "inf", "nan", "0x10", "12", "1.2.3", "-", ".", "1,234.5", "-3",
                "0.000", "5.-", "+1,234.5", "1,23", "1e-3", "3 credits"],
    "duration_hours": ["12", "12 h", "12h", "12 hrs", "12 Hours.", "1,200 hours", "12 h h", "h", "12 min", "12.5hr",
                       "12\th", "12 H"],
    "start_date": ["2024-02-29", "2023-02-29", "2024-9-30", "2024-09-30 00:00", "2024-09-30T00:00:00", "20240930",
                   "2024-13-01", "0001-01-01", "2024-09-30x", "2024-09-30 12:00", "2024-04-31", "1900-02-29",
                   "2000-02-29 00:00", "9999-12-31", "0000-01-01"],
    "competencies": ["a;b", "a; b", "a ;b", ";a", "a;", "a;;b", "a", "a\t;b", "a;b;c", ";", "a ; ; b", " ; ",
                     "a,b", "a;   ;b;"],
    "noc_codes": ["12345", "12345;23456", "12345;23456;34567", "12345;23456;34567;45678", "1234", "12345; 23456",
                  "12345,23456", ";12345", "12345;", "123456", "00000", "12345 ,, 23456", "12345\t;23456",
                  "123 45", ",", "12345;23456;;34567"],
}
PLAIN = {"enrolments": ["1", "22", "-3", None], "credits": ["1", "2.5", ".5", None],
         "duration_hours": ["12", "12 h", None], "start_date": ["2024-01-31", "2024-01-31 00:00", None],
         "competencies": ["a;b c", "d ; e", None], "noc_codes": ["12345", "12345, 67890", None]}


def sql_rule(name: str, values: list[str | None]) -> list:
    column = spec.COLUMNS_BY_NAME[name]
    con = duckdb.connect()
    con.register("cells", pa.table({"raw": pa.array(values, type=pa.string())}))
    sql = f"SELECT CAST({typed_sql(column, 'raw')} AS {column.sql_type}) FROM cells"
    if column.sql_type == "DATE":  # as text: Python has no year zero (DuckDB's 1 BC)
        sql = f"SELECT CAST(v AS VARCHAR) FROM ({sql}) AS t(v)"
    return [row[0] for row in con.execute(sql).fetchall()]


def arrow_rule(name: str, values: list[str | None], sliced: bool = False):
    typed = arrow_typed(spec.COLUMNS_BY_NAME[name], chunked(values, sliced))
    if typed is None:
        return None
    return [None if v is None else v.isoformat() for v in typed.to_pylist()] if name == "start_date" \
        else typed.to_pylist()


@pytest.mark.parametrize("name", sorted(VALUES))
def test_arrow_typing_equals_the_sql_rule_or_steps_aside(name):
    for values in [[v] for v in VALUES[name]] + [VALUES[name], PLAIN[name]]:
        typed = arrow_rule(name, values)
        if typed is not None:
            assert typed == sql_rule(name, values), values


@pytest.mark.parametrize("name", sorted(VALUES))
def test_arrow_types_untidy_columns_itself(name):
    """Only year zero leaves a column to the SQL rule."""
    assert arrow_rule(name, PLAIN[name], sliced=True) is not None
    assert arrow_rule(name, [v for v in VALUES[name] if v != "0000-01-01"]) is not None
    if name == "start_date":
        assert arrow_rule(name, VALUES[name]) is None


def test_checks_that_cannot_fire_on_the_batch_are_left_out():
    present = set(spec.COLUMN_NAMES)
    every = {(c.rule, c.column) for c in checks_for(present)}
    facts = Facts()
    facts.nulls = dict.fromkeys(present, 0)
    facts.typed_nulls = dict.fromkeys(present, 0)
    facts.ranges = {"enrolments": (0, 40), "completions": (0, 30), "duration_hours": (0.0, 300.0)}
    facts.max_bytes = {"title": 80, "offering_id": 12}
    facts.problems = set()
    kept = {(c.rule, c.column) for c in checks_for(present, None, facts)}
    for gone in [("missing_value", "title"), ("invalid_number", "enrolments"), ("invalid_code", "mc_type"),
                 ("out_of_range", "enrolments"), ("too_long", "title"), ("invalid_code", "partner_categories"),
                 ("invalid_date", "start_date")]:
        assert gone in every and gone not in kept, gone
    # Checks across columns and the warnings stay; so does a range the values reach.
    for stays in [("completions_over_enrolments", "completions"), ("end_before_start", "end_date"),
                  ("over_duration", "duration_hours"), ("duplicate_title", "title"), ("out_of_range", "duration_hours")]:
        assert stays in kept, stays
    facts.ranges["enrolments"], facts.nulls["title"], facts.problems = (-1, 40), 3, {"unknown:'x'"}
    kept = {(c.rule, c.column) for c in checks_for(present, None, facts)}
    assert {("out_of_range", "enrolments"), ("missing_value", "title"), ("invalid_code", "partner_categories")} <= kept


def test_the_loader_drops_exactly_the_guard_the_exports_add():
    """etl and dashboard may not import each other: the two lists are kept equal here."""
    from dashboard.cell_safety import FORMULA_STARTS, guard_text

    assert columnar.GUARDED == FORMULA_STARTS
    stored = ["=SUM(A1)", "+1", "-5", "@x", "plain", "'kept"]  # loaded values: already trimmed
    assert columnar.clean_text(chunked([guard_text(v) for v in stored])).to_pylist() == stored
