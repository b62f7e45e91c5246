"""Load submission files into the warehouse: one transaction per submission.

The library entry point is :func:`load_files`; ``mcred load`` is a thin wrapper.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from etl import readers, reference, spec
from etl.arrays import array
from etl.config import Settings
from etl.readers import UnreadableFile
from etl.spec import SEVERITY_ERROR, SEVERITY_WARNING, Issue
from etl.validate import SubmissionGroup, ValidatedFile, release, validate_batch
from etl.warehouse import apply_migrations

ACCEPTED, PARTIAL, REJECTED, ALREADY_LOADED = "accepted", "partial", "rejected", "already_loaded"

# Small files are validated and recorded together (each SQL statement, and each publish
# with its checkpoint, has a fixed cost); a batch is published (made live) as a whole,
# before its submissions are reported. A batch holds at most as many rows as one big file
# would (its memory is that of a 1M-row file): 125 files of 8,000 rows in 4 batches of
# 250,000 took 9.6 s where one batch takes ~6 s (load_many_files).
BATCH_FILES = 200

# Issues stored per submission and rule (and severity); the rest are counted in one stored
# line, so a rejected file of a million bad rows adds thousands of issues, not millions.
ISSUES_PER_RULE = 1_000
BATCH_ROWS = 1_000_000

# Small CSV files read at once (one each on a core); see read_batches.
READERS = min(2, os.cpu_count() or 1)
# Workbooks read ahead: the small ones among the next this many files (see read_batches).
WORKBOOKS_AHEAD = 16
# A CSV file up to this size is "small": pyarrow parses it as one block (16 MB) on one thread.
# Larger files are parsed block-wise on every core, and read one at a time.
READ_ALONGSIDE_BYTES = 16 << 20

# Columns of the offering table, in order, with the typed-table expression for each.
_OFFERING_VALUES = {
    "institution_code": "institution_code",
    "reporting_period": "reporting_period",
    "offering_id": "raw_offering_id",
    "title": "raw_title",
    **{
        c.name: c.name
        for c in spec.COLUMNS
        if c.name not in ("institution_code", "reporting_period", "offering_id", "title")
    },
}


@dataclass
class SubmissionOutcome:
    """What a load says of one submission (``as_dict`` is the ``--json`` shape)."""

    # where it came from
    file: str
    path: str
    sheet: str | None
    sha256: str
    # what it is for, and what became of it
    institution_code: str | None
    reporting_period: str | None
    status: str
    rows_accepted: int
    rows_rejected: int
    errors: int
    warnings: int
    submission_id: int | None = None
    superseded: int | None = None
    # ALREADY_LOADED only: whether the earlier submission with these bytes is the current one
    # (when it is not, ``mcred restore`` makes it current again).
    is_current: bool | None = None
    issues: list[dict[str, Any]] = field(default_factory=list)
    issues_total: int = 0

    def as_dict(self) -> dict[str, Any]:
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
            "is_current": self.is_current,
            "rows_accepted": self.rows_accepted,
            "rows_rejected": self.rows_rejected,
            "errors": self.errors,
            "warnings": self.warnings,
            "issues": self.issues,
        }


@dataclass(frozen=True)
class PortalDraft:
    """A submission that arrives through the dashboard's /submit page rather than ``mcred load``:
    recorded in ``submission_route`` (route 'portal') with its explanations, in the same
    transaction as the submission itself (migration 006)."""

    draft_id: int
    accepted_by: str | None
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    # edit check code -> (what the check said, the institution's explanation)
    explanations: dict[str, tuple[str, str]] = field(default_factory=dict)


class LoadError(Exception):
    """The load cannot start (bad paths, reference data); the message says what to do."""


ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


def use_load_memory_pool() -> None:
    """Make jemalloc this process's Arrow memory pool, where pyarrow has it and the user has
    not chosen one (ARROW_DEFAULT_MEMORY_POOL). A load touches most of its memory once, and
    pyarrow's default, mimalloc, paid far more for that first touch on the 2-core benchmark
    machine (a VM that hands freed memory back to its host): the 125-submission file loaded
    in 3.04-3.24 s with mimalloc, 2.52-2.62 s with jemalloc (1.3-1.4 against 0.5 s of system
    CPU), the 360 MB single submission in 4.20-4.30 s against 3.47-3.86 s; run again in the
    same process, all three of pyarrow's pools took the same time. Buffers already made keep
    the pool they came from."""
    if os.environ.get(ARROW_POOL_ENV) or "jemalloc" not in pa.supported_memory_backends():
        return
    if pa.default_memory_pool().backend_name != "jemalloc":
        pa.set_memory_pool(pa.jemalloc_memory_pool())


def load_files(
    paths: Iterable[str | Path],
    settings: Settings,
    *,
    allow_partial: bool = False,
    replace: bool = False,
    issue_limit: int | None = None,
    on_outcome: Callable[[SubmissionOutcome], None] | None = None,
    on_progress: Callable[[int, int, str], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
    received: Mapping[str, datetime] | None = None,
    portal: PortalDraft | None = None,
) -> list[SubmissionOutcome]:
    """Load every submission in ``paths`` (files or folders) into ``settings.db_path``.

    ``received`` (file name -> moment) records those files as loaded when they reached the
    ministry instead of now: the bundled sample replays five years of files (its
    ``received.toml``), so its on-time and late submissions are those of their dates.
    ``portal``: the files are one draft accepted on the dashboard; each submission recorded
    is linked to it (route 'portal') and to its explanations.

    ``issue_limit`` caps the issues returned per submission (all are stored).
    ``replace`` lets a partial submission replace a current one with twice its rows or more
    (refused otherwise: see :data:`PARTIAL_REPLACE_SHARE`).
    ``on_outcome`` is called for each submission once it is published.
    """
    use_load_memory_pool()
    files = _resolve(paths)
    institutions = reference.read_institutions(settings.institutions_csv)
    targets = reference.read_targets(settings.targets_toml, institutions)
    deadlines = reference.read_deadlines(settings.deadlines_toml)
    # The fiscal years the ministry collects: from the first to the last in the deadlines file.
    periods = (min(deadlines), max(deadlines)) if deadlines else None
    outcomes: list[SubmissionOutcome] = []
    # The workbooks' zygote is forked first, while this process is small and has no threads.
    with readers.workbook_readers(files) as workbooks, settings.writer(on_wait) as writer:
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
                pending.extend(
                    _load_batch(
                        writer.con, batch, institutions, allow_partial, replace, issue_limit, periods, received, portal
                    )
                )
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

        for read in read_batches(files, on_progress, workbooks):
            if read.unreadable is not None:
                pending.append(_record_unreadable(writer.con, *read.unreadable, allow_partial, issue_limit))
            else:
                batch = read.batch
                flush(final=read.last)
        if not outcomes:
            writer.publish(note="reference data")
    return outcomes


@dataclass
class ReadFiles:
    """What :func:`read_batches` yields: a batch of files read, or one file that cannot be read."""

    batch: list[readers.RawSubmissionTable] = field(default_factory=list)
    unreadable: tuple[Path, UnreadableFile] | None = None
    last: bool = False  # the batch after the last file (possibly empty)


def read_batches(
    files: list[Path],
    on_progress: Callable[[int, int, str], None] | None = None,
    workbooks: readers.WorkbookReaders | None = None,
) -> Iterator[ReadFiles]:
    """Read the files in order: a batch at every BATCH_FILES files or BATCH_ROWS rows, the rest
    as the last batch, and an unreadable file on its own as soon as it is met (load_files and
    etl.check record it at once, before the batch it falls in).

    Small CSV files are read READERS at a time (see :func:`_read_alongside`), each file's
    outcome still taken in order: one small file is one block for pyarrow's parser, so read
    one after the other they would leave a core idle through every file's opening, header
    search, hashing and parse (bare DuckDB's read_csv of a file list reads them in parallel).
    With ``workbooks``, the small .xlsx files of the next WORKBOOKS_AHEAD are read ahead, in
    their children, while this process reads, validates and records the files before them."""
    batch: list[readers.RawSubmissionTable] = []
    batch_rows = 0
    pool = ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="mcred-read")
    ahead: dict[int, Future[readers.RawSubmissionTable | UnreadableFile]] = {}
    books: dict[int, int] = {}  # position -> ticket of a workbook read ahead
    try:
        for n, path in enumerate(files):
            if workbooks is not None:
                for m in range(n, min(n + WORKBOOKS_AHEAD, len(files))):
                    if m not in books and workbooks.may_read_ahead(files[m]):
                        books[m] = workbooks.submit(files[m])
            # Keep READERS files in flight, over a run of small CSV files only: an .xlsx is read in
            # a forked child, which no reader thread may be running beside.
            for m in range(n, min(n + READERS, len(files))):
                if m not in ahead:
                    if not _read_alongside(files[m]):
                        break
                    ahead[m] = pool.submit(_read_one, files[m])
            if on_progress:
                on_progress(n + 1, len(files), readers.safe_name(path.name))
            future = ahead.pop(n, None)
            if n in books:
                read = _read_one(path, partial(workbooks.result, books.pop(n)) if workbooks else None)
            else:
                read = future.result() if future is not None else _read_one(path, workbooks=workbooks)
            if isinstance(read, UnreadableFile):
                yield ReadFiles(unreadable=(path, read))
                continue
            batch.append(read)
            batch_rows += read.table.num_rows
            if len(batch) >= BATCH_FILES or batch_rows >= BATCH_ROWS:
                yield ReadFiles(batch)
                batch, batch_rows = [], 0
        yield ReadFiles(batch, last=True)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _read_alongside(path: Path) -> bool:
    """Whether ``path`` may be read on a reader thread beside another file: a small regular CSV."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        info = os.stat(path)
    except OSError:
        return False  # read in line, where the reader says what is wrong
    return stat.S_ISREG(info.st_mode) and info.st_size <= READ_ALONGSIDE_BYTES


def _read_one(
    path: Path,
    read_ahead: Callable[[], readers.RawSubmissionTable] | None = None,
    workbooks: readers.WorkbookReaders | None = None,
) -> readers.RawSubmissionTable | UnreadableFile:
    try:
        return read_ahead() if read_ahead is not None else readers.read_submission_file(path, workbooks)
    except UnreadableFile as exc:
        return exc


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    assert row is not None  # an aggregate or nextval always has one row
    return int(row[0])


def ensure_warehouse(settings: Settings) -> None:
    """Create (or migrate) the warehouse with its reference data and no submissions."""
    load_files([], settings)


def _resolve(paths: Iterable[str | Path]) -> list[Path]:
    given = [Path(p) for p in paths]
    for p in given:
        if not p.exists():
            raise LoadError(f"cannot read {readers.safe_name(str(p))}: no such file or folder")
        if p.is_file():  # a regular file (or a symlink to one): others are rejected when read
            try:
                with open(p, "rb"):
                    pass
            except OSError as exc:
                raise LoadError(f"cannot read {readers.safe_name(str(p))}: {exc.strerror}") from exc
    files = readers.find_submission_files(given)
    if given and not files:
        raise LoadError(f"no .csv or .xlsx files found in {', '.join(map(str, given))}")
    return files


_EMPTY_SHA = hashlib.sha256(b"").hexdigest()


def _record_unreadable(
    con: duckdb.DuckDBPyConnection, path: Path, exc: UnreadableFile, allow_partial: bool, issue_limit: int | None
) -> SubmissionOutcome:
    # A FIFO or device is never read (it could block or never end): it has the empty digest.
    sha = readers.sha256_of(path) if readers.not_regular(path) is None and path.is_file() else _EMPTY_SHA
    name = readers.safe_name(path.name)
    issue = Issue(
        SEVERITY_ERROR,
        exc.message,
        name,
        exc.sheet,
        exc.row,
        exc.column,
        None,
        "a .csv or .xlsx file in the submission format",
        rule="unreadable_file",
    )
    group = SubmissionGroup(0, None, None, None, None)
    plan = _Planned(path, name, exc.sheet, sha, None, group, [issue], REJECTED)
    [outcome] = _record_batch(con, [plan], allow_partial, issue_limit)
    return outcome


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    raws: list[readers.RawSubmissionTable],
    institutions: list[spec.Institution],
    allow_partial: bool,
    replace: bool,
    issue_limit: int | None,
    periods: tuple[str, str] | None = None,
    received: Mapping[str, datetime] | None = None,
    portal: PortalDraft | None = None,
) -> list[SubmissionOutcome]:
    """Validate a batch of files in one pass, then record all its submissions together."""
    try:
        plans: list[_Planned] = []
        validated_files = validate_batch(con, raws, institutions, periods)
        for validated in validated_files:
            groups = validated.groups or [SubmissionGroup(0, None, None, None, None)]
            plans.extend(_record_group(validated, g, allow_partial) for g in groups)
        return _record_batch(con, plans, allow_partial, issue_limit, replace=replace, received=received, portal=portal)
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


@dataclass
class _Planned:
    """One submission of a batch, decided but not yet recorded."""

    path: Path
    file_name: str
    sheet: str | None
    sha: str
    header_row: int | None
    group: SubmissionGroup
    file_issues: list[Issue]
    status: str


def _record_group(validated: ValidatedFile, group: SubmissionGroup, allow_partial: bool) -> _Planned:
    raw = validated.raw
    return _Planned(
        raw.path,
        raw.file_name,
        raw.sheet,
        raw.sha256,
        raw.header_row,
        group,
        validated.file_issues,
        _decide(validated, group, allow_partial),
    )


@dataclass
class _Known:
    """A submission the already-loaded rule can match: stored, or recorded earlier in this batch."""

    submission_id: int
    sha: str
    institution_code: str | None
    reporting_period: str | None
    file_name: str
    institution_given: str | None
    period_given: str | None
    status: str
    counts: tuple[int, int, int, int]  # rows_accepted, rows_rejected, errors, warnings

    def matches(self, plan: _Planned) -> bool:
        # Without a known institution and period (an unreadable file, rows naming an unknown
        # institution) the pair says nothing: the same file and the same given values must match.
        g = plan.group
        if (self.sha, self.institution_code, self.reporting_period) != (
            plan.sha,
            g.institution_code,
            g.reporting_period,
        ):
            return False
        if self.institution_code is not None and self.reporting_period is not None:
            return True
        return (self.file_name, self.institution_given, self.period_given) == (
            plan.file_name,
            g.institution_given,
            g.period_given,
        )


_SUBMISSION_COLUMNS = (
    "submission_id",
    "file_name",
    "file_path",
    "sheet",
    "sha256",
    "institution_code",
    "institution_given",
    "reporting_period",
    "period_given",
    "status",
    "header_row",
    "rows_total",
    "rows_accepted",
    "rows_rejected",
    "errors",
    "warnings",
    "allow_partial",
    "loaded_at",
    "superseded_by",
    "superseded_at",
)
_SUBMISSION_TYPES = (
    pa.int32(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.string(),
    pa.int32(),
    pa.int32(),
    pa.int32(),
    pa.int32(),
    pa.int32(),
    pa.int32(),
    pa.bool_(),
    pa.timestamp("us", tz="UTC"),
    pa.int32(),
    pa.timestamp("us", tz="UTC"),
)
_ISSUE_COLUMNS = (
    "submission_id",
    "severity",
    "rule",
    "file_name",
    "sheet",
    "row",
    "column",
    "value",
    "expected",
    "message",
)
_ISSUE_TYPES = (pa.int32(), *[pa.string()] * 4, pa.int32(), *[pa.string()] * 4)


def _stored_matches(con: duckdb.DuckDBPyConnection, plans: list[_Planned]) -> list[_Known]:
    shas = sorted({p.sha for p in plans})
    rows = con.execute(
        """
        SELECT submission_id, sha256, institution_code, reporting_period, file_name, institution_given, period_given,
               status, rows_accepted, rows_rejected, errors, warnings
        FROM submission WHERE sha256 IN (SELECT unnest(?))
    """,
        [shas],
    ).fetchall()
    return [
        _Known(sid, sha, inst, period, name, inst_given, period_given, status, counts=(ra, rr, e, w))
        for sid, sha, inst, period, name, inst_given, period_given, status, ra, rr, e, w in rows
    ]


def _current(con: duckdb.DuckDBPyConnection, plans: list[_Planned]) -> dict[tuple[str, str], tuple[int, int]]:
    """(institution, period) -> its current submission and its rows accepted, for the batch's pairs."""
    pairs = sorted(
        {
            (p.group.institution_code, p.group.reporting_period)
            for p in plans
            if p.group.institution_code is not None and p.group.reporting_period is not None
        }
    )
    if not pairs:
        return {}
    rows = con.execute(
        """
        SELECT institution_code, reporting_period, max(submission_id), arg_max(rows_accepted, submission_id)
        FROM submission
        WHERE status IN ('accepted', 'partial') AND superseded_by IS NULL
          AND institution_code || '|' || reporting_period IN (SELECT unnest(?))
        GROUP BY ALL
    """,
        [[f"{i}|{p}" for i, p in pairs]],
    ).fetchall()
    return {(i, p): (sid, n) for i, p, sid, n in rows}


# A partial submission that would leave fewer than this share of the current submission's rows
# is refused unless --replace is given (86 invalid rows of 87 once replaced 70 offerings by 1).
PARTIAL_REPLACE_SHARE = 0.5


def _refuse_small_partial(plan: _Planned, current: tuple[int, int] | None, replace: bool) -> None:
    """Turn a partial submission into a rejected one when it would replace a far larger current one."""
    g = plan.group
    if plan.status != PARTIAL or replace or current is None:
        return
    current_id, current_rows = current
    rows = g.rows_total - g.rows_with_errors
    if rows >= current_rows * PARTIAL_REPLACE_SHARE:
        return
    plan.status = REJECTED
    plan.file_issues = [
        *plan.file_issues,
        Issue(
            SEVERITY_ERROR,
            f"this partial submission keeps {rows:,} valid rows and would replace submission {current_id} "
            f"with {current_rows:,}: fewer than half its rows, so it is refused; load it with --replace "
            "to replace it anyway",
            plan.file_name,
            plan.sheet,
            None,
            None,
            None,
            f"at least {current_rows * PARTIAL_REPLACE_SHARE:,.0f} valid rows, or --replace",
            rule="partial_replace",
        ),
    ]


def _record_batch(
    con: duckdb.DuckDBPyConnection,
    plans: list[_Planned],
    allow_partial: bool,
    issue_limit: int | None,
    *,
    replace: bool = False,
    received: Mapping[str, datetime] | None = None,
    portal: PortalDraft | None = None,
) -> list[SubmissionOutcome]:
    """Record the batch's submissions, in order, as one sequence of whole submissions.

    Each submission is decided by the rules that recording them one at a time would
    apply (already loaded, supersede, reject-keeps-prior), against the stored history
    and the submissions before it in the batch; then every table gets one statement for
    the whole batch, in one transaction. Nothing of the batch is live until
    ``Writer.publish``, which makes the batch live as a whole: a kill or a failure at any
    point leaves the last published warehouse, and every published state holds whole
    submissions only.
    """
    known = _stored_matches(con, plans)
    current = _current(con, plans)
    first_id = None  # taken from the sequence once a submission is to be recorded
    records: list[dict[str, Any]] = []
    supersede: list[tuple[int, int, datetime]] = []  # (stored submission, superseded by, at)
    by_id: dict[int, dict[str, Any]] = {}
    outcomes: list[SubmissionOutcome] = []
    for plan in plans:
        g = plan.group
        previous = None
        for k in sorted(
            (k for k in known if k.matches(plan)), key=lambda k: (k.status != REJECTED, k.submission_id), reverse=True
        )[:1]:
            # Rejected bytes may be loaded again with --allow-partial to keep their valid rows.
            previous = None if (k.status == REJECTED and allow_partial) else k
        if previous is not None:
            pair = (g.institution_code, g.reporting_period)
            is_current = (
                previous.status in (ACCEPTED, PARTIAL)
                and pair[0] is not None
                and pair[1] is not None
                and current.get((pair[0], pair[1]), (None, 0))[0] == previous.submission_id
            )
            outcomes.append(
                _outcome(
                    plan, ALREADY_LOADED, previous.counts, submission_id=previous.submission_id, is_current=is_current
                )
            )
            continue
        if g.institution_code is not None and g.reporting_period is not None:
            _refuse_small_partial(plan, current.get((g.institution_code, g.reporting_period)), replace)
        if first_id is None:
            first_id = _scalar(con, "SELECT nextval('submission_id_seq')")
        submission_id = first_id + len(records)
        errors = g.errors + sum(i.severity == SEVERITY_ERROR for i in plan.file_issues)
        warnings = g.warnings + sum(i.severity == SEVERITY_WARNING for i in plan.file_issues)
        rows_accepted = g.rows_total - g.rows_with_errors if plan.status in (ACCEPTED, PARTIAL) else 0
        rows_rejected = g.rows_total - rows_accepted
        now = (received or {}).get(plan.file_name) or datetime.now(timezone.utc)
        superseded = None
        if plan.status in (ACCEPTED, PARTIAL):
            assert g.institution_code is not None and g.reporting_period is not None
            key = (g.institution_code, g.reporting_period)
            superseded = current[key][0] if key in current else None
            if superseded in by_id:  # recorded earlier in this batch
                by_id[superseded].update(superseded_by=submission_id, superseded_at=now)
            elif superseded is not None:
                supersede.append((superseded, submission_id, now))
            current[key] = (submission_id, rows_accepted)
        record = dict(
            submission_id=submission_id,
            file_name=plan.file_name,
            file_path=readers.safe_name(str(plan.path.resolve())),
            sheet=plan.sheet,
            sha256=plan.sha,
            institution_code=g.institution_code,
            institution_given=g.institution_given,
            reporting_period=g.reporting_period,
            period_given=g.period_given,
            status=plan.status,
            header_row=plan.header_row,
            rows_total=g.rows_total,
            rows_accepted=rows_accepted,
            rows_rejected=rows_rejected,
            errors=errors,
            warnings=warnings,
            allow_partial=allow_partial,
            loaded_at=now,
            superseded_by=None,
            superseded_at=None,
            _plan=plan,
        )
        records.append(record)
        by_id[submission_id] = record
        counts = (rows_accepted, rows_rejected, errors, warnings)
        known.append(
            _Known(
                submission_id,
                plan.sha,
                g.institution_code,
                g.reporting_period,
                plan.file_name,
                g.institution_given,
                g.period_given,
                plan.status,
                counts,
            )
        )
        outcomes.append(
            _outcome(
                plan,
                plan.status,
                counts,
                submission_id=submission_id,
                superseded=superseded,
                issues_total=errors + warnings,
            )
        )
    if records:
        _write_batch(con, records, supersede, portal)
    _attach_issues(con, [o for o in outcomes if o.status != ALREADY_LOADED], issue_limit)
    return outcomes


def _outcome(plan: _Planned, status: str, counts: tuple[int, int, int, int], **extra: Any) -> SubmissionOutcome:
    """What the load says of one planned submission: its file, its pair, ``status`` and row and issue counts."""
    g = plan.group
    return SubmissionOutcome(
        plan.file_name,
        readers.safe_name(str(plan.path)),
        plan.sheet,
        plan.sha,
        g.institution_code,
        g.reporting_period,
        status,
        *counts,
        **extra,
    )


def _write_batch(
    con: duckdb.DuckDBPyConnection,
    records: list[dict[str, Any]],
    supersede: list[tuple[int, int, datetime]],
    portal: PortalDraft | None = None,
) -> None:
    """Every table's rows of the batch, one statement each, in one transaction."""
    ids = [r["submission_id"] for r in records]
    # The sequence stays where one nextval per submission would have left it.
    con.execute("SELECT max(nextval('submission_id_seq')) FROM range(?)", [len(records) - 1]).fetchall()
    submissions = pa.table(
        [array([r[c] for r in records], t) for c, t in zip(_SUBMISSION_COLUMNS, _SUBMISSION_TYPES)],
        names=list(_SUBMISSION_COLUMNS),
    )
    file_issues = [
        (r["submission_id"], i.severity, i.rule, i.file, i.sheet, i.row, i.column, i.value, i.expected, i.message)
        for r in records
        for i in r["_plan"].file_issues
    ]
    issue_table = pa.table(
        [
            array(col, t)
            for col, t in zip(zip(*file_issues) if file_issues else [()] * len(_ISSUE_COLUMNS), _ISSUE_TYPES)
        ],
        names=list(_ISSUE_COLUMNS),
    ).append_column("seq", array(range(len(file_issues)), pa.int32()))
    grouped = [r for r in records if r["_plan"].group.key != 0]  # key 0: a file without rows, or unreadable
    groups = pa.table(
        {
            "_sub": array([r["_plan"].group.key for r in grouped], pa.int32()),
            "submission_id": array([r["submission_id"] for r in grouped], pa.int32()),
            "file_name": array([r["file_name"] for r in grouped], pa.string()),
            "sheet": array([r["sheet"] for r in grouped], pa.string()),
            "stored": array([r["status"] in (ACCEPTED, PARTIAL) for r in grouped], pa.bool_()),
        }
    )
    superseding = pa.table(
        {
            "old": array([s[0] for s in supersede], pa.int32()),
            "new": array([s[1] for s in supersede], pa.int32()),
            "at": array([s[2] for s in supersede], pa.timestamp("us", tz="UTC")),
        }
    )
    con.register("_batch_submissions", submissions)
    con.register("_batch_file_issues", issue_table)
    con.register("_batch_groups", groups)
    con.register("_batch_supersede", superseding)
    any_stored = any(r["status"] in (ACCEPTED, PARTIAL) for r in records)
    has_groups = groups.num_rows > 0
    columns = ", ".join(_OFFERING_VALUES)
    values = ", ".join(f"t.{v}" for v in _OFFERING_VALUES.values())
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"INSERT INTO submission ({', '.join(_SUBMISSION_COLUMNS)}) "
            f"SELECT {', '.join(_SUBMISSION_COLUMNS)} FROM _batch_submissions"
        )
        # Each submission's issues: its file's own first, then its rows' by row and column.
        group_issues = (
            """
            UNION ALL
            SELECT g.submission_id, 1, i.severity, i.rule, g.file_name, g.sheet, i._row, i.column_name, i.value,
                   i.expected, i.message, 0
            FROM issues i JOIN _batch_groups g ON g._sub = i._sub
        """
            if has_groups
            else ""
        )
        # At most ISSUES_PER_RULE issues of each rule are stored per submission, the rest as one
        # line that counts them (a rejected 1M-row file once stored 5M issues).
        con.execute(f"""
            INSERT INTO validation_issue
            WITH found AS (
                SELECT submission_id, 0 AS part, severity, rule, file_name, sheet, "row", "column", value, expected,
                       message, seq
                FROM _batch_file_issues
                {group_issues}
            ),
            ranked AS (
                SELECT *,
                       row_number() OVER (PARTITION BY submission_id, rule, severity
                                          ORDER BY part, "row", "column", seq) AS n,
                       count(*) OVER (PARTITION BY submission_id, rule, severity) AS of_rule
                FROM found
            )
            SELECT submission_id, severity, rule, file_name, sheet, "row", "column", value, expected, message
            FROM (
                SELECT * EXCLUDE (n, of_rule) FROM ranked WHERE n <= {ISSUES_PER_RULE}
                UNION ALL
                SELECT submission_id, 2, severity, rule, file_name, sheet, NULL, NULL, NULL, NULL,
                       printf('... and %d more %s %ss like these, not stored (the first %d of each rule are)',
                              of_rule - {ISSUES_PER_RULE}, rule, severity, {ISSUES_PER_RULE}),
                       0
                FROM ranked WHERE n = {ISSUES_PER_RULE} + 1
            ) ORDER BY submission_id, part, CASE WHEN part = 1 THEN "row" END, CASE WHEN part = 1 THEN "column" END, seq
        """)
        if any_stored and has_groups:
            con.execute(f"""
                INSERT INTO offering (submission_id, source_row, {columns})
                SELECT g.submission_id, t._row, {values}
                FROM typed t JOIN _batch_groups g ON g._sub = t._sub AND g.stored
                WHERE NOT EXISTS (SELECT 1 FROM issues e WHERE e._sub = t._sub AND e._row = t._row
                                  AND e.severity = 'error')
            """)
        if supersede:
            con.execute("""
                UPDATE submission SET superseded_by = s.new, superseded_at = s.at
                FROM _batch_supersede s WHERE submission.submission_id = s.old
            """)
        if portal is not None:
            _write_portal(con, ids, portal)
        con.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(Exception):
            con.execute("ROLLBACK")
        raise
    finally:
        for name in ("_batch_submissions", "_batch_file_issues", "_batch_groups", "_batch_supersede"):
            with contextlib.suppress(Exception):
                con.unregister(name)


def _write_portal(con: duckdb.DuckDBPyConnection, ids: list[int], portal: PortalDraft) -> None:
    """Link the batch's submissions to the draft they came from, and to its explanations."""
    now = datetime.now(timezone.utc)
    con.executemany(
        "INSERT INTO submission_route VALUES (?, 'portal', ?, ?, ?, ?, ?)",
        [[sid, portal.draft_id, portal.submitted_by, portal.submitted_at, portal.accepted_by, now] for sid in ids],
    )
    rows = [[sid, code, message, text] for sid in ids for code, (message, text) in sorted(portal.explanations.items())]
    if rows:
        con.executemany("INSERT INTO submission_explanation VALUES (?, ?, ?, ?)", rows)


def _attach_issues(con: duckdb.DuckDBPyConnection, outcomes: list[SubmissionOutcome], limit: int | None) -> None:
    """Each recorded submission's issues (at most ``limit`` each, all of them for None), in one
    query for the batch: a query per submission scanned the batch's issues once per submission."""
    if limit == 0 or not outcomes:  # mcred load --json reads them after the load
        return
    by_id = {o.submission_id: o for o in outcomes if o.submission_id is not None}
    if not by_id:
        return
    cursor = con.execute(
        f"""
        SELECT submission_id, {", ".join(f'"{name}"' for name in ISSUE_FIELDS)} FROM (
            SELECT *, row_number() OVER (PARTITION BY submission_id ORDER BY {_ISSUE_ORDER}) AS n
            FROM validation_issue WHERE submission_id BETWEEN ? AND ?
        ) {"" if limit is None else "WHERE n <= ?"} ORDER BY submission_id, n
    """,
        [min(by_id), max(by_id), *([] if limit is None else [limit])],
    )
    while rows := cursor.fetchmany(10_000):
        for row in rows:
            if row[0] in by_id:
                by_id[row[0]].issues.append(dict(zip(ISSUE_FIELDS, row[1:])))


_ISSUE_ORDER = 'severity = \'warning\', "row" NULLS FIRST, "column", rule, message'  # ties broken: one order every time
ISSUE_FIELDS = ("severity", "row", "column", "value", "message", "expected", "rule", "sheet")
_ISSUES_SQL = f"""
    SELECT {", ".join(f'"{name}"' for name in ISSUE_FIELDS)} FROM validation_issue
    WHERE submission_id = ?
    ORDER BY {_ISSUE_ORDER}
"""


def iter_issues(con: duckdb.DuckDBPyConnection, submission_id: int, batch: int = 10_000) -> Iterator[dict[str, Any]]:
    """A submission's issues, errors first, a batch at a time (a file can have millions)."""
    cursor = con.execute(_ISSUES_SQL, [submission_id])
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield dict(zip(ISSUE_FIELDS, row))
