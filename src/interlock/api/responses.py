"""Response classes: orjson bodies, and the chunked body of `runs/wait` with keep-alives."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import Any

from starlette.responses import JSONResponse as _StarletteJSON
from starlette.responses import StreamingResponse

from interlock import serde

__all__ = ["JSONResponse", "wait_response"]


class JSONResponse(_StarletteJSON):
    """A JSON response encoded with orjson (datetimes, pydantic models, dataclasses)."""

    def render(self, content: Any) -> bytes:
        """Encode the body."""
        return serde.dumps(content)


def wait_response(
    result: Awaitable[Any], *, keepalive: float, headers: dict[str, str]
) -> StreamingResponse:
    """Answer with `result` once it is ready, sending a newline every `keepalive` seconds.

    The newlines keep proxies and clients from timing out on long runs; JSON parsers
    skip leading whitespace, as the official server relies on too.
    """
    task = asyncio.ensure_future(result)

    async def body() -> AsyncIterator[bytes]:
        try:
            while True:
                done, _ = await asyncio.wait({task}, timeout=keepalive)
                if done:
                    break
                yield b"\n"
            yield serde.dumps(task.result())
        finally:
            if not task.done():
                # The client left; the run goes on, only this wait stops.
                task.cancel()

    return StreamingResponse(body(), media_type="application/json", headers=headers)
