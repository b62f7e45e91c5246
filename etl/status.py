"""Reporting status and validation issues, read from the warehouse views (for ``mcred status``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from etl.warehouse import WarehouseError, read_only

STATUSES = ("accepted", "partial", "rejected", "missing")


def reporting_status(db_path: Path) -> dict[str, Any]:
    """Per institution and period: accepted, partial, rejected (no accepted submission) or missing."""
    with read_only(db_path) as con:
        rows = con.execute("""
            SELECT institution_code, institution_name, sector, reporting_period, status, rows_accepted,
                   current_submission_id, submissions, late, overdue, deadline
            FROM reporting_status ORDER BY sort_order, reporting_period
        """).fetchall()
    periods = sorted({r[3] for r in rows})
    institutions: dict[str, dict[str, Any]] = {}
    totals = {p: dict.fromkeys(STATUSES, 0) for p in periods}
    deadlines = {p: {"deadline": None, "late": 0, "overdue": 0} for p in periods}
    for code, name, sector, period, status, rows_accepted, submission_id, submissions, late, overdue, deadline in rows:
        inst = institutions.setdefault(code, {"code": code, "name": name, "sector": sector, "periods": {}})
        inst["periods"][period] = {
            "status": status,
            "rows_accepted": rows_accepted,
            "submission_id": submission_id,
            "submissions": submissions,
            "late": late,
            "overdue": overdue,
        }
        totals[period][status] += 1
        deadlines[period]["deadline"] = deadline.isoformat() if deadline else None
        deadlines[period]["late"] += late
        deadlines[period]["overdue"] += overdue
    return {"periods": periods, "deadlines": deadlines, "institutions": list(institutions.values()), "totals": totals}


def submission_issues(db_path: Path, submission_id: int) -> list[dict[str, Any]]:
    with read_only(db_path) as con:
        if not con.execute("SELECT 1 FROM submissions WHERE submission_id = ?", [submission_id]).fetchall():
            raise WarehouseError(f"there is no submission {submission_id}: see mcred status")
        cur = con.execute(
            """
            SELECT severity, "row", "column", value, message, expected, rule, file_name, sheet
            FROM validation_issues WHERE submission_id = ?
            ORDER BY severity = 'warning', "row" NULLS FIRST, "column"
        """,
            [submission_id],
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
