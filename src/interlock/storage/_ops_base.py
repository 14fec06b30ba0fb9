"""The base of the SQL operations: one connection, transactions, shared helpers.

`ThreadedSqlStorage` runs each operation whole in a database thread, so a transaction
is one hop from the event loop, and a writer waiting for a lock never blocks it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from interlock import serde
from interlock.errors import CommitOutcomeUnknown, DatabaseUnavailable, StorageError
from interlock.models import (
    Decision,
    JSONObject,
    NewEvent,
    new_id,
    utcnow,
)
from interlock.storage._dialect import Connection, Dialect, Row
from interlock.storage._rows import (
    canonical_json,
    interrupt_from_row,
    to_json,
    to_ts,
)
from interlock.storage.sql import load_migrations, load_queries

__all__ = [
    "SqlBase",
    "in_list",
    "json_filters",
    "metadata_filters",
    "order_clause",
    "split_statements",
]


T = TypeVar("T")


class _CommitUnknown(Exception):
    """The connection broke during COMMIT: whether the transaction applied is unknown."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class SqlBase:
    """One connection to the database, and the helpers every operation uses.

    Args:
        dialect: which database, and how to reach it.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._q = load_queries(dialect.name)
        self.conn = dialect.connect()

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def migrate(self) -> list[str]:
        """Apply the migrations this file has not seen; return their names."""
        applied: list[str] = []
        with self._tx() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS interlock_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            rows = conn.execute("SELECT version FROM interlock_migrations").fetchall()
            done = {row["version"] for row in rows}
            for number, name, sql in load_migrations(self.dialect.name):
                if number in done:
                    continue
                for statement in split_statements(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO interlock_migrations VALUES (:version, :name, :applied_at)",
                    {"version": number, "name": name, "applied_at": to_ts(utcnow())},
                )
                applied.append(name)
        return applied

    def pending_migrations(self) -> list[str]:
        """The names of the migrations this database has not seen."""
        exists = self.conn.execute(self.dialect.migrations_table_exists).fetchone()
        done: set[int] = set()
        if exists is not None:
            rows = self.conn.execute("SELECT version FROM interlock_migrations").fetchall()
            done = {row["version"] for row in rows}
        return [
            name for number, name, _ in load_migrations(self.dialect.name) if number not in done
        ]

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        # Driver errors pass through: `run` turns them into StorageError (and reconnects).
        conn = self.conn
        conn.execute(self.dialect.begin)
        try:
            yield conn
        except BaseException:
            with contextlib.suppress(*self.dialect.errors):
                conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except self.dialect.errors as exc:
            if self.dialect.is_broken(conn, exc):
                # Lost while committing: the server may have applied the transaction.
                raise _CommitUnknown(exc) from exc
            with contextlib.suppress(*self.dialect.errors):
                conn.execute("ROLLBACK")
            raise

    def run(self, fn: Callable[[], T]) -> T:
        """Run one operation; on a broken connection reconnect and try it once more.

        A transaction cut before its COMMIT was rolled back by the database, so trying
        again is safe. One cut during its COMMIT may have been applied: it is not tried
        again, and the caller learns that the outcome is unknown.

        Raises:
            StorageError: the database refused the operation.
            DatabaseUnavailable: the connection was lost and reconnecting failed.
            CommitOutcomeUnknown: the connection broke during the COMMIT.
        """
        try:
            try:
                return fn()
            except self.dialect.errors as exc:
                if not self.dialect.is_broken(self.conn, exc):
                    raise StorageError(f"The database refused the operation: {exc}") from exc
            try:
                self._drop_connection()
                self.conn = self.dialect.connect()
                return fn()
            except self.dialect.errors as exc:
                raise DatabaseUnavailable(f"The database is unreachable: {exc}") from exc
        except _CommitUnknown as lost:
            self._drop_connection()
            msg = (
                f"The database connection was lost while committing ({lost.cause}); the "
                "change may or may not have been applied. Read the resource before retrying."
            )
            raise CommitOutcomeUnknown(msg) from lost.cause

    def _drop_connection(self) -> None:
        with contextlib.suppress(*self.dialect.errors):
            self.conn.close()

    def _one(
        self, name: str, params: Mapping[str, Any], conn: Connection | None = None
    ) -> Row | None:
        row: Row | None = (conn or self.conn).execute(self._q[name], params).fetchone()
        return row

    def _all(
        self, name: str, params: Mapping[str, Any], conn: Connection | None = None
    ) -> list[Row]:
        rows: list[Row] = (conn or self.conn).execute(self._q[name], params).fetchall()
        return rows

    def _exec(self, name: str, params: Mapping[str, Any], conn: Connection) -> int:
        return conn.execute(self._q[name], params).rowcount

    def _outbox(self, conn: Connection, event_type: str, data: JSONObject, now: datetime) -> None:
        # Written in the caller's transaction: the event and its announcement commit together.
        body = {"id": new_id(), "type": event_type, "created_at": now, "data": data}
        self._exec(
            "insert_outbox",
            {
                "event_id": body["id"],
                "event_type": event_type,
                "payload": to_json(body),
                "created_at": to_ts(now),
            },
            conn,
        )

    def _interrupt_event(
        self,
        conn: Connection,
        event_type: str,
        thread_id: str,
        interrupt_id: str,
        decision: Decision | None,
        now: datetime,
    ) -> None:
        row = self._one(
            "get_thread_interrupt", {"thread_id": thread_id, "interrupt_id": interrupt_id}, conn
        )
        if row is None:
            return
        record = serde.to_jsonable(interrupt_from_row(row))
        self._outbox(
            conn,
            event_type,
            {"interrupt": record, "decision": serde.to_jsonable(decision)},
            now,
        )

    def _index_metadata(self, conn: Connection, thread_id: str, metadata: JSONObject) -> None:
        # The key/value copy of a thread's metadata that metadata filters look up.
        self._exec("clear_thread_metadata", {"thread_id": thread_id}, conn)
        conn.executemany(
            self._q["insert_thread_metadata"],
            [
                {"thread_id": thread_id, "key": str(k), "value": canonical_json(v)}
                for k, v in metadata.items()
            ],
        )

    # Assistants

    def _page(
        self,
        table: str,
        where: list[str],
        params: dict[str, Any],
        order: str,
        limit: int,
        offset: int,
        columns: str = "*",
    ) -> tuple[list[Row], int]:
        # Table and column names come from our own allow-lists, never from the request.
        clause = " AND ".join(where)
        count_sql = f"SELECT COUNT(*) AS n FROM {table} WHERE {clause}"  # noqa: S608
        total_row = self.conn.execute(count_sql, params).fetchone()
        total = int(total_row["n"]) if total_row else 0
        page_sql = (
            f"SELECT {columns} FROM {table} WHERE {clause} ORDER BY {order} LIMIT :_l OFFSET :_o"  # noqa: S608
        )
        page_params = {**params, "_l": limit, "_o": offset}
        rows: list[Row] = self.conn.execute(page_sql, page_params).fetchall()
        return rows, total

    # Threads

    def _resolve(
        self,
        conn: Connection,
        thread_id: str,
        interrupt_id: str,
        run_id: str | None,
        now: datetime,
    ) -> None:
        self._exec(
            "resolve_interrupt",
            {
                "thread_id": thread_id,
                "interrupt_id": interrupt_id,
                "status": "resolved",
                "resolved_at": to_ts(now),
                "resolved_by_run_id": run_id,
            },
            conn,
        )
        self._interrupt_event(conn, "interrupt.resolved", thread_id, interrupt_id, None, now)

    def _insert_events(self, conn: Connection, events: Sequence[NewEvent], now: datetime) -> int:
        created = to_ts(now)
        last = 0
        for e in events:
            row = conn.execute(
                self._q["insert_event"],
                {
                    "run_id": e.run_id,
                    "thread_id": e.thread_id,
                    "event": e.event,
                    "data": e.data,
                    "created_at": created,
                },
            ).fetchone()
            last = int(row["event_id"])
        return last


def split_statements(sql: str) -> Iterable[str]:
    # Comments go first: a `;` inside one must not split a statement.
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    for part in "\n".join(lines).split(";"):
        statement = part.strip()
        if statement:
            yield statement


def order_clause(
    sort_by: str, sort_order: str, allowed: set[str], default: str, tiebreak: str
) -> str:
    column = sort_by if sort_by in allowed else default
    direction = "ASC" if sort_order == "asc" else "DESC"
    return f"{column} {direction}, {tiebreak} {direction}"


def metadata_filters(
    where: list[str], params: dict[str, Any], thread_column: str, filters: JSONObject
) -> None:
    # Each key must equal the given value, looked up in the thread_metadata index.
    for n, (key, value) in enumerate(filters.items()):
        where.append(
            # The column name comes from our code; keys and values are bound parameters.
            f"{thread_column} IN (SELECT thread_id FROM thread_metadata "  # noqa: S608
            f"WHERE key = :mk{n} AND value = :mv{n})"
        )
        params[f"mk{n}"] = str(key)
        params[f"mv{n}"] = canonical_json(value)


def json_filters(
    dialect: Dialect, where: list[str], params: dict[str, Any], column: str, filters: JSONObject
) -> None:
    """Each key of the JSON text `column` must equal the given value."""
    for n, (key, value) in enumerate(filters.items()):
        stem = re.sub(r"\W", "_", column)
        key_name, value_name = f"{stem}_k{n}", f"{stem}_v{n}"
        where.append(dialect.json_key_equals(column, key_name, value_name))
        params[key_name] = str(key)
        params[value_name] = to_json(value)


def in_list(params: dict[str, Any], prefix: str, values: Sequence[Any]) -> str:
    """Add `values` to `params` as `:<prefix>0`, `:<prefix>1`...; return the `(...)` list.

    An empty list reads `(NULL)`, which matches nothing.
    """
    marks = []
    for n, value in enumerate(values):
        params[f"{prefix}{n}"] = value
        marks.append(f":{prefix}{n}")
    return f"({', '.join(marks) or 'NULL'})"
