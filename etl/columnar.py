"""Column-wise cleaning and typing of raw text cells in Arrow, before SQL sees them.

Most cells of a real submission need no work: no surrounding white space, no
formula-guard apostrophe, numbers written as plain digits, ISO dates. Each column is
first checked with a few vectorised looks at its bytes (first and last byte of every
cell, the set of bytes used); only a column that fails the look takes the full path.
Numbers, dates and lists are typed here by the same rules as the SQL in
``etl.validate`` (the same RE2 patterns), checked against it value by value in the
tests; where Arrow cannot follow (year zero) they return None and the SQL rule types
the column. Nothing here judges a value: invalid cells become NULL, and
``etl.validate`` reports them.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.arrays import array, scalar, to_numpy

# What every cell loses: white space at either end (ASCII and the no-break space that
# spreadsheets leave behind), the export's formula-guard apostrophe, and emptiness.
TRIM_CHARS = " \t\r\n\u00a0"
# A leading ' before these is the export's guard: dashboard.cell_safety.FORMULA_STARTS,
# which etl may not import (the packages are independent); a test keeps the two equal.
GUARDED = ("=", "+", "-", "@", "\t", "\r")

# Built from buffers (etl.arrays): a Python value given to pyarrow makes it import pandas.
_NULL_TEXT = scalar(None, pa.string())
_EMPTY_TEXT = scalar("", pa.string())
_GUARDED_SET = array(GUARDED, pa.string())


def _byte_table(*codes: int) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(codes)] = True
    return table


# A cell may need the full clean when its first byte is white space, the apostrophe or
# the lead byte of U+00A0 (0xC2), or its last byte is white space or 0xA0. A superset:
# a column with a false alarm just takes the (correct) slow path.
_FIRST_NEEDS_WORK = _byte_table(32, 9, 10, 13, 0xC2, 39)
_LAST_NEEDS_WORK = _byte_table(32, 9, 10, 13, 0xA0)
_INTEGER_BYTES = _byte_table(*b"0123456789-")
_NUMBER_BYTES = _byte_table(*b"0123456789.-")
_NOC_BYTES = _byte_table(*b"0123456789;")


class _Bytes:
    """The offsets and data bytes of a string array, as numpy views (no copy)."""

    def __init__(self, array: pa.Array):
        n = len(array)
        _, offsets, data = array.buffers()
        self.offsets = np.frombuffer(offsets, dtype=np.int32, count=n + 1, offset=array.offset * 4)
        self.data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
        self.lengths = np.diff(self.offsets)
        self._array = array

    @functools.cached_property
    def valid(self) -> np.ndarray:
        if self._array.null_count == 0:
            return np.ones(len(self._array), dtype=bool)
        return to_numpy(self._array.is_valid())

    def first_bytes(self) -> np.ndarray:
        """The first byte of every cell. An empty cell reads its neighbour's byte instead,
        which is checked anyway, so a test over these bytes is exact (or a false alarm)."""
        return np.take(self.data, self.offsets[:-1], mode="clip") if len(self.data) else self.data

    def last_bytes(self) -> np.ndarray:
        """The last byte of every cell (an empty one reads its neighbour's, as above)."""
        return np.take(self.data, self.offsets[1:] - 1, mode="wrap") if len(self.data) else self.data

    def used_bytes(self) -> np.ndarray:
        """The bytes of every cell (null slots of an Arrow array hold none in practice)."""
        return self.data[self.offsets[0] : self.offsets[-1]]


def _strings(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if column.type == pa.string():
        return column
    return column.cast(pa.string())


def clean_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trim, drop the formula-guard apostrophe, empty -> NULL (the same rule as the SQL
    it replaces: trim first, then unguard, and a cell left empty is missing)."""
    column = _strings(column)
    return pa.chunked_array([_clean_chunk(chunk) for chunk in column.chunks], type=pa.string())


def _clean_chunk(array: pa.Array) -> pa.Array:
    if len(array) == 0 or array.null_count == len(array):
        return array
    cells = _Bytes(array)
    if _FIRST_NEEDS_WORK[cells.first_bytes()].any() or _LAST_NEEDS_WORK[cells.last_bytes()].any():
        return _clean_fully(array)
    keep = (cells.lengths > 0) & cells.valid
    if (keep != cells.valid).any():
        return _with_validity(array, keep)
    return array


def _with_validity(array: pa.Array, keep: np.ndarray) -> pa.Array:
    """The array with only the ``keep`` cells valid: a new validity bitmap over the same bytes."""
    bits = np.concatenate([np.zeros(array.offset, dtype=bool), keep]) if array.offset else keep
    _, offsets, data = array.buffers()
    return pa.StringArray.from_buffers(
        len(array),
        offsets,
        data,
        pa.py_buffer(np.packbits(bits, bitorder="little")),
        int(len(array) - keep.sum()),
        array.offset,
    )


def _clean_fully(array: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim(array, characters=TRIM_CHARS)
    guarded = pc.and_(
        pc.starts_with(trimmed, "'"), pc.is_in(pc.utf8_slice_codeunits(trimmed, 1, 2), value_set=_GUARDED_SET)
    )
    unguarded = pc.if_else(guarded, pc.utf8_slice_codeunits(trimmed, 1), trimmed)
    return pc.if_else(pc.equal(unguarded, _EMPTY_TEXT), _NULL_TEXT, unguarded)


def present(columns: list[pa.ChunkedArray]) -> pa.ChunkedArray | None:
    """Rows where some cell holds something (None when every row does)."""
    if not columns or all(c.null_count == 0 for c in columns):
        return None
    mask = pc.is_valid(columns[0])
    for column in columns[1:]:
        if column.null_count < len(column):
            mask = pc.or_(mask, pc.is_valid(column))
    return None if pc.all(mask).as_py() else mask


def _all_chunks(column: pa.ChunkedArray, test: Callable[[_Bytes], bool]) -> bool:
    return all(test(_Bytes(chunk)) for chunk in column.chunks if len(chunk) and chunk.null_count < len(chunk))


# The typing rules shared with the SQL in ``etl.validate`` (DuckDB and Arrow both use RE2).
NUMBER_RE = r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?([eE][+-]?\d+)?$|^[+-]?\.\d+$"
HOURS_UNIT_RE = r"(?i)\s*(h|hr|hrs|hour|hours)\.?$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}([ T]00:00(:00)?)?$"
NOC_RE = r"^\d{5}(;\d{5}){0,2}$"
MAX_WHOLE = 1e15

_NULL_NUMBER = scalar(None, pa.float64())
_MAX_WHOLE = scalar(MAX_WHOLE, pa.float64())
_FIRST_DAY = scalar(datetime.date(1, 1, 1), pa.date32())


def _cast(column: pa.ChunkedArray, to: pa.DataType) -> pa.ChunkedArray | None:
    try:
        return pc.cast(column, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def to_number(column: pa.ChunkedArray, unit_re: str | None = None) -> pa.ChunkedArray | None:
    """Numbers as the rule reads them: an optional unit (``unit_re``) dropped, thousands
    separators, decimals, exponents; NULL where the text is not a number."""

    def plain(cells: _Bytes) -> bool:  # digits, '.', '-', not ending in '.' (Arrow reads '1.')
        return bool(_NUMBER_BYTES[cells.used_bytes()].all() and not (cells.last_bytes() == ord(".")).any())

    if _all_chunks(column, plain):
        typed = _cast(column, pa.float64())
        if typed is not None:
            return typed
    text = column if unit_re is None else pc.replace_substring_regex(column, unit_re, "", max_replacements=1)
    number = pc.if_else(pc.match_substring_regex(text, NUMBER_RE), pc.replace_substring(text, ",", ""), _NULL_TEXT)
    return _cast(number, pa.float64())


def to_integer(column: pa.ChunkedArray, unit_re: str | None = None) -> pa.ChunkedArray | None:
    """Whole numbers: read as numbers, kept when whole and under 10^15."""

    def plain(cells: _Bytes) -> bool:
        return bool(_INTEGER_BYTES[cells.used_bytes()].all() and (cells.lengths < 16).all())

    if _all_chunks(column, plain):
        typed = _cast(column, pa.int64())  # refuses '-', '5-', '--5': the general path decides
        if typed is not None:
            return typed
    number = to_number(column, unit_re)
    if number is None:
        return None
    whole = pc.and_(pc.equal(pc.floor(number), number), pc.less(pc.abs(number), _MAX_WHOLE))
    return _cast(pc.if_else(whole, number, _NULL_NUMBER), pa.int64())


def to_date(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """ISO dates, also with a midnight time; NULL where the day does not exist."""
    typed = _cast(column, pa.date32())  # strict YYYY-MM-DD: the usual case, in one step
    if typed is None:
        day = pc.if_else(pc.match_substring_regex(column, DATE_RE), pc.utf8_slice_codeunits(column, 0, 10), _NULL_TEXT)
        # strptime rolls 2023-02-30 over to March: a day is real when it reads back the same.
        parsed = pc.strptime(day, format="%Y-%m-%d", unit="s", error_is_null=True)
        real = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), day)
        typed = _cast(pc.if_else(real, parsed, scalar(None, parsed.type)), pa.date32())
    if typed is None or pc.any(pc.less(typed, _FIRST_DAY)).as_py():
        return None  # year zero, which DuckDB reads as 1 BC: leave it to the SQL rule
    return typed


def _tidy_list(column: pa.ChunkedArray, separators: str) -> pa.ChunkedArray:
    """Items joined by ';': spaces around separators, empty items and end separators dropped
    (the rule trims spaces only, as DuckDB's trim() does)."""
    text = pc.replace_substring_regex(column, f" *[{separators}] *", ";")
    return pc.utf8_trim(pc.replace_substring_regex(text, ";;+", ";"), ";")


def to_text_list(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A ';' list in canonical form; NULL when no item is left."""
    semicolon, space = ord(";"), ord(" ")

    def canonical(cells: _Bytes) -> bool:
        if (cells.first_bytes() == semicolon).any() or (cells.last_bytes() == semicolon).any():
            return False
        used = cells.used_bytes()
        at = np.flatnonzero(used == semicolon)  # never the first or last byte (checked above)
        if not len(at):
            return True
        after, before = used[np.minimum(at + 1, len(used) - 1)], used[at - 1]
        return not ((after == semicolon) | (after == space) | (before == space)).any()

    if _all_chunks(column, canonical):
        return column
    text = _tidy_list(column, ";")
    return pc.if_else(pc.equal(text, _EMPTY_TEXT), _NULL_TEXT, text)


def to_noc_list(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """One to three five-digit codes, separated by ';' or ',' as given, joined by ';'."""

    def plain(cells: _Bytes) -> bool:
        return bool(_NOC_BYTES[cells.used_bytes()].all())

    if _all_chunks(column, plain) and pc.all(pc.match_substring_regex(column, NOC_RE)).as_py() is not False:
        return column
    text = _tidy_list(column, ";,")
    return pc.if_else(pc.match_substring_regex(text, NOC_RE), text, _NULL_TEXT)


def codes(column: pa.ChunkedArray) -> tuple[pa.Array, pa.ChunkedArray]:
    """(distinct values, index of each row's value in them); a null cell indexes the null."""
    distinct = pc.unique(column)
    if isinstance(distinct, pa.ChunkedArray):
        distinct = distinct.combine_chunks()
    return distinct, pc.index_in(column, value_set=distinct)
