"""Wire models: request bodies as the official API accepts them, and record renderers.

Unknown request fields are ignored, as the official server does; known fields are
type-checked and a mismatch is a 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from interlock.models import (
    Assistant,
    AssistantVersion,
    Decision,
    Delivery,
    InterruptRecord,
    JSONObject,
    Run,
    Thread,
)

__all__ = [
    "AssistantCreate",
    "AssistantPatch",
    "AssistantSearch",
    "AssistantVersionsSearch",
    "CommandBody",
    "HistoryRequest",
    "RunCreate",
    "RunsCancel",
    "StateCheckpointRequest",
    "StateUpdate",
    "ThreadCreate",
    "ThreadPatch",
    "ThreadSearch",
    "assistant_to_wire",
    "run_to_wire",
    "thread_to_wire",
    "version_to_wire",
]

StreamMode = Literal[
    "values",
    "messages",
    "messages-tuple",
    "updates",
    "events",
    "debug",
    "custom",
    "tasks",
    "checkpoints",
]


_VALUES: StreamMode = "values"


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SendBody(_Body):
    """A `Send` in `command.goto`: run `node` with `input`."""

    node: str
    input: Any = None


class CommandBody(_Body):
    """`command`: resume an interrupt, update the state, or go to nodes."""

    update: dict[str, Any] | list[Any] | None = None
    resume: Any = None
    goto: SendBody | str | list[SendBody | str] | None = None


class RunCreate(_Body):
    """The body of every run-creating endpoint, stateful and stateless."""

    assistant_id: str
    checkpoint: dict[str, Any] | None = None
    checkpoint_id: str | None = None
    input: Any = None
    command: CommandBody | None = None
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    webhook: str | None = None
    interrupt_before: Literal["*"] | list[str] | None = None
    interrupt_after: Literal["*"] | list[str] | None = None
    stream_mode: StreamMode | list[StreamMode] = Field(default_factory=lambda: [_VALUES])
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    feedback_keys: list[str] | None = None
    multitask_strategy: Literal["reject", "rollback", "interrupt", "enqueue"] = "enqueue"
    if_not_exists: Literal["create", "reject"] = "reject"
    on_completion: Literal["delete", "keep"] | None = None
    after_seconds: float | None = Field(default=None, ge=0)
    checkpoint_during: bool | None = None
    durability: Literal["sync", "async", "exit"] | None = None
    interrupt_expiry: dict[str, Any] | None = None


class ThreadCreate(_Body):
    """`POST /threads`."""

    thread_id: str | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"


class ThreadPatch(_Body):
    """`PATCH /threads/{thread_id}`."""

    metadata: dict[str, Any] = Field(default_factory=dict)


class ThreadSearch(_Body):
    """`POST /threads/search` and `/threads/count`."""

    ids: list[str] | None = None
    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    limit: int = Field(default=10, ge=0, le=10_000)
    offset: int = Field(default=0, ge=0)
    sort_by: Literal["thread_id", "status", "created_at", "updated_at", "state_updated_at"] = (
        "created_at"
    )
    sort_order: Literal["asc", "desc"] = "desc"


class StateUpdate(_Body):
    """`POST /threads/{thread_id}/state`."""

    values: dict[str, Any] | list[Any] | None = None
    checkpoint: dict[str, Any] | None = None
    checkpoint_id: str | None = None
    as_node: str | None = None


class StateCheckpointRequest(_Body):
    """`POST /threads/{thread_id}/state/checkpoint`."""

    checkpoint: dict[str, Any]
    subgraphs: bool = False


class HistoryRequest(_Body):
    """`POST /threads/{thread_id}/history`."""

    limit: int = Field(default=1, ge=1, le=10_000)
    before: dict[str, Any] | str | None = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None


class AssistantCreate(_Body):
    """`POST /assistants`."""

    graph_id: str
    assistant_id: str | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] = "raise"
    name: str | None = None
    description: str | None = None


class AssistantPatch(_Body):
    """`PATCH /assistants/{assistant_id}`."""

    graph_id: str | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    name: str | None = None
    description: str | None = None


class AssistantSearch(_Body):
    """`POST /assistants/search` and `/assistants/count`."""

    metadata: dict[str, Any] | None = None
    graph_id: str | None = None
    name: str | None = None
    limit: int = Field(default=10, ge=0, le=10_000)
    offset: int = Field(default=0, ge=0)
    sort_by: Literal["assistant_id", "created_at", "updated_at", "name", "graph_id"] = "created_at"
    sort_order: Literal["asc", "desc"] = "desc"


class AssistantVersionsSearch(_Body):
    """`POST /assistants/{assistant_id}/versions`."""

    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=0, le=10_000)
    offset: int = Field(default=0, ge=0)


class AssistantLatest(_Body):
    """`POST /assistants/{assistant_id}/latest`."""

    version: int


class RunsCancel(_Body):
    """`POST /runs/cancel`."""

    status: Literal["pending", "running", "all"] | None = None
    thread_id: str | None = None
    run_ids: list[str] | None = None


def thread_to_wire(thread: Thread) -> JSONObject:
    """A thread as the official server shows it (`error`, `interrupts` once a run ended)."""
    out: JSONObject = {
        "thread_id": thread.thread_id,
        "created_at": thread.created_at,
        "updated_at": thread.updated_at,
        "state_updated_at": thread.state_updated_at,
        "metadata": thread.metadata,
        "status": thread.status.value,
        "config": thread.config,
        "values": thread.values,
    }
    if thread.has_run:
        out["error"] = thread.error
        out["interrupts"] = thread.interrupts
    return out


def run_to_wire(run: Run) -> JSONObject:
    """A run as the official server shows it."""
    return {
        "run_id": run.run_id,
        "thread_id": run.thread_id,
        "assistant_id": run.assistant_id,
        "metadata": run.metadata,
        "status": run.status.value,
        "kwargs": run.kwargs,
        "multitask_strategy": run.multitask_strategy.value,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "langsmith_session_name": None,
    }


def assistant_to_wire(assistant: Assistant) -> JSONObject:
    """An assistant as the official server shows it."""
    return {
        "assistant_id": assistant.assistant_id,
        "graph_id": assistant.graph_id,
        "config": assistant.config,
        "context": assistant.context,
        "metadata": assistant.metadata,
        "name": assistant.name,
        "created_at": assistant.created_at,
        "updated_at": assistant.updated_at,
        "version": assistant.version,
        "description": assistant.description,
    }


def version_to_wire(version: AssistantVersion) -> JSONObject:
    """One stored assistant version."""
    return {
        "assistant_id": version.assistant_id,
        "graph_id": version.graph_id,
        "config": version.config,
        "context": version.context,
        "metadata": version.metadata,
        "name": version.name,
        "created_at": version.created_at,
        "version": version.version,
        "description": version.description,
    }


class InterruptSearch(_Body):
    """`POST /interrupts/search` and `/interrupts/count`."""

    status: Literal["pending", "resolved", "expired", "cancelled"] | None = None
    thread_id: str | None = None
    assistant_id: str | None = None
    graph_id: str | None = None
    metadata: dict[str, Any] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    limit: int = Field(default=10, ge=0, le=10_000)
    offset: int = Field(default=0, ge=0)
    sort_by: Literal["created_at", "expires_at", "thread_id", "graph_id", "status"] = "created_at"
    sort_order: Literal["asc", "desc"] = "desc"


class RespondBody(_Body):
    """`POST /interrupts/{interrupt_id}/respond`."""

    value: Any = None
    thread_id: str | None = None


class DecisionSearch(_Body):
    """`POST /decisions/search`."""

    thread_id: str | None = None
    interrupt_id: str | None = None
    run_id: str | None = None
    actor: str | None = None
    source: Literal["api", "respond", "expiry"] | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    limit: int = Field(default=10, ge=0, le=10_000)
    offset: int = Field(default=0, ge=0)
    sort_order: Literal["asc", "desc"] = "desc"


def decision_to_wire(decision: Decision) -> JSONObject:
    """A decision of the ledger."""
    return {
        "decision_id": decision.decision_id,
        "interrupt_id": decision.interrupt_id,
        "thread_id": decision.thread_id,
        "run_id": decision.run_id,
        "value": decision.value,
        "actor": decision.actor,
        "source": decision.source,
        "payload_sha256": decision.payload_sha256,
        "created_at": decision.created_at,
    }


def interrupt_record_to_wire(record: InterruptRecord, decision: Decision | None) -> JSONObject:
    """An interrupt record of the inbox, with the decision that answered it, if any."""
    return {
        "interrupt_id": record.interrupt_id,
        "thread_id": record.thread_id,
        "run_id": record.run_id,
        "assistant_id": record.assistant_id,
        "graph_id": record.graph_id,
        "checkpoint_id": record.checkpoint_id,
        "namespace": record.namespace,
        "node": record.node,
        "when": record.when,
        "value": record.value,
        "response_schema": record.response_schema,
        "status": record.status,
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "resolved_at": record.resolved_at,
        "resolved_by_run_id": record.resolved_by_run_id,
        "decision": None if decision is None else decision_to_wire(decision),
    }


def delivery_to_wire(delivery: Delivery) -> JSONObject:
    """One webhook delivery of the log."""
    return {
        "delivery_id": delivery.delivery_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "url": delivery.url,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_status_code": delivery.last_status_code,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
    }
