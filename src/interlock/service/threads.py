"""Threads: create, read, search, copy, delete."""

from __future__ import annotations

from dataclasses import replace

from interlock.errors import NotFoundError
from interlock.models import JSONObject, Thread, ThreadStatus, new_id, utcnow
from interlock.service import state
from interlock.service.context import ServiceContext
from interlock.service.ids import require_uuid
from interlock.storage.base import ThreadQuery

__all__ = [
    "copy_thread",
    "create_thread",
    "delete_thread",
    "get_thread",
    "new_thread",
    "patch_thread",
    "search_threads",
]


def new_thread(thread_id: str, metadata: JSONObject | None = None) -> Thread:
    """A fresh, idle thread record."""
    now = utcnow()
    return Thread(
        thread_id=thread_id,
        created_at=now,
        updated_at=now,
        state_updated_at=now,
        metadata=dict(metadata or {}),
        status=ThreadStatus.IDLE,
        config={},
        values=None,
    )


async def create_thread(
    ctx: ServiceContext, *, thread_id: str | None, metadata: JSONObject | None, if_exists: str
) -> Thread:
    """Create a thread, or return the existing one with `if_exists="do_nothing"`."""
    tid = require_uuid(thread_id, "thread") if thread_id else new_id()
    return await ctx.storage.create_thread(new_thread(tid, metadata), if_exists=if_exists)


async def get_thread(ctx: ServiceContext, thread_id: str) -> Thread:
    """Return a thread or raise the official 404."""
    tid = require_uuid(thread_id, "thread")
    return state.require_thread(await ctx.storage.get_thread(tid), tid)


async def patch_thread(ctx: ServiceContext, thread_id: str, metadata: JSONObject) -> Thread:
    """Merge metadata into a thread."""
    tid = require_uuid(thread_id, "thread")
    return await ctx.storage.patch_thread_metadata(tid, metadata, utcnow())


async def delete_thread(ctx: ServiceContext, thread_id: str) -> None:
    """Delete a thread, its runs (stopping active ones), interrupts and checkpoints."""
    tid = require_uuid(thread_id, "thread")
    runs = await ctx.storage.list_runs(tid, limit=10_000, offset=0, status=None)
    active = [r.run_id for r in runs if r.status.is_active]
    await ctx.storage.cancel_pending_runs(active, delete=False, now=utcnow())
    for run_id in active:
        if not ctx.worker.cancel(run_id, "interrupt", "thread deleted"):
            await ctx.storage.request_cancel(run_id, "interrupt")
    if not await ctx.storage.delete_thread(tid, keep_decisions=ctx.options.keep_decisions):
        raise NotFoundError(f"Thread with ID {tid} not found")
    await state.delete_checkpoints(ctx, tid)


async def search_threads(ctx: ServiceContext, query: ThreadQuery) -> tuple[list[Thread], int]:
    """Return a page of threads and the total count."""
    return await ctx.storage.search_threads(query)


async def copy_thread(ctx: ServiceContext, thread_id: str) -> Thread:
    """Copy a thread, its state and its checkpoints under a new id."""
    source = await get_thread(ctx, thread_id)
    now = utcnow()
    copy = replace(
        source,
        thread_id=new_id(),
        created_at=now,
        updated_at=now,
        # The copy has no runs, so it cannot be busy.
        status=ThreadStatus.IDLE if source.status == ThreadStatus.BUSY else source.status,
    )
    await state.copy_checkpoints(ctx, source.thread_id, copy.thread_id)
    return await ctx.storage.copy_thread(source.thread_id, copy)
