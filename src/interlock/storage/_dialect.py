"""What differs between the databases under the shared SQL operations.

The operations (`SqlOps`) speak one DB-API shape: `conn.execute(sql, params)` with
`:name` parameters, rows readable by column name, explicit transactions. Each dialect
opens a connection that behaves that way and says how to start a write transaction.
"""

from __future__ import annotations

import abc
import re
import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from interlock.errors import is_lost_connection

__all__ = [
    "BUSY_TIMEOUT_MS",
    "Connection",
    "Cursor",
    "Dialect",
    "PostgresDialect",
    "Row",
    "SQLiteDialect",
]

BUSY_TIMEOUT_MS = 30_000  # how long a SQLite writer waits for the file lock (ms)

Row = Mapping[str, Any]
"""A result row, read by column name."""


class Cursor(Protocol):
    """The part of a DB-API cursor the operations use."""

    @property
    def rowcount(self) -> int:
        """Rows the statement changed."""

    def fetchone(self) -> Any:
        """The next row, or None."""

    def fetchall(self) -> Any:
        """Every remaining row."""


class Connection(Protocol):
    """The part of a DB-API connection the operations use."""

    def execute(self, sql: str, params: Any = ..., /) -> Cursor:
        """Run one statement."""

    def executemany(self, sql: str, params: Sequence[Mapping[str, Any]], /) -> Any:
        """Run one statement for each set of parameters."""

    def close(self) -> None:
        """Close the connection."""


class Dialect(abc.ABC):
    """A database the shared SQL operations run on."""

    name: str
    """The folder of its SQL files under `storage/sql/`."""
    begin: str
    """The statement that opens a write transaction."""
    errors: tuple[type[Exception], ...]
    """The driver's errors, reported as `StorageError`."""
    migrations_table_exists: str
    """A query with a row when the migrations table exists."""

    @abc.abstractmethod
    def connect(self) -> Connection:
        """Open a connection in autocommit mode (transactions are explicit)."""

    @abc.abstractmethod
    def json_key_equals(self, column: str, key_param: str, value_param: str) -> str:
        """SQL that is true when the JSON text `column` has `key` equal to the JSON `value`."""

    def is_broken(self, conn: Connection, error: Exception) -> bool:
        """Whether `error` means the connection is lost (a server restart), not a refusal."""
        return False


class SQLiteDialect(Dialect):
    """One SQLite file in WAL mode.

    Args:
        path: the database file; its folder is created when missing.
    """

    name = "sqlite"
    begin = "BEGIN IMMEDIATE"  # take the write lock now: no upgrade deadlocks later
    errors = (sqlite3.Error,)
    migrations_table_exists = (
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'interlock_migrations'"
    )

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self) -> Connection:
        """Open the file with WAL, a busy timeout and foreign keys on."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    def json_key_equals(self, column: str, key_param: str, value_param: str) -> str:
        """See `Dialect.json_key_equals`."""
        # `->` gives the member as minified JSON text (true stays `true`, not 1).
        return f"{column} -> ('$.\"' || :{key_param} || '\"') = json(:{value_param})"


CONNECT_TIMEOUT = 10  # seconds; an unreachable host must not hold a database thread for long

_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class _PgConnection:
    """A psycopg connection that takes `:name` parameters and returns rows as dicts."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self._cache: dict[str, str] = {}

    def _sql(self, sql: str) -> str:
        converted = self._cache.get(sql)
        if converted is None:
            converted = _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
            self._cache[sql] = converted
        return converted

    def execute(self, sql: str, params: Any = None, /) -> Any:
        return self._conn.execute(self._sql(sql), params)

    def executemany(self, sql: str, params: Sequence[Mapping[str, Any]], /) -> Any:
        with self._conn.cursor() as cursor:
            cursor.executemany(self._sql(sql), params)

    def close(self) -> None:
        self._conn.close()

    @property
    def broken(self) -> bool:
        return bool(self._conn.closed or self._conn.broken)


class PostgresDialect(Dialect):
    """A PostgreSQL database, through psycopg 3.

    Args:
        dsn: a libpq connection string or `postgresql://` URL.
    """

    name = "postgres"
    begin = "BEGIN"
    # Resolved through the search path, as the queries that follow resolve it.
    migrations_table_exists = "SELECT 1 WHERE to_regclass('interlock_migrations') IS NOT NULL"

    def __init__(self, dsn: str) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - depends on the install
            from interlock.errors import ConfigError

            msg = 'PostgreSQL needs the extra: pip install "interlock[postgres]"'
            raise ConfigError(msg) from exc
        self.dsn = dsn
        self._psycopg = psycopg
        self.errors = (psycopg.Error,)

    def connect(self) -> Connection:
        """Connect in autocommit mode with dict rows."""
        from psycopg.rows import dict_row

        conn = self._psycopg.connect(
            self.dsn, autocommit=True, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT
        )
        return _PgConnection(conn)

    def is_broken(self, conn: Connection, error: Exception) -> bool:
        """See `Dialect.is_broken`."""
        # A lost connection or a server shutdown, not a deadlock or a cancelled query
        # (also OperationalError): those are refusals, and the connection is fine.
        return is_lost_connection(error) or bool(getattr(conn, "broken", False))

    def json_key_equals(self, column: str, key_param: str, value_param: str) -> str:
        """See `Dialect.json_key_equals`."""
        return (
            f"CAST({column} AS jsonb) -> CAST(:{key_param} AS text) = CAST(:{value_param} AS jsonb)"
        )
