"""Each step of the submitting loop, with who may take it. Pages, callbacks and routes call
these and nothing else; every one starts from the request's ``Scope`` (dashboard.access).

- institution users upload, explain and send their own institution's files;
- ministry users do that for any institution, and review: accept or return;
- the public, and anyone not signed in, do none of it (``ScopeError``: HTTP 403).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mcred_locks
from dashboard.access.actor import Actor, Scope
from dashboard.data.scope import ScopeError
from dashboard.submitting import worker
from dashboard.submitting.store import (
    ACCEPTED,
    ACCEPTING,
    DRAFT,
    MAX_TEXT,
    RETURNED,
    SUBMITTED,
    Draft,
    DraftStore,
    Move,
    StateError,
    submissions_store_path,
)

log = logging.getLogger(__name__)

ALLOWED_SUFFIXES = (".csv", ".xlsx")
ACCEPT_LOCK_WAIT = 900  # seconds a second accept waits for the one running (a load of a large file)
NOT_YOURS = "That draft is not yours to see: an institution account sees its own institution's drafts only."
PUBLIC_REFUSAL = "Submitting is for signed-in institution and ministry users: the public view cannot upload or review."


class UploadRefused(ValueError):
    """The upload is refused before it is read (type, size); the message says what to do."""


@dataclass(frozen=True)
class Portal:
    """The draft store and how to reach the ETL, for one warehouse."""

    db_path: Path
    max_upload_mb: int = 50
    edit_threshold: float = 0.5
    # (draft_id) -> the warehouse submission it was loaded as, or None: the warehouse's own record
    loaded_as: Callable[[int], int | None] | None = None
    # (event, draft) -> None: tells people (the e-mail notices), never raises
    notify: Callable[[str, Draft], None] | None = None

    @property
    def store(self) -> DraftStore:
        return DraftStore(submissions_store_path(self.db_path))

    @property
    def max_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    # -- who ---------------------------------------------------------------------------

    @staticmethod
    def require_submitter(scope: Scope) -> None:
        if scope.role not in ("ministry", "institution"):
            raise ScopeError(PUBLIC_REFUSAL)

    @staticmethod
    def require_ministry(scope: Scope) -> None:
        if scope.role != "ministry":
            raise ScopeError("Reviewing submitted files is for ministry users.")

    def visible(self, scope: Scope, draft_id: int | None) -> Draft:
        """The draft, when the viewer may see it (else ScopeError, the same for a missing one)."""
        self.require_submitter(scope)
        draft = self.store.get(int(draft_id)) if draft_id is not None else None
        if draft is None or not (scope.role == "ministry" or draft.owner == scope.institution):
            raise ScopeError(NOT_YOURS)
        return draft

    # -- the institution's side --------------------------------------------------------

    def check_upload(self, file_name: str | None, size: int) -> str:
        """Refuse what is not a .csv or .xlsx, or is over MCRED_MAX_UPLOAD_MB, before reading it."""
        name = worker.safe_file_name(file_name or "")
        if not name.lower().endswith(ALLOWED_SUFFIXES):
            raise UploadRefused(
                f"{name} is not a .csv or .xlsx file: save the submission as CSV or as an Excel workbook (.xlsx)"
            )
        if size > self.max_bytes:
            raise UploadRefused(
                f"{name} is {size / 1024 / 1024:,.1f} MB: files up to {self.max_upload_mb} MB are accepted "
                "(MCRED_MAX_UPLOAD_MB)"
            )
        if size == 0:
            raise UploadRefused(f"{name} is empty")
        return name

    def upload(self, actor: Actor, file_name: str | None, content: bytes) -> Draft:
        """Keep the file as a draft first (nothing uploaded is lost), then check it."""
        scope = actor.scope
        self.require_submitter(scope)
        name = self.check_upload(file_name, len(content))
        draft_id = self.store.add(owner=scope.institution, file_name=name, content=content, uploaded_by=who(actor))
        return self.check(scope, draft_id)

    def check(self, scope: Scope, draft_id: int) -> Draft:
        """(Re)validate a draft's bytes: its report, what it reports for and whose it is."""
        draft = self.visible(scope, draft_id)
        try:
            report = worker.check(self.db_path, draft.file_name, self.store.content(draft_id), self.edit_threshold)
        except worker.WorkerError as exc:
            report = _failed_report(draft.file_name, str(exc))
        owner = _refuse_others(scope, report)
        self.store.set_report(draft_id, report, owner=owner)
        return self.visible(scope, draft_id)

    def explain(self, actor: Actor, draft_id: int, texts: dict[str, str]) -> Draft:
        draft = self.visible(actor.scope, draft_id)
        messages = {c["code"]: c["message"] for c in draft.edit_checks}
        unknown = sorted(set(texts) - set(messages))
        if unknown:
            raise StateError(f"no such edit check on draft {draft_id}: {', '.join(unknown)}")
        self.store.explain(draft_id, {c: (messages[c], t or "") for c, t in texts.items()}, who(actor))
        return self.visible(actor.scope, draft_id)

    def send(self, actor: Actor, draft_id: int, texts: dict[str, str] | None = None) -> Draft:
        """Send the draft to the ministry: no errors, one institution and year, every check explained."""
        if texts:
            self.explain(actor, draft_id, texts)
        draft = self.visible(actor.scope, draft_id)
        problems = blocking(draft)
        if problems:
            raise StateError(" ".join(problems))
        sent = self.store.change_state(
            draft_id, Move(SUBMITTED, "submitted"), expected=(DRAFT, RETURNED), by_user=who(actor), withdraw_others=True
        )
        self._notify("submitted", sent)
        return sent

    # -- the ministry's side -----------------------------------------------------------

    def queue(self, scope: Scope) -> list[Draft]:
        """Files sent for review, oldest first (and any accept under way)."""
        self.require_ministry(scope)
        self.recover()
        drafts = self.store.drafts(states=(SUBMITTED, ACCEPTING), every_owner=True, limit=500)
        return sorted(drafts, key=lambda d: d.draft_id)

    def give_back(self, actor: Actor, draft_id: int, comment: str) -> Draft:
        self.require_ministry(actor.scope)
        comment = (comment or "").strip()
        if not comment:
            raise StateError("Say what the institution should fix: a comment is required to return a file.")
        if len(comment) > MAX_TEXT:
            raise StateError(f"The comment is longer than {MAX_TEXT:,} characters.")
        returned = self.store.change_state(
            draft_id, Move(RETURNED, "returned", comment=comment), expected=(SUBMITTED,), by_user=who(actor)
        )
        self._notify("returned", returned)
        return returned

    def accept(self, actor: Actor, draft_id: int) -> Draft:
        """Load the draft through the ETL (``mcred.portal accept``), exactly once.

        The accept lock (``<db>.submissions.accept.lock``) makes accepts one at a time, and
        the draft moves submitted -> accepting under it, so of two people accepting at once
        one loads and the other is told it was accepted. The loading child inherits the
        lock: if this process is killed the load still finishes or dies whole, and
        :meth:`recover` later settles the draft from the warehouse's own record."""
        self.require_ministry(actor.scope)
        by = who(actor)
        with self._accept_lock() as fd:
            self._recover_locked()
            draft = self.store.change_state(draft_id, Move(ACCEPTING, "accepting"), expected=(SUBMITTED,), by_user=by)
            sent = next((e for e in reversed(draft.events) if e.event == "submitted"), None)
            request = {
                "draft_id": draft_id,
                "accepted_by": by,
                "submitted_by": sent.by_user if sent else None,
                "submitted_at": sent.at if sent else None,
                "explanations": {
                    c["code"]: (c["message"], draft.explanations.get(c["code"], "")) for c in draft.edit_checks
                },
            }

            def back_to_queue(note: str) -> Draft:
                return self.store.change_state(
                    draft_id, Move(SUBMITTED, "accept_failed", note), expected=(ACCEPTING,), by_user=by
                )

            try:
                result = worker.accept(self.db_path, draft.file_name, self.store.content(draft_id), request, fd)
            except worker.WorkerError as exc:
                return back_to_queue(f"the load failed and the file is back in the queue: {exc}")
            outcomes = result.get("outcomes") or []
            loaded = [o for o in outcomes if o.get("status") in ("accepted", "partial", "already_loaded")]
            if len(outcomes) == 1 and loaded and loaded[0].get("submission_id") is not None:
                o = loaded[0]
                note = (
                    f"loaded as submission {o['submission_id']} ({o.get('rows_accepted', 0):,} offerings)"
                    if o["status"] != "already_loaded"
                    else f"these bytes were already loaded as submission {o['submission_id']}"
                )
                accepted = Move(ACCEPTED, "accepted", note, submission_id=int(o["submission_id"]))
                return self.store.change_state(draft_id, accepted, expected=(ACCEPTING,), by_user=by)
            why = (
                "; ".join(f"{o.get('status')}: {o.get('errors', 0)} errors" for o in outcomes)
                or "no submission in the file"
            )
            return back_to_queue(f"the load did not accept it ({why}); the file is back in the queue")

    def recover(self) -> None:
        """Settle drafts left 'accepting' by a process that died, when no accept is running."""
        if not self.store.in_state(ACCEPTING):
            return
        with self._accept_lock(wait=0) as fd:
            if fd >= 0:
                self._recover_locked()

    def _recover_locked(self) -> None:
        worker.clear_stale(self.db_path)
        for draft_id in self.store.in_state(ACCEPTING):
            submission_id = self.loaded_as(draft_id) if self.loaded_as else None
            # Loaded before the process died: accepted; else back in the queue.
            settled = (
                Move(
                    ACCEPTED,
                    "accepted",
                    f"loaded as submission {submission_id} (settled after an interrupted accept)",
                    submission_id=submission_id,
                )
                if submission_id is not None
                else Move(
                    SUBMITTED,
                    "accept_interrupted",
                    "the accept was interrupted before the file was loaded; it is back in the queue",
                )
            )
            self.store.change_state(draft_id, settled, expected=(ACCEPTING,), by_user="mcred")

    @contextlib.contextmanager
    def _accept_lock(self, wait: float = ACCEPT_LOCK_WAIT) -> Iterator[int]:
        """The accept lock's descriptor, or -1 when ``wait`` ran out (wait=0: try once)."""
        path = submissions_store_path(self.db_path).with_suffix(".accept.lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if not mcred_locks.take(fd, wait, poll=0.1):
                if wait == 0:
                    yield -1
                    return
                raise StateError(
                    f"another file is being loaded and has taken over {wait / 60:.0f} minutes: try again later"
                )
            try:
                yield fd
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def _notify(self, event: str, draft: Draft) -> None:
        if self.notify is None:
            return
        try:
            self.notify(event, draft)
        except Exception:  # noqa: BLE001 - a notice never fails the step it tells of
            log.exception("notice of %s for draft %s failed", event, draft.draft_id)


def who(actor: Actor) -> str:
    return actor.email or ("local user" if actor.via == "none" else actor.role)


def blocking(draft: Draft) -> list[str]:
    """What stops the draft from being sent, in words (empty: it may be sent)."""
    if draft.report is None:
        return ["The file has not been checked yet: upload it again."]
    subs = draft.submissions
    if len(subs) != 1:
        return [
            f"The file holds {len(subs)} submissions: send one institution's fiscal year per file."
            if subs
            else "The file holds no submission."
        ]
    if draft.errors:
        return [f"Fix the {draft.errors:,} error{'s' if draft.errors != 1 else ''} and upload the file again."]
    if subs[0].get("status") == "already_loaded":
        return [
            f"These exact bytes are already loaded (submission {subs[0].get('submission_id')}): there is nothing "
            "new to send."
        ]
    if subs[0].get("status") != "accepted":
        return [f"The load would not accept this file ({subs[0].get('status')}): see the check above."]
    missing = draft.unexplained()
    if missing:
        n = len(missing)
        return [f"Explain the {n} edit check{'s' if n != 1 else ''} marked below before sending."]
    return []


def _refuse_others(scope: Scope, report: dict[str, Any]) -> str | None:
    """The draft's owner; an institution's file about another institution gets an error."""
    subs = report.get("submissions") or []
    codes = {s.get("institution_code") for s in subs if s.get("institution_code")}
    if scope.role == "institution":
        others = sorted(c for c in codes if c != scope.institution)
        if others:
            for s in subs:
                if s.get("institution_code") in others:
                    s["status"] = "rejected"
                    s["errors"] = int(s.get("errors") or 0) + 1
                    s["issues"] = [
                        {
                            "severity": "error",
                            "row": None,
                            "column": "institution_code",
                            "value": s.get("institution_code"),
                            "expected": scope.institution,
                            "message": f"this file reports for {s.get('institution_code')}: a {scope.institution} "
                            f"account submits {scope.institution}'s files only",
                            "rule": "not_your_institution",
                            "sheet": None,
                        },
                        *(s.get("issues") or []),
                    ]
        return scope.institution
    return next(iter(codes)) if len(codes) == 1 else None


def _failed_report(name: str, message: str) -> dict[str, Any]:
    issue = {
        "severity": "error",
        "row": None,
        "column": None,
        "value": None,
        "expected": "a .csv or .xlsx file in the submission format",
        "message": message,
        "rule": "unreadable_file",
        "sheet": None,
    }
    return {
        "file": name,
        "sha256": None,
        "edit_checks": [],
        "submissions": [
            {
                "institution_code": None,
                "reporting_period": None,
                "status": "rejected",
                "rows_total": 0,
                "rows_accepted": 0,
                "errors": 1,
                "warnings": 0,
                "issues": [issue],
            }
        ],
    }
