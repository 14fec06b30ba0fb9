"""From langgraph's stream to the official SSE events, and into the durable event log.

`StreamMapper` turns what `graph.astream` yields into the events the official server
sends for each `stream_mode`; `EventSink` appends them to the log in batches: one
write while the previous one is in flight, never one transaction per token.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from langchain_core.messages import BaseMessage, BaseMessageChunk, message_chunk_to_message
from langgraph.types import StreamMode

from interlock import serde
from interlock.errors import CommitOutcomeUnknown, DatabaseUnavailable
from interlock.events.base import Notifier
from interlock.models import NewEvent, Run, utcnow
from interlock.storage.base import Storage

__all__ = ["LANGGRAPH_MODES", "EventSink", "StreamMapper", "graph_modes"]

logger = logging.getLogger("interlock.worker")

MAX_RETRY_DELAY = 2.0  # seconds between event appends while the database is away

# The stream modes a client may ask for, and the langgraph mode that feeds each.
LANGGRAPH_MODES: dict[str, StreamMode | None] = {
    "values": "values",
    "updates": "updates",
    "messages": "messages",
    "messages-tuple": "messages",
    "custom": "custom",
    "debug": "debug",
    "tasks": "tasks",
    "checkpoints": "checkpoints",
    "events": None,  # produced from astream_events, not from a langgraph stream mode
}


def graph_modes(requested: Iterable[str]) -> list[StreamMode]:
    """The langgraph modes to run with: the requested ones plus what run outputs need."""
    modes: list[StreamMode] = ["values", "updates"]
    for mode in requested:
        source = LANGGRAPH_MODES.get(mode)
        if source is not None and source not in modes:
            modes.append(source)
    return modes


class EventSink:
    """Collects a run's events and appends them to the log, batching while a write is busy.

    Args:
        storage: where the log lives.
        notifier: told after each committed batch, to wake subscribers.
        run: the run the events belong to.
    """

    def __init__(self, storage: Storage, notifier: Notifier, run: Run) -> None:
        self._storage = storage
        self._notifier = notifier
        self._run = run
        self._buffer: list[NewEvent] = []
        self._writer: asyncio.Task[None] | None = None
        self._failures = 0
        self._closed = False
        self._timer: asyncio.TimerHandle | None = None  # set while backing off

    def emit(self, event: str, data: Any) -> None:
        """Queue one event; its data is encoded now, so later changes cannot leak in."""
        self._buffer.append(
            NewEvent(
                run_id=self._run.run_id,
                thread_id=self._run.thread_id,
                event=event,
                data=serde.dumps(data).decode(),
            )
        )
        if self._timer is None:
            self._start_writer()

    def _start_writer(self) -> None:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._buffer:
            batch, self._buffer = self._buffer, []
            try:
                await self._storage.append_events(batch, utcnow())
            except (DatabaseUnavailable, CommitOutcomeUnknown) as exc:
                # The database is away (a restart): keep the batch, in order, for a later
                # write or for the commit of the run's end, and back off meanwhile. (A batch
                # cut during its commit may be written twice, which beats a gap.)
                self._buffer[:0] = batch
                self._failures += 1
                delay = min(MAX_RETRY_DELAY, 0.05 * 2**self._failures)
                self._timer = asyncio.get_running_loop().call_later(delay, self._retry)
                logger.warning("Appending events of run %s failed: %s", self._run.run_id, exc)
                return
            self._failures = 0
            self._notifier.events_appended(self._run.run_id, self._run.thread_id)

    def _retry(self) -> None:
        # Flush what waited, even if the run emits nothing more for a while.
        self._timer = None
        if self._buffer and not self._closed:
            self._start_writer()

    def abandon(self) -> None:
        """Drop what is not written yet and write nothing more (another attempt took over)."""
        self._closed = True
        self._buffer = []
        if self._timer is not None:
            self._timer.cancel()
        if self._writer is not None:
            self._writer.cancel()

    async def close(self) -> list[NewEvent]:
        """Wait for the write in flight; return what is left, to commit with the run's end."""
        self._closed = True
        if self._writer is not None:
            # Shielded: a cancelled run must still leave its events in order.
            await asyncio.shield(self._writer)
        rest, self._buffer = self._buffer, []
        return rest

    def committed(self) -> None:
        """Say that the events `close` returned were committed with the run's end."""
        self._notifier.events_appended(self._run.run_id, self._run.thread_id)


class StreamMapper:
    """Maps `(namespace, mode, chunk)` from langgraph to the official events.

    Args:
        requested: the stream modes the client asked for.
        sink: where the events go.
    """

    def __init__(self, requested: Sequence[str], sink: EventSink, run_id: str = "") -> None:
        self._requested = set(requested)
        self._sink = sink
        self._run_id = run_id
        self._messages: dict[str, BaseMessageChunk] = {}
        self._announced: set[str] = set()

    def handle(self, namespace: tuple[str, ...], mode: str, chunk: Any) -> None:
        """Emit the events one chunk stands for."""
        if mode == "messages":
            self._handle_message(namespace, chunk)
        elif mode in self._requested and not self._replayed(mode, chunk):
            self._sink.emit(_name(mode, namespace), chunk)

    def _replayed(self, mode: str, chunk: Any) -> bool:
        # A resumed or forked run first yields the checkpoint it starts from, written by an
        # earlier run; the official stream shows only the checkpoints this run writes.
        if not self._run_id:
            return False
        if mode == "checkpoints":
            payload = chunk
        elif mode == "debug" and isinstance(chunk, dict) and chunk.get("type") == "checkpoint":
            payload = chunk.get("payload")
        else:
            return False
        # Checkpoints read back from the saver carry the run that wrote them; fresh ones don't.
        metadata = payload.get("metadata") if isinstance(payload, dict) else None
        if not isinstance(metadata, dict):
            return False
        return metadata.get("run_id") not in (None, self._run_id)

    def _handle_message(self, namespace: tuple[str, ...], chunk: Any) -> None:
        message, metadata = chunk
        if "messages-tuple" in self._requested:
            self._sink.emit(_name("messages", namespace), [message, metadata])
        if "messages" not in self._requested or not isinstance(message, BaseMessage):
            return
        msg_id = message.id or ""
        if msg_id not in self._announced:
            self._announced.add(msg_id)
            self._sink.emit(_name("messages/metadata", namespace), {msg_id: {"metadata": metadata}})
        if isinstance(message, BaseMessageChunk):
            so_far = self._messages.get(msg_id)
            so_far = message if so_far is None else so_far + message
            self._messages[msg_id] = so_far
            partial = message_chunk_to_message(so_far)
            self._sink.emit(_name("messages/partial", namespace), [partial])
        else:
            self._messages.pop(msg_id, None)
            self._sink.emit(_name("messages/complete", namespace), [message])


def _name(mode: str, namespace: tuple[str, ...]) -> str:
    # Events from inside a subgraph carry its namespace: `values|sub:<task id>`.
    return "|".join((mode, *namespace)) if namespace else mode
