"""Load submission files into the warehouse: one transaction per submission.

The library entry point is :func:`load_files`; ``mcred load`` is a thin wrapper.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from etl import readers, reference, spec
from etl.config import Settings
from etl.readers import UnreadableFile
from etl.spec import SEVERITY_ERROR, SEVERITY_WARNING, Issue
from etl.validate import SubmissionGroup, ValidatedFile, release, submission_rows, validate_batch
from etl.warehouse import Writer, apply_migrations

ACCEPTED, PARTIAL, REJECTED, ALREADY_LOADED = "accepted", "partial", "rejected", "already_loaded"

# Small files are validated together (each SQL statement has a fixed cost); a batch is
# published (made live) as a whole, before its submissions are reported.
BATCH_FILES = 64
BATCH_ROWS = 250_000

# Columns of the offering table, in order, with the typed-table expression for each.
_OFFERING_VALUES = {
    "institution_code": "institution_code",
    "reporting_period": "reporting_period",
    "offering_id": "raw_offering_id",
    "title": "raw_title",
    **{c.name: c.name for c in spec.COLUMNS if c.name not in ("institution_code", "reporting_period",
                                                              "offering_id", "title")},
}


@dataclass
class SubmissionOutcome:
    file: str
    path: str
    sheet: str | None
    sha256: str
    institution_code: str | None
    reporting_period: str | None
    status: str
    rows_accepted: int
    rows_rejected: int
    errors: int
    warnings: int
    submission_id: int | None = None
    superseded: int | None = None
    issues: list[dict] = field(default_factory=list)
    issues_total: int = 0

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "path": self.path,
            "sheet": self.sheet,
            "sha256": self.sha256,
            "institution_code": self.institution_code,
            "reporting_period": self.reporting_period,
            "status": self.status,
            "submission_id": self.submission_id,
            "supersedes": self.superseded,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "errors": self.errors,
            "warnings": self.warnings,
            "issues": self.issues,
        }


class LoadError(Exception):
    """The load cannot start (bad paths, reference data); the message says what to do."""


def load_files(
    paths: Iterable[str | Path],
    settings: Settings,
    *,
    allow_partial: bool = False,
    issue_limit: int | None = None,
    on_outcome: Callable[[SubmissionOutcome], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> list[SubmissionOutcome]:
    """Load every submission in ``paths`` (files or folders) into ``settings.db_path``.

    ``issue_limit`` caps the issues returned per submission (all are stored).
    ``on_outcome`` is called for each submission once it is published.
    """
    files = _resolve(paths)
    institutions = reference.read_institutions(settings.institutions_csv)
    targets = reference.read_targets(settings.targets_toml, institutions)
    deadlines = reference.read_deadlines(settings.deadlines_toml)
    outcomes: list[SubmissionOutcome] = []
    with Writer(settings.db_path, on_wait=on_wait, memory_limit=settings.load_memory_limit,
                storage_version=settings.storage_version) as writer:
        con = writer.con
        apply_migrations(con)
        con.execute("BEGIN TRANSACTION")
        reference.sync_reference(con, institutions, targets, deadlines)
        con.execute("COMMIT")
        pending: list[SubmissionOutcome] = []
        batch: list[readers.RawSubmissionTable] = []
        batch_rows = 0

        def flush(final: bool = False) -> None:
            nonlocal batch, batch_rows
            if batch:
                pending.extend(_load_batch(writer.con, batch, institutions, allow_partial, issue_limit))
                batch, batch_rows = [], 0
            if pending:
                # Published before reported: a line printed is a submission that is live.
                writer.publish(note=f"load of {len(pending)} submissions")
                if not final:
                    writer.reopen()  # the next batch works on a fresh private copy
                for outcome in pending:
                    outcomes.append(outcome)
                    if on_outcome:
                        on_outcome(outcome)
                pending.clear()

        for n, path in enumerate(files, start=1):
            if on_progress:
                on_progress(n, len(files), path.name)
            try:
                raw = readers.read_submission_file(path)
            except UnreadableFile as exc:
                pending.append(_record_unreadable(writer.con, path, exc, allow_partial, issue_limit))
                continue
            batch.append(raw)
            batch_rows += raw.table.num_rows
            if len(batch) >= BATCH_FILES or batch_rows >= BATCH_ROWS:
                flush()
        flush(final=True)
        if not outcomes:
            writer.publish(note="reference data")
    return outcomes


def ensure_warehouse(settings: Settings) -> None:
    """Create (or migrate) the warehouse with its reference data and no submissions."""
    load_files([], settings)


def _resolve(paths: Iterable[str | Path]) -> list[Path]:
    given = [Path(p) for p in paths]
    for p in given:
        if not p.exists():
            raise LoadError(f"cannot read {p}: no such file or folder")
        if p.is_file():
            try:
                with open(p, "rb"):
                    pass
            except OSError as exc:
                raise LoadError(f"cannot read {p}: {exc.strerror}") from exc
    files = readers.find_submission_files(given)
    if given and not files:
        raise LoadError(f"no .csv or .xlsx files found in {', '.join(map(str, given))}")
    return files


def _record_unreadable(con, path: Path, exc: UnreadableFile, allow_partial: bool,
                       issue_limit: int | None) -> SubmissionOutcome:
    sha = readers.sha256_of(path)
    issue = Issue(SEVERITY_ERROR, exc.message, path.name, exc.sheet, exc.row, exc.column, None,
                  "a .csv or .xlsx file in the submission format", rule="unreadable_file")
    group = SubmissionGroup(0, None, None, None, None)
    return _record(con, path, path.name, exc.sheet, sha, None, group, [issue], REJECTED, allow_partial, issue_limit)


def _load_batch(con: duckdb.DuckDBPyConnection, raws: list[readers.RawSubmissionTable], institutions,
                allow_partial: bool, issue_limit: int | None) -> list[SubmissionOutcome]:
    """Validate a batch of files in one pass, then record each submission in its own transaction."""
    try:
        out = []
        for validated in validate_batch(con, raws, institutions):
            groups = validated.groups or [SubmissionGroup(0, None, None, None, None)]
            out.extend(_record_group(con, validated, g, allow_partial, issue_limit) for g in groups)
        return out
    finally:
        release(con)


def _decide(validated: ValidatedFile, group: SubmissionGroup, allow_partial: bool) -> str:
    if validated.file_rejected or group.institution_code is None or group.reporting_period is None:
        return REJECTED
    if group.rows_with_errors == 0:
        return ACCEPTED
    if allow_partial and group.rows_with_errors < group.rows_total:
        return PARTIAL
    return REJECTED


def _record_group(con, validated: ValidatedFile, group: SubmissionGroup, allow_partial: bool,
                  issue_limit: int | None) -> SubmissionOutcome:
    raw = validated.raw
    status = _decide(validated, group, allow_partial)
    return _record(con, raw.path, raw.file_name, raw.sheet, raw.sha256, raw.header_row, group,
                   validated.file_issues, status, allow_partial, issue_limit,
                   rows=lambda: submission_rows(con, validated, group))


def _already_loaded(con, sha: str, file_name: str, group: SubmissionGroup, allow_partial: bool) -> int | None:
    # Without a known institution and period (an unreadable file, rows naming an unknown
    # institution) the pair says nothing: the same file and the same given values must match.
    row = con.execute("""
        SELECT submission_id, status FROM submission
        WHERE sha256 = ? AND institution_code IS NOT DISTINCT FROM ? AND reporting_period IS NOT DISTINCT FROM ?
          AND ((institution_code IS NOT NULL AND reporting_period IS NOT NULL)
               OR (file_name = ? AND institution_given IS NOT DISTINCT FROM ?
                   AND period_given IS NOT DISTINCT FROM ?))
        ORDER BY (status <> 'rejected') DESC, submission_id DESC LIMIT 1
    """, [sha, group.institution_code, group.reporting_period, file_name, group.institution_given,
          group.period_given]).fetchone()
    if row is None:
        return None
    submission_id, status = row
    # Rejected bytes may be loaded again with --allow-partial to keep their valid rows.
    if status == REJECTED and allow_partial:
        return None
    return submission_id


def _record(con, path: Path, file_name: str, sheet: str | None, sha: str, header_row: int | None,
            group: SubmissionGroup, file_issues: list[Issue], status: str, allow_partial: bool,
            issue_limit: int | None, rows: Callable[[], str] | None = None) -> SubmissionOutcome:
    """Record one submission in its own transaction; ``rows`` names the relation of its
    typed rows (asked for only when they are stored)."""
    previous = _already_loaded(con, sha, file_name, group, allow_partial)
    if previous is not None:
        stored = con.execute("SELECT status, rows_accepted, rows_rejected, errors, warnings FROM submission "
                             "WHERE submission_id = ?", [previous]).fetchone()
        return SubmissionOutcome(file_name, str(path), sheet, sha, group.institution_code, group.reporting_period,
                                 ALREADY_LOADED, stored[1], stored[2], stored[3], stored[4],
                                 submission_id=previous)
    file_errors = sum(i.severity == SEVERITY_ERROR for i in file_issues)
    file_warnings = sum(i.severity == SEVERITY_WARNING for i in file_issues)
    errors = group.errors + file_errors
    warnings = group.warnings + file_warnings
    if status in (ACCEPTED, PARTIAL):
        rows_accepted = group.rows_total - group.rows_with_errors
    else:
        rows_accepted = 0
    rows_rejected = group.rows_total - rows_accepted
    now = datetime.now(timezone.utc)
    con.execute("BEGIN TRANSACTION")
    try:
        submission_id = con.execute("""
            INSERT INTO submission (file_name, file_path, sheet, sha256, institution_code, institution_given,
                reporting_period, period_given, status, header_row, rows_total, rows_accepted, rows_rejected,
                errors, warnings, allow_partial, loaded_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            RETURNING submission_id
        """, [file_name, str(path.resolve()), sheet, sha, group.institution_code, group.institution_given,
              group.reporting_period, group.period_given, status, header_row, group.rows_total, rows_accepted,
              rows_rejected, errors, warnings, allow_partial, now]).fetchone()[0]
        if file_issues:
            con.executemany("INSERT INTO validation_issue VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [(submission_id, i.severity, i.rule, i.file, i.sheet, i.row, i.column, i.value,
                              i.expected, i.message) for i in file_issues])
        if group.key:
            con.execute("""
                INSERT INTO validation_issue
                SELECT ?, severity, rule, ?, ?, _row, column_name, value, expected, message
                FROM issues WHERE _sub = ? ORDER BY _row, column_name
            """, [submission_id, file_name, sheet, group.key])
        superseded = None
        if status in (ACCEPTED, PARTIAL):
            columns = ", ".join(_OFFERING_VALUES)
            values = ", ".join(_OFFERING_VALUES.values())
            con.execute(f"""
                INSERT INTO offering (submission_id, source_row, {columns})
                SELECT ?, _row, {values} FROM {rows()}
                WHERE _row NOT IN (SELECT _row FROM issues WHERE _sub = ? AND severity = 'error')
            """, [submission_id, group.key])
            con.execute("""
                INSERT INTO offering_partner
                SELECT submission_id, offering_id, unnest(partner_categories) FROM offering WHERE submission_id = ?
            """, [submission_id])
            row = con.execute("""
                UPDATE submission SET superseded_by = ?, superseded_at = ?
                WHERE institution_code = ? AND reporting_period = ? AND status IN ('accepted', 'partial')
                  AND superseded_by IS NULL AND submission_id <> ?
                RETURNING submission_id
            """, [submission_id, now, group.institution_code, group.reporting_period, submission_id]).fetchall()
            superseded = row[0][0] if row else None
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("ROLLBACK")
        raise
    outcome = SubmissionOutcome(file_name, str(path), sheet, sha, group.institution_code, group.reporting_period,
                                status, rows_accepted, rows_rejected, errors, warnings,
                                submission_id=submission_id, superseded=superseded,
                                issues_total=errors + warnings)
    outcome.issues = fetch_issues(con, submission_id, issue_limit)
    return outcome


ISSUE_FIELDS = ("severity", "row", "column", "value", "message", "expected", "rule", "sheet")
_ISSUES_SQL = f"""
    SELECT {', '.join(f'"{name}"' for name in ISSUE_FIELDS)} FROM validation_issue
    WHERE submission_id = ?
    ORDER BY severity = 'warning', "row" NULLS FIRST, "column"
"""


def fetch_issues(con, submission_id: int, limit: int | None = None) -> list[dict]:
    if limit == 0:  # mcred load --json reads them after the load: no query per submission
        return []
    if limit is None:
        return list(iter_issues(con, submission_id))
    return [dict(zip(ISSUE_FIELDS, r)) for r in con.execute(_ISSUES_SQL + " LIMIT ?", [submission_id, limit]).fetchall()]


def iter_issues(con, submission_id: int, batch: int = 10_000) -> Iterator[dict]:
    """A submission's issues, errors first, a batch at a time (a file can have millions)."""
    cursor = con.execute(_ISSUES_SQL, [submission_id])
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield dict(zip(ISSUE_FIELDS, row))
