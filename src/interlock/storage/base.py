"""The storage contract: what the service and the worker need from a database.

One implementation per database (`SQLiteStorage`, later `PostgresStorage`), all
checked by the same contract test suite. Every method that changes more than one
row does it in one transaction, so a crash never leaves a half-written state.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Literal, Self

from interlock.models import (
    JSON,
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

__all__ = [
    "AssistantQuery",
    "DecisionQuery",
    "InterruptClaim",
    "InterruptQuery",
    "RunCreation",
    "RunOutcome",
    "Storage",
    "ThreadQuery",
]

SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistantQuery:
    """Filters for searching assistants."""

    graph_id: str | None = None
    name: str | None = None
    metadata: JSONObject = field(default_factory=dict)
    limit: int = 10
    offset: int = 0
    sort_by: str = "created_at"
    sort_order: SortOrder = "desc"


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreadQuery:
    """Filters for searching threads."""

    ids: Sequence[str] | None = None
    status: ThreadStatus | None = None
    metadata: JSONObject = field(default_factory=dict)
    values: JSONObject = field(default_factory=dict)
    limit: int = 10
    offset: int = 0
    sort_by: str = "created_at"
    sort_order: SortOrder = "desc"


@dataclass(frozen=True, slots=True, kw_only=True)
class InterruptQuery:
    """Filters for the interrupt inbox."""

    status: str | None = None
    thread_id: str | None = None
    assistant_id: str | None = None
    graph_id: str | None = None
    metadata: JSONObject = field(default_factory=dict)
    created_after: datetime | None = None
    created_before: datetime | None = None
    limit: int = 10
    offset: int = 0
    sort_by: str = "created_at"
    sort_order: SortOrder = "desc"


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionQuery:
    """Filters for the decisions ledger."""

    thread_id: str | None = None
    interrupt_id: str | None = None
    run_id: str | None = None
    actor: str | None = None
    source: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    limit: int = 10
    offset: int = 0
    sort_order: SortOrder = "desc"


@dataclass(frozen=True, slots=True, kw_only=True)
class InterruptClaim:
    """A new run's answer to one pending interrupt, and the decision that records it."""

    interrupt_id: str
    decision: Decision
    status: str = "resolved"
    """What the interrupt becomes: `resolved`, or `expired` when expiry answers it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCreation:
    """The result of queueing a run: the run and the active runs it displaced.

    `to_cancel` are runs that were running and must be stopped by whoever executes
    them (pending ones were settled in the same transaction).
    """

    run: Run
    thread: Thread
    to_cancel: list[Run] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunOutcome:
    """How a run ended, and the thread state it leaves, written in one transaction."""

    status: RunStatus
    output: JSON
    thread_status: ThreadStatus
    thread_values: JSON
    thread_interrupts: dict[str, list[JSONObject]] = field(default_factory=dict)
    thread_error: JSON = None
    pending_interrupts: list[InterruptRecord] = field(default_factory=list)


class Storage(abc.ABC):
    """Assistants, threads, runs (the queue) and interrupts in one database."""

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections."""

    # Assistants

    @abc.abstractmethod
    async def create_assistant(self, assistant: Assistant, *, if_exists: str) -> Assistant:
        """Insert an assistant and its version 1.

        Raises:
            ConflictError: the id exists and `if_exists` is `raise`.
        """

    @abc.abstractmethod
    async def get_assistant(self, assistant_id: str) -> Assistant | None:
        """Return an assistant, or None."""

    @abc.abstractmethod
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
        """Store a new version with the given fields changed and make it current.

        Raises:
            NotFoundError: no such assistant.
        """

    @abc.abstractmethod
    async def delete_assistant(self, assistant_id: str) -> bool:
        """Delete an assistant and its versions; return whether it existed."""

    @abc.abstractmethod
    async def search_assistants(self, query: AssistantQuery) -> tuple[list[Assistant], int]:
        """Return one page of matching assistants and the total number of matches."""

    @abc.abstractmethod
    async def list_assistant_versions(self, assistant_id: str) -> list[AssistantVersion]:
        """Return every version of an assistant, newest first."""

    @abc.abstractmethod
    async def set_assistant_version(
        self, assistant_id: str, version: int, now: datetime
    ) -> Assistant:
        """Make a stored version the current one.

        Raises:
            NotFoundError: no such assistant or version.
        """

    # Threads

    @abc.abstractmethod
    async def create_thread(self, thread: Thread, *, if_exists: str) -> Thread:
        """Insert a thread.

        Raises:
            ConflictError: the id exists and `if_exists` is `raise`.
        """

    @abc.abstractmethod
    async def get_thread(self, thread_id: str) -> Thread | None:
        """Return a thread, or None."""

    @abc.abstractmethod
    async def patch_thread_metadata(
        self, thread_id: str, metadata: JSONObject, now: datetime
    ) -> Thread:
        """Merge keys into a thread's metadata.

        Raises:
            NotFoundError: no such thread.
        """

    @abc.abstractmethod
    async def set_thread_state(
        self,
        thread_id: str,
        *,
        values: JSON,
        status: ThreadStatus,
        interrupts: dict[str, list[JSONObject]],
        pending: Sequence[InterruptRecord],
        now: datetime,
    ) -> None:
        """Record a state change made outside a run (`update_state`).

        `pending` are the pauses the new state leaves; other pending records resolve.
        """

    @abc.abstractmethod
    async def delete_thread(
        self, thread_id: str, *, keep_decisions: bool = False, keep_events: bool = False
    ) -> bool:
        """Delete a thread with its runs, interrupts and events; return whether it existed.

        Its decisions go too, unless `keep_decisions`; its stream events, unless
        `keep_events` (retention prunes them later, after streams have drained them).
        """

    @abc.abstractmethod
    async def search_threads(self, query: ThreadQuery) -> tuple[list[Thread], int]:
        """Return one page of matching threads and the total number of matches."""

    @abc.abstractmethod
    async def copy_thread(self, source_id: str, new_thread: Thread) -> Thread:
        """Insert `new_thread` carrying the source thread's state and pending interrupts."""

    # Runs and the queue

    @abc.abstractmethod
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
        """Queue a run, applying its multitask strategy atomically.

        `new_thread` is inserted when the run's thread does not exist yet (else
        NotFoundError). `thread_metadata` is merged into the thread's metadata.
        `claims` mark the interrupts the run answers and record their decisions, in
        the same transaction: of two runs answering one interrupt, one wins.
        `resume_unchecked` marks a resume checked against nothing because the thread was
        busy: if the thread is no longer busy and has nothing pending, it is refused.

        Raises:
            NotFoundError: the thread does not exist and `new_thread` is None.
            ConflictError: the thread is busy and the strategy is `reject`, or (with
                `strict`) a claimed interrupt is no longer pending.
            GoneError: (with `strict`) a claimed interrupt has expired.
        """

    @abc.abstractmethod
    async def get_run(self, run_id: str) -> Run | None:
        """Return a run, or None."""

    @abc.abstractmethod
    async def list_runs(
        self, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
    ) -> list[Run]:
        """Return a thread's runs, newest first."""

    @abc.abstractmethod
    async def claim_run(
        self, now: datetime, *, worker_id: str, lease_until: datetime
    ) -> Run | None:
        """Take the oldest available run whose thread runs nothing, leased to `worker_id`."""

    @abc.abstractmethod
    async def next_available_at(self) -> datetime | None:
        """When the earliest pending run becomes available, or None."""

    @abc.abstractmethod
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
        """End a run and update its thread and interrupts in one transaction.

        `events` are the run's last stream events, appended in the same transaction so
        a subscriber that sees the run ended has seen every event too. Returns the
        updated run, or None when the run was deleted meanwhile, or (with `worker_id`)
        when the run is no longer that worker's `running` attempt (`attempt`, when
        given): its lease was lost, or this end was already written. Nothing is written
        then, so ending a run twice (a retry after a lost acknowledgement) is harmless.
        """

    @abc.abstractmethod
    async def cancel_pending_runs(
        self, run_ids: Sequence[str], *, delete: bool, now: datetime
    ) -> list[Run]:
        """Settle runs that have not started: mark them interrupted or delete them.

        Returns the runs that were pending; running runs are left alone.
        """

    @abc.abstractmethod
    async def delete_run(self, run_id: str, now: datetime) -> bool:
        """Delete a run (not an active one); return whether it existed."""

    @abc.abstractmethod
    async def requeue_running(self, now: datetime, *, worker_id: str | None = None) -> list[str]:
        """Put `running` runs back in the queue: all of them, or those of one worker."""

    @abc.abstractmethod
    async def renew_leases(
        self, worker_id: str, run_ids: Sequence[str], lease_until: datetime
    ) -> dict[str, str | None]:
        """Extend a worker's leases; return run id -> requested cancel action.

        Only the runs the worker still holds are in the answer; a missing one was lost
        to lease expiry.
        """

    @abc.abstractmethod
    async def release_run(
        self, run_id: str, *, worker_id: str, attempt: int, now: datetime
    ) -> bool:
        """End the lease of one attempt of a run now, so that recovery requeues it.

        Returns False (and changes nothing) when that attempt no longer holds the run.
        """

    @abc.abstractmethod
    async def recover_expired(self, now: datetime, *, max_attempts: int) -> list[Run]:
        """Requeue runs whose lease expired; end in `error` those out of attempts.

        Returns the runs it ended.
        """

    @abc.abstractmethod
    async def request_cancel(self, run_id: str, action: str) -> bool:
        """Ask whichever worker runs `run_id` to cancel it; False if it is not running."""

    # The event log

    @abc.abstractmethod
    async def append_events(self, events: Sequence[NewEvent], now: datetime) -> int:
        """Append stream events in order; return the id of the last one."""

    @abc.abstractmethod
    async def read_events(
        self, *, run_id: str | None = None, thread_id: str | None = None, after: int, limit: int
    ) -> list[StreamEvent]:
        """Return up to `limit` events of a run (or of a thread) with ids above `after`."""

    @abc.abstractmethod
    async def last_thread_event_id(self, thread_id: str) -> int:
        """The id of a thread's newest event, or 0."""

    @abc.abstractmethod
    async def prune_events(self, before: datetime) -> int:
        """Delete events older than `before` of runs that have ended; return how many."""

    # Interrupts

    @abc.abstractmethod
    async def pending_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """Return a thread's pending interrupts, oldest first."""

    @abc.abstractmethod
    async def thread_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """Return every interrupt record of a thread, whatever its status, oldest first."""

    @abc.abstractmethod
    async def get_interrupts(self, interrupt_id: str) -> list[InterruptRecord]:
        """Return the records with this interrupt id (one per thread that has it), newest first."""

    @abc.abstractmethod
    async def search_interrupts(self, query: InterruptQuery) -> tuple[list[InterruptRecord], int]:
        """Return one page of matching interrupts and the total number of matches."""

    @abc.abstractmethod
    async def expired_interrupts(self, now: datetime, limit: int) -> list[InterruptRecord]:
        """Return pending interrupts whose `expires_at` has passed, oldest deadline first."""

    @abc.abstractmethod
    async def expire_interrupt(
        self, record: InterruptRecord, decision: Decision, *, cancel_thread: bool, now: datetime
    ) -> bool:
        """Mark a pending interrupt expired and record the decision; False if it was not pending.

        With `cancel_thread`, the thread's other pending interrupts are cancelled and the
        thread goes back to `idle` (unless a run is queued on it).
        """

    # Webhooks: the outbox and its deliveries

    @abc.abstractmethod
    async def undispatched(self, limit: int) -> list[tuple[str, str]]:
        """`(event_id, event_type)` of outbox events not yet fanned out, oldest first."""

    @abc.abstractmethod
    async def fan_out(self, routes: Sequence[tuple[str, Sequence[str]]], now: datetime) -> None:
        """Create a delivery per URL of each `(event_id, urls)` and mark the events dispatched."""

    @abc.abstractmethod
    async def lease_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Take due deliveries for one attempt each; they are not due again before `lease_until`."""

    @abc.abstractmethod
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
        """Record an attempt: `delivered`, `failed`, or `pending` to retry at `next_attempt_at`."""

    @abc.abstractmethod
    async def list_deliveries(
        self, *, status: str | None, event_type: str | None, limit: int, offset: int
    ) -> tuple[list[Delivery], int]:
        """A page of the delivery log, newest first, and the total number of matches."""

    @abc.abstractmethod
    async def prune_outbox(self, before: datetime) -> int:
        """Delete delivered outbox events older than `before`; return how many."""

    # Decisions

    @abc.abstractmethod
    async def get_decisions(self, decision_ids: Sequence[str]) -> list[Decision]:
        """Return the decisions with these ids (in no particular order; unknown ids skipped)."""

    @abc.abstractmethod
    async def search_decisions(self, query: DecisionQuery) -> tuple[list[Decision], int]:
        """Return one page of matching decisions and the total number of matches."""


def thread_status_after(outcome_status: ThreadStatus, other_active: bool) -> ThreadStatus:
    """A thread with another run queued stays busy whatever the last run did."""
    return ThreadStatus.BUSY if other_active else outcome_status
