"""The interrupt inbox and the decisions ledger (Interlock extensions of the API)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query
from starlette.responses import Response

from interlock.api.deps import Actor, Ctx
from interlock.api.responses import JSONResponse
from interlock.api.schemas import (
    DecisionSearch,
    InterruptSearch,
    RespondBody,
    decision_to_wire,
    delivery_to_wire,
    interrupt_record_to_wire,
    run_to_wire,
)
from interlock.models import InterruptRecord
from interlock.service import interrupts, runs
from interlock.service.context import ServiceContext
from interlock.service.ids import require_uuid
from interlock.storage.base import DecisionQuery, InterruptQuery

__all__ = ["router"]

router = APIRouter(tags=["Interrupts"])


def _query(body: InterruptSearch) -> InterruptQuery:
    return InterruptQuery(
        status=body.status,
        thread_id=require_uuid(body.thread_id, "thread") if body.thread_id else None,
        assistant_id=body.assistant_id,
        graph_id=body.graph_id,
        metadata=body.metadata or {},
        created_after=body.created_after,
        created_before=body.created_before,
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by,
        sort_order=body.sort_order,
    )


async def _render(ctx: ServiceContext, records: list[InterruptRecord]) -> list[dict[str, object]]:
    decisions = await interrupts.decisions_of(ctx, records)
    return [interrupt_record_to_wire(r, decisions.get(r.decision_id or "")) for r in records]


@router.post("/interrupts/search")
async def search_interrupts(
    ctx: Ctx, body: Annotated[InterruptSearch | None, Body()] = None
) -> Response:
    """Search interrupts across threads: the reviewer's inbox."""
    found, total = await interrupts.search_interrupts(ctx, _query(body or InterruptSearch()))
    return JSONResponse(await _render(ctx, found), headers={"X-Pagination-Total": str(total)})


@router.post("/interrupts/count")
async def count_interrupts(
    ctx: Ctx, body: Annotated[InterruptSearch | None, Body()] = None
) -> Response:
    """Count interrupts matching the filters."""
    query = _query((body or InterruptSearch()).model_copy(update={"limit": 0}))
    _, total = await interrupts.search_interrupts(ctx, query)
    return JSONResponse(total)


@router.get("/interrupts/{interrupt_id}")
async def get_interrupt(ctx: Ctx, interrupt_id: str, thread_id: str | None = None) -> Response:
    """Get one interrupt record (`thread_id` picks among copies of a thread)."""
    record = await interrupts.get_interrupt(ctx, interrupt_id, thread_id=thread_id)
    [rendered] = await _render(ctx, [record])
    return JSONResponse(rendered)


@router.post("/interrupts/{interrupt_id}/respond")
async def respond(ctx: Ctx, interrupt_id: str, body: RespondBody, actor: Actor = None) -> Response:
    """Answer one interrupt: queue the run that resumes it, and return that run."""
    run = await runs.respond(ctx, interrupt_id, body.value, thread_id=body.thread_id, actor=actor)
    return JSONResponse(
        run_to_wire(run),
        headers={"Content-Location": f"/threads/{run.thread_id}/runs/{run.run_id}"},
    )


@router.post("/decisions/search")
async def search_decisions(
    ctx: Ctx, body: Annotated[DecisionSearch | None, Body()] = None
) -> Response:
    """Search the decisions ledger."""
    body = body or DecisionSearch()
    query = DecisionQuery(
        thread_id=body.thread_id,
        interrupt_id=body.interrupt_id,
        run_id=body.run_id,
        actor=body.actor,
        source=body.source,
        created_after=body.created_after,
        created_before=body.created_before,
        limit=body.limit,
        offset=body.offset,
        sort_order=body.sort_order,
    )
    found, total = await interrupts.search_decisions(ctx, query)
    return JSONResponse(
        [decision_to_wire(d) for d in found], headers={"X-Pagination-Total": str(total)}
    )


@router.get("/webhooks/deliveries")
async def list_deliveries(
    ctx: Ctx,
    status: Literal["pending", "delivered", "failed"] | None = None,
    event_type: str | None = None,
    limit: Annotated[int, Query(ge=0, le=10_000)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    """The webhook delivery log, newest first."""
    found, total = await ctx.storage.list_deliveries(
        status=status, event_type=event_type, limit=limit, offset=offset
    )
    return JSONResponse(
        [delivery_to_wire(d) for d in found], headers={"X-Pagination-Total": str(total)}
    )
