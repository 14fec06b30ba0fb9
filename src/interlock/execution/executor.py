"""Execute one run: stream the graph, then describe how it ended.

The executor turns what langgraph yields into the official server's outputs: the
`runs/wait` body, the thread's status, values and pending interrupts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, cast

import langgraph.version
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command, Send, StateSnapshot

from interlock import serde
from interlock._version import __version__
from interlock.config import ExpiryPolicy, InterruptOptions
from interlock.errors import is_database_outage
from interlock.execution.pauses import interrupt_records, static_when, thread_interrupts
from interlock.execution.stream import EventSink, StreamMapper, graph_modes
from interlock.graphs import AnyGraph, GraphRegistry
from interlock.models import (
    JSON,
    JSONObject,
    Run,
    RunStatus,
    ThreadStatus,
)
from interlock.storage.base import RunOutcome

__all__ = ["Executor", "build_command", "error_body"]

INTERRUPT_KEY = "__interrupt__"


@dataclass(slots=True)
class _Collected:
    """What the stream showed: the last values chunk and the interrupt chunks."""

    last_values: JSON = None
    interrupt_values: JSON = None
    interrupt_chunks: int = 0
    interrupts: list[Any] | None = None


class Executor:
    """Runs graphs for the worker.

    Args:
        registry: where graphs come from, bound to the checkpointer.
    """

    def __init__(self, registry: GraphRegistry, options: InterruptOptions | None = None) -> None:
        self._registry = registry
        self._options = options or InterruptOptions()

    def expiry_for(self, run: Run) -> ExpiryPolicy:
        """The run's own expiry policy, else its graph's."""
        override = run.kwargs.get("interrupt_expiry")
        if isinstance(override, dict):
            return ExpiryPolicy(
                ttl=override.get("ttl_seconds"),
                action=override.get("action", "expire"),
                value=override.get("value"),
            )
        return self._options.expiry_for(run.graph_id)

    async def execute(self, run: Run, sink: EventSink) -> RunOutcome:
        """Run a graph to its end or its next pause and return the outcome.

        Stream events go to `sink` as they happen. A failure inside the graph is part
        of the outcome (status `error`, and an `error` event), not an exception; only
        cancellation propagates.
        """
        config = run_config(run)
        collected = _Collected(interrupts=[])
        graph: AnyGraph | None = None
        kwargs = run.kwargs
        requested = kwargs.get("stream_mode") or ["values"]
        subgraphs = bool(kwargs.get("subgraphs"))
        mapper = StreamMapper(requested, sink, run.run_id)
        sink.emit("metadata", {"run_id": run.run_id, "attempt": run.attempt})
        try:
            graph = await self._registry.get(run.graph_id, config)
            graph_input = await self._input(run, config)
            options: dict[str, Any] = {
                "context": kwargs.get("context") or None,
                "stream_mode": graph_modes(requested),
                "interrupt_before": kwargs.get("interrupt_before"),
                "interrupt_after": kwargs.get("interrupt_after"),
                "durability": kwargs.get("durability") or "async",
                "subgraphs": subgraphs,
            }
            async for raw in _items(
                graph, graph_input, config, options, "events" in requested, sink
            ):
                # (mode, chunk), or (namespace, mode, chunk) with subgraphs.
                item = cast("tuple[Any, ...]", raw)
                namespace: tuple[str, ...] = item[0] if subgraphs else ()
                mode, chunk = item[-2], item[-1]
                if not namespace and mode == "values":
                    _collect_values(collected, chunk)
                mapper.handle(namespace, mode, chunk)
        except Exception as exc:  # user graph code: any failure ends the run
            if is_database_outage(exc):
                raise  # not the graph's failure: the worker hands the run back
            # The state first: if the database goes away now, the run is handed back and
            # its stream must not have announced an error.
            state = await _safe_state(graph, config)
            sink.emit("error", error_body(exc))
            return failed_outcome(run, exc, state, self.expiry_for(run))
        state = await _safe_state(graph, config)
        static = await _static_stop(graph, state, kwargs.get("interrupt_before"))
        return _ended(run, collected, state, self.expiry_for(run), static)

    async def current_values(self, run: Run) -> JSON:
        """Return the thread's values as its latest checkpoint has them."""
        graph = await self._registry.get(run.graph_id, run_config(run))
        return _values(await _safe_state(graph, run_config(run)))

    async def _input(self, run: Run, config: RunnableConfig) -> Any:
        kwargs = run.kwargs
        if run.attempt > 1:
            # Taken up again after a crash: continue from this run's last checkpoint
            # instead of feeding its input (or answer) a second time.
            head = await self._registry.checkpointer.aget_tuple(
                {"configurable": {"thread_id": run.thread_id, "checkpoint_ns": ""}}
            )
            if head is not None and head.metadata.get("run_id") == run.run_id:
                config["configurable"].pop("checkpoint_id", None)
                return None
        if kwargs.get("command") is not None:
            return build_command(kwargs["command"])
        return kwargs.get("input")


async def _items(
    graph: AnyGraph,
    graph_input: Any,
    config: RunnableConfig,
    options: dict[str, Any],
    with_events: bool,
    sink: EventSink,
) -> AsyncIterator[Any]:
    """Yield what `graph.astream` yields; with the `events` mode, log every event too."""
    if not with_events:
        async for item in graph.astream(graph_input, config, **options):
            yield item
        return
    events = graph.astream_events(graph_input, config, version="v2", **options)
    async for event in cast("AsyncIterator[dict[str, Any]]", events):
        sink.emit("events", event)
        # The root graph's own stream chunks are what astream would have yielded.
        if event["event"] == "on_chain_stream" and not event.get("parent_ids"):
            yield event["data"]["chunk"]


def run_config(run: Run) -> RunnableConfig:
    """Build the langgraph config of a run: its thread, ids, and metadata for checkpoints."""
    kwargs = run.kwargs
    config: dict[str, Any] = dict(kwargs.get("config") or {})
    configurable = dict(config.get("configurable") or {})
    configurable.update(
        {
            "thread_id": run.thread_id,
            "run_id": run.run_id,
            "graph_id": run.graph_id,
            "assistant_id": run.assistant_id,
            "checkpoint_ns": "",
        }
    )
    checkpoint = kwargs.get("checkpoint") or {}
    checkpoint_id = kwargs.get("checkpoint_id") or checkpoint.get("checkpoint_id")
    if checkpoint_id:
        configurable["checkpoint_id"] = checkpoint_id
    config["configurable"] = configurable
    metadata = dict(config.get("metadata") or {})
    metadata.update(run.metadata)
    metadata.update(
        {
            "graph_id": run.graph_id,
            "assistant_id": run.assistant_id,
            "run_id": run.run_id,
            "thread_id": run.thread_id,
            "run_attempt": run.attempt,
            "langgraph_version": langgraph.version.__version__,
            "interlock_version": __version__,
        }
    )
    config["metadata"] = metadata
    return config  # type: ignore[return-value]


def build_command(raw: JSONObject) -> Command[Any]:
    """Turn the wire form of a command into a langgraph `Command`."""
    goto = raw.get("goto")
    if isinstance(goto, dict):
        goto = Send(goto["node"], goto.get("input"))
    elif isinstance(goto, list):
        goto = [Send(g["node"], g.get("input")) if isinstance(g, dict) else g for g in goto]
    update = raw.get("update")
    if isinstance(update, list):
        update = [tuple(item) for item in update]
    return Command(resume=raw.get("resume"), update=update, goto=goto or ())


def _collect_values(collected: _Collected, chunk: Any) -> None:
    if isinstance(chunk, dict) and INTERRUPT_KEY in chunk:
        found = list(chunk[INTERRUPT_KEY])
        if found:
            collected.interrupt_chunks += 1
            collected.interrupt_values = chunk
            assert collected.interrupts is not None
            collected.interrupts.extend(found)
    collected.last_values = chunk


async def _safe_state(graph: AnyGraph | None, config: RunnableConfig) -> StateSnapshot | None:
    if graph is None:
        return None
    head_config: RunnableConfig = {
        "configurable": {
            k: v for k, v in config["configurable"].items() if k not in ("checkpoint_id",)
        }
    }
    try:
        snapshot: StateSnapshot = await graph.aget_state(head_config, subgraphs=True)
        return snapshot
    except Exception as exc:  # the state is informative; the outcome matters more
        if is_database_outage(exc):
            raise  # an outcome without the thread's state would drop its pending interrupts
        return None


async def _static_stop(
    graph: AnyGraph, state: StateSnapshot | None, run_before: Any
) -> tuple[str, str] | None:
    # A stop with nothing interrupted is a static breakpoint: say where it is.
    if state is None or not state.next or any(t.interrupts for t in state.tasks):
        return None
    when = static_when(state.next, run_before or graph.interrupt_before_nodes)
    if when == "before":
        return when, ",".join(state.next)
    previous = await graph.aget_state(state.parent_config) if state.parent_config else None
    return when, ",".join(previous.next) if previous is not None else ""


def _output(collected: _Collected) -> JSON:
    interrupts = collected.interrupts or []
    if collected.interrupt_chunks > 1:
        # Several pauses in one step: the official body lists them all, without values.
        return {INTERRUPT_KEY: serde.interrupts_to_wire(interrupts, full=True)}
    # A pause wins over the values chunk langgraph may emit after it.
    values = collected.interrupt_values or collected.last_values
    if isinstance(values, dict) and INTERRUPT_KEY in values:
        rendered = serde.to_jsonable({k: v for k, v in values.items() if k != INTERRUPT_KEY})
        rendered[INTERRUPT_KEY] = serde.interrupts_to_wire(values[INTERRUPT_KEY], full=True)
        return rendered
    return serde.to_jsonable(values) if values is not None else {}


def _ended(
    run: Run,
    collected: _Collected,
    state: StateSnapshot | None,
    expiry: ExpiryPolicy,
    static: tuple[str, str] | None,
) -> RunOutcome:
    paused = state is not None and bool(state.next)
    return RunOutcome(
        status=RunStatus.SUCCESS,
        output=_output(collected),
        thread_status=ThreadStatus.INTERRUPTED if paused else ThreadStatus.IDLE,
        thread_values=_values(state),
        thread_interrupts=thread_interrupts(state),
        pending_interrupts=interrupt_records(run, state, expiry=expiry, static=static),
    )


def error_body(exc: BaseException) -> JSONObject:
    """The official `{"error", "message"}` description of an exception."""
    return {"error": type(exc).__name__, "message": str(exc)}


def failed_outcome(
    run: Run, exc: BaseException, state: StateSnapshot | None, expiry: ExpiryPolicy
) -> RunOutcome:
    """The outcome of a run whose graph raised (its pending interrupts stay pending)."""
    body = error_body(exc)
    return RunOutcome(
        status=RunStatus.ERROR,
        output={"__error__": body},
        thread_status=ThreadStatus.ERROR,
        thread_values=_values(state),
        thread_interrupts=thread_interrupts(state),
        thread_error=body,
        pending_interrupts=interrupt_records(run, state, expiry=expiry),
    )


def _values(state: StateSnapshot | None) -> JSON:
    if state is None or state.created_at is None:
        return None  # no checkpoint left (a fresh or rolled-back thread)
    return serde.to_jsonable(state.values)
