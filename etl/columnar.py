"""Column-wise cleaning and typing of raw text cells in Arrow, before SQL sees them.

Most cells of a real submission need no work: no surrounding white space, no
formula-guard apostrophe, numbers written as plain digits, ISO dates. Each column is
first checked with a few vectorised looks at its bytes (first and last byte of every
cell, the set of bytes used); only a column that fails the look takes the full path.
Numbers, dates and lists take a fast path here only when it gives exactly what the SQL
rules in ``etl.validate`` would; otherwise they return None and the SQL rule types
the column. Nothing here judges a value: invalid cells become NULL, and
``etl.validate`` reports them.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# What every cell loses: white space at either end (ASCII and the no-break space that
# spreadsheets leave behind), the export's formula-guard apostrophe, and emptiness.
TRIM_CHARS = " \t\r\n\u00a0"
GUARDED = ("=", "+", "-", "@", "\t", "\r")  # a leading ' before these is the export's guard

_NULL_TEXT = pa.scalar(None, pa.string())
_GUARDED_SET = pa.array(GUARDED, type=pa.string())


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
        self.valid = (np.ones(n, dtype=bool) if array.null_count == 0
                      else np.asarray(array.is_valid().to_numpy(zero_copy_only=False)))

    def first_bytes(self) -> np.ndarray:
        """The first byte of every cell. An empty cell reads its neighbour's byte instead,
        which is checked anyway, so a test over these bytes is exact (or a false alarm)."""
        return np.take(self.data, self.offsets[:-1], mode="clip") if len(self.data) else self.data

    def last_bytes(self) -> np.ndarray:
        """The last byte of every cell (an empty one reads its neighbour's, as above)."""
        return np.take(self.data, self.offsets[1:] - 1, mode="wrap") if len(self.data) else self.data

    def used_bytes(self) -> np.ndarray:
        """The bytes of every cell (null slots of an Arrow array hold none in practice)."""
        return self.data[self.offsets[0]:self.offsets[-1]]


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
    empty = (cells.lengths == 0) & cells.valid
    if empty.any():
        return _without(array, empty)
    return array


def _without(array: pa.Array, empty: np.ndarray) -> pa.Array:
    """The array with the ``empty`` cells made null: a new validity bitmap over the same bytes."""
    keep = ~empty & (np.ones(len(array), dtype=bool) if array.null_count == 0
                     else np.asarray(array.is_valid().to_numpy(zero_copy_only=False)))
    bits = np.concatenate([np.zeros(array.offset, dtype=bool), keep]) if array.offset else keep
    _, offsets, data = array.buffers()
    return pa.StringArray.from_buffers(len(array), offsets, data, pa.py_buffer(np.packbits(bits, bitorder="little")),
                                       int(len(array) - keep.sum()), array.offset)


def _clean_fully(array: pa.Array) -> pa.Array:
    trimmed = pc.utf8_trim(array, characters=TRIM_CHARS)
    guarded = pc.and_(pc.starts_with(trimmed, "'"),
                      pc.is_in(pc.utf8_slice_codeunits(trimmed, 1, 2), value_set=_GUARDED_SET))
    unguarded = pc.if_else(guarded, pc.utf8_slice_codeunits(trimmed, 1), trimmed)
    return pc.if_else(pc.equal(unguarded, ""), _NULL_TEXT, unguarded)


def present(columns: list[pa.ChunkedArray]) -> pa.ChunkedArray | None:
    """Rows where some cell holds something (None when every row does)."""
    if not columns or all(c.null_count == 0 for c in columns):
        return None
    mask = pc.is_valid(columns[0])
    for column in columns[1:]:
        if column.null_count < len(column):
            mask = pc.or_(mask, pc.is_valid(column))
    return None if pc.all(mask).as_py() else mask


def _all_chunks(column: pa.ChunkedArray, test) -> bool:
    return all(test(_Bytes(chunk)) for chunk in column.chunks if len(chunk) and chunk.null_count < len(chunk))


def fast_integer(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Whole numbers written as digits (and a minus sign), under 16 characters."""
    def plain(cells: _Bytes) -> bool:
        return bool(_INTEGER_BYTES[cells.used_bytes()].all() and (cells.lengths < 16).all())
    if not _all_chunks(column, plain):
        return None
    try:  # Arrow refuses '-', '5-', '--5' and the like: the SQL rule then decides
        return pc.cast(column, pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def fast_number(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """Numbers written with digits, a decimal point and a minus sign, not ending in a point
    (which the SQL rule refuses and Arrow accepts)."""
    def plain(cells: _Bytes) -> bool:
        return bool(_NUMBER_BYTES[cells.used_bytes()].all() and not (cells.last_bytes() == ord(".")).any())
    if not _all_chunks(column, plain):
        return None
    try:
        return pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def fast_date(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """ISO dates (YYYY-MM-DD, real days): Arrow's cast is that strict."""
    try:
        return pc.cast(column, pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def fast_text_list(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """A ';' list already in canonical form: no empty item, no space around a ';'."""
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
    return column if _all_chunks(column, canonical) else None


def fast_noc_list(column: pa.ChunkedArray) -> pa.ChunkedArray | None:
    """One to three five-digit codes separated by ';', already in canonical form."""
    def plain(cells: _Bytes) -> bool:
        return bool(_NOC_BYTES[cells.used_bytes()].all())
    if not _all_chunks(column, plain):
        return None
    if pc.all(pc.match_substring_regex(column, r"^\d{5}(;\d{5}){0,2}$")).as_py() is False:
        return None
    return column


def codes(column: pa.ChunkedArray) -> tuple[pa.Array, pa.ChunkedArray]:
    """(distinct values, index of each row's value in them); a null cell indexes the null."""
    distinct = pc.unique(column)
    if isinstance(distinct, pa.ChunkedArray):
        distinct = distinct.combine_chunks()
    return distinct, pc.index_in(column, value_set=distinct)
