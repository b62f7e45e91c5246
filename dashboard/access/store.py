"""The account store and the audit log: one SQLite file beside the warehouse.

Why SQLite and not the warehouse: the loader builds each new warehouse version in a
private copy and renames it over the live file, and only one process may write a
DuckDB file at a time. Accounts and audit events are written by every dashboard
worker and by the command line at any moment, which SQLite in WAL mode does safely
across processes. The audit table refuses UPDATE and DELETE (triggers), so the log
is append-only for every client that goes through SQLite.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dashboard.access import passwords
from dashboard.sqlite_store import SqliteStore

ROLES = ("ministry", "institution")
ACTIONS = (
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "export",
    "account_added",
    "account_removed",
    "password_changed",
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS account (
    email         TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('ministry', 'institution')),
    institution   TEXT,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    CHECK ((role = 'institution') = (institution IS NOT NULL))
);
CREATE TABLE IF NOT EXISTS audit (
    event_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    actor    TEXT,
    role     TEXT,
    action   TEXT NOT NULL,
    address  TEXT,
    route    TEXT,
    detail   TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""


class AccountError(ValueError):
    """A request the account store refuses (unknown account, bad role, ...); the message says why."""


@dataclass(frozen=True)
class Account:
    email: str
    role: str
    institution: str | None
    created_at: str
    updated_at: str

    def as_dict(self) -> dict[str, str | None]:
        return {
            "email": self.email,
            "role": self.role,
            "institution": self.institution,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class AuditEvent:
    event_id: int
    at: datetime
    actor: str | None
    role: str | None
    action: str
    address: str | None
    route: str | None
    detail: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "role": self.role,
            "action": self.action,
            "address": self.address,
            "route": self.route,
            "detail": self.detail,
        }


def store_path(db_path: Path) -> Path:
    """Where the accounts of the warehouse ``db_path`` live: ``<name>.access.sqlite`` beside it."""
    db_path = Path(db_path)
    return db_path.with_name(db_path.stem + ".access.sqlite")


def normalise_email(email: str) -> str:
    text = email.strip().lower()
    if not _EMAIL.match(text) or len(text) > 254:
        raise AccountError(f"{email!r} is not an email address")
    return text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class AccessStore(SqliteStore):
    """Accounts and audit events. Each call opens its own connection: safe from any thread or process."""

    SCHEMA = _SCHEMA
    SCHEMA_VERSION = _SCHEMA_VERSION

    # -- accounts --------------------------------------------------------------------

    def add_account(
        self,
        email: str,
        role: str,
        password: str,
        institution: str | None = None,
        *,
        actor: str | None = None,
        known_institutions: frozenset[str] | None = None,
    ) -> Account:
        email = normalise_email(email)
        institution = self._check_role(role, institution, known_institutions)
        password_hash = passwords.hash_password(password)
        now = _now()
        with self.transaction() as con:
            if con.execute("SELECT 1 FROM account WHERE email = ?", [email]).fetchone():
                raise AccountError(f"an account for {email} exists already (change its password with: users passwd)")
            con.execute(
                "INSERT INTO account VALUES (?, ?, ?, ?, ?, ?)", [email, role, institution, password_hash, now, now]
            )
            self._record(
                con, actor, None, "account_added", detail={"email": email, "role": role, "institution": institution}
            )
        return Account(email, role, institution, now, now)

    def remove_account(self, email: str, *, actor: str | None = None) -> None:
        email = normalise_email(email)
        with self.transaction() as con:
            if con.execute("DELETE FROM account WHERE email = ?", [email]).rowcount == 0:
                raise AccountError(f"no account for {email}")
            self._record(con, actor, None, "account_removed", detail={"email": email})

    def set_password(self, email: str, password: str, *, actor: str | None = None) -> None:
        email = normalise_email(email)
        password_hash = passwords.hash_password(password)
        with self.transaction() as con:
            changed = con.execute(
                "UPDATE account SET password_hash = ?, updated_at = ? WHERE email = ?", [password_hash, _now(), email]
            ).rowcount
            if not changed:
                raise AccountError(f"no account for {email}")
            self._record(con, actor, None, "password_changed", detail={"email": email})

    def accounts(self) -> list[Account]:
        with self._connect() as con:
            rows = con.execute(
                "SELECT email, role, institution, created_at, updated_at FROM account ORDER BY role, institution, email"
            ).fetchall()
        return [Account(*row) for row in rows]

    def account(self, email: str) -> Account | None:
        try:
            email = normalise_email(email)
        except AccountError:
            return None
        with self._connect() as con:
            row = con.execute(
                "SELECT email, role, institution, created_at, updated_at FROM account WHERE email = ?", [email]
            ).fetchone()
        return Account(*row) if row else None

    def authenticate(self, email: str, password: str) -> Account | None:
        """The account when the password matches, else None (the same work either way)."""
        try:
            email = normalise_email(email)
        except AccountError:
            email = ""
        with self._connect() as con:
            row = con.execute(
                "SELECT email, role, institution, created_at, updated_at, password_hash FROM account WHERE email = ?",
                [email],
            ).fetchone()
        stored = row[5] if row else None
        if not passwords.verify(stored, password) or row is None:
            return None
        if passwords.needs_rehash(stored):
            with self.transaction() as con:
                con.execute(
                    "UPDATE account SET password_hash = ? WHERE email = ?", [passwords.hash_password(password), email]
                )
        return Account(*row[:5])

    @staticmethod
    def _check_role(role: str, institution: str | None, known: frozenset[str] | None) -> str | None:
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}: roles are {', '.join(ROLES)}")
        if role == "ministry":
            if institution:
                raise AccountError("a ministry account sees every institution: give no --institution")
            return None
        if not institution:
            raise AccountError("an institution account needs --institution CODE")
        code = institution.strip().upper()
        if known is not None and code not in known:
            raise AccountError(f"unknown institution {institution!r}: institutions are {', '.join(sorted(known))}")
        return code

    # -- audit -----------------------------------------------------------------------

    def record(
        self,
        action: str,
        *,
        actor: str | None = None,
        role: str | None = None,
        address: str | None = None,
        route: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        with self.transaction() as con:
            self._record(con, actor, role, action, address=address, route=route, detail=detail)

    @staticmethod
    def _record(
        con: sqlite3.Connection,
        actor: str | None,
        role: str | None,
        action: str,
        *,
        address: str | None = None,
        route: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        con.execute(
            "INSERT INTO audit (at, actor, role, action, address, route, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [_now(), actor, role, action, address, route, json.dumps(dict(detail or {}), default=str, sort_keys=True)],
        )

    def events(self, since: datetime | None = None, limit: int | None = None) -> list[AuditEvent]:
        """Audit events, oldest first (``limit``: the newest ``limit`` of them)."""
        sql = "SELECT event_id, at, actor, role, action, address, route, detail FROM audit"
        params: list[Any] = []
        if since is not None:
            sql += " WHERE at >= ?"
            params.append(since.astimezone(UTC).isoformat(timespec="microseconds"))
        sql += " ORDER BY event_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._connect() as con:
            rows = con.execute(sql, params).fetchall()
        return [
            AuditEvent(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6], json.loads(r[7]))
            for r in reversed(rows)
        ]

    def search(
        self,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        action: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[AuditEvent], int]:
        """One page of audit events, newest first, from ``since`` to before ``until``, of one
        ``action`` or all; and how many match in all."""
        where, params = ["1 = 1"], []  # type: ignore[var-annotated]
        if since is not None:
            where.append("at >= ?")
            params.append(since.astimezone(UTC).isoformat(timespec="microseconds"))
        if until is not None:
            where.append("at < ?")
            params.append(until.astimezone(UTC).isoformat(timespec="microseconds"))
        if action:
            if action not in ACTIONS:
                raise ValueError(f"unknown audit action {action!r}: actions are {', '.join(ACTIONS)}")
            where.append("action = ?")
            params.append(action)
        condition = " AND ".join(where)
        with self._connect() as con:
            total = int(con.execute(f"SELECT count(*) FROM audit WHERE {condition}", params).fetchone()[0])
            rows = con.execute(
                "SELECT event_id, at, actor, role, action, address, route, detail FROM audit "
                f"WHERE {condition} ORDER BY event_id DESC LIMIT ? OFFSET ?",
                [*params, int(limit), max(0, int(offset))],
            ).fetchall()
        events = [
            AuditEvent(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5], r[6], json.loads(r[7])) for r in rows
        ]
        return events, total

    def last_sign_ins(self) -> dict[str, datetime]:
        """Each account's latest sign-in (from the audit log)."""
        with self._connect() as con:
            rows = con.execute(
                "SELECT actor, max(at) FROM audit WHERE action = 'sign_in' AND actor IS NOT NULL GROUP BY actor"
            ).fetchall()
        return {str(actor): datetime.fromisoformat(at) for actor, at in rows}
