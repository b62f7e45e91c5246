"""The explicit history of an (institution, period) pair, and restoring an earlier submission.

``mcred history`` and ``mcred restore`` are thin wrappers over :func:`submission_history`
and :func:`restore_submission`.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from etl.config import Settings
from etl.warehouse import WarehouseError, apply_migrations, read_only

HISTORY_FIELDS = (
    "submission_id",
    "file_name",
    "sheet",
    "sha256",
    "status",
    "rows_accepted",
    "rows_rejected",
    "errors",
    "warnings",
    "loaded_at",
    "is_current",
    "superseded_by",
    "superseded_at",
    "restored_at",
    "restored_by",
)


class HistoryError(Exception):
    """A history or restore request that cannot be met; the message says what to do."""


def canonical_period(period: str) -> str:
    """``2024/25`` (also ``2024-25``) as stored, or a HistoryError naming the form."""
    text = period.strip().replace("-", "/")
    start, _, end = text.partition("/")
    if not (len(start) == 4 and start.isdigit() and len(end) == 2 and end.isdigit()):
        raise HistoryError(f"{period!r} is not a reporting period: write it as 2024/25")
    if int(end) != (int(start) + 1) % 100:
        raise HistoryError(f"{period!r} is not a reporting period: the second year follows the first (2024/25)")
    return text


def submission_history(settings: Settings, institution: str, period: str) -> list[dict[str, Any]]:
    """Every submission of ``institution`` for ``period``, oldest first."""
    code = institution.strip().upper()
    canonical = canonical_period(period)
    with read_only(settings.db_path) as con:
        known = con.execute("SELECT 1 FROM institution WHERE code = ?", [code]).fetchall()
        if not known:
            codes = [r[0] for r in con.execute("SELECT code FROM institution ORDER BY code").fetchall()]
            raise HistoryError(f"{institution!r} is not an institution code; accepted: {', '.join(codes)}")
        cur = con.execute(
            f"""
            SELECT {", ".join(HISTORY_FIELDS)} FROM submissions
            WHERE institution_code = ? AND reporting_period = ? ORDER BY submission_id
            """,
            [code, canonical],
        )
        return [dict(zip(HISTORY_FIELDS, row)) for row in cur.fetchall()]


def restore_submission(
    settings: Settings, submission_id: int, *, on_wait: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Make the accepted or partial ``submission_id`` current again for its pair.

    The same hand-over as a load: the writer lock, a private copy, one transaction, a
    publish. The submission that was current is marked superseded by the restored one and
    the restore is recorded in ``submission_event`` (shown by the ``submissions`` view).
    Returns ``{"submission_id", "replaced", "institution_code", "reporting_period"}``.
    """
    with settings.writer(on_wait) as writer:
        con = writer.con
        apply_migrations(con)
        row = con.execute(
            "SELECT status, institution_code, reporting_period, superseded_by FROM submission WHERE submission_id = ?",
            [submission_id],
        ).fetchone()
        if row is None:
            raise HistoryError(f"there is no submission {submission_id}: see mcred history INSTITUTION PERIOD")
        status, code, period, superseded_by = row
        if status not in ("accepted", "partial") or code is None or period is None:
            raise HistoryError(
                f"submission {submission_id} was {status}: only an accepted or partial submission can be made current"
            )
        if superseded_by is None:
            raise HistoryError(f"submission {submission_id} is already the current one for {code} {period}")
        current = con.execute(
            """
            SELECT max(submission_id) FROM submission
            WHERE institution_code = ? AND reporting_period = ? AND status IN ('accepted', 'partial')
              AND superseded_by IS NULL
            """,
            [code, period],
        ).fetchone()
        replaced = current[0] if current else None
        now = datetime.now(timezone.utc)
        con.execute("BEGIN TRANSACTION")
        try:
            if replaced is not None:
                con.execute(
                    "UPDATE submission SET superseded_by = ?, superseded_at = ? WHERE submission_id = ?",
                    [submission_id, now, replaced],
                )
            con.execute(
                "UPDATE submission SET superseded_by = NULL, superseded_at = NULL WHERE submission_id = ?",
                [submission_id],
            )
            con.execute(
                "INSERT INTO submission_event (submission_id, event, replaced, event_at, by_user) "
                "VALUES (?, 'restored', ?, ?, ?)",
                [submission_id, replaced, now, _user()],
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        writer.publish(note=f"restore of submission {submission_id}")
    return {"submission_id": submission_id, "replaced": replaced, "institution_code": code, "reporting_period": period}


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


__all__ = ["HistoryError", "WarehouseError", "restore_submission", "submission_history"]
