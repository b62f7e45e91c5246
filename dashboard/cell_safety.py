"""Spreadsheet safety for every export: no cell may run as a formula.

Excel and other spreadsheets run a cell that starts with one of FORMULA_STARTS as a
formula (OWASP CSV injection). Text cells that do are written with a leading ``'``,
Excel's text marker, which the loader drops again. One rule, in one place, for the
offering, chart, peer and issue exports (in Python, SQL and Arrow form).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULA_STARTS_SQL = "('=', '+', '-', '@', chr(9), chr(13))"
FORMULA_PATTERN = r"^[=+\-@\t\r]"


def guard_text(value: str) -> str:
    """A text cell as written to a CSV: prefixed with ' when a spreadsheet would run it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def guard_sql(expr: str) -> str:
    """SQL twin of guard_text for a text expression."""
    return f"CASE WHEN left({expr}, 1) IN {FORMULA_STARTS_SQL} THEN chr(39) || {expr} ELSE {expr} END"


def neutralise_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """The batch with guard_text applied to every text column (vectorised)."""
    columns = []
    for column in batch.columns:
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            starts = pc.match_substring_regex(column, FORMULA_PATTERN)
            column = pc.if_else(starts, pc.binary_join_element_wise(pa.scalar("'"), column, ""), column)
        columns.append(column)
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names)
