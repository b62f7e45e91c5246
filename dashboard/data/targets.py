"""Targets: which one applies, and whether a value meets it. The one place that decides.

The warehouse's ``targets`` view holds every target of data/targets.toml (and the
defaults); for a metric, the most specific target wins: institution, then sector, then
fiscal year, then provincial.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple, cast

import numpy as np
import pandas as pd

from dashboard.data.database import Reader

TOLERANCE = 1e-12  # a share equal to its target (up to float rounding) meets it


class Target(NamedTuple):
    """One metric and the target that applies to it (comparator None: no target applies)."""

    metric: str
    label: str
    description: str
    framework: bool
    basis: str  # offerings or enrolments: what the share counts
    comparator: str | None  # >= or <=
    value: float | None
    source: str | None


def targets(reader: Reader) -> pd.DataFrame:
    """Every target of the warehouse, in display order."""
    return reader.cached("targets", None, lambda: reader.frame("SELECT * FROM targets ORDER BY sort_order, target_id"))


def _scope(value: Any) -> str | None:
    # An unset scope arrives as None or, in a string column, as NaN (which is truthy).
    return value if isinstance(value, str) and value else None


def most_specific(
    candidates: Sequence[Mapping[str, Any]], period: str | None, sector: str | None, institution: str | None
) -> int | None:
    """Which of one metric's target records applies (its position): institution, then sector,
    then fiscal year, then provincial; None when none applies."""
    best, best_score = None, -1
    for index, row in enumerate(candidates):
        t_period, t_sector, t_institution = (_scope(row[k]) for k in ("period", "sector", "institution"))
        if (
            (t_period and t_period != period)
            or (t_sector and t_sector != sector)
            or (t_institution and t_institution != institution)
        ):
            continue
        score = 4 * bool(t_institution) + 2 * bool(t_sector) + bool(t_period)
        if score > best_score:
            best, best_score = index, score
    return best


def choose_targets(
    targets_frame: pd.DataFrame, period: str | None, sector: str | None, institution: str | None
) -> list[Target]:
    """Every metric of the targets, in display order, with the target that applies."""
    by_metric: dict[str, list[dict[str, Any]]] = {}
    for row in targets_frame.sort_values(["sort_order", "target_id"]).to_dict("records"):
        by_metric.setdefault(str(row["metric"]), []).append(cast(dict[str, Any], row))
    out = []
    for metric, candidates in by_metric.items():  # plain records: a frame per metric cost ~50 ms
        best = most_specific(candidates, period, sector, institution)
        chosen = None if best is None else candidates[best]
        first = candidates[0]
        basis = (
            "enrolments"
            if metric == "completion_rate"
            else (str(chosen["basis"]) if chosen is not None else "offerings")
        )
        out.append(
            Target(
                metric,
                str(first["metric_label"]),
                str(first["metric_description"]),
                bool(first["framework"]),
                basis,
                None if chosen is None else str(chosen["comparator"]),
                None if chosen is None else float(chosen["value"]),
                None if chosen is None else str(chosen["source"]),
            )
        )
    return out


def choose_target(
    targets_frame: pd.DataFrame,
    metric: str,
    period: str | None = None,
    sector: str | None = None,
    institution: str | None = None,
) -> Target | None:
    """The target that applies to one metric, or None (no such metric, or no target applies)."""
    for target in choose_targets(targets_frame, period, sector, institution):
        if target.metric == metric:
            return target if target.comparator is not None else None
    return None


def targets_for(reader: Reader, period: str | None, sector: str | None, institution: str | None) -> list[Target]:
    """choose_targets for the warehouse's targets (cached per version)."""
    return reader.cached(
        "targets_for",
        (period, sector, institution),
        lambda: choose_targets(targets(reader), period, sector, institution),
    )


def shortfall(target: Target, values: Any) -> Any:
    """How far ``values`` (a number or an array) fall short of the target, in its direction
    (> 0: short of it; NaN stays NaN)."""
    assert target.comparator is not None and target.value is not None
    sign = 1.0 if target.comparator == ">=" else -1.0
    return sign * (target.value - np.asarray(values, dtype=float))


def met(target: Target, value: float | None) -> bool | None:
    """Whether ``value`` meets the target; None when there is no value or no target."""
    if value is None or pd.isna(value) or target.comparator is None:
        return None
    return bool(shortfall(target, value) <= TOLERANCE)
