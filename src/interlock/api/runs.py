"""Run endpoints: create (background, wait), list, get, join, cancel, delete; stateless too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from starlette.responses import Response

from interlock.api.deps import Actor, Ctx
from interlock.api.responses import JSONResponse, wait_response
from interlock.api.schemas import RunCreate, RunsCancel, run_to_wire
from interlock.errors import NotFoundError
from interlock.models import MultitaskStrategy, RunStatus
from interlock.service import runs, threads
from interlock.service.context import ServiceContext
from interlock.service.interrupts import Answer

__all__ = ["RunCreate", "router", "run_request"]

router = APIRouter(tags=["Runs"])


def run_request(body: RunCreate, actor: str | None = None) -> runs.RunRequest:
    """Turn a run body into the service's request."""
    mode = body.stream_mode
    return runs.RunRequest(
        assistant_id=body.assistant_id,
        input=body.input,
        command=body.command.model_dump(exclude_unset=True) if body.command else None,
        config=body.config,
        context=body.context,
        metadata=body.metadata,
        stream_mode=[mode] if isinstance(mode, str) else list(mode),
        interrupt_before=body.interrupt_before,
        interrupt_after=body.interrupt_after,
        checkpoint_id=body.checkpoint_id,
        checkpoint=body.checkpoint,
        if_not_exists=body.if_not_exists,
        multitask_strategy=MultitaskStrategy(body.multitask_strategy),
        after_seconds=body.after_seconds,
        webhook=body.webhook,
        on_completion=body.on_completion,
        feedback_keys=body.feedback_keys,
        stream_subgraphs=body.stream_subgraphs,
        stream_resumable=body.stream_resumable,
        durability=body.durability,
        interrupt_expiry=body.interrupt_expiry,
        answer=Answer(actor=actor, source="api"),
    )


async def _output(ctx: ServiceContext, run_id: str) -> Any:
    ended = await runs.wait_for_run(ctx, run_id)
    return runs.rolled_back_output() if ended is None else ended.output


@router.post("/threads/{thread_id}/runs")
async def create_run(ctx: Ctx, thread_id: str, body: RunCreate, actor: Actor = None) -> Response:
    """Queue a run in the background and return it."""
    run = (await runs.create_run(ctx, thread_id, run_request(body, actor))).run
    return JSONResponse(
        run_to_wire(run),
        headers={"Content-Location": f"/threads/{run.thread_id}/runs/{run.run_id}"},
    )


@router.post("/threads/{thread_id}/runs/wait")
async def wait_run(ctx: Ctx, thread_id: str, body: RunCreate, actor: Actor = None) -> Response:
    """Queue a run and answer with its output once it ends or pauses."""
    run = (await runs.create_run(ctx, thread_id, run_request(body, actor))).run
    base = f"/threads/{run.thread_id}/runs/{run.run_id}"
    return wait_response(
        _output(ctx, run.run_id),
        keepalive=ctx.settings.wait_keepalive,
        headers={"Location": f"{base}/join", "Content-Location": base},
    )


@router.post("/runs")
async def create_stateless_run(ctx: Ctx, body: RunCreate, actor: Actor = None) -> Response:
    """Queue a run on a new temporary thread."""
    run = (await runs.create_run(ctx, None, run_request(body, actor))).run
    return JSONResponse(run_to_wire(run), headers={"Content-Location": f"/runs/{run.run_id}"})


@router.post("/runs/wait")
async def wait_stateless_run(ctx: Ctx, body: RunCreate, actor: Actor = None) -> Response:
    """Run on a new temporary thread and answer with the output."""
    run = (await runs.create_run(ctx, None, run_request(body, actor))).run
    base = f"/threads/{run.thread_id}/runs/{run.run_id}"
    return wait_response(
        _output(ctx, run.run_id),
        keepalive=ctx.settings.wait_keepalive,
        headers={"Location": f"{base}/join", "Content-Location": base},
    )


@router.get("/threads/{thread_id}/runs")
async def list_runs(
    ctx: Ctx,
    thread_id: str,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
    status: Literal["pending", "running", "success", "error", "timeout", "interrupted"]
    | None = None,
) -> Response:
    """A thread's runs, newest first."""
    found = await runs.list_runs(
        ctx, thread_id, limit=limit, offset=offset, status=RunStatus(status) if status else None
    )
    return JSONResponse([run_to_wire(r) for r in found])


@router.get("/threads/{thread_id}/runs/{run_id}")
async def get_run(ctx: Ctx, thread_id: str, run_id: str) -> Response:
    """Get a run."""
    return JSONResponse(run_to_wire(await runs.get_run(ctx, thread_id, run_id)))


@router.delete("/threads/{thread_id}/runs/{run_id}", status_code=204)
async def delete_run(ctx: Ctx, thread_id: str, run_id: str) -> Response:
    """Delete a finished run."""
    await runs.delete_run(ctx, thread_id, run_id)
    return Response(status_code=204)


@router.get("/threads/{thread_id}/runs/{run_id}/join")
async def join_run(ctx: Ctx, thread_id: str, run_id: str) -> Response:
    """Wait for a run to end and answer with its output."""
    # A 404 must come before the body starts; a run a rollback deleted is not one.
    try:
        await runs.get_run(ctx, thread_id, run_id)
    except NotFoundError:
        await threads.get_thread(ctx, thread_id)
        return JSONResponse(runs.rolled_back_output())
    return wait_response(
        runs.join_run(ctx, thread_id, run_id), keepalive=ctx.settings.wait_keepalive, headers={}
    )


@router.post("/threads/{thread_id}/runs/{run_id}/cancel")
async def cancel_run(
    ctx: Ctx,
    thread_id: str,
    run_id: str,
    wait: bool = False,
    action: Literal["interrupt", "rollback"] = "interrupt",
) -> Response:
    """Cancel a pending or running run."""
    await runs.cancel_run(ctx, thread_id, run_id, action=action, wait=wait)
    if wait:
        return JSONResponse({})
    return Response(status_code=202)


@router.post("/runs/cancel")
async def cancel_runs(
    ctx: Ctx,
    body: Annotated[RunsCancel | None, Body()] = None,
    action: Literal["interrupt", "rollback"] = "interrupt",
) -> Response:
    """Cancel several runs at once."""
    body = body or RunsCancel()
    await runs.cancel_runs(
        ctx, thread_id=body.thread_id, run_ids=body.run_ids, status=body.status, action=action
    )
    return Response(status_code=204)
