"""What the warehouse says about drafts sent through /submit (migration 006): which submission a
draft became, and the explanations that came with a submission."""

from __future__ import annotations

from dashboard.data.database import Reader
from dashboard.data.scope import require_rows_of


def loaded_draft(reader: Reader, draft_id: int) -> int | None:
    """The submission the draft was loaded as, or None (the warehouse's own record: after a crash
    it says whether an accept that was cut short had already been published)."""
    rows = reader.rows("SELECT max(submission_id) FROM submission_route WHERE draft_id = ?", [draft_id])
    return None if not rows or rows[0][0] is None else int(rows[0][0])


def explanations(reader: Reader, submission_id: int, institution_code: str) -> list[tuple[str, str, str]]:
    """(code, message, explanation) of one submission, for whoever may read that institution's rows."""
    require_rows_of(reader, institution_code)
    rows = reader.rows(
        "SELECT code, message, explanation FROM submission_explanations WHERE submission_id = ? "
        "AND institution_code = ? ORDER BY code",
        [submission_id, institution_code],
    )
    return [(str(c), str(m), str(e)) for c, m, e in rows]
