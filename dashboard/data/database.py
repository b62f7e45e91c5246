"""Read-only access to the warehouse for the dashboard: the one place that connects, and
the Reader every named query takes.

The loader replaces the warehouse file atomically (etl/warehouse.py), so a reader
must never hold the live path open for writing and must notice a new file. Each
process keeps one in-memory DuckDB connection with the file ATTACHed READ_ONLY and
re-attaches when the file's identity (inode, size, mtime) changes; every query runs
on its own cursor, so threads never share a connection.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Hashable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa

from dashboard.access.actor import Scope
from dashboard.data.cache import VersionedCache
from dashboard.data.scope import MINISTRY

T = TypeVar("T")
Params = list[Any] | dict[str, Any] | None


class NoWarehouse(Exception):
    """The warehouse file is missing or cannot be opened; the message says what to do."""


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


@dataclass(frozen=True)
class _Version:
    inode: int
    size: int
    mtime_ns: int


class Database:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._version: _Version | None = None
        self.cache = VersionedCache()

    def reader(self, scope: Scope = MINISTRY) -> Reader:
        """A Reader for one request (one page load, callback, export or command), for ``scope``."""
        return Reader(self, scope)

    def _stat(self) -> _Version:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise NoWarehouse(
                f"No data yet: the warehouse {self.path} does not exist. Load submissions with: mcred load PATH"
            ) from None
        return _Version(st.st_ino, st.st_size, st.st_mtime_ns)

    def _connection(self) -> duckdb.DuckDBPyConnection:
        return self.pinned()[0]

    def pinned(self) -> tuple[duckdb.DuckDBPyConnection, _Version]:
        """The connection to the warehouse as it is now, and that version (a Reader keeps both)."""
        version = self._stat()
        with self._lock:
            if version == self._version and self._con is not None:
                return self._con, version
            con = duckdb.connect(":memory:", config={"threads": 2})
            try:
                con.execute(f"ATTACH {_literal(str(self.path))} AS wh (READ_ONLY)")
            except duckdb.Error as exc:
                con.close()
                raise NoWarehouse(f"The warehouse {self.path} cannot be opened: {exc}") from exc
            # The previous connection is left to the garbage collector: requests
            # still running on its cursors finish on the old version.
            self._con, self._version = con, version
            return self._con, version

    def cursor(self, connection: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """A cursor on ``connection`` (a Reader's pinned one), else on the warehouse as it is now."""
        cur = (connection or self._connection()).cursor()
        cur.execute("USE wh")
        return cur

    @property
    def version(self) -> tuple[int, int, int]:
        v = self._stat()
        return (v.inode, v.size, v.mtime_ns)

    def frame(
        self, sql: str, params: Params = None, connection: duckdb.DuckDBPyConnection | None = None
    ) -> pd.DataFrame:
        with closing(self.cursor(connection)) as cur:
            return cur.execute(sql, params or []).df()

    def rows(
        self, sql: str, params: Params = None, connection: duckdb.DuckDBPyConnection | None = None
    ) -> list[tuple[Any, ...]]:
        with closing(self.cursor(connection)) as cur:
            return cur.execute(sql, params or []).fetchall()

    def arrow_batches(
        self,
        sql: str,
        params: list[Any] | None = None,
        batch_rows: int = 65_536,
        connection: duckdb.DuckDBPyConnection | None = None,
    ) -> Iterator[pa.RecordBatch]:
        """Stream a result as Arrow record batches (exports)."""
        with closing(self.cursor(connection)) as cur:
            yield from cur.sql(sql, params=params or []).to_arrow_reader(batch_rows)


class Reader:
    """The single entry point of every named query: the database, the scope of whoever
    asks (``dashboard.data.scope`` applies it to every row-level query), and ONE warehouse
    version for the whole request: the connection attached at the first query is kept, so
    a load published while a request runs cannot give it figures from two versions.

    Pages, exports and ``mcred export`` each make one per request (``Database.reader()``)
    and pass it to the queries of ``dashboard.data``; nothing else runs SQL.
    """

    def __init__(self, database: Database, scope: Scope = MINISTRY):
        self.database = database
        self.scope = scope
        self._version: tuple[int, int, int] | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def path(self) -> Path:
        return self.database.path

    def _pin(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            self._con, version = self.database.pinned()
            self._version = (version.inode, version.size, version.mtime_ns)
        return self._con

    @property
    def version(self) -> tuple[int, int, int]:
        self._pin()
        assert self._version is not None
        return self._version

    def frame(self, sql: str, params: Params = None) -> pd.DataFrame:
        return self.database.frame(sql, params, connection=self._pin())

    def rows(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        return self.database.rows(sql, params, connection=self._pin())

    def arrow_batches(
        self, sql: str, params: list[Any] | None = None, batch_rows: int = 65_536
    ) -> Iterator[pa.RecordBatch]:
        """Stream a result as Arrow record batches (exports), on the request's version."""
        return self.database.arrow_batches(sql, params, batch_rows, connection=self._pin())

    def at_once(self, calls: list[Callable[[], T]]) -> list[T]:
        """The results of independent queries of this request, run side by side (DuckDB works
        outside the GIL: on two cores a view's few scans take about three quarters of the time
        they take one after the other), in order; the first error is raised once all have run.
        Each runs on its own cursor of the request's one warehouse version, pinned here first.

        Threads of this call only, no pool: a pool's threads do not survive a fork (gunicorn's
        workers, the workbook reader's child), and a pool whose threads are gone waits forever."""
        self._pin()
        results: list[Any] = [None] * len(calls)
        errors: list[BaseException | None] = [None] * len(calls)

        def run(i: int) -> None:
            try:
                results[i] = calls[i]()
            except BaseException as exc:  # noqa: BLE001 - raised below, in the caller's thread
                errors[i] = exc

        threads = [threading.Thread(target=run, args=(i,), name="mcred-sql", daemon=True) for i in range(1, len(calls))]
        for thread in threads:
            thread.start()
        if calls:
            run(0)  # this thread does a share of the work instead of waiting
        for thread in threads:
            thread.join()
        error = next((e for e in errors if e is not None), None)
        if error is not None:
            raise error
        return results

    def cached(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, cached per warehouse version under (name, key)."""
        return self.database.cache.get(self.version, (name, key), compute)

    def cached_view(self, name: str, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` of what this viewer sees (a page's callback output), cached per warehouse
        version, scope and ``key``: the default view every visitor opens, or a view come back to
        with Back, is sent again without building its figures again. Never mutate what it returns."""
        return self.cached(name, (self.scope, key), compute)
