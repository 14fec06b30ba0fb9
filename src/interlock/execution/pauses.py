"""What a stopped run leaves waiting: the thread's `interrupts` and one record per pause.

Dynamic interrupts (`interrupt()`) come from the pending tasks of the thread's state,
inside subgraphs too. A static breakpoint (`interrupt_before` / `interrupt_after`) has
no interrupt object, so it gets a record of its own, with a stable id derived from
the checkpoint it stopped at.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Protocol

from langgraph.types import StateSnapshot

from interlock import serde
from interlock.config import ExpiryPolicy
from interlock.models import InterruptRecord, JSONObject, utcnow

__all__ = ["PauseOwner", "interrupt_records", "static_when", "thread_interrupts"]


class PauseOwner(Protocol):
    """Whose pauses they are: a run, or a state update outside any run."""

    @property
    def thread_id(self) -> str:
        """The thread."""

    @property
    def run_id(self) -> str:
        """The run that stopped (empty for a state update)."""

    @property
    def assistant_id(self) -> str:
        """The assistant it ran as."""

    @property
    def graph_id(self) -> str:
        """The graph."""


def _pending_tasks(state: StateSnapshot, namespace: str = "") -> list[tuple[str, Any, Any]]:
    found: list[tuple[str, Any, Any]] = []
    for task in state.tasks:
        child = task.state
        if isinstance(child, StateSnapshot) and child.tasks:
            inner = f"{namespace}|{task.name}:{task.id}" if namespace else f"{task.name}:{task.id}"
            found.extend(_pending_tasks(child, inner))
        elif task.interrupts:
            found.append((namespace, task, state))
    return found


def thread_interrupts(state: StateSnapshot | None) -> dict[str, list[JSONObject]]:
    """The thread's `interrupts`: pending task id -> its interrupts (thread shape)."""
    if state is None:
        return {}
    return {
        task.id: serde.interrupts_to_wire(task.interrupts, full=False)
        for _, task, _ in _pending_tasks(state)
    }


def static_when(next_nodes: Sequence[str], interrupt_before: Any) -> str:
    """Whether a static stop is `before` the next nodes or `after` the previous ones."""
    if interrupt_before == "*":
        return "before"
    if interrupt_before and any(node in interrupt_before for node in next_nodes):
        return "before"
    return "after"


def static_interrupt_id(thread_id: str, checkpoint_id: str, when: str) -> str:
    """A stable 32-hex id for a static breakpoint, like the ids of dynamic interrupts."""
    return hashlib.sha256(f"{thread_id}|{checkpoint_id}|{when}".encode()).hexdigest()[:32]


def interrupt_records(
    run: PauseOwner,
    state: StateSnapshot | None,
    *,
    expiry: ExpiryPolicy,
    static: tuple[str, str] | None = None,
) -> list[InterruptRecord]:
    """One record per pause left after the run.

    `static` is `(when, node)` when the run stopped at a static breakpoint.
    """
    if state is None:
        return []
    now = utcnow()
    stamp: dict[str, Any] = {
        "thread_id": run.thread_id,
        "run_id": run.run_id,
        "assistant_id": run.assistant_id,
        "graph_id": run.graph_id,
        "status": "pending",
        "created_at": now,
        "expires_at": now + timedelta(seconds=expiry.ttl) if expiry.ttl else None,
        "expiry_action": {"action": expiry.action, "value": expiry.value} if expiry.ttl else None,
    }
    records = []
    for namespace, task, owner in _pending_tasks(state):
        checkpoint_id = owner.config.get("configurable", {}).get("checkpoint_id")
        for interrupt in task.interrupts:
            records.append(
                InterruptRecord(
                    interrupt_id=interrupt.id,
                    checkpoint_id=checkpoint_id,
                    task_id=task.id,
                    namespace=namespace,
                    node=task.name,
                    when="during",
                    value=serde.to_jsonable(interrupt.value),
                    response_schema=serde.to_jsonable(getattr(interrupt, "response_schema", None)),
                    **stamp,
                )
            )
    if not records and static is not None and state.next:
        when, node = static
        checkpoint_id = (state.config or {}).get("configurable", {}).get("checkpoint_id", "")
        records.append(
            InterruptRecord(
                interrupt_id=static_interrupt_id(run.thread_id, checkpoint_id, when),
                checkpoint_id=checkpoint_id,
                task_id="",
                namespace="",
                node=node,
                when=when,
                value={"next": list(state.next)},
                response_schema=None,
                **stamp,
            )
        )
    return records
