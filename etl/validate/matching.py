"""Coded values (institutions, periods, booleans, code lists, partner lists) matched once
per distinct spelling, by the same normaliser as the headers, and spread back over the
rows in Arrow."""

from __future__ import annotations

import re
from collections.abc import Callable

import pyarrow as pa
import pyarrow.compute as pc

from etl import spec
from etl.arrays import array
from etl.spec import Column, normalize_key

# A matched value: a code, a period, a yes/no, or a list of partner codes.
MatchedValue = str | bool | list[str] | None

# The column kinds whose values are matched here (the rest are typed in etl.validate.typed).
MAPPED_KINDS = (spec.INSTITUTION, spec.PERIOD, spec.BOOLEAN, spec.CODES, spec.CODE)

_PERIOD = re.compile(r"^(?:fy\s*)?(\d{4})\s*[/\-]\s*(\d{2}|\d{4})$", re.IGNORECASE)


def parse_period(text: str) -> str | None:
    """'2024-2025', 'FY2024/25' ... -> '2024/25'; None when malformed or not consecutive."""
    m = _PERIOD.match(text.strip())
    if not m:
        return None
    first, second = int(m.group(1)), m.group(2)
    if len(second) == 4:
        ok = int(second) == first + 1
    else:
        ok = int(second) == (first + 1) % 100
    return f"{first}/{(first + 1) % 100:02d}" if ok else None


def institution_matcher(institutions: list[spec.Institution]) -> Callable[[str], str | None]:
    table = {}
    for inst in institutions:
        table[normalize_key(inst.code)] = inst.code
        table[normalize_key(inst.name)] = inst.code
    return lambda text: table.get(normalize_key(text))


def partner_codes(text: str) -> tuple[list[str] | None, str | None]:
    """Split and match a partner cell: (codes, None) or (None, problem)."""
    lookup = spec.CODE_LISTS["partner_category"].lookup()
    order = {c: i for i, c in enumerate(spec.CODE_LISTS["partner_category"].values)}
    parts = [p.strip() for p in re.split(r"[;,|]", text) if p.strip()]
    if not parts:
        return None, "missing"
    codes, unknown = [], []
    for part in parts:
        code = lookup.get(normalize_key(part))
        if code is None:
            unknown.append(part)
        elif code not in codes:
            codes.append(code)
    if unknown:
        # Quoted in the message: cut long parts short, name at most a few.
        shown = [repr(u if len(u) <= 60 else u[:57] + "...") for u in unknown[:5]]
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        return None, "unknown:" + ", ".join(shown) + more
    if "none" in codes and len(codes) > 1:
        return None, "none_combined"
    return sorted(codes, key=order.__getitem__), None


class Mapper:
    """Distinct spellings of a coded column, matched once in Python, spread back in Arrow."""

    ARROW_TYPES = {spec.BOOLEAN: pa.bool_(), spec.CODES: pa.list_(pa.string())}

    def __init__(self, institutions: list[spec.Institution], periods: tuple[str, str] | None = None):
        self.match_institution = institution_matcher(institutions)
        self.periods = periods  # (first, last) fiscal year collected; None: any well-formed one

    def parse_period(self, text: str) -> str | None:
        """The canonical period, or None when malformed or outside the years collected."""
        period = parse_period(text)
        if period is None or self.periods is None:
            return period
        first, last = self.periods
        return period if first <= period <= last else None  # YYYY/YY: ordered as text

    def map_column(
        self, column: Column, distinct: pa.Array, index: pa.ChunkedArray
    ) -> tuple[pa.ChunkedArray, pa.ChunkedArray | None]:
        """(typed value, problem) of every row, from its index in ``distinct``; the problem
        (a partner cell's own wording) only for a list of codes."""
        values, problems = [], []
        for text in distinct.to_pylist():
            value, problem = (None, None) if text is None else self.match(column, text)
            values.append(value)
            problems.append(problem)
        if column.kind in self.ARROW_TYPES:
            typed = pc.take(array(values, self.ARROW_TYPES[column.kind]), index)
        else:  # a code per row: dictionary-encoded, so a million rows hold indices, not strings
            dictionary: dict[str, int] = {}
            slot = array(
                [None if v is None else dictionary.setdefault(str(v), len(dictionary)) for v in values], pa.int32()
            )
            codes = array(dictionary, pa.string())
            typed = pa.chunked_array(
                [pa.DictionaryArray.from_arrays(chunk, codes) for chunk in pc.take(slot, index).chunks],
                type=pa.dictionary(pa.int32(), pa.string()),
            )
        if column.kind != spec.CODES:
            return typed, None
        return typed, pc.take(array(problems, pa.string()), index)

    def match(self, column: Column, text: str) -> tuple[MatchedValue, str | None]:
        """(the typed value or None, the problem or None) of one spelling."""
        kind = column.kind
        if kind == spec.INSTITUTION:
            code = self.match_institution(text)
            return code, (None if code else "unknown_institution")
        if kind == spec.PERIOD:
            period = self.parse_period(text)
            return period, (None if period else "invalid_period")
        if kind == spec.BOOLEAN:
            code = spec.CODE_LISTS["boolean"].lookup().get(normalize_key(text))
            return (None, "invalid_boolean") if code is None else (code == "yes", None)
        if kind == spec.CODES:
            codes, problem = partner_codes(text)
            return codes, problem
        assert column.code_list is not None, column.name
        code = spec.CODE_LISTS[column.code_list].lookup().get(normalize_key(text))
        return code, (None if code else "invalid_code")
