"""The scenario of the sample: which files the 25 institutions send for which fiscal years,
with which troubles (not reported, rejected, corrected, revised, several years in a file),
and how many offerings each (institution, year) holds. Also the seeding of every random
stream, so that the same seed gives the same bytes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from etl import spec
from etl.sample.profiles import INSTITUTION_SIZE, OFFERING_GROWTH

DEFAULT_SEED = 2024
DEFAULT_OFFERINGS = 4_000
YEARS: tuple[int, ...] = (2021, 2022, 2023, 2024, 2025)  # first calendar year of each fiscal year


# --- the scenario ------------------------------------------------------------------
# Which (institution, fiscal year) pairs are special. Codes absent from the
# institutions reference are simply skipped.

NOT_REPORTED: frozenset[tuple[str, int]] = frozenset(
    {
        ("CMTN", 2025),
        ("NLC", 2025),
        ("ECUAD", 2025),  # not reported the latest year yet
        ("COTR", 2022),  # never reported an older year
    }
)
# One file holding several fiscal years (the contract allows it).
COMBINED_YEARS: dict[str, tuple[int, ...]] = {"NVIT": (2021, 2022)}
# Rejected and never corrected: the pair stays "rejected" on the dashboard.
REJECTED_ONLY: dict[tuple[str, int], str] = {("SEL", 2025): "missing_column", ("NIC", 2024): "bad_values"}
# Rejected, then a corrected file for the same pair.
CORRECTED: dict[tuple[str, int], str] = {("CAM", 2024): "bad_values_and_dates"}
# Accepted, then a revised file (final figures, late additions) that supersedes it.
REVISED: frozenset[tuple[str, int]] = frozenset({("UBC", 2023)})
LATE_ADDITIONS = 3
# Accepted with a warning: one title listed twice.
REPEATED_TITLE: frozenset[tuple[str, int]] = frozenset({("VIU", 2023)})


# --- the plan: which files, with which troubles ----------------------------------------


@dataclass(frozen=True)
class PlannedFile:
    stem: str  # file name without extension
    institution: spec.Institution
    years: tuple[int, ...]
    fault: str | None = None  # missing_column, bad_values, bad_values_and_dates or repeated_title
    revised: bool = False  # final figures and late additions, resubmitted


def plan_files(institutions: Sequence[spec.Institution]) -> list[PlannedFile]:
    """Every file of the sample, in load order, following the scenario."""
    planned: list[PlannedFile] = []
    for inst in institutions:
        combined = COMBINED_YEARS.get(inst.code, ())
        for year in YEARS:
            if (inst.code, year) in NOT_REPORTED or year in combined[1:]:
                continue
            years = combined if year in combined else (year,)
            stem = f"{year}_{inst.code}"
            key = (inst.code, year)
            if key in REJECTED_ONLY:
                planned.append(PlannedFile(f"{stem}_1", inst, years, fault=REJECTED_ONLY[key]))
            elif key in CORRECTED:
                planned.append(PlannedFile(f"{stem}_1", inst, years, fault=CORRECTED[key]))
                planned.append(PlannedFile(f"{stem}_2", inst, years))
            elif key in REVISED:
                planned.append(PlannedFile(f"{stem}_1", inst, years))
                planned.append(PlannedFile(f"{stem}_2", inst, years, revised=True))
            else:
                planned.append(
                    PlannedFile(f"{stem}_1", inst, years, fault="repeated_title" if key in REPEATED_TITLE else None)
                )
    return sorted(planned, key=lambda p: p.stem)


def pair_sizes(institutions: Sequence[spec.Institution], total: int, seed: int) -> dict[tuple[str, int], int]:
    """Offerings per reported (institution, year), about ``total`` in all, shaped by size and growth."""
    rng = np.random.default_rng(entropy(seed, 0))
    keys = [(i.code, y) for i in institutions for y in YEARS if (i.code, y) not in NOT_REPORTED]
    noise = rng.lognormal(0.0, 0.15, size=len(keys))
    weights = np.array([INSTITUTION_SIZE.get(code, 1.0) * OFFERING_GROWTH[y] for code, y in keys]) * noise
    counts = np.maximum(3, np.rint(total * weights / weights.sum())).astype(int)
    return {k: int(n) for k, n in zip(keys, counts)}


def entropy(seed: int, *stream: int) -> list[int]:
    # SeedSequence wants non-negative integers; keep negative seeds distinct from positive ones.
    return [abs(seed), int(seed < 0), *stream]


# --- when each file reached the ministry ------------------------------------------------------
# Deadlines are June 30 after each fiscal year (etl/data/deadlines.toml). Most files come in
# the last weeks before it; these pairs' files came after it (on the submissions page: "late").
LATE: frozenset[tuple[str, int]] = frozenset(
    {
        ("TRU", 2021),
        ("CNC", 2021),
        ("LANG", 2022),
        ("VCC", 2022),
        ("OC", 2023),
        ("UNBC", 2023),
        ("DOUG", 2024),
        ("CAM", 2024),  # the corrected file came after the deadline
        ("KPU", 2025),
        ("UFV", 2025),
        ("JIBC", 2025),
    }
)
RECEIVED_HOURS = (9, 17)  # office hours, Pacific time
PACIFIC_OFFSET = dt.timezone(dt.timedelta(hours=-7), "PDT")  # May to September: daylight time


def received_at(plan: PlannedFile, seed: int) -> dt.datetime:
    """When ``plan``'s file reached the ministry: 2 to 50 days before its first fiscal year's
    deadline (June 30), or 3 to 45 days after it for the LATE pairs; a second file (a
    correction or a revision) 5 to 25 days after the first. Deterministic for the seed."""
    year = plan.years[0]
    code = plan.institution.code
    number = int(plan.stem.rsplit("_", 1)[1])
    rng = np.random.default_rng(entropy(seed, 2, year, sum(map(ord, code)), number))
    deadline = dt.datetime(year + 1, 6, 30, tzinfo=PACIFIC_OFFSET)
    late = (code, year) in LATE
    if number == 1:
        days = int(rng.integers(3, 46)) if late and (code, year) not in CORRECTED else -int(rng.integers(2, 51))
        if (code, year) in CORRECTED:
            days = -int(rng.integers(2, 12))  # the rejected first try came in time
    else:
        first = received_at(PlannedFile(plan.stem[:-1] + "1", plan.institution, plan.years), seed)
        gap = int(rng.integers(5, 26))
        moment = first + dt.timedelta(days=gap)
        if late and moment <= deadline:
            moment = deadline + dt.timedelta(days=gap)
        elif not late and moment > deadline:
            moment = deadline - dt.timedelta(days=1)
        return moment.replace(hour=int(rng.integers(*RECEIVED_HOURS)), minute=int(rng.integers(0, 60)))
    moment = deadline + dt.timedelta(days=days)
    return moment.replace(hour=int(rng.integers(*RECEIVED_HOURS)), minute=int(rng.integers(0, 60)))


def received_times(plans: Sequence[PlannedFile], seed: int) -> dict[str, dt.datetime]:
    """File stem -> when it reached the ministry, for every planned file."""
    return {p.stem: received_at(p, seed) for p in plans}
