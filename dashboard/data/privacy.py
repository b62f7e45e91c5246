"""Counts of people as the viewer may see them: the one place where the data layer applies
small-cell suppression (``dashboard.access.suppression``) to the aggregates it returns.

The Reader's scope decides: the ministry sees every count; the public and institution users
(``Scope.suppresses``) never receive a count of people (enrolments, completions) of others
from 1 to ``Scope.min_cell - 1``, nor one that would let such a count be worked out by
subtraction from the totals published beside it.

An institution user knows its own figures, so every aggregate is suppressed on its
*others' part* (the aggregate minus the institution's own contribution): a province cell of
35 made of its own 30 and another institution's 5 is hidden, since 35 - 30 = 5.

A hidden count leaves the data layer as NaN (never its value), with a ``<column>_mark``
column beside it holding what to show instead: "<10" or "x" (``suppression.mark``). A share
resting on a hidden count is NaN as well. The overview (headline, breakdowns, target
metrics) is one table with one set of totals, so a count hidden in one chart is hidden in
every other and in the downloads; the comparison's per-institution counts are protected
against the province, sector and region totals that the overview publishes.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from dashboard.access.suppression import Total, suppress
from dashboard.access.suppression import mark as mark

if TYPE_CHECKING:
    from dashboard.data.database import Reader
    from dashboard.data.filters import Filters

PEOPLE = ("enrolments", "completions")
MARK = "_mark"


def applies(reader: Reader) -> bool:
    return reader.scope.suppresses


def own_institution(reader: Reader) -> str | None:
    """The viewer's own institution (whose figures it knows), or None."""
    scope = reader.scope
    return scope.institution if scope.role == "institution" else None


def own_filters(reader: Reader, filters: Filters) -> Filters | None:
    """``filters`` narrowed to the viewer's own institution, or None when none of its
    offerings can be among those the filters select."""
    own = own_institution(reader)
    if own is None or (filters.institution and own not in filters.institution):
        return None
    return filters.with_values(institution=(own,))


class Table:
    """The counts of people one view publishes, their totals, and the viewer's own part of each."""

    def __init__(self) -> None:
        self.values: dict[Hashable, float | None] = {}
        self.own: dict[Hashable, float] = {}
        self.totals: list[Total] = []

    def cell(self, key: Hashable, value: Any, own: Any = 0) -> None:
        self.values[key] = None if value is None or pd.isna(value) else float(value)
        self.own[key] = 0.0 if own is None or pd.isna(own) else float(own)

    def total(self, key: Hashable, parts: Iterable[Hashable]) -> None:
        """``key`` is published with ``parts``, which add up to it (checked: a breakdown whose
        parts overlap or miss some people gets primary suppression only)."""
        parts = tuple(parts)
        value = self.values.get(key)
        if not parts or value is None or any(self.values.get(p) is None for p in parts):
            return
        if abs(sum(self.values[p] or 0 for p in parts) - value) > 1e-9:
            return
        self.totals.append(Total(key, parts))

    def hidden(self, min_cell: int) -> frozenset[Hashable]:
        others = {k: (None if v is None else v - self.own.get(k, 0.0)) for k, v in self.values.items()}
        return suppress(others, self.totals, min_cell=min_cell)


def hide(
    frame: pd.DataFrame, column: str, keys: Iterable[Hashable], hidden: frozenset[Hashable], min_cell: int
) -> pd.DataFrame:
    """``frame`` with ``column`` NaN where its row's key is hidden, and ``<column>_mark`` beside it."""
    keys = list(keys)
    is_hidden = np.array([k in hidden for k in keys], dtype=bool)
    values = frame[column].astype("float64").to_numpy(copy=True)
    marks = [mark(float(v), min_cell) if h else "" for v, h in zip(values, is_hidden)]
    values[is_hidden] = np.nan
    frame = frame.copy()
    frame[column] = values
    frame[column + MARK] = marks
    return frame


# --- per institution: the comparison ------------------------------------------------------------


def institution_groups(institutions: pd.DataFrame, codes: Iterable[str]) -> list[tuple[Hashable, list[str]]]:
    """The totals the overview publishes over institutions: the province, each sector, each region."""
    present = [c for c in codes]
    ref = institutions.set_index("code").reindex(present)
    groups: list[tuple[Hashable, list[str]]] = [("province", present)]
    for kind in ("sector", "region"):
        for value, members in ref.groupby(kind, dropna=True).groups.items():
            groups.append(((kind, value), [str(c) for c in members]))
    return groups


def hidden_by_institution(
    values: Mapping[str, Any], institutions: pd.DataFrame, own: str | None, min_cell: int
) -> frozenset[Hashable]:
    """Which institutions' counts to hide, protected against the province, sector and region totals."""
    table = Table()
    for code, value in values.items():
        table.cell(code, value, value if code == own else 0)
    for key, members in institution_groups(institutions, list(values)):
        table.cell(("total", key), sum(float(values[m]) for m in members), float(values[own]) if own in members else 0)
        table.total(("total", key), members)
    return frozenset(k for k in table.hidden(min_cell) if isinstance(k, str))


def protect_by_institution(
    frame: pd.DataFrame, columns: Iterable[str], institutions: pd.DataFrame, own: str | None, min_cell: int
) -> pd.DataFrame:
    """A frame indexed by institution code: each count column suppressed across institutions."""
    for column in columns:
        values = {str(k): (0 if pd.isna(v) else v) for k, v in frame[column].items()}
        hidden = hidden_by_institution(values, institutions, own, min_cell)
        frame = hide(frame, column, [str(k) for k in frame.index], hidden, min_cell)
    return frame


def share(numerator: Any, denominator: Any, *hidden: bool) -> float:
    """A share of people, NaN when it rests on a hidden count (or on nothing)."""
    if any(hidden) or pd.isna(numerator) or pd.isna(denominator) or not denominator:
        return float("nan")
    return float(numerator) / float(denominator)


def scope_key(reader: Reader) -> tuple[str, str | None, int]:
    scope = reader.scope
    return (scope.role, scope.institution, scope.min_cell)
