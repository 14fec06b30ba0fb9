"""The SQLite back end: one file, WAL, writers serialized, migrations applied on open."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite

from interlock import serde
from interlock.errors import ConflictError, NotFoundError, StorageError
from interlock.models import (
    Assistant,
    AssistantVersion,
    InterruptRecord,
    JSONObject,
    MultitaskStrategy,
    Run,
    RunStatus,
    Thread,
    ThreadStatus,
)
from interlock.storage.base import (
    AssistantQuery,
    RunCreation,
    RunOutcome,
    Storage,
    ThreadQuery,
    thread_status_after,
)
from interlock.storage.sql import load_migrations, load_queries

__all__ = ["SQLiteStorage"]

BUSY_TIMEOUT_MS = 30_000  # how long a writer waits for the file lock (ms)

_ASSISTANT_SORT = {"assistant_id", "graph_id", "name", "created_at", "updated_at"}
_THREAD_SORT = {"thread_id", "status", "created_at", "updated_at", "state_updated_at"}


def _ts(value: datetime) -> str:
    return value.isoformat()


def _dt(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _j(value: Any) -> str:
    return serde.dumps(value).decode()


def _uj(value: str | None) -> Any:
    return None if value is None else serde.loads(value)


class SQLiteStorage(Storage):
    """Storage in one SQLite file, next to the checkpoints.

    Args:
        path: the database file; its folder is created when missing.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._q = load_queries("sqlite")
        self._conn: aiosqlite.Connection | None = None
        # One connection, so one writer at a time inside this process; other processes
        # (and the checkpointer's own connection) are handled by the file lock.
        self._write_lock = asyncio.Lock()

    async def open(self) -> None:
        """Open the file (creating it) and bring its schema up to date."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(self.path, isolation_level=None)
        conn.row_factory = sqlite3.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        self._conn = conn
        await self.migrate()

    async def close(self) -> None:
        """Close the connection."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The open connection."""
        if self._conn is None:
            raise StorageError("The SQLite storage is not open; call open() or use `async with`.")
        return self._conn

    async def migrate(self) -> list[str]:
        """Apply the migrations this file has not seen; return their names."""
        applied: list[str] = []
        async with self._tx() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS interlock_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            rows = await conn.execute_fetchall("SELECT version FROM interlock_migrations")
            done = {row[0] for row in rows}
            for number, name, sql in load_migrations("sqlite"):
                if number in done:
                    continue
                for statement in _statements(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO interlock_migrations VALUES (?, ?, datetime('now'))",
                    (number, name),
                )
                applied.append(name)
        return applied

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            conn = self.conn
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StorageError(f"Could not start a transaction: {exc}") from exc
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                try:
                    await conn.execute("COMMIT")
                except sqlite3.Error as exc:
                    await conn.execute("ROLLBACK")
                    raise StorageError(f"Could not commit: {exc}") from exc

    # Every statement runs and is fully read in one call to the connection's thread, so
    # no half-read cursor ever keeps a stale read snapshot open under a later BEGIN
    # IMMEDIATE (SQLite would answer "database is locked" without waiting).

    async def _one(
        self, name: str, params: Mapping[str, Any], conn: aiosqlite.Connection | None = None
    ) -> sqlite3.Row | None:
        rows = await (conn or self.conn).execute_fetchall(self._q[name], params)
        return next(iter(rows), None)

    async def _all(
        self, name: str, params: Mapping[str, Any], conn: aiosqlite.Connection | None = None
    ) -> list[sqlite3.Row]:
        return list(await (conn or self.conn).execute_fetchall(self._q[name], params))

    async def _exec(self, name: str, params: Mapping[str, Any], conn: aiosqlite.Connection) -> int:
        async with conn.execute(self._q[name], params) as cursor:
            return cursor.rowcount

    # Assistants

    async def create_assistant(self, assistant: Assistant, *, if_exists: str) -> Assistant:
        """See `Storage.create_assistant`."""
        async with self._tx() as conn:
            existing = await self._one(
                "get_assistant", {"assistant_id": assistant.assistant_id}, conn
            )
            if existing is not None:
                if if_exists == "do_nothing":
                    return _assistant(existing)
                raise ConflictError(f"Assistant {assistant.assistant_id} already exists")
            params = _assistant_params(assistant)
            await self._exec("insert_assistant", params, conn)
            await self._exec("insert_assistant_version", params, conn)
        return assistant

    async def get_assistant(self, assistant_id: str) -> Assistant | None:
        """See `Storage.get_assistant`."""
        row = await self._one("get_assistant", {"assistant_id": assistant_id})
        return None if row is None else _assistant(row)

    async def patch_assistant(
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
        async with self._tx() as conn:
            row = await self._one("get_assistant", {"assistant_id": assistant_id}, conn)
            if row is None:
                raise NotFoundError()
            current = _assistant(row)
            top = await self._one("max_assistant_version", {"assistant_id": assistant_id}, conn)
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
            params = _assistant_params(updated) | {"created_at": _ts(now)}
            await self._exec("insert_assistant_version", params, conn)
            await self._exec("update_assistant", _assistant_params(updated), conn)
        return updated

    async def delete_assistant(self, assistant_id: str) -> bool:
        """See `Storage.delete_assistant`."""
        async with self._tx() as conn:
            await self._exec("delete_assistant_versions", {"assistant_id": assistant_id}, conn)
            return await self._exec("delete_assistant", {"assistant_id": assistant_id}, conn) > 0

    async def search_assistants(self, query: AssistantQuery) -> tuple[list[Assistant], int]:
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
        rows, total = await self._page(
            "assistants", where, params, order, query.limit, query.offset
        )
        return [_assistant(r) for r in rows], total

    async def list_assistant_versions(self, assistant_id: str) -> list[AssistantVersion]:
        """See `Storage.list_assistant_versions`."""
        rows = await self._all("list_assistant_versions", {"assistant_id": assistant_id})
        return [_assistant_version(r) for r in rows]

    async def set_assistant_version(
        self, assistant_id: str, version: int, now: datetime
    ) -> Assistant:
        """See `Storage.set_assistant_version`."""
        async with self._tx() as conn:
            row = await self._one(
                "get_assistant_version", {"assistant_id": assistant_id, "version": version}, conn
            )
            current = await self._one("get_assistant", {"assistant_id": assistant_id}, conn)
            if row is None or current is None:
                raise NotFoundError(f"Assistant {assistant_id} has no version {version}")
            v = _assistant_version(row)
            updated = Assistant(
                assistant_id=assistant_id,
                graph_id=v.graph_id,
                config=v.config,
                context=v.context,
                metadata=v.metadata,
                name=v.name,
                description=v.description,
                version=v.version,
                created_at=_dt(current["created_at"]),
                updated_at=now,
            )
            await self._exec("update_assistant", _assistant_params(updated), conn)
        return updated

    async def _page(
        self,
        table: str,
        where: list[str],
        params: dict[str, Any],
        order: str,
        limit: int,
        offset: int,
    ) -> tuple[list[sqlite3.Row], int]:
        # Table and column names come from our own allow-lists, never from the request.
        clause = " AND ".join(where)
        count_sql = f"SELECT COUNT(*) FROM {table} WHERE {clause}"  # noqa: S608
        total_rows = list(await self.conn.execute_fetchall(count_sql, params))
        total = int(total_rows[0][0]) if total_rows else 0
        page_sql = f"SELECT * FROM {table} WHERE {clause} ORDER BY {order} LIMIT :_l OFFSET :_o"  # noqa: S608
        rows = await self.conn.execute_fetchall(page_sql, {**params, "_l": limit, "_o": offset})
        return list(rows), total

    # Threads

    async def create_thread(self, thread: Thread, *, if_exists: str) -> Thread:
        """See `Storage.create_thread`."""
        async with self._tx() as conn:
            existing = await self._one("get_thread", {"thread_id": thread.thread_id}, conn)
            if existing is not None:
                if if_exists == "do_nothing":
                    return _thread(existing)
                raise ConflictError(f"Thread with ID {thread.thread_id} already exists")
            await self._exec("insert_thread", _thread_params(thread), conn)
        return thread

    async def get_thread(self, thread_id: str) -> Thread | None:
        """See `Storage.get_thread`."""
        row = await self._one("get_thread", {"thread_id": thread_id})
        return None if row is None else _thread(row)

    async def patch_thread_metadata(
        self, thread_id: str, metadata: JSONObject, now: datetime
    ) -> Thread:
        """See `Storage.patch_thread_metadata`."""
        async with self._tx() as conn:
            row = await self._one("get_thread", {"thread_id": thread_id}, conn)
            if row is None:
                raise NotFoundError(f"Thread with ID {thread_id} not found")
            thread = _thread(row)
            merged = {**thread.metadata, **metadata}
            await self._exec(
                "update_thread_metadata",
                {"thread_id": thread_id, "metadata": _j(merged), "updated_at": _ts(now)},
                conn,
            )
        return replace(thread, metadata=merged, updated_at=now)

    async def set_thread_state(
        self,
        thread_id: str,
        *,
        values: Any,
        status: ThreadStatus,
        interrupts: dict[str, list[JSONObject]],
        now: datetime,
    ) -> None:
        """See `Storage.set_thread_state`."""
        async with self._tx() as conn:
            row = await self._one("get_thread", {"thread_id": thread_id}, conn)
            if row is None:
                raise NotFoundError(f"Thread with ID {thread_id} not found")
            pending_ids = {i["id"] for items in interrupts.values() for i in items}
            for record in await self._all("pending_interrupts", {"thread_id": thread_id}, conn):
                if record["interrupt_id"] not in pending_ids:
                    await self._resolve(conn, thread_id, record["interrupt_id"], None, now)
            await self._exec(
                "update_thread_state",
                {
                    "thread_id": thread_id,
                    "values": _j(values),
                    "status": status.value,
                    "interrupts": _j(interrupts),
                    "error": row["error"],
                    "updated_at": _ts(now),
                    "has_run": row["has_run"],
                },
                conn,
            )

    async def delete_thread(self, thread_id: str) -> bool:
        """See `Storage.delete_thread`."""
        async with self._tx() as conn:
            return await self._exec("delete_thread", {"thread_id": thread_id}, conn) > 0

    async def search_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
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
        _json_filters(where, params, "metadata", query.metadata)
        _json_filters(where, params, '"values"', query.values)
        order = _order(query.sort_by, query.sort_order, _THREAD_SORT, "created_at")
        rows, total = await self._page("threads", where, params, order, query.limit, query.offset)
        return [_thread(r) for r in rows], total

    async def copy_thread(self, source_id: str, new_thread: Thread) -> Thread:
        """See `Storage.copy_thread`."""
        async with self._tx() as conn:
            await self._exec("insert_thread", _thread_params(new_thread), conn)
            for row in await self._all("pending_interrupts", {"thread_id": source_id}, conn):
                params = dict(row) | {"thread_id": new_thread.thread_id}
                await self._exec("upsert_interrupt", params, conn)
        return new_thread

    # Runs

    async def create_run(
        self,
        run: Run,
        *,
        new_thread: Thread | None,
        thread_metadata: JSONObject,
        thread_config: JSONObject,
    ) -> RunCreation:
        """See `Storage.create_run`."""
        async with self._tx() as conn:
            row = await self._one("get_thread", {"thread_id": run.thread_id}, conn)
            if row is None:
                if new_thread is None:
                    raise NotFoundError("Thread or assistant not found.")
                await self._exec("insert_thread", _thread_params(new_thread), conn)
                thread = new_thread
            else:
                thread = _thread(row)
            active = [
                _run(r) for r in await self._all("active_runs", {"thread_id": run.thread_id}, conn)
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
                            await self._settle_pending(
                                conn, other, delete=delete, now=run.created_at
                            )
                        else:
                            to_cancel.append(other)
            await self._exec("insert_run", _run_params(run), conn)
            metadata = {**thread.metadata, **thread_metadata}
            await self._exec(
                "mark_thread_busy",
                {
                    "thread_id": run.thread_id,
                    "metadata": _j(metadata),
                    "config": _j(thread_config),
                    "updated_at": _ts(run.created_at),
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

    async def _settle_pending(
        self, conn: aiosqlite.Connection, run: Run, *, delete: bool, now: datetime
    ) -> None:
        if delete:
            await self._exec("delete_run", {"run_id": run.run_id}, conn)
        else:
            await self._exec(
                "set_run_status",
                {
                    "run_id": run.run_id,
                    "status": RunStatus.INTERRUPTED.value,
                    "updated_at": _ts(now),
                },
                conn,
            )

    async def get_run(self, run_id: str) -> Run | None:
        """See `Storage.get_run`."""
        row = await self._one("get_run", {"run_id": run_id})
        return None if row is None else _run(row)

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        """See `Storage.list_runs`."""
        rows = await self._all(
            "list_runs",
            {
                "thread_id": thread_id,
                "limit": limit,
                "offset": offset,
                "status": None if status is None else status.value,
            },
        )
        return [_run(r) for r in rows]

    async def claim_run(self, now: datetime) -> Run | None:
        """See `Storage.claim_run`."""
        async with self._tx() as conn:
            row = await self._one("claim_run", {"now": _ts(now)}, conn)
        return None if row is None else _run(row)

    async def next_available_at(self) -> datetime | None:
        """See `Storage.next_available_at`."""
        row = await self._one("next_available_at", {})
        return None if row is None or row["available_at"] is None else _dt(row["available_at"])

    async def finish_run(self, run_id: str, outcome: RunOutcome, now: datetime) -> Run | None:
        """See `Storage.finish_run`."""
        async with self._tx() as conn:
            row = await self._one("get_run", {"run_id": run_id}, conn)
            if row is None:
                return None
            run = _run(row)
            await self._exec(
                "finish_run",
                {
                    "run_id": run_id,
                    "status": outcome.status.value,
                    "output": _j(outcome.output),
                    "updated_at": _ts(now),
                },
                conn,
            )
            others = [
                r
                for r in await self._all("active_runs", {"thread_id": run.thread_id}, conn)
                if r["run_id"] != run_id
            ]
            new_ids = {i.interrupt_id for i in outcome.pending_interrupts}
            for record in await self._all("pending_interrupts", {"thread_id": run.thread_id}, conn):
                if record["interrupt_id"] not in new_ids:
                    await self._resolve(conn, run.thread_id, record["interrupt_id"], run_id, now)
            for pending in outcome.pending_interrupts:
                await self._exec("upsert_interrupt", _interrupt_params(pending), conn)
            await self._exec(
                "update_thread_state",
                {
                    "thread_id": run.thread_id,
                    "values": _j(outcome.thread_values),
                    "status": thread_status_after(outcome.thread_status, bool(others)).value,
                    "interrupts": _j(outcome.thread_interrupts),
                    "error": _j(outcome.thread_error),
                    "updated_at": _ts(now),
                    "has_run": 1,
                },
                conn,
            )
        return replace(run, status=outcome.status, output=outcome.output, updated_at=now)

    async def _resolve(
        self,
        conn: aiosqlite.Connection,
        thread_id: str,
        interrupt_id: str,
        run_id: str | None,
        now: datetime,
    ) -> None:
        await self._exec(
            "resolve_interrupt",
            {
                "thread_id": thread_id,
                "interrupt_id": interrupt_id,
                "status": "resolved",
                "resolved_at": _ts(now),
                "resolved_by_run_id": run_id,
            },
            conn,
        )

    async def cancel_pending_runs(
        self, run_ids: Sequence[str], *, delete: bool, now: datetime
    ) -> list[Run]:
        """See `Storage.cancel_pending_runs`."""
        settled: list[Run] = []
        async with self._tx() as conn:
            for run_id in run_ids:
                row = await self._one("get_run", {"run_id": run_id}, conn)
                if row is None or row["status"] != RunStatus.PENDING.value:
                    continue
                run = _run(row)
                await self._settle_pending(conn, run, delete=delete, now=now)
                settled.append(run)
                await self._refresh_idle_thread(conn, run.thread_id, now)
        return settled

    async def _refresh_idle_thread(
        self, conn: aiosqlite.Connection, thread_id: str, now: datetime
    ) -> None:
        # A thread whose last queued run was withdrawn goes back to what its state says.
        if await self._all("active_runs", {"thread_id": thread_id}, conn):
            return
        row = await self._one("get_thread", {"thread_id": thread_id}, conn)
        if row is None or row["status"] != ThreadStatus.BUSY.value:
            return
        pending = await self._all("pending_interrupts", {"thread_id": thread_id}, conn)
        if pending:
            status = ThreadStatus.INTERRUPTED
        elif _uj(row["error"]) is not None:
            status = ThreadStatus.ERROR
        else:
            status = ThreadStatus.IDLE
        await self._exec(
            "set_thread_status",
            {"thread_id": thread_id, "status": status.value, "updated_at": _ts(now)},
            conn,
        )

    async def delete_run(self, run_id: str, now: datetime) -> bool:
        """See `Storage.delete_run`."""
        async with self._tx() as conn:
            row = await self._one("get_run", {"run_id": run_id}, conn)
            if row is None:
                return False
            if RunStatus(row["status"]).is_active:
                raise ConflictError(
                    f"Run {run_id} is still {row['status']}. Cancel it before deleting it."
                )
            await self._exec("delete_run", {"run_id": run_id}, conn)
        return True

    async def requeue_running(self, now: datetime) -> list[str]:
        """See `Storage.requeue_running`."""
        async with self._tx() as conn:
            rows = await self._all("requeue_running", {"now": _ts(now)}, conn)
        return [r["run_id"] for r in rows]

    async def pending_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """See `Storage.pending_interrupts`."""
        rows = await self._all("pending_interrupts", {"thread_id": thread_id})
        return [_interrupt(r) for r in rows]


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


def _json_filters(
    where: list[str], params: dict[str, Any], column: str, filters: JSONObject
) -> None:
    # Each key must equal the given value; nested objects compare as canonical JSON.
    for n, (key, value) in enumerate(filters.items()):
        path_name, value_name = f"{column.strip(chr(34))}_p{n}", f"{column.strip(chr(34))}_v{n}"
        params[path_name] = '$."' + str(key).replace('"', '\\"') + '"'
        if isinstance(value, dict | list):
            where.append(f"json(json_extract({column}, :{path_name})) = json(:{value_name})")
            params[value_name] = _j(value)
        elif value is None:
            where.append(f"json_type({column}, :{path_name}) = 'null'")
        else:
            where.append(f"json_extract({column}, :{path_name}) = :{value_name}")
            params[value_name] = int(value) if isinstance(value, bool) else value


def _assistant_params(a: Assistant) -> dict[str, Any]:
    return {
        "assistant_id": a.assistant_id,
        "graph_id": a.graph_id,
        "config": _j(a.config),
        "context": _j(a.context),
        "metadata": _j(a.metadata),
        "name": a.name,
        "description": a.description,
        "version": a.version,
        "created_at": _ts(a.created_at),
        "updated_at": _ts(a.updated_at),
    }


def _assistant(row: sqlite3.Row) -> Assistant:
    return Assistant(
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        config=_uj(row["config"]),
        context=_uj(row["context"]),
        metadata=_uj(row["metadata"]),
        name=row["name"],
        description=row["description"],
        version=row["version"],
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
    )


def _assistant_version(row: sqlite3.Row) -> AssistantVersion:
    return AssistantVersion(
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        config=_uj(row["config"]),
        context=_uj(row["context"]),
        metadata=_uj(row["metadata"]),
        name=row["name"],
        description=row["description"],
        version=row["version"],
        created_at=_dt(row["created_at"]),
    )


def _thread_params(t: Thread) -> dict[str, Any]:
    return {
        "thread_id": t.thread_id,
        "created_at": _ts(t.created_at),
        "updated_at": _ts(t.updated_at),
        "state_updated_at": _ts(t.state_updated_at),
        "metadata": _j(t.metadata),
        "status": t.status.value,
        "config": _j(t.config),
        "values": _j(t.values),
        "interrupts": _j(t.interrupts),
        "error": _j(t.error),
        "has_run": int(t.has_run),
    }


def _thread(row: sqlite3.Row) -> Thread:
    return Thread(
        thread_id=row["thread_id"],
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        state_updated_at=_dt(row["state_updated_at"]),
        metadata=_uj(row["metadata"]),
        status=ThreadStatus(row["status"]),
        config=_uj(row["config"]),
        values=_uj(row["values"]),
        interrupts=_uj(row["interrupts"]),
        error=_uj(row["error"]),
        has_run=bool(row["has_run"]),
    )


def _run_params(r: Run) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "thread_id": r.thread_id,
        "assistant_id": r.assistant_id,
        "graph_id": r.graph_id,
        "status": r.status.value,
        "metadata": _j(r.metadata),
        "kwargs": _j(r.kwargs),
        "multitask_strategy": r.multitask_strategy.value,
        "created_at": _ts(r.created_at),
        "updated_at": _ts(r.updated_at),
        "available_at": _ts(r.available_at),
        "attempt": r.attempt,
        "output": _j(r.output),
        "on_completion": r.on_completion,
        "temporary": int(r.temporary),
    }


def _run(row: sqlite3.Row) -> Run:
    return Run(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        status=RunStatus(row["status"]),
        metadata=_uj(row["metadata"]),
        kwargs=_uj(row["kwargs"]),
        multitask_strategy=MultitaskStrategy(row["multitask_strategy"]),
        created_at=_dt(row["created_at"]),
        updated_at=_dt(row["updated_at"]),
        available_at=_dt(row["available_at"]),
        attempt=row["attempt"],
        output=_uj(row["output"]),
        on_completion=row["on_completion"],
        temporary=bool(row["temporary"]),
    )


def _interrupt_params(i: InterruptRecord) -> dict[str, Any]:
    return {
        "interrupt_id": i.interrupt_id,
        "thread_id": i.thread_id,
        "run_id": i.run_id,
        "assistant_id": i.assistant_id,
        "graph_id": i.graph_id,
        "checkpoint_id": i.checkpoint_id,
        "task_id": i.task_id,
        "namespace": i.namespace,
        "node": i.node,
        "when": i.when,
        "value": _j(i.value),
        "response_schema": _j(i.response_schema),
        "created_at": _ts(i.created_at),
    }


def _interrupt(row: sqlite3.Row) -> InterruptRecord:
    return InterruptRecord(
        interrupt_id=row["interrupt_id"],
        thread_id=row["thread_id"],
        run_id=row["run_id"],
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        checkpoint_id=row["checkpoint_id"],
        task_id=row["task_id"],
        namespace=row["namespace"],
        node=row["node"],
        when=row["when"],
        value=_uj(row["value"]),
        response_schema=_uj(row["response_schema"]),
        status=row["status"],
        created_at=_dt(row["created_at"]),
        resolved_at=None if row["resolved_at"] is None else _dt(row["resolved_at"]),
        resolved_by_run_id=row["resolved_by_run_id"],
    )
