"""What the /admin page shows, for ministry staff only: the accounts and the audit log.

Every function takes the actor asking and refuses anyone but the ministry (``OutOfScope``,
HTTP 403), whichever door the request came through (the page, a crafted callback).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from dashboard.access.actor import Actor, OutOfScope
from dashboard.access.store import ACTIONS, AccessStore

PAGE_SIZE = 25


def require_ministry(actor: Actor) -> None:
    if actor.role != "ministry":
        raise OutOfScope("Account administration and the audit log are for ministry staff only.")


def accounts(store: AccessStore, actor: Actor) -> list[dict[str, Any]]:
    """Every local account with its role, institution, creation and latest sign-in."""
    require_ministry(actor)
    last = store.last_sign_ins()
    return [
        {
            "email": a.email,
            "role": a.role,
            "institution": a.institution or "",
            "created": _when(datetime.fromisoformat(a.created_at)),
            "last_sign_in": _when(last[a.email]) if a.email in last else "never",
        }
        for a in store.accounts()
    ]


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict[str, Any]]
    total: int
    page: int  # 1-based, clamped to the pages there are
    pages: int
    problem: str | None = None  # a date the page could not read


def parse_day(text: str | None, name: str) -> tuple[date | None, str | None]:
    """A YYYY-MM-DD date (empty: none), or a message naming the field."""
    if not text:
        return None, None
    try:
        return date.fromisoformat(str(text)[:10]), None
    except ValueError:
        return None, f"{name} {text!r} is not a date: use YYYY-MM-DD."


def audit_page(
    store: AccessStore,
    actor: Actor,
    *,
    since: str | None = None,
    until: str | None = None,
    action: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of the audit log, newest first: from ``since`` to ``until`` (whole days, UTC),
    one action or all."""
    require_ministry(actor)
    start, bad_start = parse_day(since, "From")
    end, bad_end = parse_day(until, "To")
    if action and action not in ACTIONS:
        return AuditPage([], 0, 1, 1, f"Unknown action {action!r}: actions are {', '.join(ACTIONS)}.")
    if bad_start or bad_end:
        return AuditPage([], 0, 1, 1, bad_start or bad_end)
    lower = datetime(start.year, start.month, start.day, tzinfo=UTC) if start else None
    upper = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1) if end else None
    _, total = store.search(since=lower, until=upper, action=action or None, limit=0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, int(page or 1)), pages)
    events, total = store.search(
        since=lower, until=upper, action=action or None, offset=(page - 1) * page_size, limit=page_size
    )
    rows = [
        {
            "at": _when(e.at),
            "actor": e.actor or "",
            "role": e.role or "",
            "action": e.action,
            "route": e.route or "",
            "detail": describe(e.detail),
            "address": e.address or "",
        }
        for e in events
    ]
    return AuditPage(rows, total, page, pages)


def describe(detail: dict[str, Any]) -> str:
    """An event's detail in one line: ``query: period=2024/25; rows: 120``."""
    return "; ".join(f"{k}: {v}" for k, v in sorted(detail.items()) if v not in (None, "", {}, []))


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
