"""Streaming endpoints: create a run and stream it, join a run's stream, follow a thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Header
from starlette.responses import Response

from interlock.api.deps import Actor, Ctx
from interlock.api.runs import RunCreate, run_request
from interlock.api.sse import sse_response
from interlock.errors import NotFoundError
from interlock.models import Run
from interlock.service import runs, streams, threads
from interlock.service.context import ServiceContext

__all__ = ["router"]

router = APIRouter(tags=["Streams"])


class StreamRunCreate(RunCreate):
    """The body of the streaming run endpoints: a run plus what a disconnect does."""

    on_disconnect: Literal["cancel", "continue"] = "continue"


def _canceller(ctx: ServiceContext, run: Run, wanted: bool) -> Callable[[], None] | None:
    if not wanted:
        return None

    async def cancel_run() -> None:
        try:
            await runs.cancel_run(ctx, run.thread_id, run.run_id, action="interrupt", wait=False)
        except NotFoundError:
            pass  # it ended on its own meanwhile

    return lambda: ctx.spawn(cancel_run())


def _stream_run(ctx: ServiceContext, run: Run, *, after: int, cancel: bool, base: str) -> Response:
    return sse_response(
        streams.follow_run(ctx, run.run_id, after=after),
        keepalive=ctx.settings.stream_keepalive,
        headers={"Location": f"{base}/stream", "Content-Location": base},
        on_disconnect=_canceller(ctx, run, cancel),
    )


@router.post("/threads/{thread_id}/runs/stream")
async def stream_run(
    ctx: Ctx, thread_id: str, body: StreamRunCreate, actor: Actor = None
) -> Response:
    """Queue a run and stream its events until it ends or pauses."""
    run = (await runs.create_run(ctx, thread_id, run_request(body, actor))).run
    base = f"/threads/{run.thread_id}/runs/{run.run_id}"
    return _stream_run(ctx, run, after=0, cancel=body.on_disconnect == "cancel", base=base)


@router.post("/runs/stream")
async def stream_stateless_run(ctx: Ctx, body: StreamRunCreate, actor: Actor = None) -> Response:
    """Run on a new temporary thread and stream its events."""
    run = (await runs.create_run(ctx, None, run_request(body, actor))).run
    return _stream_run(
        ctx, run, after=0, cancel=body.on_disconnect == "cancel", base=f"/runs/{run.run_id}"
    )


@router.get("/threads/{thread_id}/runs/{run_id}/stream")
async def join_stream(
    ctx: Ctx,
    thread_id: str,
    run_id: str,
    last_event_id: Annotated[str | None, Header()] = None,
    cancel_on_disconnect: bool = False,
) -> Response:
    """Stream a run's events: from the start, or after `Last-Event-ID`."""
    run = await runs.get_run(ctx, thread_id, run_id)
    after = streams.parse_last_event_id(last_event_id, default=0)
    base = f"/threads/{run.thread_id}/runs/{run.run_id}"
    return _stream_run(ctx, run, after=after, cancel=cancel_on_disconnect, base=base)


@router.get("/threads/{thread_id}/stream")
async def thread_stream(
    ctx: Ctx,
    thread_id: str,
    last_event_id: Annotated[str | None, Header()] = None,
) -> Response:
    """Follow every run of a thread: new events, or those after `Last-Event-ID`."""
    thread = await threads.get_thread(ctx, thread_id)
    after = None if last_event_id is None else streams.parse_last_event_id(last_event_id, default=0)
    return sse_response(
        streams.follow_thread(ctx, thread.thread_id, after=after),
        keepalive=ctx.settings.stream_keepalive,
        headers={},
    )
