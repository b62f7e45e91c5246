"""Small-cell suppression: counts of people under ``MCRED_MIN_CELL`` are never shown to the
public or to other institutions, and no hidden count can be worked out from a total and the
cells beside it.

A published table is a set of **cells** (counts) and **totals**: each total is published
beside the cells it adds up. Following the B.C. government's practice for small
populations:

1. *Primary suppression*: every count from 1 to under the threshold is hidden ("<10"),
   cells and totals alike. A true zero is shown: it names nobody.
2. *Complementary suppression*: wherever a shown total has exactly one hidden cell among
   its parts, that cell could be worked out by subtraction, so one more part is hidden:
   the smallest non-zero part the viewer does not already know (a zero only when there is
   no other). When no such part exists, the
   total itself is hidden. This repeats until nothing changes, since each new hidden cell
   may leave another total with a single hidden part.

Cells the viewer sees in full anyway (an institution's own figures) are ``known``: they are
never hidden and never count as protecting a hidden neighbour, because the viewer can
subtract them.

Shares resting on a hidden count are withheld as well (``share_withheld``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass


def suppressed_text(min_cell: int) -> str:
    """What the screen and the exports show for a hidden count: "<10"."""
    return f"<{min_cell}"


@dataclass(frozen=True)
class Total:
    """A published total and the cells it adds up (every part must be a cell of the table)."""

    key: Hashable
    parts: tuple[Hashable, ...]


def suppress(
    values: Mapping[Hashable, float | int | None],
    totals: Iterable[Total] = (),
    *,
    min_cell: int,
    known: Iterable[Hashable] = (),
) -> frozenset[Hashable]:
    """Which keys of ``values`` (cells and totals alike) must be hidden.

    ``values`` holds every published count, totals included (a total's own value is looked
    up under its key). A None value is "not reported" and counts as hidden already.
    """
    known_keys = frozenset(known)
    totals = tuple(totals)
    for total in totals:
        for key in (total.key, *total.parts):
            if key not in values:
                raise KeyError(f"{key!r} is not a published count of the table")
    hidden = {key for key, value in values.items() if key not in known_keys and small(value, min_cell)}
    changed = True
    while changed:
        changed = False
        for total in totals:
            if total.key in hidden:
                continue
            hidden_parts = [p for p in total.parts if p in hidden]
            if len(hidden_parts) != 1:
                continue
            candidates = [p for p in total.parts if p not in hidden and p not in known_keys]
            if candidates:
                hidden.add(min(candidates, key=lambda p: (values[p] == 0, _size(values[p]), str(p))))
            else:
                hidden.add(total.key)
            changed = True
    return frozenset(hidden)


def small(value: float | int | None, min_cell: int) -> bool:
    """A count that primary suppression hides: 1 to ``min_cell - 1`` (None: not reported)."""
    return value is None or 0 < value < min_cell


def mark(shown_value: float | int | None, min_cell: int) -> str:
    """What the screen and the exports show for a hidden count: "<10" when the count shown
    there is under the threshold, else "x" (hidden so that another count cannot be worked out)."""
    if shown_value is not None and shown_value < min_cell:
        return suppressed_text(min_cell)
    return COMPLEMENTARY_TEXT


COMPLEMENTARY_TEXT = "x"


def _size(value: float | int | None) -> float:
    return float("inf") if value is None else float(value)


def suppress_series(
    counts: Mapping[Hashable, int | None],
    total: int | None,
    *,
    min_cell: int,
    known: Iterable[Hashable] = (),
    total_key: Hashable = "__total__",
    partition: bool = True,
) -> tuple[frozenset[Hashable], bool]:
    """One breakdown (a bar chart's categories) published with its total (the headline figure).

    Returns (hidden categories, whether the total is hidden). ``partition=False`` for a
    breakdown whose categories overlap (an offering in several partner categories): its
    parts do not add up to the total, so only primary suppression applies between them.
    """
    values: dict[Hashable, int | None] = dict(counts)
    values[total_key] = total
    totals = [Total(total_key, tuple(counts))] if partition else []
    hidden = suppress(values, totals, min_cell=min_cell, known=known)
    return frozenset(k for k in hidden if k != total_key), total_key in hidden


def suppress_grid(
    grid: Mapping[tuple[Hashable, Hashable], int | None],
    *,
    min_cell: int,
    row_totals: Mapping[Hashable, int | None] | None = None,
    column_totals: Mapping[Hashable, int | None] | None = None,
    grand_total: int | None = None,
    known: Iterable[tuple[Hashable, Hashable]] = (),
) -> frozenset[Hashable]:
    """A two-way table (e.g. sector x continuing education) with the margins it is shown with.

    Cells are keyed (row, column); row totals ("row", r), column totals ("column", c) and
    the grand total "grand". Returns the hidden keys in that scheme.
    """
    values: dict[Hashable, int | None] = {key: value for key, value in grid.items()}
    totals: list[Total] = []
    rows = sorted({r for r, _ in grid}, key=str)
    columns = sorted({c for _, c in grid}, key=str)
    if row_totals is not None:
        for r in rows:
            values[("row", r)] = row_totals.get(r)
            totals.append(Total(("row", r), tuple((r, c) for c in columns if (r, c) in grid)))
    if column_totals is not None:
        for c in columns:
            values[("column", c)] = column_totals.get(c)
            totals.append(Total(("column", c), tuple((r, c) for r in rows if (r, c) in grid)))
    if grand_total is not None:
        values["grand"] = grand_total
        if row_totals is not None:
            totals.append(Total("grand", tuple(("row", r) for r in rows)))
        if column_totals is not None:
            totals.append(Total("grand", tuple(("column", c) for c in columns)))
    return suppress(values, totals, min_cell=min_cell, known=known)


def share_withheld(
    numerator: int | None,
    denominator: int | None,
    *,
    min_cell: int,
    numerator_hidden: bool = False,
    denominator_hidden: bool = False,
) -> bool:
    """True when a share of people must not be shown: it rests on a count that is hidden
    (or would be: under the threshold), so showing it would give the count away."""
    if numerator_hidden or denominator_hidden:
        return True
    return any(small(v, min_cell) for v in (numerator, denominator))
