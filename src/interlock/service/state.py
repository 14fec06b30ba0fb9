"""Thread state through the checkpointer: read, history, update, fork, copy, delete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointMetadata, CheckpointTuple
from langgraph.types import StateSnapshot

from interlock import serde
from interlock.errors import InvalidRequestError, NotFoundError
from interlock.execution.pauses import interrupt_records, thread_interrupts
from interlock.graphs import AnyGraph
from interlock.models import JSONObject, Thread, ThreadStatus, utcnow
from interlock.service.context import ServiceContext

__all__ = [
    "copy_checkpoints",
    "delete_checkpoints",
    "delete_run_checkpoints",
    "get_history",
    "get_state",
    "snapshot_to_wire",
    "update_state",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class _StateOwner:
    thread_id: str
    run_id: str
    assistant_id: str
    graph_id: str


EMPTY_STATE: JSONObject = {"values": {}, "next": [], "tasks": [], "interrupts": []}


def _checkpoint_ref(config: RunnableConfig | None) -> JSONObject | None:
    if not config:
        return None
    c = config.get("configurable", {})
    return {
        "checkpoint_id": c.get("checkpoint_id"),
        "thread_id": c.get("thread_id"),
        "checkpoint_ns": c.get("checkpoint_ns", ""),
    }


def snapshot_to_wire(snapshot: StateSnapshot) -> JSONObject:
    """Render a langgraph `StateSnapshot` as the official ThreadState."""
    checkpoint = _checkpoint_ref(snapshot.config)
    parent = _checkpoint_ref(snapshot.parent_config)
    tasks = []
    for task in snapshot.tasks:
        child = task.state
        tasks.append(
            {
                "id": task.id,
                "name": task.name,
                "path": serde.to_jsonable(task.path),
                "error": _error_text(task.error),
                "interrupts": serde.interrupts_to_wire(task.interrupts, full=False),
                "checkpoint": (
                    {
                        k: v
                        for k, v in (_checkpoint_ref(child) or {}).items()
                        if k != "checkpoint_id"
                    }
                    if child is not None and not isinstance(child, StateSnapshot)
                    else None
                ),
                "state": snapshot_to_wire(child) if isinstance(child, StateSnapshot) else None,
                "result": serde.to_jsonable(task.result),
            }
        )
    metadata = serde.to_jsonable(snapshot.metadata)
    configurable = (snapshot.config or {}).get("configurable", {})
    if configurable.get("checkpoint_ns") and isinstance(metadata, dict):
        # A subgraph's snapshot: say where it sits, as the official server does.
        metadata["checkpoint_ns"] = configurable["checkpoint_ns"]
        if "checkpoint_map" in configurable:
            metadata["checkpoint_map"] = serde.to_jsonable(configurable["checkpoint_map"])
    return {
        "values": serde.to_jsonable(snapshot.values),
        "next": list(snapshot.next),
        "tasks": tasks,
        "metadata": metadata,
        "created_at": snapshot.created_at,
        "checkpoint": checkpoint,
        "parent_checkpoint": parent,
        "interrupts": serde.interrupts_to_wire(snapshot.interrupts, full=False),
        "checkpoint_id": checkpoint["checkpoint_id"] if checkpoint else None,
        "parent_checkpoint_id": parent["checkpoint_id"] if parent else None,
    }


def _error_text(error: Any) -> str | None:
    # Errors read back from the checkpointer are already text; fresh ones are exceptions.
    if error is None:
        return None
    return error if isinstance(error, str) else repr(error)


async def _graph_for(ctx: ServiceContext, thread: Thread) -> AnyGraph | None:
    graph_id = thread.metadata.get("graph_id")
    if not isinstance(graph_id, str) or graph_id not in ctx.registry:
        return None
    return await ctx.registry.get(graph_id, {"configurable": {"thread_id": thread.thread_id}})


def _config(thread: Thread, checkpoint: JSONObject | None = None) -> RunnableConfig:
    configurable: dict[str, Any] = {"thread_id": thread.thread_id, "checkpoint_ns": ""}
    if checkpoint:
        configurable.update({k: v for k, v in checkpoint.items() if v is not None})
        configurable["thread_id"] = thread.thread_id
    return {"configurable": configurable}


async def get_state(
    ctx: ServiceContext, thread: Thread, *, checkpoint: JSONObject | None, subgraphs: bool
) -> JSONObject:
    """The thread's state at its head or at a checkpoint."""
    graph = await _graph_for(ctx, thread)
    if graph is None:
        return dict(EMPTY_STATE)
    snapshot = await graph.aget_state(_config(thread, checkpoint), subgraphs=subgraphs)
    if snapshot.created_at is None:  # no such checkpoint, or none yet
        return dict(EMPTY_STATE)
    return snapshot_to_wire(snapshot)


async def get_history(
    ctx: ServiceContext,
    thread: Thread,
    *,
    limit: int,
    before: JSONObject | None,
    metadata: JSONObject | None,
    checkpoint: JSONObject | None,
) -> list[JSONObject]:
    """The thread's checkpoints, newest first."""
    graph = await _graph_for(ctx, thread)
    if graph is None:
        return []
    before_config: RunnableConfig | None = None
    if before:
        ref = before.get("configurable", before)
        before_config = {"configurable": {"checkpoint_id": ref.get("checkpoint_id")}}
    history = []
    async for snapshot in graph.aget_state_history(
        _config(thread, checkpoint), limit=limit, before=before_config, filter=metadata or None
    ):
        history.append(snapshot_to_wire(snapshot))
    return history


async def update_state(
    ctx: ServiceContext,
    thread: Thread,
    *,
    values: Any,
    as_node: str | None,
    checkpoint: JSONObject | None,
) -> JSONObject:
    """Write values into the thread's state as if a node had returned them."""
    graph = await _graph_for(ctx, thread)
    if graph is None:
        raise InvalidRequestError(
            f"Thread {thread.thread_id} has no graph yet: run it once before updating its state."
        )
    if as_node is not None and as_node not in graph.nodes:
        raise InvalidRequestError(f"Node {as_node} does not exist")
    if isinstance(values, list):
        values = [tuple(v) if isinstance(v, list) else v for v in values]
    config = _config(thread, checkpoint)
    new_config = await graph.aupdate_state(config, values, as_node=as_node)
    snapshot = await graph.aget_state(_config(thread), subgraphs=True)
    if thread.status == ThreadStatus.BUSY:
        status = ThreadStatus.BUSY
    elif snapshot.next:
        status = ThreadStatus.INTERRUPTED
    else:
        status = ThreadStatus.IDLE
    owner = _StateOwner(
        thread_id=thread.thread_id,
        run_id="",
        assistant_id=str(thread.metadata.get("assistant_id", "")),
        graph_id=str(thread.metadata.get("graph_id", "")),
    )
    # A state left with nodes to run but nothing interrupted waits like a breakpoint
    # before those nodes, and is recorded as one.
    static = ("before", ",".join(snapshot.next)) if snapshot.next else None
    pending = interrupt_records(
        owner, snapshot, expiry=ctx.options.expiry_for(owner.graph_id), static=static
    )
    await ctx.storage.set_thread_state(
        thread.thread_id,
        values=serde.to_jsonable(snapshot.values),
        status=status,
        interrupts=thread_interrupts(snapshot),
        pending=pending,
        now=utcnow(),
    )
    ref = _checkpoint_ref(new_config) or {}
    ordered = {
        "thread_id": ref.get("thread_id"),
        "checkpoint_ns": ref.get("checkpoint_ns", ""),
        "checkpoint_id": ref.get("checkpoint_id"),
    }
    return {
        "checkpoint": ordered,
        "configurable": ordered,
        "checkpoint_id": ordered["checkpoint_id"],
    }


async def _replay(saver: BaseCheckpointSaver[Any], item: CheckpointTuple, thread_id: str) -> None:
    # Write one stored checkpoint, with its pending writes, under `thread_id`.
    conf = item.config["configurable"]
    ns = conf.get("checkpoint_ns", "")
    parent_id = (item.parent_config or {}).get("configurable", {}).get("checkpoint_id")
    parent: RunnableConfig = {
        "configurable": {"thread_id": thread_id, "checkpoint_ns": ns, "checkpoint_id": parent_id}
    }
    metadata: CheckpointMetadata = {**item.metadata, "thread_id": thread_id}  # type: ignore[typeddict-unknown-key]
    versions = item.checkpoint.get("channel_versions", {})
    await saver.aput(parent, item.checkpoint, metadata, versions)
    by_task: dict[str, list[tuple[str, Any]]] = {}
    for task_id, channel, value in item.pending_writes or []:
        by_task.setdefault(task_id, []).append((channel, value))
    target: RunnableConfig = {
        "configurable": {
            "thread_id": thread_id,
            "checkpoint_ns": ns,
            "checkpoint_id": conf["checkpoint_id"],
        }
    }
    for task_id, writes in by_task.items():
        await saver.aput_writes(target, writes, task_id)


async def copy_checkpoints(ctx: ServiceContext, source_id: str, target_id: str) -> None:
    """Copy every checkpoint and pending write of a thread to another thread id."""
    saver = ctx.registry.checkpointer
    items = [item async for item in saver.alist({"configurable": {"thread_id": source_id}})]
    for item in reversed(items):  # oldest first, as they were written
        await _replay(saver, item, target_id)


async def delete_checkpoints(ctx: ServiceContext, thread_id: str) -> None:
    """Delete every checkpoint of a thread."""
    await ctx.registry.checkpointer.adelete_thread(thread_id)


async def delete_run_checkpoints(ctx: ServiceContext, thread_id: str, run_id: str) -> None:
    """Delete the checkpoints a run wrote (rollback)."""
    saver = ctx.registry.checkpointer
    try:
        await saver.adelete_for_runs([run_id])
        return
    except NotImplementedError:
        pass
    items = [item async for item in saver.alist({"configurable": {"thread_id": thread_id}})]
    keep = [item for item in items if item.metadata.get("run_id") != run_id]
    if len(keep) == len(items):
        return
    # The saver has no per-checkpoint delete: rebuild the thread from what stays.
    await saver.adelete_thread(thread_id)
    for item in reversed(keep):
        await _replay(saver, item, thread_id)


def require_thread(thread: Thread | None, thread_id: str) -> Thread:
    """Return the thread or raise the official 404."""
    if thread is None:
        raise NotFoundError(f"Thread with ID {thread_id} not found")
    return thread
