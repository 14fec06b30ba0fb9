"""Thread endpoints: CRUD, search, copy, state and history."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from starlette.responses import Response

from interlock import serde
from interlock.api.deps import Ctx
from interlock.api.responses import JSONResponse
from interlock.api.schemas import (
    HistoryRequest,
    StateCheckpointRequest,
    StateUpdate,
    ThreadCreate,
    ThreadPatch,
    ThreadSearch,
    thread_to_wire,
)
from interlock.models import ThreadStatus
from interlock.service import state, threads
from interlock.storage.base import ThreadQuery

__all__ = ["router"]

router = APIRouter(tags=["Threads"])


def _query(body: ThreadSearch) -> ThreadQuery:
    return ThreadQuery(
        ids=body.ids,
        status=ThreadStatus(body.status) if body.status else None,
        metadata=body.metadata or {},
        values=body.values or {},
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by,
        sort_order=body.sort_order,
    )


@router.post("/threads")
async def create_thread(ctx: Ctx, body: Annotated[ThreadCreate | None, Body()] = None) -> Response:
    """Create a thread."""
    body = body or ThreadCreate()
    thread = await threads.create_thread(
        ctx, thread_id=body.thread_id, metadata=body.metadata, if_exists=body.if_exists
    )
    return JSONResponse(thread_to_wire(thread))


@router.post("/threads/search")
async def search_threads(ctx: Ctx, body: Annotated[ThreadSearch | None, Body()] = None) -> Response:
    """Search threads by status, metadata, values or ids."""
    found, total = await threads.search_threads(ctx, _query(body or ThreadSearch()))
    return JSONResponse(
        [thread_to_wire(t) for t in found], headers={"X-Pagination-Total": str(total)}
    )


@router.post("/threads/count")
async def count_threads(ctx: Ctx, body: Annotated[ThreadSearch | None, Body()] = None) -> Response:
    """Count threads matching the filters."""
    query = _query((body or ThreadSearch()).model_copy(update={"limit": 0}))
    _, total = await threads.search_threads(ctx, query)
    return JSONResponse(total)


@router.get("/threads/{thread_id}")
async def get_thread(ctx: Ctx, thread_id: str) -> Response:
    """Get a thread."""
    return JSONResponse(thread_to_wire(await threads.get_thread(ctx, thread_id)))


@router.patch("/threads/{thread_id}")
async def patch_thread(ctx: Ctx, thread_id: str, body: ThreadPatch) -> Response:
    """Merge metadata into a thread."""
    return JSONResponse(thread_to_wire(await threads.patch_thread(ctx, thread_id, body.metadata)))


@router.delete("/threads/{thread_id}", status_code=204)
async def delete_thread(ctx: Ctx, thread_id: str) -> Response:
    """Delete a thread, its runs and its checkpoints."""
    await threads.delete_thread(ctx, thread_id)
    return Response(status_code=204)


@router.post("/threads/{thread_id}/copy")
async def copy_thread(ctx: Ctx, thread_id: str) -> Response:
    """Copy a thread with its state and checkpoints."""
    return JSONResponse(thread_to_wire(await threads.copy_thread(ctx, thread_id)))


@router.get("/threads/{thread_id}/state")
async def get_state(ctx: Ctx, thread_id: str, subgraphs: bool = False) -> Response:
    """The thread's current state."""
    thread = await threads.get_thread(ctx, thread_id)
    return JSONResponse(await state.get_state(ctx, thread, checkpoint=None, subgraphs=subgraphs))


@router.post("/threads/{thread_id}/state")
async def update_state(ctx: Ctx, thread_id: str, body: StateUpdate) -> Response:
    """Write values into the thread's state, optionally as a node or from a checkpoint."""
    thread = await threads.get_thread(ctx, thread_id)
    checkpoint = dict(body.checkpoint or {})
    if body.checkpoint_id:
        checkpoint["checkpoint_id"] = body.checkpoint_id
    result = await state.update_state(
        ctx, thread, values=body.values, as_node=body.as_node, checkpoint=checkpoint or None
    )
    return JSONResponse(result)


@router.get("/threads/{thread_id}/state/{checkpoint_id}")
async def get_state_at(
    ctx: Ctx, thread_id: str, checkpoint_id: str, subgraphs: bool = False
) -> Response:
    """The thread's state at a checkpoint."""
    thread = await threads.get_thread(ctx, thread_id)
    result = await state.get_state(
        ctx, thread, checkpoint={"checkpoint_id": checkpoint_id}, subgraphs=subgraphs
    )
    return JSONResponse(result)


@router.post("/threads/{thread_id}/state/checkpoint")
async def post_state_at(ctx: Ctx, thread_id: str, body: StateCheckpointRequest) -> Response:
    """The thread's state at a checkpoint given in the body."""
    thread = await threads.get_thread(ctx, thread_id)
    result = await state.get_state(
        ctx, thread, checkpoint=body.checkpoint, subgraphs=body.subgraphs
    )
    return JSONResponse(result)


def _before(value: Any) -> dict[str, Any] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            parsed = serde.loads(value)
        except ValueError:
            return {"checkpoint_id": value}
        return parsed if isinstance(parsed, dict) else {"checkpoint_id": value}
    return dict(value)


@router.get("/threads/{thread_id}/history")
async def get_history(
    ctx: Ctx,
    thread_id: str,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1,
    before: str | None = None,
) -> Response:
    """The thread's checkpoints, newest first."""
    thread = await threads.get_thread(ctx, thread_id)
    history = await state.get_history(
        ctx, thread, limit=limit, before=_before(before), metadata=None, checkpoint=None
    )
    return JSONResponse(history)


@router.post("/threads/{thread_id}/history")
async def post_history(
    ctx: Ctx, thread_id: str, body: Annotated[HistoryRequest | None, Body()] = None
) -> Response:
    """The thread's checkpoints, newest first, filtered by the body."""
    body = body or HistoryRequest()
    thread = await threads.get_thread(ctx, thread_id)
    history = await state.get_history(
        ctx,
        thread,
        limit=body.limit,
        before=_before(body.before),
        metadata=body.metadata,
        checkpoint=body.checkpoint,
    )
    return JSONResponse(history)
