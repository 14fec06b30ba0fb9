"""Conversions between domain records and SQLite rows (JSON columns, ISO timestamps)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from interlock import serde
from interlock.storage._dialect import Row

__all__ = [
    "assistant_from_row",
    "assistant_params",
    "canonical_json",
    "decision_from_row",
    "decision_params",
    "delivery_from_row",
    "event_from_row",
    "from_json",
    "from_ts",
    "interrupt_from_row",
    "interrupt_params",
    "run_from_row",
    "run_params",
    "thread_from_row",
    "thread_params",
    "to_json",
    "to_ts",
    "version_from_row",
]

from interlock.models import (
    Assistant,
    AssistantVersion,
    Decision,
    Delivery,
    InterruptRecord,
    MultitaskStrategy,
    Run,
    RunStatus,
    StreamEvent,
    Thread,
    ThreadStatus,
)


def to_ts(value: datetime) -> str:
    return value.isoformat()


def from_ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def to_json(value: Any) -> str:
    return serde.dumps(value).decode()


def canonical_json(value: Any) -> str:
    """JSON text with sorted keys, so equal values compare equal as text."""
    return serde.dumps_sorted(value).decode()


def from_json(value: str | None) -> Any:
    return None if value is None else serde.loads(value)


def assistant_params(a: Assistant) -> dict[str, Any]:
    return {
        "assistant_id": a.assistant_id,
        "graph_id": a.graph_id,
        "config": to_json(a.config),
        "context": to_json(a.context),
        "metadata": to_json(a.metadata),
        "name": a.name,
        "description": a.description,
        "version": a.version,
        "created_at": to_ts(a.created_at),
        "updated_at": to_ts(a.updated_at),
    }


def assistant_from_row(row: Row) -> Assistant:
    return Assistant(
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        config=from_json(row["config"]),
        context=from_json(row["context"]),
        metadata=from_json(row["metadata"]),
        name=row["name"],
        description=row["description"],
        version=row["version"],
        created_at=from_ts(row["created_at"]),
        updated_at=from_ts(row["updated_at"]),
    )


def version_from_row(row: Row) -> AssistantVersion:
    return AssistantVersion(
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        config=from_json(row["config"]),
        context=from_json(row["context"]),
        metadata=from_json(row["metadata"]),
        name=row["name"],
        description=row["description"],
        version=row["version"],
        created_at=from_ts(row["created_at"]),
    )


def thread_params(t: Thread) -> dict[str, Any]:
    return {
        "thread_id": t.thread_id,
        "created_at": to_ts(t.created_at),
        "updated_at": to_ts(t.updated_at),
        "state_updated_at": to_ts(t.state_updated_at),
        "metadata": to_json(t.metadata),
        "status": t.status.value,
        "config": to_json(t.config),
        "values": to_json(t.values),
        "interrupts": to_json(t.interrupts),
        "error": to_json(t.error),
        "has_run": int(t.has_run),
    }


def thread_from_row(row: Row) -> Thread:
    return Thread(
        thread_id=row["thread_id"],
        created_at=from_ts(row["created_at"]),
        updated_at=from_ts(row["updated_at"]),
        state_updated_at=from_ts(row["state_updated_at"]),
        metadata=from_json(row["metadata"]),
        status=ThreadStatus(row["status"]),
        config=from_json(row["config"]),
        values=from_json(row["values"]),
        interrupts=from_json(row["interrupts"]),
        error=from_json(row["error"]),
        has_run=bool(row["has_run"]),
    )


def run_params(r: Run) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "thread_id": r.thread_id,
        "assistant_id": r.assistant_id,
        "graph_id": r.graph_id,
        "status": r.status.value,
        "metadata": to_json(r.metadata),
        "kwargs": to_json(r.kwargs),
        "multitask_strategy": r.multitask_strategy.value,
        "created_at": to_ts(r.created_at),
        "updated_at": to_ts(r.updated_at),
        "available_at": to_ts(r.available_at),
        "attempt": r.attempt,
        "output": to_json(r.output),
        "on_completion": r.on_completion,
        "temporary": int(r.temporary),
    }


def run_from_row(row: Row) -> Run:
    return Run(
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        assistant_id=row["assistant_id"],
        graph_id=row["graph_id"],
        status=RunStatus(row["status"]),
        metadata=from_json(row["metadata"]),
        kwargs=from_json(row["kwargs"]),
        multitask_strategy=MultitaskStrategy(row["multitask_strategy"]),
        created_at=from_ts(row["created_at"]),
        updated_at=from_ts(row["updated_at"]),
        available_at=from_ts(row["available_at"]),
        attempt=row["attempt"],
        output=from_json(row["output"]),
        on_completion=row["on_completion"],
        temporary=bool(row["temporary"]),
        worker_id=row["worker_id"],
        lease_until=None if row["lease_until"] is None else from_ts(row["lease_until"]),
        cancel_action=row["cancel_action"],
    )


def interrupt_params(i: InterruptRecord) -> dict[str, Any]:
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
        "value": to_json(i.value),
        "response_schema": to_json(i.response_schema),
        "created_at": to_ts(i.created_at),
        "expires_at": None if i.expires_at is None else to_ts(i.expires_at),
        "expiry_action": to_json(i.expiry_action),
    }


def interrupt_from_row(row: Row) -> InterruptRecord:
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
        value=from_json(row["value"]),
        response_schema=from_json(row["response_schema"]),
        status=row["status"],
        created_at=from_ts(row["created_at"]),
        resolved_at=None if row["resolved_at"] is None else from_ts(row["resolved_at"]),
        resolved_by_run_id=row["resolved_by_run_id"],
        expires_at=None if row["expires_at"] is None else from_ts(row["expires_at"]),
        expiry_action=from_json(row["expiry_action"]),
        decision_id=row["decision_id"],
    )


def decision_params(d: Decision) -> dict[str, Any]:
    return {
        "decision_id": d.decision_id,
        "interrupt_id": d.interrupt_id,
        "thread_id": d.thread_id,
        "run_id": d.run_id,
        "value": to_json(d.value),
        "actor": d.actor,
        "source": d.source,
        "payload_sha256": d.payload_sha256,
        "created_at": to_ts(d.created_at),
    }


def decision_from_row(row: Row) -> Decision:
    return Decision(
        decision_id=row["decision_id"],
        interrupt_id=row["interrupt_id"],
        thread_id=row["thread_id"],
        run_id=row["run_id"],
        value=from_json(row["value"]),
        actor=row["actor"],
        source=row["source"],
        payload_sha256=row["payload_sha256"],
        created_at=from_ts(row["created_at"]),
    )


def event_from_row(row: Row) -> StreamEvent:
    return StreamEvent(
        event_id=row["event_id"],
        run_id=row["run_id"],
        thread_id=row["thread_id"],
        event=row["event"],
        data=row["data"],
        created_at=from_ts(row["created_at"]),
    )


def delivery_from_row(row: Row) -> Delivery:
    keys = row.keys()
    return Delivery(
        delivery_id=row["delivery_id"],
        event_id=row["event_id"],
        event_type=row["event_type"],
        url=row["url"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=from_ts(row["next_attempt_at"]),
        last_status_code=row["last_status_code"],
        last_error=row["last_error"],
        created_at=from_ts(row["created_at"]),
        delivered_at=None if row["delivered_at"] is None else from_ts(row["delivered_at"]),
        payload=row["payload"] if "payload" in keys else "",
    )
