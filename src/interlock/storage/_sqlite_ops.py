"""The SQL behind `SQLiteStorage`: plain, synchronous operations on one connection.

`SQLiteStorage` runs each of these in its own database thread, so a whole transaction
is one hop from the event loop, and a writer waiting for the file lock never blocks it.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from interlock.errors import ConflictError, GoneError, NotFoundError, StorageError
from interlock.models import (
    Assistant,
    AssistantVersion,
    Decision,
    InterruptRecord,
    JSONObject,
    MultitaskStrategy,
    NewEvent,
    Run,
    RunStatus,
    StreamEvent,
    Thread,
    ThreadStatus,
)
from interlock.storage._rows import (
    assistant_from_row,
    assistant_params,
    canonical_json,
    decision_from_row,
    decision_params,
    event_from_row,
    from_json,
    from_ts,
    interrupt_from_row,
    interrupt_params,
    run_from_row,
    run_params,
    thread_from_row,
    thread_params,
    to_json,
    to_ts,
    version_from_row,
)
from interlock.storage.base import (
    AssistantQuery,
    DecisionQuery,
    InterruptClaim,
    InterruptQuery,
    RunCreation,
    RunOutcome,
    ThreadQuery,
    thread_status_after,
)
from interlock.storage.sql import load_migrations, load_queries

__all__ = ["BUSY_TIMEOUT_MS", "SQLiteOps"]

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for the file lock (ms)

_ASSISTANT_SORT = {"assistant_id", "graph_id", "name", "created_at", "updated_at"}
_INTERRUPT_SORT = {"created_at", "expires_at", "thread_id", "graph_id", "status"}
_THREAD_SORT = {"thread_id", "status", "created_at", "updated_at", "state_updated_at"}


class SQLiteOps:
    """Every storage operation as a synchronous method; only ever used from one thread.

    Args:
        path: the database file; its folder is created when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._q = load_queries("sqlite")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are explicit (BEGIN IMMEDIATE), never implicit.
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        self.conn = conn

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
            done = {row[0] for row in conn.execute("SELECT version FROM interlock_migrations")}
            for number, name, sql in load_migrations("sqlite"):
                if number in done:
                    continue
                for statement in _statements(sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO interlock_migrations VALUES (?, ?, datetime('now'))",
                    (number, name),
                )
                applied.append(name)
        return applied

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StorageError(f"Could not start a transaction: {exc}") from exc
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StorageError(f"Could not commit: {exc}") from exc

    def _one(
        self, name: str, params: Mapping[str, Any], conn: sqlite3.Connection | None = None
    ) -> sqlite3.Row | None:
        row: sqlite3.Row | None = (conn or self.conn).execute(self._q[name], params).fetchone()
        return row

    def _all(
        self, name: str, params: Mapping[str, Any], conn: sqlite3.Connection | None = None
    ) -> list[sqlite3.Row]:
        return (conn or self.conn).execute(self._q[name], params).fetchall()

    def _exec(self, name: str, params: Mapping[str, Any], conn: sqlite3.Connection) -> int:
        return conn.execute(self._q[name], params).rowcount

    def _index_metadata(
        self, conn: sqlite3.Connection, thread_id: str, metadata: JSONObject
    ) -> None:
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

    def create_assistant(self, assistant: Assistant, *, if_exists: str) -> Assistant:
        """See `Storage.create_assistant`."""
        with self._tx() as conn:
            existing = self._one("get_assistant", {"assistant_id": assistant.assistant_id}, conn)
            if existing is not None:
                if if_exists == "do_nothing":
                    return assistant_from_row(existing)
                raise ConflictError(f"Assistant {assistant.assistant_id} already exists")
            params = assistant_params(assistant)
            self._exec("insert_assistant", params, conn)
            self._exec("insert_assistant_version", params, conn)
        return assistant

    def get_assistant(self, assistant_id: str) -> Assistant | None:
        """See `Storage.get_assistant`."""
        row = self._one("get_assistant", {"assistant_id": assistant_id})
        return None if row is None else assistant_from_row(row)

    def patch_assistant(
        self,
        assistant_id: str,
        *,
        graph_id: str | None,
        config: JSONObject | None,
        context: JSONObject | None,
        metadata: JSONObject | None,
        name: str | None,
        description: str | None,
        now: datetime,
    ) -> Assistant:
        """See `Storage.patch_assistant`."""
        with self._tx() as conn:
            row = self._one("get_assistant", {"assistant_id": assistant_id}, conn)
            if row is None:
                raise NotFoundError()
            current = assistant_from_row(row)
            top = self._one("max_assistant_version", {"assistant_id": assistant_id}, conn)
            version = int(top["version"] if top else 0) + 1
            updated = replace(
                current,
                graph_id=graph_id or current.graph_id,
                config=current.config if config is None else config,
                context=current.context if context is None else context,
                metadata=current.metadata if metadata is None else {**current.metadata, **metadata},
                name=current.name if name is None else name,
                description=current.description if description is None else description,
                version=version,
                updated_at=now,
            )
            params = assistant_params(updated) | {"created_at": to_ts(now)}
            self._exec("insert_assistant_version", params, conn)
            self._exec("update_assistant", assistant_params(updated), conn)
        return updated

    def delete_assistant(self, assistant_id: str) -> bool:
        """See `Storage.delete_assistant`."""
        with self._tx() as conn:
            self._exec("delete_assistant_versions", {"assistant_id": assistant_id}, conn)
            return self._exec("delete_assistant", {"assistant_id": assistant_id}, conn) > 0

    def search_assistants(self, query: AssistantQuery) -> tuple[list[Assistant], int]:
        """See `Storage.search_assistants`."""
        where, params = ["1 = 1"], {}
        if query.graph_id is not None:
            where.append("graph_id = :graph_id")
            params["graph_id"] = query.graph_id
        if query.name is not None:
            where.append("name LIKE :name")
            params["name"] = f"%{query.name}%"
        _json_filters(where, params, "metadata", query.metadata)
        order = _order(query.sort_by, query.sort_order, _ASSISTANT_SORT, "created_at")
        rows, total = self._page("assistants", where, params, order, query.limit, query.offset)
        return [assistant_from_row(r) for r in rows], total

    def list_assistant_versions(self, assistant_id: str) -> list[AssistantVersion]:
        """See `Storage.list_assistant_versions`."""
        rows = self._all("list_assistant_versions", {"assistant_id": assistant_id})
        return [version_from_row(r) for r in rows]

    def set_assistant_version(self, assistant_id: str, version: int, now: datetime) -> Assistant:
        """See `Storage.set_assistant_version`."""
        with self._tx() as conn:
            row = self._one(
                "get_assistant_version", {"assistant_id": assistant_id, "version": version}, conn
            )
            current = self._one("get_assistant", {"assistant_id": assistant_id}, conn)
            if row is None or current is None:
                raise NotFoundError(f"Assistant {assistant_id} has no version {version}")
            v = version_from_row(row)
            updated = Assistant(
                assistant_id=assistant_id,
                graph_id=v.graph_id,
                config=v.config,
                context=v.context,
                metadata=v.metadata,
                name=v.name,
                description=v.description,
                version=v.version,
                created_at=from_ts(current["created_at"]),
                updated_at=now,
            )
            self._exec("update_assistant", assistant_params(updated), conn)
        return updated

    def _page(
        self,
        table: str,
        where: list[str],
        params: dict[str, Any],
        order: str,
        limit: int,
        offset: int,
        columns: str = "*",
    ) -> tuple[list[sqlite3.Row], int]:
        # Table and column names come from our own allow-lists, never from the request.
        clause = " AND ".join(where)
        count_sql = f"SELECT COUNT(*) FROM {table} WHERE {clause}"  # noqa: S608
        total_row = self.conn.execute(count_sql, params).fetchone()
        total = int(total_row[0]) if total_row else 0
        page_sql = (
            f"SELECT {columns} FROM {table} WHERE {clause} ORDER BY {order} LIMIT :_l OFFSET :_o"  # noqa: S608
        )
        rows = self.conn.execute(page_sql, {**params, "_l": limit, "_o": offset}).fetchall()
        return rows, total

    # Threads

    def create_thread(self, thread: Thread, *, if_exists: str) -> Thread:
        """See `Storage.create_thread`."""
        with self._tx() as conn:
            existing = self._one("get_thread", {"thread_id": thread.thread_id}, conn)
            if existing is not None:
                if if_exists == "do_nothing":
                    return thread_from_row(existing)
                raise ConflictError(f"Thread with ID {thread.thread_id} already exists")
            self._exec("insert_thread", thread_params(thread), conn)
            self._index_metadata(conn, thread.thread_id, thread.metadata)
        return thread

    def get_thread(self, thread_id: str) -> Thread | None:
        """See `Storage.get_thread`."""
        row = self._one("get_thread", {"thread_id": thread_id})
        return None if row is None else thread_from_row(row)

    def patch_thread_metadata(self, thread_id: str, metadata: JSONObject, now: datetime) -> Thread:
        """See `Storage.patch_thread_metadata`."""
        with self._tx() as conn:
            row = self._one("get_thread", {"thread_id": thread_id}, conn)
            if row is None:
                raise NotFoundError(f"Thread with ID {thread_id} not found")
            thread = thread_from_row(row)
            merged = {**thread.metadata, **metadata}
            self._exec(
                "update_thread_metadata",
                {"thread_id": thread_id, "metadata": to_json(merged), "updated_at": to_ts(now)},
                conn,
            )
            self._index_metadata(conn, thread_id, merged)
        return replace(thread, metadata=merged, updated_at=now)

    def set_thread_state(
        self,
        thread_id: str,
        *,
        values: Any,
        status: ThreadStatus,
        interrupts: dict[str, list[JSONObject]],
        pending: Sequence[InterruptRecord],
        now: datetime,
    ) -> None:
        """See `Storage.set_thread_state`."""
        with self._tx() as conn:
            row = self._one("get_thread", {"thread_id": thread_id}, conn)
            if row is None:
                raise NotFoundError(f"Thread with ID {thread_id} not found")
            pending_ids = {r.interrupt_id for r in pending}
            for record in self._all("pending_interrupts", {"thread_id": thread_id}, conn):
                if record["interrupt_id"] not in pending_ids:
                    self._resolve(conn, thread_id, record["interrupt_id"], None, now)
            for new in pending:
                self._exec("upsert_interrupt", interrupt_params(new), conn)
            self._exec(
                "update_thread_state",
                {
                    "thread_id": thread_id,
                    "values": to_json(values),
                    "status": status.value,
                    "interrupts": to_json(interrupts),
                    "error": row["error"],
                    "updated_at": to_ts(now),
                    "has_run": row["has_run"],
                },
                conn,
            )

    def delete_thread(self, thread_id: str, *, keep_decisions: bool = False) -> bool:
        """See `Storage.delete_thread`."""
        with self._tx() as conn:
            self._exec("delete_thread_events", {"thread_id": thread_id}, conn)
            if not keep_decisions:
                self._exec("delete_thread_decisions", {"thread_id": thread_id}, conn)
            return self._exec("delete_thread", {"thread_id": thread_id}, conn) > 0

    def search_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """See `Storage.search_threads`."""
        where, params = ["1 = 1"], {}
        if query.ids is not None:
            marks = []
            for n, thread_id in enumerate(query.ids):
                params[f"id{n}"] = thread_id
                marks.append(f":id{n}")
            where.append(f"thread_id IN ({', '.join(marks) or 'NULL'})")
        if query.status is not None:
            where.append("status = :status")
            params["status"] = query.status.value
        _metadata_filters(where, params, "thread_id", query.metadata)
        _json_filters(where, params, '"values"', query.values)
        order = _order(query.sort_by, query.sort_order, _THREAD_SORT, "created_at")
        rows, total = self._page("threads", where, params, order, query.limit, query.offset)
        return [thread_from_row(r) for r in rows], total

    def copy_thread(self, source_id: str, new_thread: Thread) -> Thread:
        """See `Storage.copy_thread`."""
        with self._tx() as conn:
            self._exec("insert_thread", thread_params(new_thread), conn)
            self._index_metadata(conn, new_thread.thread_id, new_thread.metadata)
            for row in self._all("pending_interrupts", {"thread_id": source_id}, conn):
                params = dict(row) | {"thread_id": new_thread.thread_id}
                self._exec("upsert_interrupt", params, conn)
        return new_thread

    # Runs

    def create_run(
        self,
        run: Run,
        *,
        new_thread: Thread | None,
        thread_metadata: JSONObject,
        thread_config: JSONObject,
        claims: Sequence[InterruptClaim] = (),
        strict: bool = True,
    ) -> RunCreation:
        """See `Storage.create_run`."""
        with self._tx() as conn:
            row = self._one("get_thread", {"thread_id": run.thread_id}, conn)
            if row is None:
                if new_thread is None:
                    raise NotFoundError("Thread or assistant not found.")
                self._exec("insert_thread", thread_params(new_thread), conn)
                self._index_metadata(conn, new_thread.thread_id, new_thread.metadata)
                thread = new_thread
            else:
                thread = thread_from_row(row)
            active = [
                run_from_row(r)
                for r in self._all("active_runs", {"thread_id": run.thread_id}, conn)
            ]
            to_cancel: list[Run] = []
            if active:
                strategy = run.multitask_strategy
                if strategy is MultitaskStrategy.REJECT:
                    raise ConflictError(
                        "Thread is already running a task. Wait for it to finish or choose "
                        "a different multitask strategy."
                    )
                if strategy in (MultitaskStrategy.INTERRUPT, MultitaskStrategy.ROLLBACK):
                    delete = strategy is MultitaskStrategy.ROLLBACK
                    for other in active:
                        if other.status is RunStatus.PENDING:
                            self._settle_pending(conn, other, delete=delete, now=run.created_at)
                        else:
                            to_cancel.append(other)
            self._exec("insert_run", run_params(run), conn)
            for claim in claims:
                self._claim(conn, run, claim, strict)
            metadata = {**thread.metadata, **thread_metadata}
            if metadata != thread.metadata:
                self._index_metadata(conn, run.thread_id, metadata)
            self._exec(
                "mark_thread_busy",
                {
                    "thread_id": run.thread_id,
                    "metadata": to_json(metadata),
                    "config": to_json(thread_config),
                    "updated_at": to_ts(run.created_at),
                },
                conn,
            )
            thread = replace(
                thread,
                status=ThreadStatus.BUSY,
                metadata=metadata,
                config=thread_config,
                updated_at=run.created_at,
            )
        return RunCreation(run=run, thread=thread, to_cancel=to_cancel)

    def _claim(
        self, conn: sqlite3.Connection, run: Run, claim: InterruptClaim, strict: bool
    ) -> None:
        decision = claim.decision
        params = {
            "thread_id": run.thread_id,
            "interrupt_id": claim.interrupt_id,
            "status": claim.status,
            "resolved_at": to_ts(decision.created_at),
            "run_id": run.run_id,
            "decision_id": decision.decision_id,
        }
        if self._exec("claim_interrupt", params, conn) == 0:
            if not strict:
                return  # lenient mode: answer what langgraph will, record nothing more
            row = self._one(
                "get_thread_interrupt",
                {"thread_id": run.thread_id, "interrupt_id": claim.interrupt_id},
                conn,
            )
            if row is not None and row["status"] == "expired":
                raise GoneError(
                    f"Interrupt {claim.interrupt_id} expired at {row['resolved_at']}; "
                    "it can no longer be answered."
                )
            by = f" by run {row['resolved_by_run_id']}" if row and row["resolved_by_run_id"] else ""
            raise ConflictError(
                f"Interrupt {claim.interrupt_id} was already answered{by}. "
                "Read the thread's state to see what it waits for now."
            )
        self._exec("insert_decision", decision_params(decision), conn)

    def _settle_pending(
        self, conn: sqlite3.Connection, run: Run, *, delete: bool, now: datetime
    ) -> None:
        self._exec("release_claims", {"run_id": run.run_id}, conn)
        if delete:
            self._exec("delete_run", {"run_id": run.run_id}, conn)
        else:
            self._exec(
                "set_run_status",
                {
                    "run_id": run.run_id,
                    "status": RunStatus.INTERRUPTED.value,
                    "updated_at": to_ts(now),
                },
                conn,
            )

    def get_run(self, run_id: str) -> Run | None:
        """See `Storage.get_run`."""
        row = self._one("get_run", {"run_id": run_id})
        return None if row is None else run_from_row(row)

    def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        """See `Storage.list_runs`."""
        rows = self._all(
            "list_runs",
            {
                "thread_id": thread_id,
                "limit": limit,
                "offset": offset,
                "status": None if status is None else status.value,
            },
        )
        return [run_from_row(r) for r in rows]

    def claim_run(self, now: datetime) -> Run | None:
        """See `Storage.claim_run`."""
        with self._tx() as conn:
            row = self._one("claim_run", {"now": to_ts(now)}, conn)
        return None if row is None else run_from_row(row)

    def next_available_at(self) -> datetime | None:
        """See `Storage.next_available_at`."""
        row = self._one("next_available_at", {})
        return None if row is None or row["available_at"] is None else from_ts(row["available_at"])

    def finish_run(
        self, run_id: str, outcome: RunOutcome, now: datetime, events: Sequence[NewEvent] = ()
    ) -> Run | None:
        """See `Storage.finish_run`."""
        with self._tx() as conn:
            self._insert_events(conn, events, now)
            row = self._one("get_run", {"run_id": run_id}, conn)
            if row is None:
                return None
            run = run_from_row(row)
            self._exec(
                "finish_run",
                {
                    "run_id": run_id,
                    "status": outcome.status.value,
                    "output": to_json(outcome.output),
                    "updated_at": to_ts(now),
                },
                conn,
            )
            others = [
                r
                for r in self._all("active_runs", {"thread_id": run.thread_id}, conn)
                if r["run_id"] != run_id
            ]
            new_ids = {i.interrupt_id for i in outcome.pending_interrupts}
            for record in self._all("pending_interrupts", {"thread_id": run.thread_id}, conn):
                if record["interrupt_id"] not in new_ids:
                    self._resolve(conn, run.thread_id, record["interrupt_id"], run_id, now)
            for pending in outcome.pending_interrupts:
                self._exec("upsert_interrupt", interrupt_params(pending), conn)
            self._exec(
                "update_thread_state",
                {
                    "thread_id": run.thread_id,
                    "values": to_json(outcome.thread_values),
                    "status": thread_status_after(outcome.thread_status, bool(others)).value,
                    "interrupts": to_json(outcome.thread_interrupts),
                    "error": to_json(outcome.thread_error),
                    "updated_at": to_ts(now),
                    "has_run": 1,
                },
                conn,
            )
        return replace(run, status=outcome.status, output=outcome.output, updated_at=now)

    def _resolve(
        self,
        conn: sqlite3.Connection,
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

    def cancel_pending_runs(
        self, run_ids: Sequence[str], *, delete: bool, now: datetime
    ) -> list[Run]:
        """See `Storage.cancel_pending_runs`."""
        settled: list[Run] = []
        with self._tx() as conn:
            for run_id in run_ids:
                row = self._one("get_run", {"run_id": run_id}, conn)
                if row is None or row["status"] != RunStatus.PENDING.value:
                    continue
                run = run_from_row(row)
                self._settle_pending(conn, run, delete=delete, now=now)
                settled.append(run)
                self._refresh_idle_thread(conn, run.thread_id, now)
        return settled

    def _refresh_idle_thread(self, conn: sqlite3.Connection, thread_id: str, now: datetime) -> None:
        # A thread whose last queued run was withdrawn goes back to what its state says.
        if self._all("active_runs", {"thread_id": thread_id}, conn):
            return
        row = self._one("get_thread", {"thread_id": thread_id}, conn)
        if row is None or row["status"] != ThreadStatus.BUSY.value:
            return
        pending = self._all("pending_interrupts", {"thread_id": thread_id}, conn)
        if pending:
            status = ThreadStatus.INTERRUPTED
        elif from_json(row["error"]) is not None:
            status = ThreadStatus.ERROR
        else:
            status = ThreadStatus.IDLE
        self._exec(
            "set_thread_status",
            {"thread_id": thread_id, "status": status.value, "updated_at": to_ts(now)},
            conn,
        )

    def delete_run(self, run_id: str, now: datetime) -> bool:
        """See `Storage.delete_run`."""
        with self._tx() as conn:
            row = self._one("get_run", {"run_id": run_id}, conn)
            if row is None:
                return False
            if RunStatus(row["status"]).is_active:
                raise ConflictError(
                    f"Run {run_id} is still {row['status']}. Cancel it before deleting it."
                )
            self._exec("delete_run", {"run_id": run_id}, conn)
        return True

    def requeue_running(self, now: datetime) -> list[str]:
        """See `Storage.requeue_running`."""
        with self._tx() as conn:
            rows = self._all("requeue_running", {"now": to_ts(now)}, conn)
        return [r["run_id"] for r in rows]

    def _insert_events(
        self, conn: sqlite3.Connection, events: Sequence[NewEvent], now: datetime
    ) -> int:
        created = to_ts(now)
        last = 0
        for e in events:
            cursor = conn.execute(
                self._q["insert_event"],
                {
                    "run_id": e.run_id,
                    "thread_id": e.thread_id,
                    "event": e.event,
                    "data": e.data,
                    "created_at": created,
                },
            )
            last = cursor.lastrowid or last
        return last

    def append_events(self, events: Sequence[NewEvent], now: datetime) -> int:
        """See `Storage.append_events`."""
        with self._tx() as conn:
            return self._insert_events(conn, events, now)

    def read_events(
        self, *, run_id: str | None = None, thread_id: str | None = None, after: int, limit: int
    ) -> list[StreamEvent]:
        """See `Storage.read_events`."""
        if run_id is not None:
            rows = self._all("run_events_after", {"run_id": run_id, "after": after, "limit": limit})
        else:
            params = {"thread_id": thread_id, "after": after, "limit": limit}
            rows = self._all("thread_events_after", params)
        return [event_from_row(r) for r in rows]

    def last_thread_event_id(self, thread_id: str) -> int:
        """See `Storage.last_thread_event_id`."""
        row = self._one("last_thread_event", {"thread_id": thread_id})
        return int(row["event_id"]) if row else 0

    def prune_events(self, before: datetime) -> int:
        """See `Storage.prune_events`."""
        with self._tx() as conn:
            return self._exec("prune_events", {"before": to_ts(before)}, conn)

    def thread_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """See `Storage.thread_interrupts`."""
        return [
            interrupt_from_row(r) for r in self._all("thread_interrupts", {"thread_id": thread_id})
        ]

    def get_interrupts(self, interrupt_id: str) -> list[InterruptRecord]:
        """See `Storage.get_interrupts`."""
        rows = self._all("get_interrupts_by_id", {"interrupt_id": interrupt_id})
        return [interrupt_from_row(r) for r in rows]

    def search_interrupts(self, query: InterruptQuery) -> tuple[list[InterruptRecord], int]:
        """See `Storage.search_interrupts`."""
        where, params = ["1 = 1"], {}
        for column in ("status", "thread_id", "assistant_id", "graph_id"):
            value = getattr(query, column)
            if value is not None:
                where.append(f"i.{column} = :{column}")
                params[column] = value
        if query.created_after is not None:
            where.append("i.created_at > :created_after")
            params["created_after"] = to_ts(query.created_after)
        if query.created_before is not None:
            where.append("i.created_at < :created_before")
            params["created_before"] = to_ts(query.created_before)
        table = "interrupts AS i"
        _metadata_filters(where, params, "i.thread_id", query.metadata)
        column = query.sort_by if query.sort_by in _INTERRUPT_SORT else "created_at"
        direction = "ASC" if query.sort_order == "asc" else "DESC"
        order = f"i.{column} {direction}, i.interrupt_id {direction}"
        rows, total = self._page(table, where, params, order, query.limit, query.offset, "i.*")
        return [interrupt_from_row(r) for r in rows], total

    def expired_interrupts(self, now: datetime, limit: int) -> list[InterruptRecord]:
        """See `Storage.expired_interrupts`."""
        rows = self._all("expired_interrupts", {"now": to_ts(now), "limit": limit})
        return [interrupt_from_row(r) for r in rows]

    def expire_interrupt(
        self, record: InterruptRecord, decision: Decision, *, cancel_thread: bool, now: datetime
    ) -> bool:
        """See `Storage.expire_interrupt`."""
        with self._tx() as conn:
            changed = self._exec(
                "set_interrupt_status",
                {
                    "thread_id": record.thread_id,
                    "interrupt_id": record.interrupt_id,
                    "status": "expired",
                    "resolved_at": to_ts(decision.created_at),
                    "decision_id": decision.decision_id,
                },
                conn,
            )
            if not changed:
                return False
            self._exec("insert_decision", decision_params(decision), conn)
            if cancel_thread:
                self._exec(
                    "cancel_thread_interrupts",
                    {"thread_id": record.thread_id, "resolved_at": to_ts(now)},
                    conn,
                )
                if not self._all("active_runs", {"thread_id": record.thread_id}, conn):
                    self._exec(
                        "set_thread_status",
                        {
                            "thread_id": record.thread_id,
                            "status": ThreadStatus.IDLE.value,
                            "updated_at": to_ts(now),
                        },
                        conn,
                    )
            return True

    def get_decision(self, decision_id: str) -> Decision | None:
        """See `Storage.get_decision`."""
        row = self._one("get_decision", {"decision_id": decision_id})
        return None if row is None else decision_from_row(row)

    def search_decisions(self, query: DecisionQuery) -> tuple[list[Decision], int]:
        """See `Storage.search_decisions`."""
        where, params = ["1 = 1"], {}
        for column in ("thread_id", "interrupt_id", "run_id", "actor", "source"):
            value = getattr(query, column)
            if value is not None:
                where.append(f"{column} = :{column}")
                params[column] = value
        if query.created_after is not None:
            where.append("created_at > :created_after")
            params["created_after"] = to_ts(query.created_after)
        if query.created_before is not None:
            where.append("created_at < :created_before")
            params["created_before"] = to_ts(query.created_before)
        direction = "ASC" if query.sort_order == "asc" else "DESC"
        order = f"created_at {direction}, decision_id {direction}"
        rows, total = self._page("decisions", where, params, order, query.limit, query.offset)
        return [decision_from_row(r) for r in rows], total

    def pending_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """See `Storage.pending_interrupts`."""
        rows = self._all("pending_interrupts", {"thread_id": thread_id})
        return [interrupt_from_row(r) for r in rows]


def _statements(sql: str) -> Iterable[str]:
    for part in sql.split(";"):
        lines = [ln for ln in part.splitlines() if not ln.strip().startswith("--")]
        statement = "\n".join(lines).strip()
        if statement:
            yield statement


def _order(sort_by: str, sort_order: str, allowed: set[str], default: str) -> str:
    column = sort_by if sort_by in allowed else default
    direction = "ASC" if sort_order == "asc" else "DESC"
    return f"{column} {direction}, rowid {direction}"


def _metadata_filters(
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


def _json_filters(
    where: list[str], params: dict[str, Any], column: str, filters: JSONObject
) -> None:
    # Each key must equal the given value; nested objects compare as canonical JSON.
    for n, (key, value) in enumerate(filters.items()):
        stem = re.sub(r"\W", "_", column)
        path_name, value_name = f"{stem}_p{n}", f"{stem}_v{n}"
        params[path_name] = '$."' + str(key).replace('"', '\\"') + '"'
        if isinstance(value, dict | list):
            where.append(f"json(json_extract({column}, :{path_name})) = json(:{value_name})")
            params[value_name] = to_json(value)
        elif value is None:
            where.append(f"json_type({column}, :{path_name}) = 'null'")
        else:
            where.append(f"json_extract({column}, :{path_name}) = :{value_name}")
            params[value_name] = int(value) if isinstance(value, bool) else value
