"""Server-sent events: the framing, keep-alive comments, and disconnect handling."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.responses import StreamingResponse

from interlock.models import StreamEvent

__all__ = ["KEEPALIVE", "encode_event", "sse_response"]

KEEPALIVE = b": heartbeat\r\n\r\n"
"""A comment line: clients ignore it, proxies see traffic."""


def encode_event(event: StreamEvent) -> bytes:
    """Frame one event as the official server does (CRLF), with its log id."""
    # The data is stored as one line of JSON, so one `data:` line carries it.
    return (f"id: {event.event_id}\r\nevent: {event.event}\r\ndata: {event.data}\r\n\r\n").encode()


def sse_response(
    events: AsyncIterator[StreamEvent],
    *,
    keepalive: float,
    headers: dict[str, str],
    on_disconnect: Callable[[], None] | None = None,
) -> StreamingResponse:
    """Stream events as SSE, with a keep-alive comment after `keepalive` idle seconds.

    `on_disconnect` is called when the client goes away before the events end.
    """

    async def body() -> AsyncIterator[bytes]:
        finished = False
        pending: asyncio.Task[StreamEvent] | None = None
        try:
            while True:
                if pending is None:
                    pending = asyncio.ensure_future(anext(events))
                done, _ = await asyncio.wait({pending}, timeout=keepalive)
                if not done:
                    yield KEEPALIVE
                    continue
                try:
                    event = pending.result()
                except StopAsyncIteration:
                    finished = True
                    return
                pending = None
                yield encode_event(event)
        finally:
            if pending is not None and not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await pending
            await events.aclose()  # type: ignore[attr-defined]
            if not finished and on_disconnect is not None:
                on_disconnect()

    return StreamingResponse(
        body(),
        media_type="text/event-stream; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", **headers},
    )
