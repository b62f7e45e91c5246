"""Every question the dashboard asks the warehouse, as a named function.

Functions take a Database and a Filters value and return small DataFrames of
aggregates; SQL is parameterised, identifiers come only from allow-lists below.
No raw offering rows leave this module except through the paged/streamed
functions used by the explorer and the exports.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pandas as pd

from dashboard.data.database import Database
from dashboard.data.filters import PARAMETERS, Filters, Vocabulary

# Dimensions a chart may group by: name -> (SQL expression over current_offerings, code list)
DIMENSIONS: dict[str, tuple[str, str]] = {
    "type": ("mc_type", "mc_type"),
    "delivery": ("delivery_mode", "delivery_mode"),
    "credit": ("credit_status", "credit_status"),
    "field": ("coalesce(field_of_study, 'not_reported')", "field_of_study"),
    "sector": ("sector", "sector"),
    "region": ("region", "region"),
    "ce": ("CASE WHEN continuing_education THEN 'yes' ELSE 'no' END", "ce"),
    "partner": ("partner_category", "partner_category"),  # via unnest, see _partner_source
    "institution": ("institution_code", "institution"),
}
MEASURES = ("offerings", "enrolments")
NOT_REPORTED = "not_reported"


def _measure_sql(measure: str) -> str:
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    return "count(*)" if measure == "offerings" else "coalesce(sum(enrolments), 0)"


# --- reference data (cached per warehouse version) ---------------------------------

_vocab_cache: dict[tuple, Vocabulary] = {}
_vocab_lock = threading.Lock()


def vocabulary(db: Database) -> Vocabulary:
    """Accepted filter values with labels, in display order."""
    key = (str(db.path), db.version)
    cached = _vocab_cache.get(key)
    if cached is not None:
        return cached
    codes = db.rows("SELECT list, code, label FROM codes ORDER BY list, sort_order")
    by_list: dict[str, list[tuple[str, str]]] = {}
    for lst, code, label in codes:
        by_list.setdefault(lst, []).append((code, label))
    institutions = db.rows("SELECT code, name FROM institutions ORDER BY sort_order")
    periods = [r[0] for r in db.rows(
        "SELECT DISTINCT reporting_period FROM current_submissions WHERE reporting_period IS NOT NULL "
        "ORDER BY 1")]
    values = {
        "period": tuple((p, p) for p in periods),
        "institution": tuple(institutions),
        "sector": tuple(by_list.get("sector", ())),
        "region": tuple(by_list.get("region", ())),
        "type": tuple(by_list.get("mc_type", ())),
        "delivery": tuple(by_list.get("delivery_mode", ())),
        "credit": tuple(by_list.get("credit_status", ())),
        "partner": tuple(by_list.get("partner_category", ())),
        "field": tuple(by_list.get("field_of_study", ())),
        "ce": (("yes", "Continuing education"), ("no", "Not continuing education")),
        "funded": (("yes", "Ministry funded"), ("no", "Not ministry funded")),
    }
    vocab = Vocabulary(values, latest_period=periods[-1] if periods else None)
    with _vocab_lock:
        _vocab_cache.clear()
        _vocab_cache[key] = vocab
    return vocab


def previous_period(period: str) -> str:
    start = int(period[:4]) - 1
    return f"{start}/{(start + 1) % 100:02d}"


# --- overview ------------------------------------------------------------------------

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


def headline(db: Database, filters: Filters) -> tuple[Headline, Headline | None]:
    """Headline figures for the selected period(s), and for the period before when one is selected."""
    where, params = filters.where(exclude=("period",))
    periods = list(filters.period)
    compare = len(periods) == 1
    wanted = periods + ([previous_period(periods[0])] if compare else [])
    if not periods:  # all periods
        wanted = [p for p, _ in vocabulary(db).values["period"]]
    frame = db.frame(HEADLINE_SQL.format(where=where), [*params, wanted])
    current = frame[frame.reporting_period.isin(periods or wanted)]
    now = Headline(int(current.offerings.sum()), _institutions(db, filters) if len(current) > 1 else
                   int(current.institutions.sum()), int(current.enrolments.sum()), int(current.completions.sum()),
                   int(current.ce_offerings.sum()), int(current.ce_enrolments.sum()))
    before = None
    if compare:
        prev = frame[frame.reporting_period == wanted[1]]
        if len(prev):
            r = prev.iloc[0]
            before = Headline(int(r.offerings), int(r.institutions), int(r.enrolments), int(r.completions),
                              int(r.ce_offerings), int(r.ce_enrolments))
    return now, before


def _institutions(db: Database, filters: Filters) -> int:
    where, params = filters.where()
    return int(db.rows(f"SELECT count(DISTINCT institution_code) FROM current_offerings WHERE {where}", params)[0][0])


BREAKDOWN_SQL = """
SELECT
    CASE
        WHEN grouping(mc_type) = 0 THEN 'type'
        WHEN grouping(delivery_mode) = 0 THEN 'delivery'
        WHEN grouping(credit_status) = 0 THEN 'credit'
        WHEN grouping(field) = 0 THEN 'field'
        ELSE 'sector_ce'
    END AS dimension,
    coalesce(mc_type, delivery_mode, credit_status, field, sector) AS category,
    ce,
    count(*) AS offerings,
    coalesce(sum(enrolments), 0) AS enrolments
FROM (
    SELECT mc_type, delivery_mode, credit_status, coalesce(field_of_study, 'not_reported') AS field,
           sector, CASE WHEN continuing_education THEN 'yes' ELSE 'no' END AS ce, enrolments
    FROM current_offerings WHERE {where}
)
GROUP BY GROUPING SETS ((mc_type), (delivery_mode), (credit_status), (field), (sector, ce))
"""

PARTNER_SQL = """
SELECT partner_category AS category, count(*) AS offerings, coalesce(sum(enrolments), 0) AS enrolments
FROM (SELECT unnest(partner_categories) AS partner_category, enrolments FROM current_offerings WHERE {where})
GROUP BY 1
"""


def breakdowns(db: Database, filters: Filters) -> dict[str, pd.DataFrame]:
    """Offerings and enrolments by type, delivery, credit, field, partner, and sector x CE.

    Each frame has columns category, offerings, enrolments (sector_ce also ce).
    Partner counts an offering once per category it names, so they add up to more
    than the offerings.
    """
    where, params = filters.where()
    frame = db.frame(BREAKDOWN_SQL.format(where=where), params)
    out = {}
    for dim in ("type", "delivery", "credit", "field"):
        out[dim] = frame[frame.dimension == dim][["category", "offerings", "enrolments"]].reset_index(drop=True)
    out["sector_ce"] = frame[frame.dimension == "sector_ce"][["category", "ce", "offerings", "enrolments"]] \
        .reset_index(drop=True)
    out["partner"] = db.frame(PARTNER_SQL.format(where=where), params)
    return out


def trend(db: Database, filters: Filters, split: str | None, measure: str) -> pd.DataFrame:
    """Offerings and enrolments per period (all periods, other filters applied), split by a dimension."""
    where, params = filters.where(exclude=("period",))
    if split in (None, "", "none"):
        sql = (f"SELECT reporting_period, 'all' AS category, count(*) AS offerings, "
               f"coalesce(sum(enrolments), 0) AS enrolments FROM current_offerings WHERE {where} GROUP BY ALL")
    elif split == "partner":
        sql = (f"SELECT reporting_period, partner_category AS category, count(*) AS offerings, "
               f"coalesce(sum(enrolments), 0) AS enrolments FROM (SELECT reporting_period, enrolments, "
               f"unnest(partner_categories) AS partner_category FROM current_offerings WHERE {where}) GROUP BY ALL")
    elif split in DIMENSIONS:
        expr = DIMENSIONS[split][0]
        sql = (f"SELECT reporting_period, {expr} AS category, count(*) AS offerings, "
               f"coalesce(sum(enrolments), 0) AS enrolments FROM current_offerings WHERE {where} GROUP BY ALL")
    else:
        raise ValueError(f"unknown split {split!r}")
    return db.frame(sql + " ORDER BY 1, 2", params)


# --- targets ---------------------------------------------------------------------------

METRIC_SQL = {
    "duration_compliance": "duration_hours < 288",
    "assessment_share": "assessment",
    "partner_alignment": "NOT list_contains(partner_categories, 'none')",
    "ce_share": "continuing_education",
    "credit_share": "credit_status = 'credit'",
    "indigenous_partner_share": "list_contains(partner_categories, 'indigenous_community')",
    "online_or_blended_share": "delivery_mode IN ('online', 'blended')",
    "laddering_share": "coalesce(ladders_to_credential, false)",
}


def _metric_columns() -> str:
    cols = []
    for name, cond in METRIC_SQL.items():
        cols.append(f"sum(CASE WHEN {cond} THEN 1 ELSE 0 END) AS {name}__offerings")
        cols.append(f"sum(CASE WHEN {cond} THEN enrolments ELSE 0 END) AS {name}__enrolments")
    return ", ".join(cols)


METRICS_SQL = """
SELECT institution_code, count(*) AS n_offerings, sum(enrolments) AS n_enrolments,
       sum(completions) AS n_completions, {metrics}
FROM current_offerings
WHERE {where}
GROUP BY institution_code
"""


def metric_counts(db: Database, filters: Filters) -> pd.DataFrame:
    """Numerators and denominators of every target metric, per institution, plus the total
    as a last row with institution_code None (summed here: the per-institution rows are few)."""
    where, params = filters.where()
    per_inst = db.frame(METRICS_SQL.format(metrics=_metric_columns(), where=where), params)
    numeric = per_inst.columns.drop("institution_code")
    per_inst[numeric] = per_inst[numeric].fillna(0).astype("int64")
    total = per_inst[numeric].sum().to_frame().T
    total.insert(0, "institution_code", None)
    return pd.concat([per_inst, total], ignore_index=True)


def targets(db: Database) -> pd.DataFrame:
    return db.frame("SELECT * FROM targets ORDER BY sort_order, target_id")


def metric_values(counts: pd.DataFrame, metric: str, basis: str) -> pd.Series:
    """The metric as a share, per row of ``metric_counts``."""
    if metric == "completion_rate":
        return counts.n_completions / counts.n_enrolments.where(counts.n_enrolments > 0)
    numerator = counts[f"{metric}__{basis}"]
    denominator = counts.n_offerings if basis == "offerings" else counts.n_enrolments
    return numerator / denominator.where(denominator > 0)


def choose_target(targets_frame: pd.DataFrame, metric: str, period: str | None = None, sector: str | None = None,
                  institution: str | None = None) -> pd.Series | None:
    """The most specific target for a metric: institution, then sector, then period, then provincial."""
    records = targets_frame.to_dict("records")
    positions = [i for i, row in enumerate(records) if row["metric"] == metric]
    best = most_specific([records[i] for i in positions], period, sector, institution)
    return None if best is None else targets_frame.iloc[positions[best]]


def most_specific(candidates: list[dict], period: str | None, sector: str | None,
                  institution: str | None) -> int | None:
    """Which of one metric's target records applies (its position), as choose_target explains."""
    best, best_score = None, -1
    for index, row in enumerate(candidates):
        # An unset scope arrives as None or, in a string column, as NaN (which is truthy).
        t_period, t_sector, t_institution = (v if isinstance(v, str) and v else None
                                             for v in (row["period"], row["sector"], row["institution"]))
        if t_period and t_period != period:
            continue
        if t_sector and t_sector != sector:
            continue
        if t_institution and t_institution != institution:
            continue
        score = 4 * bool(t_institution) + 2 * bool(t_sector) + bool(t_period)
        if score > best_score:
            best, best_score = index, score
    return best


def institution_names(db: Database) -> dict[str, str]:
    return dict(vocabulary(db).values["institution"])


def institution_sectors(db: Database) -> dict[str, str]:
    return dict(db.rows("SELECT code, sector FROM institutions"))


def data_version(db: Database) -> dict:
    row = db.rows("SELECT max(version), max(published_at) FROM data_version")[0]
    loaded = db.rows("SELECT max(loaded_at) FROM submissions")[0][0]
    return {"version": row[0], "published_at": row[1], "last_load": loaded}


__all__ = ["DIMENSIONS", "MEASURES", "PARAMETERS"]
