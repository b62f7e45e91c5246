"""Check submission files exactly as ``mcred load`` would, and write nothing.

``mcred check`` is the validator an institution runs before it sends a file, and the
report the /submit page shows. It runs the load's own code (etl.load: the same reading in
batches, ``validate_batch``, the same decisions of already loaded, supersede, partial and
rejected, the same stored issues in the same order) on a private in-memory database that
holds what those decisions read and nothing else:

- the reference data: the warehouse's own (its institutions and the fiscal years of its
  deadlines) when the database exists, else the reference files of ``settings.data_dir``
  (the bundled ones unless MCRED_DATA_DIR names others), as a load would sync them;
- the warehouse's submissions (file digests, institutions, periods, statuses, current or
  superseded), so a file already loaded says so and a new one says what it would supersede.

The warehouse file is ATTACHed READ_ONLY and detached before any file is read: it is never
opened for writing, nothing is written beside it, and what DuckDB spills goes to a
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from etl import readers, reference, spec
from etl.config import Settings
from etl.editchecks import ValidatedSubmission
from etl.load import (
    _SUBMISSION_COLUMNS,
    ACCEPTED,
    ALREADY_LOADED,
    PARTIAL,
    SubmissionOutcome,
    _load_batch,
    _record_unreadable,
    _resolve,
    read_batches,
    use_load_memory_pool,
)
from etl.sql import literal
from etl.warehouse import WarehouseError, apply_migrations, describe_duckdb_error, migration_files


@dataclass
class CheckedSubmission:
    """One submission of the files checked."""

    # As ``load_files`` would report it now, with every issue attached. ``submission_id`` is
    # that of the earlier submission for an already-loaded file and None otherwise (nothing is
    # recorded); ``superseded`` names the current submission in the warehouse it would replace.
    outcome: SubmissionOutcome
    # The offerings loading it would store, for edit checks (None unless accepted or partial).
    submission: ValidatedSubmission | None


def check_files(
    paths: Iterable[str | Path],
    settings: Settings,
    *,
    allow_partial: bool = False,
    replace: bool = False,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[CheckedSubmission]:
    """What ``load_files(paths, settings, allow_partial=..., replace=...)`` would report for each
    submission if it ran now, in the same order, without writing anything."""
    use_load_memory_pool()
    files = _resolve(paths)
    # As in load_files, the workbooks' zygote is forked first, while this process has no
    # DuckDB and no reader threads: a child forked beside running threads may inherit a lock
    # one of them held (an allocator's), and wait on it until its deadline.
    with readers.workbook_readers(files) as workbooks, _scratch(settings) as (con, institutions, periods, stored_ids):
        outcomes: list[SubmissionOutcome] = []
        for read in read_batches(files, on_progress, workbooks):
            if read.unreadable is not None:
                outcomes.append(_record_unreadable(con, *read.unreadable, allow_partial, None))
            elif read.batch:
                outcomes += _load_batch(con, read.batch, institutions, allow_partial, replace, None, periods)
        checked = []
        for outcome in outcomes:
            rows = None
            if outcome.status in (ACCEPTED, PARTIAL) and outcome.submission_id is not None:
                rows = ValidatedSubmission.from_offerings(con, outcome.submission_id)
            if outcome.status != ALREADY_LOADED:
                outcome.submission_id = None  # recorded in the scratch database only
            if outcome.superseded is not None and outcome.superseded not in stored_ids:
                outcome.superseded = None  # an earlier file of this check, recorded nowhere
            checked.append(CheckedSubmission(outcome, rows))
    return checked


@contextlib.contextmanager
def _scratch(
    settings: Settings,
) -> Iterator[tuple[duckdb.DuckDBPyConnection, list[spec.Institution], tuple[str, str] | None, set[int]]]:
    """An in-memory warehouse with the reference data and submission history a load would see:
    (connection, institutions, fiscal years collected, ids of the warehouse's submissions)."""
    spill = tempfile.mkdtemp(prefix="mcred-check-")
    con = duckdb.connect(":memory:", config={"memory_limit": settings.load_memory_limit, "temp_directory": spill})
    try:
        apply_migrations(con)
        if settings.db_path.exists():
            institutions, deadlines, stored_ids = _copy_warehouse(con, settings.db_path)
            targets = reference.default_targets()  # targets do not take part in validation
        else:
            institutions = reference.read_institutions(settings.institutions_csv)
            targets = reference.read_targets(settings.targets_toml, institutions)
            deadlines = reference.read_deadlines(settings.deadlines_toml)
            stored_ids = set()
        con.execute("BEGIN TRANSACTION")
        reference.sync_reference(con, institutions, targets, deadlines)
        con.execute("COMMIT")
        # The fiscal years the ministry collects, as load_files takes them.
        periods = (min(deadlines), max(deadlines)) if deadlines else None
        yield con, institutions, periods, stored_ids
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _copy_warehouse(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[list[spec.Institution], dict[str, date], set[int]]:
    """Copy the warehouse's reference data and submission history onto ``con`` (read-only)."""
    try:
        con.execute(f"ATTACH {literal(path)} AS live (READ_ONLY)")
    except duckdb.Error as exc:
        raise WarehouseError(describe_duckdb_error(path, exc)) from exc
    try:
        tables = {
            r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'live'").fetchall()
        }
        if "schema_migrations" not in tables:
            raise WarehouseError(f"{path} is a DuckDB database but not an mcred warehouse: choose another --db path")
        [(version,)] = con.execute("SELECT coalesce(max(version), 0) FROM live.schema_migrations").fetchall()
        if version > max((v for v, _, _ in migration_files()), default=0):
            raise WarehouseError(
                f"the database was written by a newer mcred (schema version {version}): upgrade mcred to use it"
            )
        institutions = [
            spec.Institution(*row)
            for row in con.execute(
                "SELECT code, name, sector, region FROM live.institution ORDER BY sort_order"
            ).fetchall()
        ]
        deadlines: dict[str, date] = {}
        if "reporting_deadline" in tables:
            deadlines = dict(
                con.execute("SELECT period, deadline FROM live.reporting_deadline ORDER BY period").fetchall()
            )
        columns = ", ".join(_SUBMISSION_COLUMNS)
        con.execute(f"INSERT INTO submission ({columns}) SELECT {columns} FROM live.submission")
        stored_ids = {int(r[0]) for r in con.execute("SELECT submission_id FROM submission").fetchall()}
        # New submissions are numbered after the stored ones (as the load's sequence would).
        if stored_ids:
            con.execute("SELECT max(nextval('submission_id_seq')) FROM range(?)", [max(stored_ids)]).fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(describe_duckdb_error(path, exc)) from exc
    finally:
        con.execute("DETACH live")
    return institutions, deadlines, stored_ids
