"""Typing of the columns that are not coded values: numbers, dates, lists of text and NOC
codes, by one set of rules written twice over, as Arrow (etl.columnar, the fast path) and as
SQL (for what Arrow cannot follow, e.g. a year-zero date)."""

from __future__ import annotations

import pyarrow as pa

from etl import columnar, spec
from etl.spec import Column
from etl.sql import literal


def typed_sql(column: Column, raw: str) -> str:
    """SQL for the typed value of a column that is checked in SQL (NULL when invalid)."""
    kind = column.kind
    if kind in (spec.NUMBER, spec.INTEGER):
        stripped = f"regexp_replace({raw}, {literal(columnar.HOURS_UNIT_RE)}, '')" if column.name == "duration_hours" else raw
        number = (f"CASE WHEN regexp_full_match({stripped}, {literal(columnar.NUMBER_RE)}) "
                  f"THEN TRY_CAST(replace({stripped}, ',', '') AS DOUBLE) END")
        if kind == spec.INTEGER:
            number = (f"CASE WHEN {number} = floor({number}) AND abs({number}) < {columnar.MAX_WHOLE:g} "
                      f"THEN CAST({number} AS BIGINT) END")
        # Most cells are plain digits: cast them directly (no regex); the rest take the
        # full path (signs, decimals, thousands separators, units).
        digits_only = f"(ltrim({raw}, '0123456789') = '' AND length({raw}) < 16)"
        plain = f"CAST({raw} AS {'BIGINT' if kind == spec.INTEGER else 'DOUBLE'})"
        return f"CASE WHEN {digits_only} THEN {plain} ELSE {number} END"
    if kind == spec.DATE:
        return f"CASE WHEN regexp_full_match({raw}, {literal(columnar.DATE_RE)}) THEN TRY_CAST(left({raw}, 10) AS DATE) END"
    if kind == spec.NOC_LIST:
        parts = f"list_transform(string_split_regex({raw}, '[;,]'), lambda x: trim(x))"
        return (f"CASE WHEN len(list_filter({parts}, lambda x: x <> '')) BETWEEN 1 AND 3 AND "
                f"list_bool_and(list_transform(list_filter({parts}, lambda x: x <> ''), "
                f"lambda x: regexp_full_match(x, '\\d{{5}}'))) "
                f"THEN array_to_string(list_filter({parts}, lambda x: x <> ''), ';') END")
    if kind == spec.TEXT_LIST:
        return (f"nullif(array_to_string(list_filter(list_transform(string_split({raw}, ';'), lambda x: trim(x)), "
                f"lambda x: x <> ''), ';'), '')")
    return raw  # TEXT


def arrow_typed(column: Column, values: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A column typed by Arrow, by the rules of :func:`typed_sql`; None leaves it to them."""
    unit_re = columnar.HOURS_UNIT_RE if column.name == "duration_hours" else None
    if column.kind == spec.INTEGER:
        return columnar.to_integer(values, unit_re)
    if column.kind == spec.NUMBER:
        return columnar.to_number(values, unit_re)
    if column.kind == spec.DATE:
        return columnar.to_date(values)
    if column.kind == spec.TEXT_LIST:
        return columnar.to_text_list(values)
    if column.kind == spec.NOC_LIST:
        return columnar.to_noc_list(values)
    raise ValueError(f"no Arrow rule for {column.kind} columns")
