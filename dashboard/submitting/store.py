"""The draft store: every file uploaded on /submit, its state and its history, in one SQLite
file beside the warehouse (``<db>.submissions.sqlite``).

Why beside the warehouse: the loader replaces the warehouse file on each publish, and a
draft exists before it is loaded (and often is never loaded). SQLite in WAL mode takes
writes from every dashboard worker at once; each state change is one ``BEGIN IMMEDIATE``
transaction that checks the state it starts from, so two people acting on one draft at
the same moment cannot both succeed (two ministry users accepting: one accepts, the
other is told it already was).

States: ``draft`` -> ``submitted`` -> ``accepting`` -> ``accepted``, or ``submitted`` ->
``returned`` (with the ministry's comment) -> ``submitted`` again; ``withdrawn`` when a
newer draft for the same institution and year is sent instead. Every change is an event
with who and when.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard.sqlite_store import SqliteStore

DRAFT, SUBMITTED, ACCEPTING, ACCEPTED, RETURNED, WITHDRAWN = (
    "draft",
    "submitted",
    "accepting",
    "accepted",
    "returned",
    "withdrawn",
)
STATES = (DRAFT, SUBMITTED, ACCEPTING, ACCEPTED, RETURNED, WITHDRAWN)
# Longest explanation and comment kept (a page of text): longer ones are refused, not cut.
MAX_TEXT = 4_000

_SCHEMA_VERSION = 1
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS draft (
    draft_id          INTEGER PRIMARY KEY AUTOINCREMENT,
    owner             TEXT,             -- the institution the draft belongs to (NULL: only the ministry sees it)
    institution_code  TEXT,             -- what the file reports for (NULL when it cannot say)
    reporting_period  TEXT,
    file_name         TEXT NOT NULL,
    size              INTEGER NOT NULL,
    sha256            TEXT NOT NULL,
    content           BLOB NOT NULL,
    uploaded_by       TEXT NOT NULL,
    uploaded_at       TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ({", ".join(repr(s) for s in STATES)})),
    report            TEXT,             -- the validation report (JSON); NULL until checked
    comment           TEXT,             -- the ministry's comment when it returned the draft
    submission_id     INTEGER,          -- the warehouse submission, once accepted
    updated_at        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS draft_owner ON draft (owner, draft_id);
CREATE INDEX IF NOT EXISTS draft_state ON draft (state);
CREATE TABLE IF NOT EXISTS explanation (
    draft_id     INTEGER NOT NULL REFERENCES draft (draft_id),
    code         TEXT NOT NULL,
    message      TEXT NOT NULL,
    text         TEXT NOT NULL,
    by_user      TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (draft_id, code)
);
CREATE TABLE IF NOT EXISTS event (
    event_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    draft_id     INTEGER NOT NULL REFERENCES draft (draft_id),
    event        TEXT NOT NULL,
    state        TEXT NOT NULL,         -- the state after the event
    by_user      TEXT NOT NULL,
    at           TEXT NOT NULL,
    note         TEXT
);
CREATE INDEX IF NOT EXISTS event_draft ON event (draft_id, event_id);
CREATE TRIGGER IF NOT EXISTS event_no_update BEFORE UPDATE ON event
BEGIN SELECT RAISE(ABORT, 'the draft history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS event_no_delete BEFORE DELETE ON event
BEGIN SELECT RAISE(ABORT, 'the draft history is append-only'); END;
"""


class StateError(Exception):
    """The draft is not in a state that allows this (it changed meanwhile); the message says why."""


def submissions_store_path(db_path: Path) -> Path:
    """Where the drafts of the warehouse ``db_path`` live: ``<name>.submissions.sqlite`` beside it."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".submissions.sqlite")


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Move:
    """Where a state change takes a draft: its new state, the event recorded with its note,
    and the draft's ``comment`` (a return) or ``submission_id`` (an accept) when set."""

    state: str
    event: str
    note: str | None = None
    comment: str | None = None
    submission_id: int | None = None


@dataclass(frozen=True)
class Event:
    draft_id: int
    event: str
    state: str
    by_user: str
    at: str
    note: str | None


@dataclass(frozen=True)
class Draft:
    draft_id: int
    owner: str | None
    institution_code: str | None
    reporting_period: str | None
    file_name: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: str
    state: str
    report: dict[str, Any] | None
    comment: str | None
    submission_id: int | None
    updated_at: str
    explanations: dict[str, str]
    events: tuple[Event, ...]

    @property
    def submissions(self) -> list[dict[str, Any]]:
        return list((self.report or {}).get("submissions") or [])

    @property
    def edit_checks(self) -> list[dict[str, Any]]:
        return list((self.report or {}).get("edit_checks") or [])

    @property
    def errors(self) -> int:
        return sum(int(s.get("errors") or 0) for s in self.submissions)

    @property
    def warnings(self) -> int:
        return sum(int(s.get("warnings") or 0) for s in self.submissions)

    @property
    def rows_total(self) -> int:
        return sum(int(s.get("rows_total") or 0) for s in self.submissions)

    def unexplained(self) -> list[dict[str, Any]]:
        return [c for c in self.edit_checks if not self.explanations.get(c["code"], "").strip()]


_DRAFT_COLUMNS = (
    "draft_id, owner, institution_code, reporting_period, file_name, size, sha256, uploaded_by, uploaded_at, "
    "state, report, comment, submission_id, updated_at"
)


class DraftStore(SqliteStore):
    """Drafts, explanations and events. Each call opens its own connection: safe from any thread or process."""

    SCHEMA = _SCHEMA
    SCHEMA_VERSION = _SCHEMA_VERSION
    FOREIGN_KEYS = True

    # -- writing -----------------------------------------------------------------

    def add(self, *, owner: str | None, file_name: str, content: bytes, uploaded_by: str) -> int:
        """Keep an uploaded file as a new draft (checked later: see set_report)."""
        at = now()
        with self.transaction() as con:
            cursor = con.execute(
                "INSERT INTO draft (owner, file_name, size, sha256, content, uploaded_by, uploaded_at, state, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    owner,
                    file_name,
                    len(content),
                    hashlib.sha256(content).hexdigest(),
                    content,
                    uploaded_by,
                    at,
                    DRAFT,
                    at,
                ],
            )
            draft_id = int(cursor.lastrowid or 0)
            _event(con, draft_id, "uploaded", DRAFT, uploaded_by, at, f"{file_name} ({len(content):,} bytes)")
        return draft_id

    def set_report(self, draft_id: int, report: dict[str, Any], *, owner: str | None) -> None:
        """Store the validation report and what the file reports for (and so whose it is)."""
        subs = report.get("submissions") or []
        institution = subs[0].get("institution_code") if len(subs) == 1 else None
        period = subs[0].get("reporting_period") if len(subs) == 1 else None
        with self.transaction() as con:
            con.execute(
                "UPDATE draft SET report = ?, institution_code = ?, reporting_period = ?, owner = ?, updated_at = ? "
                "WHERE draft_id = ?",
                [json.dumps(report, default=str), institution, period, owner, now(), draft_id],
            )

    def explain(self, draft_id: int, explanations: dict[str, tuple[str, str]], by_user: str) -> None:
        """Keep the explanations typed so far (code -> (check message, text)); empty ones are removed."""
        at = now()
        with self.transaction() as con:
            state = _state(con, draft_id)
            if state not in (DRAFT, RETURNED):
                raise StateError(f"draft {draft_id} is {state}: its explanations can no longer change")
            for code, (message, text) in explanations.items():
                text = text.strip()
                if len(text) > MAX_TEXT:
                    raise StateError(f"the explanation for {code} is longer than {MAX_TEXT:,} characters")
                if text:
                    con.execute(
                        "INSERT INTO explanation VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (draft_id, code) DO UPDATE "
                        "SET message = excluded.message, text = excluded.text, by_user = excluded.by_user, "
                        "at = excluded.at",
                        [draft_id, code, message, text, by_user, at],
                    )
                else:
                    con.execute("DELETE FROM explanation WHERE draft_id = ? AND code = ?", [draft_id, code])

    def change_state(
        self, draft_id: int, move: Move, *, expected: tuple[str, ...], by_user: str, withdraw_others: bool = False
    ) -> Draft:
        """Make ``move`` from one of the ``expected`` states, atomically, recording its event;
        ``withdraw_others`` withdraws the institution's other open drafts for the year."""
        at = now()
        with self.transaction() as con:
            current = _state(con, draft_id)
            if current not in expected:
                raise StateError(_refusal(con, draft_id, current))
            if withdraw_others:
                key = con.execute(
                    "SELECT institution_code, reporting_period FROM draft WHERE draft_id = ?", [draft_id]
                ).fetchone()
                for (other,) in con.execute(
                    "SELECT draft_id FROM draft WHERE institution_code = ? AND reporting_period = ? AND state IN "
                    "(?, ?) AND draft_id <> ?",
                    [key[0], key[1], SUBMITTED, RETURNED, draft_id],
                ).fetchall():
                    con.execute("UPDATE draft SET state = ?, updated_at = ? WHERE draft_id = ?", [WITHDRAWN, at, other])
                    _event(con, other, "withdrawn", WITHDRAWN, by_user, at, f"replaced by draft {draft_id}")
            sets, params = ["state = ?", "updated_at = ?"], [move.state, at]
            if move.comment is not None:
                sets.append("comment = ?")
                params.append(move.comment)
            if move.submission_id is not None:
                sets.append("submission_id = ?")
                params.append(move.submission_id)
            con.execute(f"UPDATE draft SET {', '.join(sets)} WHERE draft_id = ?", [*params, draft_id])
            _event(con, draft_id, move.event, move.state, by_user, at, move.note)
        found = self.get(draft_id)
        assert found is not None
        return found

    # -- reading -----------------------------------------------------------------

    def get(self, draft_id: int) -> Draft | None:
        with self._connect() as con:
            row = con.execute(f"SELECT {_DRAFT_COLUMNS} FROM draft WHERE draft_id = ?", [draft_id]).fetchone()
            if row is None:
                return None
            return _draft(con, row)

    def content(self, draft_id: int) -> bytes:
        with self._connect() as con:
            row = con.execute("SELECT content FROM draft WHERE draft_id = ?", [draft_id]).fetchone()
        if row is None:
            raise KeyError(draft_id)
        return bytes(row[0])

    def drafts(
        self,
        *,
        owner: str | None = None,
        states: tuple[str, ...] | None = None,
        every_owner: bool = False,
        limit: int = 50,
    ) -> list[Draft]:
        """Newest first: one owner's drafts, or (``every_owner``) everyone's."""
        where, params = [], []
        if not every_owner:
            where.append("owner IS ?")
            params.append(owner)
        if states:
            where.append(f"state IN ({', '.join('?' * len(states))})")
            params.extend(states)
        sql = f"SELECT {_DRAFT_COLUMNS} FROM draft"
        if where:
            sql += " WHERE " + " AND ".join(where)
        with self._connect() as con:
            rows = con.execute(sql + " ORDER BY draft_id DESC LIMIT ?", [*params, limit]).fetchall()
            return [_draft(con, r) for r in rows]

    def events_for(self, institution_code: str, reporting_period: str) -> list[Event]:
        """Every event of the drafts for one institution and year (a matrix cell), oldest first."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT e.draft_id, e.event, e.state, e.by_user, e.at, e.note FROM event e JOIN draft d USING "
                "(draft_id) WHERE d.institution_code = ? AND d.reporting_period = ? ORDER BY e.event_id",
                [institution_code, reporting_period],
            ).fetchall()
        return [Event(*r) for r in rows]

    def in_state(self, state: str) -> list[int]:
        with self._connect() as con:
            return [r[0] for r in con.execute("SELECT draft_id FROM draft WHERE state = ?", [state]).fetchall()]


def _state(con: sqlite3.Connection, draft_id: int) -> str:
    row = con.execute("SELECT state FROM draft WHERE draft_id = ?", [draft_id]).fetchone()
    if row is None:
        raise StateError(f"there is no draft {draft_id}")
    return str(row[0])


def _refusal(con: sqlite3.Connection, draft_id: int, state: str) -> str:
    last = con.execute(
        "SELECT by_user, at FROM event WHERE draft_id = ? ORDER BY event_id DESC LIMIT 1", [draft_id]
    ).fetchone()
    who = f" (by {last[0]} at {last[1][:16].replace('T', ' ')} UTC)" if last else ""
    return f"draft {draft_id} is already {state}{who}"


def _event(con: sqlite3.Connection, draft_id: int, event: str, state: str, by: str, at: str, note: str | None) -> None:
    con.execute(
        "INSERT INTO event (draft_id, event, state, by_user, at, note) VALUES (?, ?, ?, ?, ?, ?)",
        [draft_id, event, state, by, at, note],
    )


def _draft(con: sqlite3.Connection, row: tuple[Any, ...]) -> Draft:
    draft_id = int(row[0])
    explanations = {
        code: text
        for code, text in con.execute("SELECT code, text FROM explanation WHERE draft_id = ?", [draft_id]).fetchall()
    }
    events = tuple(
        Event(*r)
        for r in con.execute(
            "SELECT draft_id, event, state, by_user, at, note FROM event WHERE draft_id = ? ORDER BY event_id",
            [draft_id],
        ).fetchall()
    )
    report = json.loads(row[10]) if row[10] else None
    return Draft(*row[:10], report, *row[11:], explanations=explanations, events=events)  # type: ignore[misc]
