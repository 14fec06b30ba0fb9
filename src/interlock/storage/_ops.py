"""The SQL behind `SQLiteStorage`: plain, synchronous operations on one connection.

`SQLiteStorage` runs each of these in its own database thread, so a whole transaction
is one hop from the event loop, and a writer waiting for the file lock never blocks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from interlock.errors import ConflictError, NotFoundError
from interlock.models import (
    Assistant,
    AssistantVersion,
    InterruptRecord,
    JSONObject,
    MultitaskStrategy,
    NewEvent,
    Run,
    RunStatus,
    Thread,
    ThreadStatus,
)
from interlock.storage._dialect import Connection
from interlock.storage._ops_base import (
    in_list,
    json_filters,
    metadata_filters,
    order_clause,
)
from interlock.storage._ops_events import EventLogOps
from interlock.storage._ops_hitl import HitlOps
from interlock.storage._ops_outbox import OutboxOps
from interlock.storage._rows import (
    assistant_from_row,
    assistant_params,
    from_json,
    from_ts,
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
    InterruptClaim,
    RunCreation,
    RunOutcome,
    ThreadQuery,
    thread_status_after,
)

__all__ = ["SqlOps"]

_ASSISTANT_SORT = {"assistant_id", "graph_id", "name", "created_at", "updated_at"}
_THREAD_SORT = {"thread_id", "status", "created_at", "updated_at", "state_updated_at"}


class SqlOps(HitlOps, EventLogOps, OutboxOps):
    """Every storage operation as a synchronous method; only ever used from one thread."""

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
        json_filters(self.dialect, where, params, "metadata", query.metadata)
        order = order_clause(
            query.sort_by, query.sort_order, _ASSISTANT_SORT, "created_at", "assistant_id"
        )
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

    def delete_thread(
        self, thread_id: str, *, keep_decisions: bool = False, keep_events: bool = False
    ) -> bool:
        """See `Storage.delete_thread`."""
        with self._tx() as conn:
            if not keep_events:
                self._exec("delete_thread_events", {"thread_id": thread_id}, conn)
            if not keep_decisions:
                self._exec("delete_thread_decisions", {"thread_id": thread_id}, conn)
            return self._exec("delete_thread", {"thread_id": thread_id}, conn) > 0

    def search_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """See `Storage.search_threads`."""
        where: list[str] = ["1 = 1"]
        params: dict[str, Any] = {}
        if query.ids is not None:
            where.append(f"thread_id IN {in_list(params, 'id', query.ids)}")
        if query.status is not None:
            where.append("status = :status")
            params["status"] = query.status.value
        metadata_filters(where, params, "thread_id", query.metadata)
        json_filters(self.dialect, where, params, '"values"', query.values)
        order = order_clause(
            query.sort_by, query.sort_order, _THREAD_SORT, "created_at", "thread_id"
        )
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
        resume_unchecked: bool = False,
    ) -> RunCreation:
        """See `Storage.create_run`."""
        with self._tx() as conn:
            row = self._one("lock_thread", {"thread_id": run.thread_id}, conn)
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
            if resume_unchecked:
                self._check_unchecked_resume(conn, run.thread_id, active)
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

    def _check_unchecked_resume(self, conn: Connection, thread_id: str, active: list[Run]) -> None:
        # A resume that found nothing pending because the thread was busy: it may wait for
        # a run that will pause, but not answer what a queued run already answers.
        active_ids = {r.run_id for r in active}
        for record in self._all("thread_interrupts", {"thread_id": thread_id}, conn):
            if record["status"] != "pending" and record["resolved_by_run_id"] in active_ids:
                raise ConflictError(
                    f"Interrupt {record['interrupt_id']} was already answered by run "
                    f"{record['resolved_by_run_id']}, which has not finished yet."
                )
        if not active and not self._all("pending_interrupts", {"thread_id": thread_id}, conn):
            raise ConflictError(
                f"Thread {thread_id} has no pending interrupt to resume: the run it waited "
                "for ended meanwhile. Read the thread's state, then answer again."
            )

    def _settle_pending(self, conn: Connection, run: Run, *, delete: bool, now: datetime) -> None:
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

    def claim_run(self, now: datetime, *, worker_id: str, lease_until: datetime) -> Run | None:
        """See `Storage.claim_run`."""
        params = {"now": to_ts(now), "worker_id": worker_id, "lease_until": to_ts(lease_until)}
        with self._tx() as conn:
            row = self._one("claim_run", params, conn)
        return None if row is None else run_from_row(row)

    def next_available_at(self) -> datetime | None:
        """See `Storage.next_available_at`."""
        row = self._one("next_available_at", {})
        return None if row is None or row["available_at"] is None else from_ts(row["available_at"])

    def finish_run(
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
        with self._tx() as conn:
            row = self._one("get_run", {"run_id": run_id}, conn)
            if row is None:
                return None
            run = run_from_row(row)
            # The guard is in the UPDATE itself, so a requeue committed by another process
            # after the read above still wins (the row lock orders the two writes).
            ended = self._exec(
                "finish_run",
                {
                    "run_id": run_id,
                    "status": outcome.status.value,
                    "output": to_json(outcome.output),
                    "updated_at": to_ts(now),
                    "worker_id": worker_id,
                    "attempt": row["attempt"] if attempt is None else attempt,
                },
                conn,
            )
            if not ended:
                return None  # not this worker's running attempt (lease lost, or ended)
            self._insert_events(conn, events, now)
            others = [
                r
                for r in self._all("active_runs", {"thread_id": run.thread_id}, conn)
                if r["run_id"] != run_id
            ]
            new_ids = {i.interrupt_id for i in outcome.pending_interrupts}
            before = self._all("pending_interrupts", {"thread_id": run.thread_id}, conn)
            was_pending = {r["interrupt_id"] for r in before}
            for record in before:
                if record["interrupt_id"] not in new_ids:
                    self._resolve(conn, run.thread_id, record["interrupt_id"], run_id, now)
            for pending in outcome.pending_interrupts:
                self._exec("upsert_interrupt", interrupt_params(pending), conn)
            for row in self._all("pending_interrupts", {"thread_id": run.thread_id}, conn):
                if row["interrupt_id"] in new_ids and row["interrupt_id"] not in was_pending:
                    self._interrupt_event(
                        conn, "interrupt.created", run.thread_id, row["interrupt_id"], None, now
                    )
            if outcome.status in (RunStatus.SUCCESS, RunStatus.ERROR):
                kind = "run.completed" if outcome.status is RunStatus.SUCCESS else "run.failed"
                self._outbox(
                    conn,
                    kind,
                    {
                        "run_id": run.run_id,
                        "thread_id": run.thread_id,
                        "assistant_id": run.assistant_id,
                        "graph_id": run.graph_id,
                        "status": outcome.status.value,
                        "output": outcome.output,
                    },
                    now,
                )
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

    def _refresh_idle_thread(self, conn: Connection, thread_id: str, now: datetime) -> None:
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

    def requeue_running(self, now: datetime, *, worker_id: str | None = None) -> list[str]:
        """See `Storage.requeue_running`."""
        with self._tx() as conn:
            rows = self._all("requeue_running", {"now": to_ts(now), "worker_id": worker_id}, conn)
        return [r["run_id"] for r in rows]

    def renew_leases(
        self, worker_id: str, run_ids: Sequence[str], lease_until: datetime
    ) -> dict[str, str | None]:
        """See `Storage.renew_leases`."""
        held: dict[str, str | None] = {}
        with self._tx() as conn:
            for run_id in run_ids:
                params = {
                    "run_id": run_id,
                    "worker_id": worker_id,
                    "lease_until": to_ts(lease_until),
                }
                row = self._one("renew_lease", params, conn)
                if row is not None:
                    held[run_id] = row["cancel_action"]
        return held

    def release_run(self, run_id: str, *, worker_id: str, attempt: int, now: datetime) -> bool:
        """See `Storage.release_run`."""
        params = {"run_id": run_id, "worker_id": worker_id, "attempt": attempt, "now": to_ts(now)}
        with self._tx() as conn:
            return self._exec("release_run", params, conn) > 0

    def recover_expired(self, now: datetime, *, max_attempts: int) -> list[Run]:
        """See `Storage.recover_expired`."""
        ended: list[Run] = []
        for row in self._all("expired_leases", {"now": to_ts(now), "limit": 100}):
            run = run_from_row(row)
            if run.attempt < max_attempts:
                with self._tx() as conn:
                    self._exec("requeue_expired", {"run_id": run.run_id, "now": to_ts(now)}, conn)
                continue
            thread = self.get_thread(run.thread_id)
            body = {
                "error": "WorkerLost",
                "message": (
                    f"The worker running this run stopped {run.attempt} times; it is not "
                    "retried again. Start a new run to continue from the last checkpoint."
                ),
            }
            outcome = RunOutcome(
                status=RunStatus.ERROR,
                output={"__error__": body},
                thread_status=ThreadStatus.ERROR,
                thread_values=None if thread is None else thread.values,
                thread_interrupts={} if thread is None else thread.interrupts,
                thread_error=body,
                pending_interrupts=self.pending_interrupts(run.thread_id),
            )
            done = self.finish_run(
                run.run_id, outcome, now, worker_id=run.worker_id, attempt=run.attempt
            )
            if done is not None:
                ended.append(done)
        return ended

    def request_cancel(self, run_id: str, action: str) -> bool:
        """See `Storage.request_cancel`."""
        with self._tx() as conn:
            return self._exec("request_cancel", {"run_id": run_id, "action": action}, conn) > 0
