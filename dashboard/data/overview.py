"""The provincial overview's questions, as named functions.

Functions take a Reader and a Filters value and return small DataFrames of aggregates;
SQL is parameterised, identifiers come only from the dimension and metric registries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from dashboard.data import metrics as metric_registry
from dashboard.data import targets
from dashboard.data.database import Reader
from dashboard.data.dimensions import BY_PARAM, PERIOD, dimension
from dashboard.data.filters import Filters
from dashboard.data.reference import vocabulary
from dashboard.data.state import NO_SPLIT
from dashboard.data.targets import Target

# The breakdown charts of the overview, in their order (sector x continuing education is its own).
BREAKDOWNS = ("type", "delivery", "credit", "partner", "field")
SECTOR_CE = "sector_ce"


def previous_period(period: str) -> str:
    start = int(period[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


def _frame(reader: Reader, sql: str, params: list[Any]) -> pd.DataFrame:
    """``reader.frame(sql, params)``, cached per warehouse version: a view computed once (the
    default view every visitor opens, Back to an earlier filter) answers without a scan of the
    offerings. Aggregates only, the same for every scope. A copy: no caller changes the cache."""
    return reader.cached("overview", (sql, repr(params)), lambda: reader.frame(sql, params)).copy()


# --- headline figures ---------------------------------------------------------------------

HEADLINE_SQL = """
SELECT reporting_period,
       count(*) AS offerings,
       count(DISTINCT institution_code) AS institutions,
       coalesce(sum(enrolments), 0) AS enrolments,
       coalesce(sum(completions), 0) AS completions,
       count(*) FILTER (WHERE continuing_education) AS ce_offerings,
       coalesce(sum(enrolments) FILTER (WHERE continuing_education), 0) AS ce_enrolments
FROM current_offerings
WHERE {where} AND list_contains(?::VARCHAR[], reporting_period)
GROUP BY reporting_period
"""


@dataclass(frozen=True)
class Headline:
    offerings: int
    institutions: int
    enrolments: int
    completions: int
    ce_offerings: int
    ce_enrolments: int

    def ce_share(self, measure: str = "offerings") -> float | None:
        if measure == "enrolments":
            return self.ce_enrolments / self.enrolments if self.enrolments else None
        return self.ce_offerings / self.offerings if self.offerings else None


def headline(reader: Reader, filters: Filters) -> tuple[Headline, Headline | None]:
    """Headline figures for the selected period(s), and for the period before when one is selected."""
    where, params = filters.where(exclude=(PERIOD,))
    periods = list(filters.period)
    compare = len(periods) == 1
    wanted = periods + ([previous_period(periods[0])] if compare else [])
    if not periods:  # all periods
        wanted = vocabulary(reader).codes(PERIOD)
    frame = _frame(reader, HEADLINE_SQL.format(where=where), [*params, wanted])
    current = frame[frame.reporting_period.isin(periods or wanted)]
    now = Headline(
        int(current.offerings.sum()),
        _institutions(reader, filters) if len(current) > 1 else int(current.institutions.sum()),
        int(current.enrolments.sum()),
        int(current.completions.sum()),
        int(current.ce_offerings.sum()),
        int(current.ce_enrolments.sum()),
    )
    before = None
    if compare:
        prev = frame[frame.reporting_period == wanted[1]]
        if len(prev):
            r = prev.iloc[0]
            before = Headline(
                int(r.offerings),
                int(r.institutions),
                int(r.enrolments),
                int(r.completions),
                int(r.ce_offerings),
                int(r.ce_enrolments),
            )
    return now, before


def _institutions(reader: Reader, filters: Filters) -> int:
    where, params = filters.where()
    sql = f"SELECT count(DISTINCT institution_code) AS n FROM current_offerings WHERE {where}"
    return int(_frame(reader, sql, params).n.iloc[0])


# --- breakdowns and trend: GROUP BY a dimension of the registry ------------------------------


def _breakdown_sql(where: str) -> str:
    """One scan, GROUPING SETS: each plain breakdown alone, and sector x continuing education."""
    plain = [p for p in BREAKDOWNS if BY_PARAM[p].kind != "list"]
    cases = "\n".join(f"        WHEN grouping(\"{p}\") = 0 THEN '{p}'" for p in plain)
    return f"""
SELECT
    CASE
{cases}
        ELSE '{SECTOR_CE}'
    END AS dimension,
    coalesce({", ".join(f'"{p}"' for p in plain)}, sector) AS category,
    ce,
    count(*) AS offerings,
    coalesce(sum(enrolments), 0) AS enrolments
FROM (
    SELECT {", ".join(f'{BY_PARAM[p].group_sql()} AS "{p}"' for p in plain)},
           sector, {BY_PARAM["ce"].group_sql()} AS ce, enrolments
    FROM current_offerings WHERE {where}
)
GROUP BY GROUPING SETS ({", ".join(f'("{p}")' for p in plain)}, (sector, ce))
"""


def _grouped_sql(dim: str, where: str, by_period: bool = False) -> str:
    """Offerings and enrolments per category of ``dim`` (a list dimension counts an
    offering once per code it names), optionally per fiscal year too."""
    period = "reporting_period, " if by_period else ""
    return (
        f"SELECT {period}category, count(*) AS offerings, coalesce(sum(enrolments), 0) AS enrolments "
        f"FROM (SELECT {period}enrolments, {dimension(dim).group_sql()} AS category "
        f"FROM current_offerings WHERE {where}) GROUP BY ALL"
    )


def breakdowns(reader: Reader, filters: Filters) -> dict[str, pd.DataFrame]:
    """Offerings and enrolments by type, delivery, credit, field, partner, and sector x CE.

    Each frame has columns category, offerings, enrolments (sector_ce also ce).
    Partner counts an offering once per category it names, so they add up to more
    than the offerings.
    """
    where, params = filters.where()
    frame = _frame(reader, _breakdown_sql(where), params)
    out = {}
    for dim in BREAKDOWNS:
        if BY_PARAM[dim].kind == "list":
            out[dim] = _frame(reader, _grouped_sql(dim, where), params)
        else:
            out[dim] = frame[frame.dimension == dim][["category", "offerings", "enrolments"]].reset_index(drop=True)
    out[SECTOR_CE] = frame[frame.dimension == SECTOR_CE][["category", "ce", "offerings", "enrolments"]].reset_index(
        drop=True
    )
    return out


def trend(reader: Reader, filters: Filters, split: str | None, measure: str) -> pd.DataFrame:
    """Offerings and enrolments per period (all periods, other filters applied), split by a dimension."""
    where, params = filters.where(exclude=(PERIOD,))
    if split in (None, "", NO_SPLIT):
        sql = (
            f"SELECT reporting_period, 'all' AS category, count(*) AS offerings, "
            f"coalesce(sum(enrolments), 0) AS enrolments FROM current_offerings WHERE {where} GROUP BY ALL"
        )
    elif split in BY_PARAM and split != PERIOD:
        sql = _grouped_sql(split, where, by_period=True)
    else:
        raise ValueError(f"unknown split {split!r}")
    return _frame(reader, sql + " ORDER BY 1, 2", params)


# --- target metrics ---------------------------------------------------------------------------

METRICS_SQL = """
SELECT institution_code, count(*) AS n_offerings, sum(enrolments) AS n_enrolments,
       sum(completions) AS n_completions, {metrics}
FROM current_offerings
WHERE {where}
GROUP BY institution_code
"""


def metric_counts(reader: Reader, filters: Filters) -> pd.DataFrame:
    """Numerators and denominators of every target metric, per institution, plus the total
    as a last row with institution_code None (summed here: the per-institution rows are few)."""
    where, params = filters.where()
    per_inst = _frame(reader, METRICS_SQL.format(metrics=metric_registry.numerator_sql(reader), where=where), params)
    numeric = per_inst.columns.drop("institution_code")
    per_inst[numeric] = per_inst[numeric].fillna(0).astype("int64")
    total = per_inst[numeric].sum().to_frame().T
    total.insert(0, "institution_code", None)
    return pd.concat([per_inst, total], ignore_index=True)


def metric_values(counts: pd.DataFrame, metric: str, basis: str) -> pd.Series:
    """The metric as a share, per row of ``metric_counts`` (or of the comparison's profile)."""
    if metric == "completion_rate":
        return counts.n_completions / counts.n_enrolments.where(counts.n_enrolments > 0)
    numerator = counts[f"{metric}__{basis}"]
    denominator = counts.n_offerings if basis == "offerings" else counts.n_enrolments
    return numerator / denominator.where(denominator > 0)


class TargetStatus(NamedTuple):
    target: Target
    actual: float  # NaN when nothing is counted
    met: bool
    furthest: list[tuple[str, float]]  # up to three (institution, value), furthest from the target first


def target_status(counts: pd.DataFrame, tgts: pd.DataFrame, filters: Filters) -> list[TargetStatus]:
    """Each target metric once, in order: the applicable target, the actual value, met or
    not, and the (up to three) institutions furthest from it."""
    total = counts[counts.institution_code.isna()]
    per_inst = counts[counts.institution_code.notna()].reset_index(drop=True)
    codes = per_inst.institution_code.to_numpy()
    chosen = targets.choose_targets(
        tgts, _single(filters.period), _single(filters.sector), _single(filters.institution)
    )
    out = []
    for target in chosen:  # in display order
        metric = target.metric
        if target.comparator is None:
            continue
        actual = float(metric_values(total, metric, target.basis).iloc[0])
        values = metric_values(per_inst, metric, target.basis).to_numpy(dtype=float)
        gaps = targets.shortfall(target, values)
        order = [i for i in np.argsort(-np.nan_to_num(gaps, nan=-np.inf)) if gaps[i] > targets.TOLERANCE][:3]
        out.append(
            TargetStatus(
                target, actual, bool(targets.met(target, actual)), [(str(codes[i]), float(values[i])) for i in order]
            )
        )
    return out


def _single(values: tuple[str, ...]) -> str | None:
    return values[0] if len(values) == 1 else None


def ce_target(tgts: pd.DataFrame, filters: Filters) -> Target | None:
    """The continuing-education target that applies to the filters (the CE-by-sector chart's line)."""
    return targets.choose_target(
        tgts, "ce_share", _single(filters.period), _single(filters.sector), _single(filters.institution)
    )
