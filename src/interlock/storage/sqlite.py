"""The SQLite back end: one file, WAL, next to the checkpoints."""

from __future__ import annotations

from pathlib import Path

from interlock.storage._dialect import BUSY_TIMEOUT_MS, SQLiteDialect
from interlock.storage._threaded import ThreadedSqlStorage

__all__ = ["BUSY_TIMEOUT_MS", "SQLiteStorage"]


class SQLiteStorage(ThreadedSqlStorage):
    """Storage in one SQLite file.

    Args:
        path: the database file; its folder is created when missing.
        migrate: apply pending migrations on open (else refuse a schema that is behind).
    """

    def __init__(self, path: Path | str, *, migrate: bool = True) -> None:
        self.path = Path(path)
        # One connection: SQLite has one writer at a time, and queueing writers in the
        # process is cheaper than retrying them against the file lock.
        super().__init__(SQLiteDialect(self.path), migrate=migrate)
