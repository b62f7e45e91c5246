"""File names of every download, built here and nowhere else: descriptive (what, which
filters, when) and safe in a Content-Disposition header on any system."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from dashboard.data.dimensions import PERIOD
from dashboard.data.filters import Filters
from dashboard.data.state import PeerChoice

MAX_STEM = 120


def _periods(filters: Filters, most: int | None = None) -> str:
    return "-".join(p.replace("/", "-") for p in filters.period[:most]) or "all-periods"


def offerings_name(
    filters: Filters,
    fmt: str,
    today: dt.date | None = None,
    search: str | None = None,
    what: str = "offerings",
    filtered: Iterable[str] = (),
) -> str:
    """e.g. ``mcred-offerings-2024-25-college-20261128.csv`` (``what``: a chart's name instead;
    ``filtered``: the columns with a grid filter, e.g. ``...-filtered-title-...``)."""
    parts = [f"mcred-{what}", _periods(filters, 3)]
    for name, values in filters.active():
        if name != PERIOD:
            parts.append("-".join(values[:3]) + ("-more" if len(values) > 3 else ""))
    if search:
        parts.append("search-" + search)
    columns = list(filtered)
    if columns:
        parts.append("filtered-" + "-".join(columns[:3]) + ("-more" if len(columns) > 3 else ""))
    stem = re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower().replace("_", "-")).strip("-")
    stem = re.sub(r"-{2,}", "-", stem)[:MAX_STEM].rstrip("-")
    return f"{stem}-{(today or dt.date.today()).strftime('%Y%m%d')}.{fmt}"


def chart_name(filters: Filters, chart: str, measure: str, today: dt.date | None = None) -> str:
    """e.g. ``mcred-chart-type-offerings-2024-25-20261128.csv``."""
    return offerings_name(filters, "csv", today, what=f"{chart}-{measure}")


def peers_name(focus: str, choice: PeerChoice, filters: Filters) -> str:
    """e.g. ``mcred_peers_BCIT_sector_2024-25.csv``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"mcred_peers_{focus}_{choice.kind}_{_periods(filters)}.csv")


def issues_name(parts: Iterable[str], ext: str) -> str:
    """e.g. ``issues_BCIT_2024-25_errors_mc_type.csv`` from its parts (empty parts left out)."""
    stem = "_".join(re.sub(r"[^A-Za-z0-9._-]+", "-", p.replace("/", "-")).strip("-") for p in parts if p)
    return f"{stem}.{ext}"
