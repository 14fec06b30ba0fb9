"""Storage over the shared SQL operations, run in a small pool of database threads."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from interlock.errors import DatabaseUnavailable, StorageError
from interlock.models import (
    Assistant,
    AssistantVersion,
    Decision,
    Delivery,
    InterruptRecord,
    JSONObject,
    NewEvent,
    Run,
    RunStatus,
    StreamEvent,
    Thread,
    ThreadStatus,
)
from interlock.storage._dialect import Dialect
from interlock.storage._ops import SqlOps
from interlock.storage.base import (
    AssistantQuery,
    DecisionQuery,
    InterruptClaim,
    InterruptQuery,
    RunCreation,
    RunOutcome,
    Storage,
    ThreadQuery,
)

__all__ = ["ThreadedSqlStorage"]

T = TypeVar("T")


class ThreadedSqlStorage(Storage):
    """The storage contract over `SqlOps`, each operation run whole in a database thread.

    A small pool: `connections` threads, each operation taking an idle connection (one
    is opened when none is idle, up to one per thread). One hop from the event loop per
    call, and the event loop never blocked while another connection holds a lock. SQLite
    keeps one connection, which serializes the process's writers in front of the file
    lock; PostgreSQL takes several, so a slow transaction does not queue every other one.

    Args:
        dialect: the database and how to connect to it.
        connections: the most connections (and database threads) this process opens.
        migrate: apply pending migrations on open; when False, refuse to open a
            database whose schema is behind (`interlock db upgrade` brings it up).
    """

    def __init__(self, dialect: Dialect, *, connections: int = 1, migrate: bool = True) -> None:
        self.dialect = dialect
        self.connections = max(1, connections)
        self.auto_migrate = migrate
        self._threads: ThreadPoolExecutor | None = None
        self._idle: queue.SimpleQueue[SqlOps] = queue.SimpleQueue()
        self._opened: list[SqlOps] = []
        self._opened_lock = threading.Lock()

    async def open(self) -> None:
        """Connect, and bring the schema up to date (or check that it is)."""
        self._threads = ThreadPoolExecutor(
            max_workers=self.connections, thread_name_prefix=f"interlock-{self.dialect.name}"
        )
        try:
            if self.auto_migrate:
                await self._call(SqlOps.migrate)
            else:
                pending = await self._call(SqlOps.pending_migrations)
                if pending:
                    msg = (
                        f"The database schema is behind this version of Interlock "
                        f"(missing migrations: {', '.join(pending)}). Run `interlock db upgrade` "
                        f"or start without --no-migrate."
                    )
                    raise StorageError(msg)
        except BaseException:
            await self.close()
            raise

    async def close(self) -> None:
        """Stop the database threads and close every connection."""
        try:
            if self._threads is not None:
                threads, self._threads = self._threads, None
                # Calls not started yet are dropped; the ones running finish (a thread cannot
                # be interrupted), waited for off the event loop.
                await asyncio.to_thread(threads.shutdown, wait=True, cancel_futures=True)
        finally:
            # Also when the wait above is cancelled: no connection outlives the storage.
            with self._opened_lock:
                opened, self._opened = self._opened, []
            for ops in opened:
                with contextlib.suppress(Exception):
                    ops.close()
            self._idle = queue.SimpleQueue()

    @property
    def open_connections(self) -> int:
        """How many connections this storage holds now."""
        with self._opened_lock:
            return len(self._opened)

    async def migrate(self) -> list[str]:
        """Apply pending migrations; return their names."""
        return await self._call(SqlOps.migrate)

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self._threads is None:
            raise StorageError("The storage is not open; call open() or use `async with`.")
        loop = asyncio.get_running_loop()
        call = functools.partial(self._in_thread, fn, args, kwargs)
        return await loop.run_in_executor(self._threads, call)

    def _in_thread(self, fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
        # At most one operation per thread, so an idle connection is there unless fewer
        # than `connections` are open yet. The connection goes back to the idle queue
        # here, in the thread, so a caller cancelled mid-call cannot hand it out twice.
        try:
            ops = self._idle.get_nowait()
        except queue.Empty:
            ops = self._connect()
        try:
            return ops.run(functools.partial(fn, ops, *args, **kwargs))
        finally:
            self._idle.put(ops)

    def _connect(self) -> SqlOps:
        try:
            ops = SqlOps(self.dialect)
        except self.dialect.errors as exc:
            raise DatabaseUnavailable(f"The database is unreachable: {exc}") from exc
        with self._opened_lock:
            self._opened.append(ops)
        return ops

    async def create_assistant(self, assistant: Assistant, *, if_exists: str) -> Assistant:
        """See `Storage.create_assistant`."""
        return await self._call(SqlOps.create_assistant, assistant, if_exists=if_exists)

    async def get_assistant(self, assistant_id: str) -> Assistant | None:
        """See `Storage.get_assistant`."""
        return await self._call(SqlOps.get_assistant, assistant_id)

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
        return await self._call(
            SqlOps.patch_assistant,
            assistant_id,
            graph_id=graph_id,
            config=config,
            context=context,
            metadata=metadata,
            name=name,
            description=description,
            now=now,
        )

    async def delete_assistant(self, assistant_id: str) -> bool:
        """See `Storage.delete_assistant`."""
        return await self._call(SqlOps.delete_assistant, assistant_id)

    async def search_assistants(self, query: AssistantQuery) -> tuple[list[Assistant], int]:
        """See `Storage.search_assistants`."""
        return await self._call(SqlOps.search_assistants, query)

    async def list_assistant_versions(self, assistant_id: str) -> list[AssistantVersion]:
        """See `Storage.list_assistant_versions`."""
        return await self._call(SqlOps.list_assistant_versions, assistant_id)

    async def set_assistant_version(
        self, assistant_id: str, version: int, now: datetime
    ) -> Assistant:
        """See `Storage.set_assistant_version`."""
        return await self._call(SqlOps.set_assistant_version, assistant_id, version, now)

    async def create_thread(self, thread: Thread, *, if_exists: str) -> Thread:
        """See `Storage.create_thread`."""
        return await self._call(SqlOps.create_thread, thread, if_exists=if_exists)

    async def get_thread(self, thread_id: str) -> Thread | None:
        """See `Storage.get_thread`."""
        return await self._call(SqlOps.get_thread, thread_id)

    async def patch_thread_metadata(
        self, thread_id: str, metadata: JSONObject, now: datetime
    ) -> Thread:
        """See `Storage.patch_thread_metadata`."""
        return await self._call(SqlOps.patch_thread_metadata, thread_id, metadata, now)

    async def set_thread_state(
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
        await self._call(
            SqlOps.set_thread_state,
            thread_id,
            values=values,
            status=status,
            interrupts=interrupts,
            pending=pending,
            now=now,
        )

    async def delete_thread(
        self, thread_id: str, *, keep_decisions: bool = False, keep_events: bool = False
    ) -> bool:
        """See `Storage.delete_thread`."""
        return await self._call(
            SqlOps.delete_thread,
            thread_id,
            keep_decisions=keep_decisions,
            keep_events=keep_events,
        )

    async def search_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """See `Storage.search_threads`."""
        return await self._call(SqlOps.search_threads, query)

    async def copy_thread(self, source_id: str, new_thread: Thread) -> Thread:
        """See `Storage.copy_thread`."""
        return await self._call(SqlOps.copy_thread, source_id, new_thread)

    async def create_run(
        self,
        run: Run,
        *,
        new_thread: Thread | None,
        thread_metadata: JSONObject,
        thread_config: JSONObject,
        claims: Sequence[InterruptClaim] = (),
        strict: bool = True,
        resume_unchecked: bool = False,
    ) -> RunCreation:
        """See `Storage.create_run`."""
        return await self._call(
            SqlOps.create_run,
            run,
            new_thread=new_thread,
            thread_metadata=thread_metadata,
            thread_config=thread_config,
            claims=claims,
            strict=strict,
            resume_unchecked=resume_unchecked,
        )

    async def get_run(self, run_id: str) -> Run | None:
        """See `Storage.get_run`."""
        return await self._call(SqlOps.get_run, run_id)

    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        """See `Storage.list_runs`."""
        return await self._call(
            SqlOps.list_runs, thread_id, limit=limit, offset=offset, status=status
        )

    async def claim_run(
        self, now: datetime, *, worker_id: str, lease_until: datetime
    ) -> Run | None:
        """See `Storage.claim_run`."""
        return await self._call(SqlOps.claim_run, now, worker_id=worker_id, lease_until=lease_until)

    async def next_available_at(self) -> datetime | None:
        """See `Storage.next_available_at`."""
        return await self._call(SqlOps.next_available_at)

    async def finish_run(
        self,
        run_id: str,
        outcome: RunOutcome,
        now: datetime,
        events: Sequence[NewEvent] = (),
        *,
        worker_id: str | None = None,
        attempt: int | None = None,
    ) -> Run | None:
        """See `Storage.finish_run`."""
        return await self._call(
            SqlOps.finish_run, run_id, outcome, now, events, worker_id=worker_id, attempt=attempt
        )

    async def append_events(self, events: Sequence[NewEvent], now: datetime) -> int:
        """See `Storage.append_events`."""
        return await self._call(SqlOps.append_events, events, now)

    async def read_events(
        self, *, run_id: str | None = None, thread_id: str | None = None, after: int, limit: int
    ) -> list[StreamEvent]:
        """See `Storage.read_events`."""
        return await self._call(
            SqlOps.read_events, run_id=run_id, thread_id=thread_id, after=after, limit=limit
        )

    async def last_thread_event_id(self, thread_id: str) -> int:
        """See `Storage.last_thread_event_id`."""
        return await self._call(SqlOps.last_thread_event_id, thread_id)

    async def prune_events(self, before: datetime) -> int:
        """See `Storage.prune_events`."""
        return await self._call(SqlOps.prune_events, before)

    async def cancel_pending_runs(
        self, run_ids: Sequence[str], *, delete: bool, now: datetime
    ) -> list[Run]:
        """See `Storage.cancel_pending_runs`."""
        return await self._call(SqlOps.cancel_pending_runs, run_ids, delete=delete, now=now)

    async def delete_run(self, run_id: str, now: datetime) -> bool:
        """See `Storage.delete_run`."""
        return await self._call(SqlOps.delete_run, run_id, now)

    async def requeue_running(self, now: datetime, *, worker_id: str | None = None) -> list[str]:
        """See `Storage.requeue_running`."""
        return await self._call(SqlOps.requeue_running, now, worker_id=worker_id)

    async def renew_leases(
        self, worker_id: str, run_ids: Sequence[str], lease_until: datetime
    ) -> dict[str, str | None]:
        """See `Storage.renew_leases`."""
        return await self._call(SqlOps.renew_leases, worker_id, run_ids, lease_until)

    async def release_run(
        self, run_id: str, *, worker_id: str, attempt: int, now: datetime
    ) -> bool:
        """See `Storage.release_run`."""
        return await self._call(
            SqlOps.release_run, run_id, worker_id=worker_id, attempt=attempt, now=now
        )

    async def recover_expired(self, now: datetime, *, max_attempts: int) -> list[Run]:
        """See `Storage.recover_expired`."""
        return await self._call(SqlOps.recover_expired, now, max_attempts=max_attempts)

    async def request_cancel(self, run_id: str, action: str) -> bool:
        """See `Storage.request_cancel`."""
        return await self._call(SqlOps.request_cancel, run_id, action)

    async def pending_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """See `Storage.pending_interrupts`."""
        return await self._call(SqlOps.pending_interrupts, thread_id)

    async def thread_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """See `Storage.thread_interrupts`."""
        return await self._call(SqlOps.thread_interrupts, thread_id)

    async def get_interrupts(self, interrupt_id: str) -> list[InterruptRecord]:
        """See `Storage.get_interrupts`."""
        return await self._call(SqlOps.get_interrupts, interrupt_id)

    async def search_interrupts(self, query: InterruptQuery) -> tuple[list[InterruptRecord], int]:
        """See `Storage.search_interrupts`."""
        return await self._call(SqlOps.search_interrupts, query)

    async def expired_interrupts(self, now: datetime, limit: int) -> list[InterruptRecord]:
        """See `Storage.expired_interrupts`."""
        return await self._call(SqlOps.expired_interrupts, now, limit)

    async def expire_interrupt(
        self, record: InterruptRecord, decision: Decision, *, cancel_thread: bool, now: datetime
    ) -> bool:
        """See `Storage.expire_interrupt`."""
        return await self._call(
            SqlOps.expire_interrupt, record, decision, cancel_thread=cancel_thread, now=now
        )

    async def get_decisions(self, decision_ids: Sequence[str]) -> list[Decision]:
        """See `Storage.get_decisions`."""
        return await self._call(SqlOps.get_decisions, decision_ids)

    async def search_decisions(self, query: DecisionQuery) -> tuple[list[Decision], int]:
        """See `Storage.search_decisions`."""
        return await self._call(SqlOps.search_decisions, query)

    async def undispatched(self, limit: int) -> list[tuple[str, str]]:
        """See `Storage.undispatched`."""
        return await self._call(SqlOps.undispatched, limit)

    async def fan_out(self, routes: Sequence[tuple[str, Sequence[str]]], now: datetime) -> None:
        """See `Storage.fan_out`."""
        await self._call(SqlOps.fan_out, routes, now)

    async def lease_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """See `Storage.lease_due`."""
        return await self._call(SqlOps.lease_due, now, lease_until, limit)

    async def delivery_done(
        self,
        delivery_id: str,
        *,
        status: str,
        status_code: int | None,
        error: str | None,
        next_attempt_at: datetime,
        now: datetime,
    ) -> None:
        """See `Storage.delivery_done`."""
        await self._call(
            SqlOps.delivery_done,
            delivery_id,
            status=status,
            status_code=status_code,
            error=error,
            next_attempt_at=next_attempt_at,
            now=now,
        )

    async def list_deliveries(
        self, *, status: str | None, event_type: str | None, limit: int, offset: int
    ) -> tuple[list[Delivery], int]:
        """See `Storage.list_deliveries`."""
        return await self._call(
            SqlOps.list_deliveries,
            status=status,
            event_type=event_type,
            limit=limit,
            offset=offset,
        )

    async def prune_outbox(self, before: datetime) -> int:
        """See `Storage.prune_outbox`."""
        return await self._call(SqlOps.prune_outbox, before)
