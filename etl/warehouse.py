"""The warehouse file: migrations, and the hand-over between one writer and many readers.

DuckDB lets one read-write process exclude every other process, so the loader never
opens the live file for writing. Instead (see docs in the README):

1. it takes ``<db>.lock`` (an OS file lock, released even when the process is killed),
   so one loader runs at a time;
2. copies the live file to ``.<db>.next-<pid>`` in the same directory and opens that
   copy read-write (attached in DEFAULT_STORAGE_VERSION's format; a live file in
   another format is copied database-wise instead of byte-wise); migrations, reference
   data and one transaction per submission go there;
3. publishes: CHECKPOINT, close, ``os.replace(copy, live)`` (atomic on POSIX).

Readers open the live file read-only per request (an in-memory connection that
ATTACHes it READ_ONLY, which always sees the file as it is now). A reader never
blocks the loader and the loader never blocks a reader; a load killed at any point
leaves the live file as it was after the last publish.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

import duckdb

import mcred_locks
from etl import spec
from etl.sql import literal

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
LOCK_WAIT_SECONDS = 600
# DuckDB's own default is 80% of the machine's memory. The loader shares the machine with
# the dashboard, so it works within a modest budget and spills to a temporary folder
# beside the database past it. The loader keeps no full-size DuckDB table of its own
# (validation reads the Arrow columns in place), so a small budget costs no time:
# measured on a million-row file (python -m benchmarks.profile_load FILE --set
# memory_limit=...), 500MB peaks ~100 MB lower than 800MB in the same time.
DEFAULT_MEMORY_LIMIT = "500MB"
# The DuckDB storage format the warehouse is written in: the oldest one that holds what the
# warehouse uses, so that analysts' older DuckDB clients (1.x, common in R, conda and SQL
# editors) open it too. v1.0.0 is the oldest format DuckDB 2 writes (it names 0.9 and 0.10
# the same format); a DuckDB 1.1.3 and a 1.4 client read every view of the loaded sample in
# it (tests/etl/test_storage_version.py runs the 1.4 one), and it costs the sample no load
# time and 7% more bytes than v1.4.0. A file in another format is rewritten in this one by
# the next load. MCRED_STORAGE_VERSION overrides it (see README).
DEFAULT_STORAGE_VERSION = "v1.0.0"
# A commit whose log would pass this is checkpointed at once, without the log (see
# Writer._open_staging). The batch of load_many_submissions logged 22 MB (its issues and
# partner rows; the offerings go to the file as they are inserted), all written again by
# publish()'s CHECKPOINT; under DuckDB's default (16 MB) its commit was still logged.
CHECKPOINT_THRESHOLD = "1MB"
_STORAGE_VERSION = re.compile(r"v\d+\.\d+\.\d+")


# The staging copy's name on the loader's connection.
WAREHOUSE = "wh"


class WarehouseError(Exception):
    """The database cannot be used; the message says what to do."""


def migration_files() -> list[tuple[int, str, Path]]:
    out = []
    for path in sorted(MIGRATIONS_DIR.glob("*.sql")):
        version, _, name = path.stem.partition("_")
        out.append((int(version), name, path))
    return out


_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def migration_fragments() -> dict[str, str]:
    """SQL that several migrations share, by placeholder name: spec.migration_placeholders(), and
    each ``migrations/fragments/<name>.sql`` without its leading comment lines (what it is, who uses it).

    A fragment is released with the migrations that render it: like them it is never edited."""
    fragments = dict(spec.migration_placeholders())
    for path in sorted((MIGRATIONS_DIR / "fragments").glob("*.sql")):
        lines = path.read_text(encoding="utf-8").splitlines()
        while lines and lines[0].startswith("--"):
            del lines[0]
        if path.stem in fragments:
            raise WarehouseError(f"the migration fragment {path.name} has the name of one of spec.py's")
        fragments[path.stem] = "\n".join(lines)
    return fragments


def render_migration(path: Path) -> str:
    """The migration's SQL with each ``{{ name }}`` replaced by migration_fragments()[name]."""
    fragments = migration_fragments()

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in fragments:
            raise WarehouseError(f"migration {path.name} names an unknown placeholder {{{{ {name} }}}}")
        return fragments[name]

    return _PLACEHOLDER.sub(fill, path.read_text(encoding="utf-8"))


def apply_migrations(con: duckdb.DuckDBPyConnection, up_to: int | None = None) -> list[int]:
    """Apply, in order and each in its own transaction, the migrations not yet recorded (up to
    version ``up_to``: a warehouse as an older mcred left it)."""
    con.execute("""
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)
    """)
    done = {r[0] for r in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, path in migration_files():
        if version in done or (up_to is not None and version > up_to):
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(render_migration(path))
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", [version, name, datetime.now(timezone.utc)])
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        applied.append(version)
    latest = max((v for v, _, _ in migration_files()), default=0)
    newer = [v for v in done if v > latest]
    if newer:
        raise WarehouseError(
            f"the database was written by a newer mcred (schema version {max(newer)}): upgrade mcred to use it"
        )
    return applied


def attached_storage_version(con: duckdb.DuckDBPyConnection, name: str) -> str:
    """The storage format an attached database is in, as DuckDB names it (``v1.4.0+``: the
    format of 1.4.0 and later; a version asked for names the format it falls in)."""
    row = con.execute(
        "SELECT tags['storage_version'] FROM duckdb_databases() WHERE database_name = ?", [name]
    ).fetchone()
    return str(row[0]) if row and row[0] else ""


def storage_version(con: duckdb.DuckDBPyConnection, path: Path) -> str:
    """The storage format of a database file, read with ``con`` (see attached_storage_version)."""
    con.execute(f"ATTACH {literal(path)} AS probe (READ_ONLY)")
    try:
        return attached_storage_version(con, "probe")
    finally:
        con.execute("DETACH probe")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, OSError) and exc.errno == errno.ENOSPC) or "No space left on device" in str(exc)


def _free_mb(path: Path) -> float | None:
    try:
        return shutil.disk_usage(path.parent if str(path.parent) else ".").free / 1e6
    except OSError:
        return None


def describe_write_failure(path: Path, exc: BaseException, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> str | None:
    """One line for a load that failed for want of disk or memory (None for other failures):
    what happened, that the live file is as the last published load left it, and what to do."""
    unchanged = f"{path} is as the last submission reported left it (nothing after it was loaded)"
    size = path.stat().st_size / 1e6 if path.exists() else 0.0
    free = _free_mb(path)
    room = f"; {free:,.0f} MB free now" if free is not None else ""
    if is_disk_full(exc):
        return (
            f"the disk holding {path} is full ({_first_line(exc)}): {unchanged}; free space there (a load needs "
            f"room for a copy of the database, {size:,.0f} MB, and its new rows{room}) and load again"
        )
    if isinstance(exc, duckdb.OutOfMemoryException):
        return (
            f"the load ran out of the memory it may use (MCRED_LOAD_MEMORY_LIMIT={memory_limit}) and could not spill "
            f"to the disk beside {path}{room}: {unchanged}; raise MCRED_LOAD_MEMORY_LIMIT or free disk space there, "
            "and load again"
        )
    return None


def describe_duckdb_error(path: Path, exc: Exception) -> str:
    text = str(exc)
    first = _first_line(exc)
    wal = path.with_name(path.name + ".wal")
    if "lock" in text.lower() and "WAL" not in text:
        return (
            f"the database {path} is locked by another program that has it open for writing: "
            "close that program (or wait for it) and try again"
        )
    if "WAL does not match" in text or ("replaying WAL" in text and wal.exists()):
        return (
            f"the database {path} has a write-ahead log {wal.name} that belongs to another database ({first}): the "
            f"database itself is intact; move {wal.name} aside (mv '{wal}' '{wal}.stray') and try again"
        )
    if is_disk_full(exc):
        return describe_write_failure(path, exc) or first
    if "Could not read enough bytes" in text or "truncated" in text.lower():
        return (
            f"the database {path} is truncated ({first}): it was cut short (a copy or a disk that filled up); "
            "restore it from a backup, or move it aside and load the submissions again"
        )
    if (
        "not a valid DuckDB database" in text
        or "Catalog" in text
        or "corrupt" in text.lower()
        or "WAL" in text
        or "Serialization" in text
        or "database file" in text
        or "checksum" in text.lower()
    ):
        return (
            f"the database {path} cannot be opened ({first}): it is damaged or not a DuckDB "
            "file; restore it from a backup, or move it aside and load the submissions again"
        )
    return f"the database {path} cannot be opened: {first}"


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that sees the live file as it is now, read-only."""
    path = Path(path)
    if not path.exists():
        raise WarehouseError(f"the database {path} does not exist: load submissions first (mcred load PATH)")
    con = duckdb.connect(":memory:")
    try:
        try:
            con.execute(f"ATTACH {literal(path)} AS wh (READ_ONLY)")
            con.execute("USE wh")
            con.execute("SELECT 1 FROM schema_migrations LIMIT 1").fetchall()
        except duckdb.Error as exc:
            raise WarehouseError(describe_duckdb_error(path, exc)) from exc
        yield con
    finally:
        con.close()


class Writer:
    """The one writer: a locked, private copy of the warehouse that is published atomically."""

    def __init__(
        self,
        path: Path,
        lock_wait: float = LOCK_WAIT_SECONDS,
        on_wait: Callable[[str], None] | None = None,
        memory_limit: str = DEFAULT_MEMORY_LIMIT,
        storage_version: str = DEFAULT_STORAGE_VERSION,
    ):
        if not _STORAGE_VERSION.fullmatch(storage_version):
            raise WarehouseError(
                f"the storage version {storage_version!r} is not one DuckDB names, such as "
                f"{DEFAULT_STORAGE_VERSION} (MCRED_STORAGE_VERSION)"
            )
        self.path = Path(path)
        self.memory_limit = memory_limit
        self.storage_version = storage_version
        self.lock_wait = lock_wait
        self.on_wait = on_wait
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock_fd: int | None = None
        self._staging: Path | None = None

    # -- lifecycle ----------------------------------------------------------

    def __enter__(self) -> Writer:
        directory = self.path.parent if str(self.path.parent) else Path(".")
        if not directory.exists():
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise WarehouseError(f"cannot create the folder {directory} for the database: {exc.strerror}") from exc
        self._acquire_lock()
        try:
            self._clear_stale_staging()
            self._check_live()
            self._open_staging()
        except BaseException as exc:
            self._release()
            self._raise_write_failure(exc)
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._release()
        if exc is not None:
            self._raise_write_failure(exc)

    def _raise_write_failure(self, exc: BaseException) -> None:
        """A full disk or DuckDB's memory limit, wherever in the load it struck, as one WarehouseError
        (the private copy is gone by now: the live file is as the last publish left it)."""
        if isinstance(exc, WarehouseError):
            return
        message = describe_write_failure(self.path, exc, self.memory_limit)
        if message is not None:
            raise WarehouseError(message) from exc

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        """The connection to the staging copy (between __enter__ or reopen() and publish())."""
        if self._con is None:
            raise WarehouseError("the warehouse writer is not open: use it in a with block, reopen() after publish()")
        return self._con

    # -- lock ---------------------------------------------------------------

    def _acquire_lock(self) -> None:
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise WarehouseError(f"cannot write beside the database ({lock_path}): {exc.strerror}") from exc
        try:
            if not mcred_locks.take(fd, self.lock_wait, poll=0.05, on_wait=self._tell_waiting):
                raise WarehouseError(
                    f"another load into {self.path} has been running for over "
                    f"{self.lock_wait:.0f} s: wait for it to finish and try again"
                )
        except BaseException:
            os.close(fd)
            raise
        self._lock_fd = fd

    def _tell_waiting(self) -> None:
        if self.on_wait:
            self.on_wait(f"waiting for another load into {self.path} to finish")

    def _release(self) -> None:
        if self._con is not None:
            with contextlib.suppress(Exception):
                self._con.close()
            self._con = None
        if self._staging is not None:
            for p in (self._staging, self._staging.with_name(self._staging.name + ".wal")):
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            self._staging = None
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _clear_stale_staging(self) -> None:
        # Left by a killed loader; safe to remove while we hold the lock.
        for stale in self.path.parent.glob(f".{self.path.name}.next-*"):
            if stale.is_dir():  # DuckDB's spill folder of a killed load
                shutil.rmtree(stale, ignore_errors=True)
                continue
            with contextlib.suppress(FileNotFoundError):
                stale.unlink()

    # -- staging and publishing -----------------------------------------------

    def _check_live(self) -> None:
        """Refuse a live file that is locked by another writer or is not a DuckDB database."""
        if not self.path.exists():
            return
        wal = self.path.with_name(self.path.name + ".wal")
        if wal.exists():
            # A writer outside mcred crashed: fold its log into the file before copying it.
            try:
                con = duckdb.connect(str(self.path))
                con.execute("CHECKPOINT")
                con.close()
            except duckdb.Error as exc:
                raise WarehouseError(describe_duckdb_error(self.path, exc)) from exc
        try:
            con = duckdb.connect(":memory:")
            try:
                con.execute(f"ATTACH {literal(self.path)} AS live (READ_ONLY)")
                tables = {
                    r[0]
                    for r in con.execute(
                        "SELECT table_name FROM duckdb_tables() WHERE database_name = 'live'"
                    ).fetchall()
                }
            finally:
                con.close()
        except duckdb.Error as exc:
            raise WarehouseError(describe_duckdb_error(self.path, exc)) from exc
        if tables and "schema_migrations" not in tables:
            raise WarehouseError(
                f"{self.path} is a DuckDB database but not an mcred warehouse: choose another --db path"
            )

    def _open_staging(self) -> None:
        """Open a private copy of the live file (or a new file) in the storage version asked for.

        A copy of the file keeps the file's storage version, so a live file in another
        version is rewritten instead: its whole database is copied into a new file."""
        self._staging = self.path.with_name(f".{self.path.name}.next-{os.getpid()}")
        try:
            # A load commits once per batch (etl.load): a commit past CHECKPOINT_THRESHOLD is
            # checkpointed at once, its rows written to the file only (DuckDB skips the log
            # for it), rather than to the log and then again by publish()'s CHECKPOINT. The
            # spill folder stays beside the copy (where a killed load's is cleared).
            con = duckdb.connect(
                ":memory:",
                config={
                    "memory_limit": self.memory_limit,
                    "checkpoint_threshold": CHECKPOINT_THRESHOLD,
                    "temp_directory": f"{self._staging}.tmp",
                },
            )
        except duckdb.Error as exc:
            raise WarehouseError(describe_duckdb_error(self.path, exc)) from exc
        try:
            # A new file in the storage version asked for; the live file is copied over it when
            # it is in that version too (cheap), else its database is copied into it.
            con.execute(
                f"ATTACH {literal(self._staging)} AS {WAREHOUSE} (STORAGE_VERSION {literal(self.storage_version)})"
            )
            if self.path.exists():
                if attached_storage_version(con, WAREHOUSE) == storage_version(con, self.path):
                    con.execute(f"DETACH {WAREHOUSE}")
                    shutil.copyfile(self.path, self._staging)
                    con.execute(f"ATTACH {literal(self._staging)} AS {WAREHOUSE}")
                else:
                    con.execute(f"ATTACH {literal(self.path)} AS live (READ_ONLY)")
                    con.execute(f"COPY FROM DATABASE live TO {WAREHOUSE}")
                    con.execute("DETACH live")
            con.execute(f"USE {WAREHOUSE}")
        except duckdb.Error as exc:
            con.close()
            raise WarehouseError(describe_duckdb_error(self.path, exc)) from exc
        self._con = con

    def publish(self, note: str = "") -> None:
        """Make everything committed so far the live warehouse, atomically; keep writing after."""
        assert self._staging is not None
        (version,) = self.con.execute("SELECT coalesce(max(version), 0) + 1 FROM data_version").fetchall()[0]
        self.con.execute("INSERT INTO data_version VALUES (?, ?, ?)", [version, datetime.now(timezone.utc), note])
        self.con.execute(f"CHECKPOINT {WAREHOUSE}")
        self.con.close()
        self._con = None
        fd = os.open(self._staging, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self._staging, self.path)
        dir_fd = os.open(self.path.parent if str(self.path.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        self._staging = None

    def reopen(self) -> None:
        """Start the next batch on a fresh copy of the live file."""
        self._open_staging()
