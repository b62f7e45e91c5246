"""The Arrow fast paths give exactly what the SQL rules give, or step aside."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest

from etl import columnar, spec
from etl.validate import FAST_PATHS, _typed_expr

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
    spec.INTEGER: ["0", "12", "-5", "007", "+5", "0x1F", "0x10", "1_000", "1e3", "12.0", "-", "5-", "--5", "-0",
                   "123456789012345", "1234567890123456", "1,000", " 7"],
    spec.NUMBER: ["1.5", ".5", "1.", "-.5", "1e3", "inf", "nan", "0x10", "12", "1.2.3", "-", ".", "1,234.5",
                  "-3", "0.000", "5.-"],
    spec.DATE: ["2024-02-29", "2023-02-29", "2024-9-30", "2024-09-30 00:00", "2024-09-30T00:00:00", "20240930",
                "2024-13-01", "0001-01-01", "2024-09-30x"],
    spec.TEXT_LIST: ["a;b", "a; b", "a ;b", ";a", "a;", "a;;b", "a", "a\t;b", "a;b;c", ";"],
    spec.NOC_LIST: ["12345", "12345;23456", "12345;23456;34567", "12345;23456;34567;45678", "1234", "12345; 23456",
                    "12345,23456", ";12345", "12345;", "123456", "00000"],
}
COLUMN_OF_KIND = {spec.INTEGER: "enrolments", spec.NUMBER: "credits", spec.DATE: "start_date",
                  spec.TEXT_LIST: "competencies", spec.NOC_LIST: "noc_codes"}
ALL_PLAIN = {spec.INTEGER: ["1", "22", "-3", None], spec.NUMBER: ["1", "2.5", ".5", None],
             spec.DATE: ["2024-01-31", None], spec.TEXT_LIST: ["a;b c", "d", None],
             spec.NOC_LIST: ["12345", "12345;67890", None]}


def sql_rule(kind: str, values: list[str | None]) -> list:
    column = spec.COLUMNS_BY_NAME[COLUMN_OF_KIND[kind]]
    con = duckdb.connect()
    con.register("cells", pa.table({"raw": pa.array(values, type=pa.string())}))
    sql = f"SELECT CAST({_typed_expr(column, 'raw')} AS {column.sql_type}) FROM cells"
    return [row[0] for row in con.execute(sql).fetchall()]


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_fast_path_equals_the_sql_rule_or_steps_aside(kind):
    for values in [[v] for v in VALUES[kind]] + [VALUES[kind], ALL_PLAIN[kind]]:
        fast = FAST_PATHS[kind](chunked(values))
        if fast is not None:
            assert fast.to_pylist() == sql_rule(kind, values), values


@pytest.mark.parametrize("kind", sorted(VALUES))
def test_fast_path_is_taken_for_plain_columns(kind):
    assert FAST_PATHS[kind](chunked(ALL_PLAIN[kind], sliced=True)) is not None
