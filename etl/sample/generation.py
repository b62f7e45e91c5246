"""Offerings generated column-wise (numpy): one institution's fiscal year as columns of
codes and numbers, its revision, and the deliberate faults of the scenario."""

from __future__ import annotations

import numpy as np

from etl import spec
from etl.sample.profiles import (
    COMPETENCY_SETS,
    DEFAULT_INDIGENOUS_PARTNER_SHARE,
    DELIVERY_BY_YEAR,
    DELIVERY_MODES,
    ENROLMENT_GROWTH,
    FIELD_FIRST_TOPIC,
    FIELD_TOPIC_COUNT,
    FIELDS,
    FORMATS_PER_TOPIC,
    FUNDED_SHARE,
    HANDS_ON_FIELDS,
    INDIGENOUS_PARTNER_SHARE,
    INSTITUTION_FOCUS,
    MC_TYPES,
    NOC_IDS_BY_FIELD,
    PARTNERS,
    SECTORS,
    TOPIC_FIELD,
    SectorProfile,
)
from etl.sample.scenario import entropy

# --- generating offerings, column-wise -------------------------------------------------

Columns = dict[str, np.ndarray]


def generate_offerings(inst: spec.Institution, inst_index: int, year: int, n: int, seed: int) -> Columns:
    """``n`` offerings of one institution in one fiscal year, as numpy columns of codes and numbers.

    Coded columns hold indexes (into FIELDS, MC_TYPES...), -1 where the cell is left
    empty; booleans are 1/0/-1; numbers are NaN where empty; dates NaT where empty.
    """
    rng = np.random.default_rng(entropy(seed, 1, inst_index, year))
    profile = SECTORS[inst.sector]
    cols: Columns = {"seq": np.arange(1, n + 1)}

    topic, fmt, intake = _titles(rng, inst, profile, n)
    cols.update(topic=topic, format=fmt, intake=intake)
    field_ = TOPIC_FIELD[topic]
    hands_on = np.isin(field_, [FIELDS.index(f) for f in HANDS_ON_FIELDS])

    credit = rng.random(n) < profile.credit_share
    ce_share = np.where(credit, profile.ce_share_credit, profile.ce_share_non_credit)
    cols["credit"] = credit
    cols["ce"] = (rng.random(n) < ce_share).astype(np.int8)

    types = _choose(rng, np.array([profile.type_weights[t] for t in MC_TYPES], dtype=float), n)
    # Credit-bearing micro-credentials are often steps toward a qualification.
    types = np.where(credit & (rng.random(n) < 0.3), MC_TYPES.index("pathway"), types)
    cols["mc_type"] = types

    online, onsite, blended = DELIVERY_BY_YEAR[year]
    if inst.sector in ("college", "institute"):
        online, onsite = online - 0.1, onsite + 0.1
    p = np.tile([online, onsite, blended], (n, 1))
    p[hands_on] += [-0.15, 0.15, 0.0]
    cols["delivery"] = _choose_rows(rng, p)

    credits, hours = _credits_and_hours(rng, credit, n)
    cols["credits"], cols["hours"] = credits, hours
    teaser = types == MC_TYPES.index("teaser")
    cols["assessment"] = (rng.random(n) >= np.where(teaser, 0.15, 0.025)).astype(np.int8)
    cols["partners"] = _partners(rng, inst, field_, n)

    recognition_credit = _choose(rng, np.array([0.2, 0.15, 0.0, 0.65]), n)
    recognition_other = _choose(rng, np.array([0.45, 0.35, 0.15, 0.05]), n)
    cols["recognition"] = _blank(rng, np.where(credit, recognition_credit, recognition_other), 0.05)
    cols["ladders"] = _blank(rng, (rng.random(n) < np.where(credit, 0.65, 0.3)).astype(np.int8), 0.06)
    cols["plar"] = _blank(rng, (rng.random(n) < 0.2).astype(np.int8), 0.1)
    funded = rng.random(n) < FUNDED_SHARE[year]
    cols["funded"] = _blank(rng, funded.astype(np.int8), 0.08)
    cols["field"] = _blank(rng, field_, 0.04)
    cols["competencies"] = _blank(rng, topic * len(COMPETENCY_SETS) + rng.integers(0, len(COMPETENCY_SETS), n), 0.08)
    cols["noc"] = _blank(rng, _noc_lists(rng, field_), 0.3)

    enrolments, completions = _uptake(rng, inst, profile, year, cols["delivery"], types, n)
    cols["enrolments"], cols["completions"] = enrolments, completions
    cols["tuition"] = _tuition(rng, credit, credits, hours, funded)
    cols["start"], cols["end"] = _dates(rng, year, hours, cols["delivery"])
    return cols


def _choose(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weights), size=n, p=weights / weights.sum())


def _choose_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category per row, each row with its own probabilities."""
    cumulative = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    return (rng.random(len(probs))[:, None] > cumulative[:, :-1]).sum(axis=1)


def _blank(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """Leave about ``share`` of an optional column empty (-1), as institutions do."""
    return np.where(rng.random(len(values)) < share, -1, values)


def _titles(rng: np.random.Generator, inst: spec.Institution, profile: SectorProfile,
            n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(topic, format, intake) per offering; titles are unique within the submission.

    The k-th offering of a field takes topic ``k mod T`` (in a shuffled order) and a
    format that shifts each time the field's T topics come round again, so the first
    T x F offerings of a field all differ; beyond that a title returns as a further
    intake ("(Intake 2)"), which keeps even huge submissions free of repeated titles.
    """
    focus = INSTITUTION_FOCUS.get(inst.code, {})
    weights = np.array([profile.field_weights[f] * focus.get(f, 1.0) for f in FIELDS])
    field_ = _choose(rng, weights, n)
    k = _rank_within(field_)
    topics = FIELD_TOPIC_COUNT[field_]
    # Row f: a shuffled order of field f's topics (padded to the longest field).
    order = np.zeros((len(FIELDS), FIELD_TOPIC_COUNT.max()), dtype=np.int64)
    for f, count in enumerate(FIELD_TOPIC_COUNT):
        order[f, :count] = rng.permutation(count)
    local = order[field_, k % topics]
    round_ = k // topics
    fmt = (rng.integers(0, FORMATS_PER_TOPIC, len(FIELDS))[field_] + round_ + 2 * (k % topics)) % FORMATS_PER_TOPIC
    return FIELD_FIRST_TOPIC[field_] + local, fmt, round_ // FORMATS_PER_TOPIC


def _rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2... within each group, in row order."""
    order = np.argsort(groups, kind="stable")
    sorted_groups = groups[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    first = np.repeat(starts, np.diff(np.r_[starts, len(groups)]))
    rank = np.empty(len(groups), dtype=np.int64)
    rank[order] = np.arange(len(groups)) - first
    return rank


def _credits_and_hours(rng: np.random.Generator, credit: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Credit offerings: 0.5 to 3 credits at about 14 hours a credit; others mostly 10 to 120 hours."""
    credits = rng.choice(np.array([0.5, 1.0, 1.5, 3.0]), size=n, p=[0.15, 0.35, 0.25, 0.25])
    credit_hours = credits * 14 * rng.uniform(0.9, 1.25, n)
    other_hours = np.clip(rng.lognormal(np.log(28), 0.6, n), 6, 240)
    hours = np.where(credit, credit_hours, other_hours)
    # A few programs are too long to count as micro-credentials (a compliance warning).
    long = rng.random(n) < 0.015
    hours = np.where(long, rng.uniform(288, 420, n), hours)
    # Whole hours mostly, half hours sometimes.
    hours = np.where(rng.random(n) < 0.88, np.maximum(1, np.rint(hours)), np.rint(hours * 2) / 2)
    # Some credit offerings leave the credit value blank; non-credit ones never give one.
    credits = np.where(credit & (rng.random(n) >= 0.07), credits, np.nan)
    return credits, hours


def _partners(rng: np.random.Generator, inst: spec.Institution, field_: np.ndarray, n: int) -> np.ndarray:
    """A partner mask per offering: bit k for PARTNERS[k]; 0 means no partner."""
    health = field_ == FIELDS.index("health")
    indigenous = INDIGENOUS_PARTNER_SHARE.get(inst.code, DEFAULT_INDIGENOUS_PARTNER_SHARE)
    probs = {
        "employer_industry": np.full(n, 0.6),
        "community": np.full(n, 0.18),
        "indigenous_community": np.full(n, indigenous),
        "professional_body": np.where(health, 0.3, 0.14),
        "other_institution": np.full(n, 0.08),
        "government": np.where(health, 0.35, 0.1),
    }
    mask = np.zeros(n, dtype=np.int64)
    for bit, name in enumerate(PARTNERS):
        mask |= (rng.random(n) < probs[name]).astype(np.int64) << bit
    # Offerings that drew no category mostly still name an employer; the rest have none.
    named = rng.random(n) >= 0.06
    mask = np.where((mask == 0) & named, 1, mask)
    return np.where(named, mask, 0)


def _noc_lists(rng: np.random.Generator, field_: np.ndarray) -> np.ndarray:
    """An index into NOC_VOCAB per offering (one or two occupations of its field), -1 when none."""
    out = np.full(len(field_), -1, dtype=np.int64)
    for f_index, f in enumerate(FIELDS):
        ids = NOC_IDS_BY_FIELD[f]
        rows = np.flatnonzero(field_ == f_index)
        if ids and len(rows):
            out[rows] = np.array(ids)[rng.integers(0, len(ids), len(rows))]
    return out


def _uptake(rng: np.random.Generator, inst: spec.Institution, profile: SectorProfile, year: int,
            delivery: np.ndarray, types: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Enrolments (growing over the years) and completions at 60-90 % mostly, never above enrolments."""
    scale = np.array([1.4, 0.8, 1.0])[delivery] * profile.median_enrolment * ENROLMENT_GROWTH[year]
    enrolments = rng.lognormal(np.log(scale), 0.7)
    # A few open online offerings draw crowds.
    crowd = (delivery == DELIVERY_MODES.index("online")) & (rng.random(n) < 0.015)
    enrolments = np.where(crowd, enrolments * 25, enrolments)
    enrolments = np.where(rng.random(n) < 0.01, 0, np.clip(np.rint(enrolments), 1, 3000)).astype(np.int64)
    base = rng.uniform(0.68, 0.82)  # this institution's usual completion rate
    adjust = np.array([-0.08, 0.05, 0.0])[delivery]
    adjust = adjust + np.where(types == MC_TYPES.index("assessment_only"), 0.1, 0.0)
    rate = np.clip(base + adjust + rng.normal(0, 0.07, n), 0.35, 0.98)
    completions = rng.binomial(enrolments, rate)
    return enrolments, completions


def _tuition(rng: np.random.Generator, credit: np.ndarray, credits: np.ndarray, hours: np.ndarray,
             funded: np.ndarray) -> np.ndarray:
    per_credit = np.nan_to_num(credits, nan=1.0) * rng.uniform(130, 190, len(credit))
    per_hour = hours * rng.uniform(12, 28, len(credit))
    tuition = np.rint(np.where(credit, per_credit, per_hour) / 5) * 5
    # Ministry funding often makes the offering free to learners.
    tuition = np.where(funded & (rng.random(len(credit)) < 0.5), 0.0, tuition)
    return np.where(rng.random(len(credit)) < 0.07, np.nan, tuition)


def _dates(rng: np.random.Generator, year: int, hours: np.ndarray,
           delivery: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end inside the fiscal year (April 1 to March 31); both empty sometimes."""
    n = len(hours)
    first = np.datetime64(f"{year}-04-01")
    last = np.datetime64(f"{year + 1}-03-31")
    start = first + rng.integers(0, 330, n).astype("timedelta64[D]")
    per_week = np.where(delivery == DELIVERY_MODES.index("onsite"), rng.uniform(6, 35, n), rng.uniform(3, 12, n))
    weeks = np.ceil(hours / per_week).astype(np.int64)
    end = np.minimum(start + (weeks * 7 - 3).clip(0).astype("timedelta64[D]"), last)
    empty = rng.random(n) < 0.06
    return np.where(empty, np.datetime64("NaT"), start), np.where(empty, np.datetime64("NaT"), end)


def take_rows(cols: Columns, rows: np.ndarray | slice) -> Columns:
    return {name: values[rows] for name, values in cols.items()}


def revise(cols: Columns, seed: int, inst_index: int, year: int) -> Columns:
    """Final figures: late registrations and completions recorded after the first file was sent."""
    rng = np.random.default_rng(entropy(seed, 2, inst_index, year))
    out = dict(cols)
    n = len(cols["seq"])
    late = rng.random(n) < 0.4
    out["enrolments"] = cols["enrolments"] + np.where(late, rng.integers(1, 6, n), 0)
    more_done = rng.binomial(out["enrolments"] - cols["completions"], 0.3)
    out["completions"] = cols["completions"] + np.where(late, more_done, 0)
    return out


# --- deliberate faults -------------------------------------------------------------------------


def fault_rows(cols: Columns, seed: int, inst_index: int, year: int, k: int) -> np.ndarray:
    """``k`` distinct rows, chosen once per file, to carry a mistake."""
    rng = np.random.default_rng(entropy(seed, 3, inst_index, year))
    n = len(cols["seq"])
    return rng.choice(n, size=min(k, n), replace=False)


def completions_over_enrolments(cols: Columns, rows: np.ndarray) -> Columns:
    """Figures typed in the wrong columns: completions above enrolments."""
    out = dict(cols)
    enrolments, completions = cols["enrolments"].copy(), cols["completions"].copy()
    enrolments[rows] = np.maximum(cols["completions"][rows] - 2, 0)
    completions[rows] = cols["enrolments"][rows] + 2
    out["enrolments"], out["completions"] = enrolments, completions
    return out


def end_before_start(cols: Columns, rows: np.ndarray, year: int) -> Columns:
    """Start and end swapped by hand."""
    out = dict(cols)
    start, end = cols["start"].copy(), cols["end"].copy()
    start[rows] = np.datetime64(f"{year}-10-01")
    end[rows] = np.datetime64(f"{year}-09-24")
    out["start"], out["end"] = start, end
    return out
