"""The provincial overview's questions, as named functions.

Functions take a Reader and a Filters value and return small DataFrames of aggregates;
SQL is parameterised, identifiers come only from the dimension and metric registries.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from dashboard.data import metrics as metric_registry
from dashboard.data import privacy, targets
from dashboard.data.database import Reader
from dashboard.data.dimensions import BY_PARAM, PERIOD, dimension
from dashboard.data.filters import Filters
from dashboard.data.reference import institutions, vocabulary
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


Statement = tuple[str, list[Any]]


def _run_side_by_side(reader: Reader, filters: Filters) -> None:
    """Compute the view's statements at once into the cache, where _headline, _breakdowns and
    _metric_counts then find them (the same statements, built by the same functions)."""
    statements = [
        _headline_statement(reader, filters),
        *_breakdown_statements(filters).values(),
        _metric_statement(reader, filters),
    ]
    if len(filters.period) != 1:
        statements.append(_institutions_statement(filters))
    reader.at_once([partial(_frame, reader, *statement) for statement in statements])


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
    """Counts of people are None when hidden from the viewer (dashboard.data.privacy);
    ``marks`` then says what to show instead ("<10" or "x")."""

    offerings: int
    institutions: int
    enrolments: int | None
    completions: int | None
    ce_offerings: int
    ce_enrolments: int | None
    marks: tuple[tuple[str, str], ...] = ()

    def ce_share(self, measure: str = "offerings") -> float | None:
        if measure == "enrolments":
            if self.enrolments is None or self.ce_enrolments is None:
                return None
            return self.ce_enrolments / self.enrolments if self.enrolments else None
        return self.ce_offerings / self.offerings if self.offerings else None

    def mark(self, name: str) -> str:
        """What to show for a hidden count ("" when it is shown)."""
        return dict(self.marks).get(name, "")


def headline(reader: Reader, filters: Filters) -> tuple[Headline, Headline | None]:
    """Headline figures for the selected period(s), and for the period before when one is
    selected, as the viewer may see them."""
    if not privacy.applies(reader):
        return _headline(reader, filters)
    shown = published(reader, filters)
    return shown.now, shown.before


def _headline_periods(reader: Reader, filters: Filters) -> list[str]:
    """The periods the headline reads: the selected one and the one before, or every selected."""
    periods = list(filters.period)
    if len(periods) == 1:
        return [periods[0], previous_period(periods[0])]
    return periods or vocabulary(reader).codes(PERIOD)  # none selected: all periods


def _headline_statement(reader: Reader, filters: Filters) -> Statement:
    where, params = filters.where(exclude=(PERIOD,))
    return HEADLINE_SQL.format(where=where), [*params, _headline_periods(reader, filters)]


def _headline(reader: Reader, filters: Filters) -> tuple[Headline, Headline | None]:
    periods = list(filters.period)
    compare = len(periods) == 1
    wanted = _headline_periods(reader, filters)
    frame = _frame(reader, *_headline_statement(reader, filters))
    current = frame[frame.reporting_period.isin(periods or wanted)]
    now = Headline(
        int(current.offerings.sum()),
        _institutions(reader, filters) if not compare else int(current.institutions.sum()),
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


def _institutions_statement(filters: Filters) -> Statement:
    where, params = filters.where()
    return f"SELECT count(DISTINCT institution_code) AS n FROM current_offerings WHERE {where}", params


def _institutions(reader: Reader, filters: Filters) -> int:
    return int(_frame(reader, *_institutions_statement(filters)).n.iloc[0])


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
    than the offerings. For a viewer with suppression, hidden enrolments are NaN with
    ``enrolments_mark`` beside them, and ``enrolments_share`` is each category's share of
    all enrolments (NaN when withheld).
    """
    if not privacy.applies(reader):
        return _breakdowns(reader, filters)
    return published(reader, filters).data


def _breakdown_statements(filters: Filters) -> dict[str, Statement]:
    """The GROUPING SETS statement (key "") and one per list dimension."""
    where, params = filters.where()
    lists = {dim: (_grouped_sql(dim, where), params) for dim in BREAKDOWNS if BY_PARAM[dim].kind == "list"}
    return {"": (_breakdown_sql(where), params), **lists}


def _breakdowns(reader: Reader, filters: Filters) -> dict[str, pd.DataFrame]:
    statements = _breakdown_statements(filters)
    frame = _frame(reader, *statements[""])
    out = {}
    for dim in BREAKDOWNS:
        if BY_PARAM[dim].kind == "list":
            out[dim] = _frame(reader, *statements[dim])
        else:
            out[dim] = frame[frame.dimension == dim][["category", "offerings", "enrolments"]].reset_index(drop=True)
    out[SECTOR_CE] = frame[frame.dimension == SECTOR_CE][["category", "ce", "offerings", "enrolments"]].reset_index(
        drop=True
    )
    return out


def trend(reader: Reader, filters: Filters, split: str | None, measure: str) -> pd.DataFrame:
    """Offerings and enrolments per period (all periods, other filters applied), split by a
    dimension; enrolments suppressed for the viewer (NaN and ``enrolments_mark``)."""
    if not privacy.applies(reader):
        return _trend(reader, filters, split)
    return reader.cached(
        "overview_trend_shown",
        (privacy.scope_key(reader), filters, split),
        lambda: _protect_trend(reader, filters, split),
    )


def _trend(reader: Reader, filters: Filters, split: str | None) -> pd.DataFrame:
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


class SectorShare(NamedTuple):
    """One bar of the continuing-education chart (and one row of its CSV)."""

    sector: str  # a sector code, or "all"
    through_ce: float  # the measure through continuing education (0 when withheld)
    total: float
    withheld: bool  # the share rests on a count hidden from the viewer (dashboard.data.privacy)

    @property
    def share(self) -> float | None:
        return None if self.withheld else (self.through_ce / self.total if self.total else 0.0)


def ce_shares(frame: pd.DataFrame, measure: str, sectors: list[str]) -> list[SectorShare]:
    """The continuing-education share per sector (in ``sectors`` order, those with anything
    counted or withheld) and for all sectors, from the sector x CE breakdown. A hidden count
    withholds its sector, and all sectors with it."""
    marks = frame[f"{measure}_mark"].to_list() if f"{measure}_mark" in frame.columns else [""] * len(frame)
    yes: dict[str, float] = {}
    total: dict[str, float] = {}
    withheld: set[str] = set()
    for sector, ce, value, hidden in zip(frame.category, frame.ce, frame[measure], marks):
        if hidden:
            withheld.update((str(sector), "all"))
            value = 0
        total[sector] = total.get(sector, 0.0) + float(value)
        if ce == "yes":
            yes[sector] = yes.get(sector, 0.0) + float(value)
    bars = [
        SectorShare(s, yes.get(s, 0.0), total[s], s in withheld)
        for s in sectors
        if total.get(s, 0) > 0 or s in withheld
    ]
    return [*bars, SectorShare("all", sum(yes.values()), sum(total.values()), "all" in withheld)]


# --- target metrics ---------------------------------------------------------------------------

METRICS_SQL = """
SELECT institution_code, count(*) AS n_offerings, sum(enrolments) AS n_enrolments,
       sum(completions) AS n_completions, {metrics}
FROM current_offerings
WHERE {where}
GROUP BY institution_code
ORDER BY institution_code
"""


def metric_counts(reader: Reader, filters: Filters) -> pd.DataFrame:
    """Numerators and denominators of every target metric, per institution, plus the total
    as a last row with institution_code None (summed here: the per-institution rows are few).
    Counts of people hidden from the viewer are NaN."""
    if not privacy.applies(reader):
        return _metric_counts(reader, filters)
    return published(reader, filters).counts


def _metric_statement(reader: Reader, filters: Filters) -> Statement:
    where, params = filters.where()
    return METRICS_SQL.format(metrics=metric_registry.numerator_sql(reader), where=where), params


def _metric_counts(reader: Reader, filters: Filters) -> pd.DataFrame:
    per_inst = _frame(reader, *_metric_statement(reader, filters))
    numeric = per_inst.columns.drop("institution_code")
    per_inst[numeric] = per_inst[numeric].fillna(0).astype("int64")
    total = per_inst[numeric].sum().to_frame().T
    total.insert(0, "institution_code", None)
    return pd.concat([per_inst, total], ignore_index=True)


def metric_values(counts: pd.DataFrame, metric: str, basis: str) -> pd.Series:
    """The metric as a share, per row of ``metric_counts`` (or of the comparison's profile)."""
    if metric == "completion_rate":
        numerator, denominator = counts["n_completions"], counts["n_enrolments"]
    else:
        numerator = counts[f"{metric}__{basis}"]
        denominator = counts["n_offerings"] if basis == "offerings" else counts["n_enrolments"]
    # numpy, not Series arithmetic: the scorecard and the targets panel ask on every change
    top, bottom = numerator.to_numpy(dtype=float), denominator.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(bottom > 0, top / bottom, np.nan), index=counts.index)


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
        order = [
            i for i in np.argsort(-np.nan_to_num(gaps, nan=-np.inf), kind="stable") if gaps[i] > targets.TOLERANCE
        ][:3]
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


# --- what the viewer may see: one table of counts of people (dashboard.data.privacy) ------------


class Published(NamedTuple):
    now: Headline
    before: Headline | None
    data: dict[str, pd.DataFrame]  # breakdowns
    counts: pd.DataFrame  # metric_counts


def published(reader: Reader, filters: Filters) -> Published:
    """The headline, breakdowns and target metrics together, as the viewer may see them:
    they are published side by side, so they are suppressed as one table."""
    if not privacy.applies(reader):
        return _raw(reader, filters)
    return reader.cached("overview_shown", (privacy.scope_key(reader), filters), lambda: _protect(reader, filters))


def _raw(reader: Reader, filters: Filters) -> Published:
    _run_side_by_side(reader, filters)
    now, before = _headline(reader, filters)
    return Published(now, before, _breakdowns(reader, filters), _metric_counts(reader, filters))


TOTAL_ENROLMENTS, TOTAL_COMPLETIONS, CE_YES, CE_NO = (
    ("total", "enrolments"),
    ("total", "completions"),
    ("ce", "yes"),
    ("ce", "no"),
)


def _protect(reader: Reader, filters: Filters) -> Published:
    raw = _raw(reader, filters)
    mine_filters = privacy.own_filters(reader, filters)
    mine = _raw(reader, mine_filters) if mine_filters is not None else None
    own = privacy.own_institution(reader)
    min_cell = reader.scope.min_cell
    table = privacy.Table()
    now, my = raw.now, (mine.now if mine else None)
    T, C = TOTAL_ENROLMENTS, TOTAL_COMPLETIONS

    def mine_of(value: int | None) -> int:
        return value or 0

    table.cell(T, now.enrolments, mine_of(my.enrolments) if my else 0)
    table.cell(C, now.completions, mine_of(my.completions) if my else 0)
    table.cell(CE_YES, now.ce_enrolments, mine_of(my.ce_enrolments) if my else 0)
    table.cell(
        CE_NO,
        (now.enrolments or 0) - (now.ce_enrolments or 0),
        (mine_of(my.enrolments) - mine_of(my.ce_enrolments)) if my else 0,
    )
    table.total(T, (CE_YES, CE_NO))
    keys: dict[str, list[tuple[str, ...]]] = {}
    for dim in BREAKDOWNS:
        frame = raw.data[dim]
        mine_by = dict(zip(mine.data[dim].category, mine.data[dim].enrolments)) if mine else {}
        keys[dim] = [(dim, c) for c in frame.category]
        for key, value in zip(keys[dim], frame.enrolments):
            table.cell(key, value, mine_by.get(key[1], 0))
        if BY_PARAM[dim].kind != "list":
            table.total(T, keys[dim])
    grid = raw.data[SECTOR_CE]
    mine_grid = (
        {
            (s, ce): v
            for s, ce, v in zip(mine.data[SECTOR_CE].category, mine.data[SECTOR_CE].ce, mine.data[SECTOR_CE].enrolments)
        }
        if mine
        else {}
    )
    keys[SECTOR_CE] = [("sce", s, ce) for s, ce in zip(grid.category, grid.ce)]
    for key, value in zip(keys[SECTOR_CE], grid.enrolments):
        table.cell(key, value, mine_grid.get((key[1], key[2]), 0))
    sectors = list(dict.fromkeys(grid.category))
    for sector in sectors:
        members = [k for k in keys[SECTOR_CE] if k[1] == sector]
        table.cell(
            ("sector", sector),
            sum(table.values[k] or 0 for k in members),
            sum(table.own[k] for k in members),
        )
        table.total(("sector", sector), members)
    table.total(T, [("sector", s) for s in sectors])
    for ce, key in (("yes", CE_YES), ("no", CE_NO)):
        table.total(key, [k for k in keys[SECTOR_CE] if k[2] == ce])
    # The target metrics: the province's shares by enrolments, and each institution's.
    counts = raw.counts
    per = counts[counts.institution_code.notna()]
    total_row = counts[counts.institution_code.isna()].iloc[0]
    own_rows = per[per.institution_code == own]
    own_enrolments = float(own_rows.n_enrolments.sum()) if own else 0.0
    metric_columns = [c for c in counts.columns if c.endswith("__enrolments")]
    for col in metric_columns:
        own_value = float(own_rows[col].sum()) if own else 0.0
        table.cell(("m", col, True), total_row[col], own_value)
        table.cell(("m", col, False), total_row.n_enrolments - total_row[col], own_enrolments - own_value)
        table.total(T, [("m", col, True), ("m", col, False)])
    sector_of = dict(zip(institutions(reader).code, institutions(reader).sector))
    codes = list(per.institution_code)
    for col, total_key in (("n_enrolments", T), ("n_completions", C), *((c, ("m", c, True)) for c in metric_columns)):
        inst_keys = [("inst", code, col) for code in codes]
        for key, code, value in zip(inst_keys, codes, per[col]):
            table.cell(key, value, value if code == own else 0)
        table.total(total_key, inst_keys)
        if col == "n_enrolments":
            for sector in sectors:
                table.total(("sector", sector), [k for k in inst_keys if sector_of.get(k[1]) == sector])
    hidden = table.hidden(min_cell)
    return Published(
        _shown_headline(now, hidden, min_cell),
        _shown_before(raw.before, mine.before if mine else None, min_cell),
        _shown_breakdowns(raw.data, keys, hidden, now, min_cell),
        _shown_counts(counts, metric_columns, hidden, min_cell),
    )


def _shown_headline(now: Headline, hidden: frozenset[Hashable], min_cell: int) -> Headline:
    enrolments = None if TOTAL_ENROLMENTS in hidden else now.enrolments
    completions = None if TOTAL_COMPLETIONS in hidden else now.completions
    ce = None if (CE_YES in hidden or CE_NO in hidden or enrolments is None) else now.ce_enrolments
    marks = [
        (name, privacy.mark(value, min_cell))
        for name, value, shown in (
            ("enrolments", now.enrolments, enrolments),
            ("completions", now.completions, completions),
            ("ce_enrolments", now.ce_enrolments, ce),
        )
        if shown is None
    ]
    return Headline(now.offerings, now.institutions, enrolments, completions, now.ce_offerings, ce, tuple(marks))


def _shown_before(before: Headline | None, mine: Headline | None, min_cell: int) -> Headline | None:
    """The year before, beside the changes: its counts of others under the threshold hidden."""
    if before is None:
        return None

    def others(name: str) -> int:
        return int(getattr(before, name) or 0) - (int(getattr(mine, name) or 0) if mine else 0)

    hide = {n for n in ("enrolments", "completions", "ce_enrolments") if 0 < others(n) < min_cell}
    if "enrolments" in hide or 0 < others("enrolments") - others("ce_enrolments") < min_cell:
        hide.add("ce_enrolments")
    marks = tuple((n, privacy.mark(getattr(before, n), min_cell)) for n in sorted(hide))
    return Headline(
        before.offerings,
        before.institutions,
        None if "enrolments" in hide else before.enrolments,
        None if "completions" in hide else before.completions,
        before.ce_offerings,
        None if "ce_enrolments" in hide else before.ce_enrolments,
        marks,
    )


def _shown_breakdowns(
    data: dict[str, pd.DataFrame],
    keys: dict[str, list[tuple[str, ...]]],
    hidden: frozenset[Hashable],
    now: Headline,
    min_cell: int,
) -> dict[str, pd.DataFrame]:
    total = None if TOTAL_ENROLMENTS in hidden else now.enrolments
    out = {}
    for name, frame in data.items():
        shown = privacy.hide(frame, "enrolments", keys[name], hidden, min_cell)
        shown["enrolments_share"] = [privacy.share(v, total) for v in shown.enrolments]
        out[name] = shown
    return out


def _shown_counts(
    counts: pd.DataFrame, metric_columns: list[str], hidden: frozenset[Hashable], min_cell: int
) -> pd.DataFrame:
    shown = counts.copy()
    codes = list(shown.institution_code)
    for col, total_key in (
        ("n_enrolments", TOTAL_ENROLMENTS),
        ("n_completions", TOTAL_COMPLETIONS),
        *((c, ("m", c, True)) for c in metric_columns),
    ):
        row_keys = [total_key if code is None or pd.isna(code) else ("inst", code, col) for code in codes]
        shown = privacy.hide(shown, col, row_keys, hidden, min_cell)
    for col in metric_columns:  # the province's share by enrolments: its complement too
        if ("m", col, False) in hidden:
            shown.loc[shown.institution_code.isna(), col] = np.nan
    return shown


def _protect_trend(reader: Reader, filters: Filters, split: str | None) -> pd.DataFrame:
    frame = _trend(reader, filters, split)
    mine_filters = privacy.own_filters(reader, filters)
    mine = _trend(reader, mine_filters, split) if mine_filters is not None else None
    mine_by = (
        {(p, c): v for p, c, v in zip(mine.reporting_period, mine.category, mine.enrolments)}
        if mine is not None
        else {}
    )
    table = privacy.Table()
    keys = list(zip(frame.reporting_period, frame.category))
    for key, value in zip(keys, frame.enrolments):
        table.cell(key, value, mine_by.get(key, 0))
    partition = split in (None, "", NO_SPLIT) or BY_PARAM[split].kind != "list"
    if partition and split not in (None, "", NO_SPLIT):
        for period in dict.fromkeys(frame.reporting_period):
            members = [k for k in keys if k[0] == period]
            table.cell(
                ("period", period), sum(table.values[k] or 0 for k in members), sum(table.own[k] for k in members)
            )
            table.total(("period", period), members)
    return privacy.hide(frame, "enrolments", keys, table.hidden(reader.scope.min_cell), reader.scope.min_cell)
