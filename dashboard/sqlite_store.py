"""A store of our own beside the warehouse (accounts and audit; drafts): one SQLite file, WAL.

The warehouse file is replaced on every load, so what must outlive a load lives in such a
file next to it. Each call opens its own connection: safe from any thread or process.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BUSY_SECONDS = 30  # how long a connection waits for another process's write lock


def _write_ahead_log(con: sqlite3.Connection) -> None:
    """Put the file in WAL mode (a property of the file: the first connection sets it).

    Switching a new file to WAL needs an exclusive lock, and SQLite answers "database is
    locked" at once, without its busy handler, while another process holds the file; so the
    switch is retried here until that process is done (it has then switched the file itself).
    """
    deadline = time.monotonic() + BUSY_SECONDS
    while con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        try:
            con.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


class SqliteStore:
    """The file (readable by its owner only), its schema, and its connections and transactions."""

    SCHEMA = ""  # statements separated by ";\n", run once when the file's user_version is below
    SCHEMA_VERSION = 1
    FOREIGN_KEYS = False

    def __init__(self, path: Path):
        self.path = Path(path)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Password hashes, institutions' files: the owner's only (SQLite gives its -wal and
            # -shm files the permissions of the database file).
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
        con = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            _write_ahead_log(con)
            if self.FOREIGN_KEYS:
                con.execute("PRAGMA foreign_keys=ON")
            if con.execute("PRAGMA user_version").fetchone()[0] < self.SCHEMA_VERSION:
                con.execute("BEGIN IMMEDIATE")  # one process creates the schema, the others wait
                if con.execute("PRAGMA user_version").fetchone()[0] < self.SCHEMA_VERSION:
                    for statement in self.SCHEMA.split(";\n"):
                        if statement.strip():
                            con.execute(statement)
                    con.execute(f"PRAGMA user_version={self.SCHEMA_VERSION}")
                con.execute("COMMIT")
            yield con
        finally:
            con.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE: writers queue, nobody reads a half change)."""
        with self._connect() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
