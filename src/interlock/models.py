"""Domain records: frozen dataclasses that move between storage, service and API.

They hold plain JSON-compatible values; the API layer renders them into the
official wire format (`interlock.api.schemas`).
"""

from __future__ import annotations

import enum
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeAlias

__all__ = [
    "JSON",
    "Assistant",
    "AssistantVersion",
    "Decision",
    "Delivery",
    "InterruptRecord",
    "JSONObject",
    "MultitaskStrategy",
    "NewEvent",
    "Run",
    "RunStatus",
    "StreamEvent",
    "Thread",
    "ThreadStatus",
    "new_id",
    "utcnow",
]

JSON: TypeAlias = Any
"""Any value that JSON can carry (dict, list, str, int, float, bool, None)."""

JSONObject: TypeAlias = dict[str, Any]
"""A JSON object."""


def utcnow() -> datetime:
    """Return the current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """Return a new time-ordered UUID (version 7), as the official server mints them."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76  # version 7
    value |= ((rand >> 64) & 0xFFF) << 64  # 12 random bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & ((1 << 62) - 1)
    return str(uuid.UUID(int=value))


class RunStatus(enum.StrEnum):
    """Where a run is in its life, with the official server's names."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    ERROR = "error"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"

    @property
    def is_active(self) -> bool:
        """Whether the run has not finished yet."""
        return self in (RunStatus.PENDING, RunStatus.RUNNING)


class ThreadStatus(enum.StrEnum):
    """A thread's status, derived from its runs and its pending interrupts."""

    IDLE = "idle"
    BUSY = "busy"
    INTERRUPTED = "interrupted"
    ERROR = "error"


class MultitaskStrategy(enum.StrEnum):
    """What to do with a new run when its thread already has an active one."""

    REJECT = "reject"
    ENQUEUE = "enqueue"
    INTERRUPT = "interrupt"
    ROLLBACK = "rollback"


@dataclass(frozen=True, slots=True, kw_only=True)
class Assistant:
    """A graph plus its configuration, at its current version."""

    assistant_id: str
    graph_id: str
    config: JSONObject
    context: JSONObject
    metadata: JSONObject
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class AssistantVersion:
    """One stored version of an assistant."""

    assistant_id: str
    graph_id: str
    config: JSONObject
    context: JSONObject
    metadata: JSONObject
    name: str
    description: str | None
    version: int
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Thread:
    """A conversation: its latest values, status and pending interrupts.

    `interrupts` maps a pending task id to its interrupts (`{"id", "value", ...}`),
    as the official server reports it. `has_run` tells whether any run has ended on
    it, which decides whether `error` and `interrupts` appear on the wire.
    """

    thread_id: str
    created_at: datetime
    updated_at: datetime
    state_updated_at: datetime
    metadata: JSONObject
    status: ThreadStatus
    config: JSONObject
    values: JSON
    interrupts: dict[str, list[JSONObject]] = field(default_factory=dict)
    error: JSON = None
    has_run: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One execution of a graph on a thread.

    `kwargs` holds what the run was asked to do (input, command, config, ...),
    `output` what `runs/wait` answers once it has ended.
    """

    run_id: str
    thread_id: str
    assistant_id: str
    graph_id: str
    status: RunStatus
    metadata: JSONObject
    kwargs: JSONObject
    multitask_strategy: MultitaskStrategy
    created_at: datetime
    updated_at: datetime
    available_at: datetime
    attempt: int = 0
    output: JSON = None
    on_completion: str = "keep"
    temporary: bool = False
    worker_id: str | None = None
    lease_until: datetime | None = None
    cancel_action: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InterruptRecord:
    """One interrupt a run stopped at, pending until a later run answers it."""

    interrupt_id: str
    thread_id: str
    run_id: str
    assistant_id: str
    graph_id: str
    checkpoint_id: str | None
    task_id: str
    namespace: str
    node: str
    when: str
    value: JSON
    response_schema: JSON
    status: str
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by_run_id: str | None = None
    expires_at: datetime | None = None
    expiry_action: JSON = None
    decision_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """One answer to an interrupt, as the append-only ledger keeps it.

    `payload_sha256` is the SHA-256 of the interrupt payload that was answered, so a
    decision can be checked against what the reviewer saw.
    """

    decision_id: str
    interrupt_id: str
    thread_id: str
    run_id: str | None
    value: JSON
    actor: str | None
    source: str
    payload_sha256: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class NewEvent:
    """A stream event about to be appended to the log; `data` is JSON text."""

    run_id: str
    thread_id: str
    event: str
    data: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamEvent:
    """A stream event as stored: its id orders every event of the database."""

    event_id: int
    run_id: str
    thread_id: str
    event: str
    data: str
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Delivery:
    """One webhook delivery: an outbox event for one subscriber URL, with its attempts."""

    delivery_id: str
    event_id: str
    event_type: str
    url: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: str = ""
    """The event's JSON body, as sent (filled when the delivery is due)."""
