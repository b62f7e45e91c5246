"""How the dashboard writes numbers, shares, comparators, dates and times for a person: the one
place, so a headline and the table under it never disagree ("62%" above, "61.6%" below), a
count always agrees with its noun ("1 offering", "2 offerings") and every time a person reads
is local to the province (America/Vancouver, PST/PDT), whatever the server's zone.

Plain Python (no dash, no database): figures, views, pages and the footer all use it.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

PACIFIC = ZoneInfo("America/Vancouver")
DASH = "–"  # a value that is not there (no data, nothing to divide by)
COMPARATORS = {">=": "≥", "<=": "≤", ">": ">", "<": "<", "==": "="}
SHARE_DECIMALS = 1  # every share a person reads: "61.6%" (headline, tables, chart labels)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(value != value)  # NaN, NaT, pd.NA (whose != raises: handled below)
    except TypeError:
        return True


def number(value: Any) -> str:
    """A count: thousands separated, "–" when missing ("1,022")."""
    return DASH if _missing(value) else f"{int(value):,}"


def count(value: Any, word: str, plural_word: str | None = None) -> str:
    """A count with its noun in the right number: "1 offering", "23 offerings", "0 files"."""
    if _missing(value):
        return f"{DASH} {plural_word or word + 's'}"
    n = int(value)
    return f"{n:,} {word if n == 1 else (plural_word or word + 's')}"


def share(value: Any, decimals: int = SHARE_DECIMALS) -> str:
    """A share (0..1) as a percentage, by the one rule: ``SHARE_DECIMALS`` decimals ("61.6%").
    A share just short of 100% never reads "100.0%", nor one just above 0% "0.0%"."""
    if _missing(value):
        return DASH
    x = float(value)
    text = f"{x:.{decimals}%}"
    step = 10.0 ** -(decimals + 2)
    if x < 1 and text == f"{1:.{decimals}%}":
        text = f"{1 - step:.{decimals}%}"
    elif x > 0 and text == f"{0:.{decimals}%}":
        text = f"<{step:.{decimals}%}"
    return text


def whole_share(value: Any) -> str:
    """A share for an axis tick or a target threshold, which are round numbers ("60%")."""
    return DASH if _missing(value) else f"{float(value):.0%}"


def change(diff: int, before: int) -> str:
    """A change in a count, signed, with its relative size: "+91 (+9.8%)"."""
    pct = f" ({'+' if diff >= 0 else '-'}{share(abs(diff) / before)})" if before else ""
    return f"{diff:+,}{pct}"


def points(value: float) -> str:
    """A change in a share, in percentage points: "+1.5 pts"."""
    return f"{value:+.1f} pts"


def comparator(symbol: str | None) -> str:
    """ ">=" -> "≥", "<=" -> "≤" (the signs a person reads)."""
    return "" if symbol is None else COMPARATORS.get(symbol, symbol)


def target(symbol: str | None, value: Any) -> str:
    """A target threshold: "≥ 100%", "≤ 60%"."""
    if symbol is None or _missing(value):
        return DASH
    return f"{comparator(symbol)} {whole_share(value)}"


def pacific(value: Any) -> datetime | None:
    """A moment in Pacific time (a naive value is taken as UTC, as DuckDB's TIMESTAMPTZ arrives; an
    ISO 8601 text, as the drafts store keeps its moments, is read first)."""
    if _missing(value):
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    moment = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    if not isinstance(moment, datetime):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(PACIFIC)


def when(value: Any) -> str:
    """A moment a person reads, in Pacific time with its zone: "Jun 12, 2026, 10:30 PDT"."""
    local = pacific(value)
    if local is None:
        return ""
    return f"{local:%b} {local.day}, {local.year}, {local:%H:%M} {local.tzname()}"


def day(value: Any) -> str:
    """A calendar date ("Jun 30, 2026"); a moment is first taken to Pacific time."""
    if _missing(value):
        return ""
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        value = (pacific(value) if value.tzinfo is not None else value).date()  # type: ignore[union-attr]
    if not isinstance(value, date):
        return ""
    return f"{value:%b} {value.day}, {value.year}"


def listing(items: list[str], conjunction: str = "and") -> str:
    """ "A", "A and B", "A, B and C"."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def is_missing(value: Any) -> bool:
    """True for None, NaN, NaT and pd.NA."""
    return _missing(value) or (isinstance(value, float) and math.isnan(value))
