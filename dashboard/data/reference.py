"""Reference data every page needs: the accepted value of each dimension with its label,
the institutions, and the data version (each cached per warehouse version)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from dashboard.data.database import Reader
from dashboard.data.dimensions import DIMENSIONS, FROM_INSTITUTIONS, FROM_LABELS, FROM_PERIODS, PERIOD
from dashboard.data.vocabulary import Vocabulary


def vocabulary(reader: Reader) -> Vocabulary:
    """Accepted filter values with labels, in display order."""
    return reader.cached("vocabulary", None, lambda: _vocabulary(reader))


def _vocabulary(reader: Reader) -> Vocabulary:
    by_list: dict[str, list[tuple[str, str]]] = {}
    for lst, code, label in reader.rows("SELECT list, code, label FROM codes ORDER BY list, sort_order"):
        by_list.setdefault(lst, []).append((code, label))
    institutions = reader.rows("SELECT code, name FROM institutions ORDER BY sort_order")
    periods = [
        r[0]
        for r in reader.rows(
            "SELECT DISTINCT reporting_period FROM current_submissions WHERE reporting_period IS NOT NULL ORDER BY 1"
        )
    ]
    values: dict[str, tuple[tuple[str, str], ...]] = {}
    for dim in DIMENSIONS:
        if dim.values == FROM_PERIODS:
            values[dim.param] = tuple((p, p) for p in periods)
        elif dim.values == FROM_INSTITUTIONS:
            values[dim.param] = tuple((str(code), str(name)) for code, name in institutions)
        elif dim.values == FROM_LABELS:
            values[dim.param] = (("yes", dim.yes_no_labels[0]), ("no", dim.yes_no_labels[1]))
        else:
            values[dim.param] = tuple(by_list.get(dim.values, ()))
    return Vocabulary(values, latest_period=_default_period(reader, periods))


def _default_period(reader: Reader, periods: list[str]) -> str | None:
    """The view with no period chosen: the latest fiscal year that has both data and a deadline
    in data/deadlines.toml (a stray far-future year, loaded before periods were checked or
    since dropped from the deadlines, never becomes everyone's default), else the latest with data."""
    with_deadline = {r[0] for r in reader.rows("SELECT period FROM reporting_deadline")}
    collected = [p for p in periods if p in with_deadline] or periods
    return collected[-1] if collected else None


def with_periods(vocab: Vocabulary, periods: list[str]) -> Vocabulary:
    """The vocabulary with these fiscal years accepted too (sorted)."""
    merged = sorted({*vocab.codes(PERIOD), *periods})
    return Vocabulary({**vocab.values, PERIOD: tuple((p, p) for p in merged)}, vocab.latest_period)


def institutions(reader: Reader) -> pd.DataFrame:
    """The institutions reference: code, name, sector, region, in reference order."""
    return reader.cached(
        "institutions",
        None,
        lambda: reader.frame("SELECT code, name, sector, region FROM institutions ORDER BY sort_order, code"),
    )


def data_version(reader: Reader) -> dict[str, Any]:
    """The published version, when it was published and the last load (exports, footer)."""
    row = reader.rows("SELECT max(version), max(published_at) FROM data_version")[0]
    loaded = reader.rows("SELECT max(loaded_at) FROM submissions")[0][0]
    return {"version": row[0], "published_at": row[1], "last_load": loaded}
