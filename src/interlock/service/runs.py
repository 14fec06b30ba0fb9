"""Runs: queue one (with its multitask strategy), wait for it, join, cancel, list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any

from interlock._outage import ride_out
from interlock.config import parse_expiry
from interlock.errors import (
    ConfigError,
    ConflictError,
    GoneError,
    InvalidRequestError,
    NotFoundError,
    ValidationError,
)
from interlock.models import (
    JSON,
    InterruptRecord,
    JSONObject,
    MultitaskStrategy,
    Run,
    RunStatus,
    ThreadStatus,
    new_id,
    utcnow,
)
from interlock.service import interrupts
from interlock.service.assistants import resolve_assistant
from interlock.service.context import ServiceContext
from interlock.service.ids import require_uuid
from interlock.service.interrupts import Answer
from interlock.service.threads import get_thread, new_thread
from interlock.storage.base import InterruptClaim, RunCreation, ThreadQuery

__all__ = [
    "RunRequest",
    "cancel_run",
    "cancel_runs",
    "create_run",
    "delete_run",
    "get_run",
    "join_run",
    "list_runs",
    "respond",
    "wait_for_run",
]

NO_MATCHING_RUNS = (
    "No matching runs to cancel. Please verify the thread ID and run IDs are correct, "
    "and the runs haven't been deleted or completed."
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRequest:
    """What a client asked a new run to do (the body of the run endpoints)."""

    assistant_id: str
    input: JSON = None
    command: JSONObject | None = None
    config: JSONObject | None = None
    context: JSONObject | None = None
    metadata: JSONObject | None = None
    stream_mode: list[str] = field(default_factory=lambda: ["values"])
    interrupt_before: list[str] | str | None = None
    interrupt_after: list[str] | str | None = None
    checkpoint_id: str | None = None
    checkpoint: JSONObject | None = None
    if_not_exists: str = "reject"
    multitask_strategy: MultitaskStrategy = MultitaskStrategy.ENQUEUE
    after_seconds: float | None = None
    webhook: str | None = None
    on_completion: str | None = None
    feedback_keys: list[str] | None = None
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    durability: str | None = None
    interrupt_expiry: JSONObject | None = None
    answer: Answer = field(default_factory=Answer)
    breakpoint_answer: tuple[InterruptRecord, Any] | None = None


def _merge_config(assistant_config: JSONObject, request_config: JSONObject | None) -> JSONObject:
    merged: dict[str, Any] = {**assistant_config, **(request_config or {})}
    configurable = {
        **(assistant_config.get("configurable") or {}),
        **((request_config or {}).get("configurable") or {}),
    }
    merged["configurable"] = configurable
    return merged


async def create_run(
    ctx: ServiceContext, thread_id: str | None, request: RunRequest
) -> RunCreation:
    """Queue a run on a thread (or on a new temporary thread when `thread_id` is None)."""
    stateless = thread_id is None
    if stateless:
        if request.command is not None:
            raise InvalidRequestError("You must provide a thread_id when resuming.")
        tid = new_id()
    else:
        assert thread_id is not None
        tid = require_uuid(thread_id, "thread", status=400)
    assistant = await resolve_assistant(ctx, request.assistant_id)
    now = utcnow()
    config = _merge_config(assistant.config, request.config)
    context = {**assistant.context, **(request.context or {})}
    kwargs: JSONObject = {
        "input": request.input,
        "command": request.command,
        "config": config,
        "context": context,
        "stream_mode": request.stream_mode,
        "interrupt_before": request.interrupt_before,
        "interrupt_after": request.interrupt_after,
        "webhook": request.webhook,
        "feedback_keys": request.feedback_keys,
        "temporary": stateless,
        "subgraphs": request.stream_subgraphs,
        "resumable": request.stream_resumable,
        "checkpoint_during": True,
        "durability": request.durability or "async",
    }
    if request.interrupt_expiry is not None:
        try:
            policy = parse_expiry(request.interrupt_expiry, "interrupt_expiry")
        except ConfigError as exc:
            raise ValidationError(exc.message) from exc
        kwargs["interrupt_expiry"] = {
            "ttl_seconds": policy.ttl,
            "action": policy.action,
            "value": policy.value,
        }
    if request.checkpoint_id is not None:
        kwargs["checkpoint_id"] = request.checkpoint_id
    if request.checkpoint is not None:
        kwargs["checkpoint"] = request.checkpoint
    delay = request.after_seconds or 0
    run = Run(
        run_id=new_id(),
        thread_id=tid,
        assistant_id=assistant.assistant_id,
        graph_id=assistant.graph_id,
        status=RunStatus.PENDING,
        metadata={
            **(request.metadata or {}),
            "graph_id": assistant.graph_id,
            "assistant_id": assistant.assistant_id,
        },
        kwargs=kwargs,
        multitask_strategy=request.multitask_strategy,
        created_at=now,
        updated_at=now,
        available_at=now + timedelta(seconds=delay) if delay > 0 else now,
        on_completion=request.on_completion or ("delete" if stateless else "keep"),
        temporary=stateless,
    )
    claims = await _claims(ctx, run, request)
    create_missing = stateless or request.if_not_exists == "create"
    thread_config = {
        **assistant.config,
        "configurable": dict(assistant.config.get("configurable") or {}),
    }
    creation = await ctx.storage.create_run(
        run,
        new_thread=new_thread(tid) if create_missing else None,
        thread_metadata={"graph_id": assistant.graph_id, "assistant_id": assistant.assistant_id},
        thread_config=thread_config,
        claims=claims,
        strict=ctx.options.strict_resume,
        resume_unchecked=ctx.options.strict_resume and not claims and _is_checked_resume(request),
    )
    action = "rollback" if request.multitask_strategy is MultitaskStrategy.ROLLBACK else "interrupt"
    for other in creation.to_cancel:
        await _stop_running(ctx, other.run_id, action, f"{action} requested by run {run.run_id}")
    ctx.notifier.run_queued()
    return creation


def _is_checked_resume(request: RunRequest) -> bool:
    # A resume that strict mode checks (not a stateless run, not time travel).
    command = request.command
    return (
        command is not None
        and "resume" in command
        and request.checkpoint_id is None
        and request.checkpoint is None
        and request.breakpoint_answer is None
    )


async def _claims(ctx: ServiceContext, run: Run, request: RunRequest) -> list[InterruptClaim]:
    # Which pending interrupts this run answers, checked before anything is written.
    if request.breakpoint_answer is not None:
        record, value = request.breakpoint_answer
        return [interrupts.static_claim(record, run, value, request.answer)]
    command = request.command
    if command is None or "resume" not in command or run.temporary:
        return []
    if request.checkpoint_id is not None or request.checkpoint is not None:
        # Time travel: the answer goes to an old checkpoint, not to what is pending now.
        return []
    thread = await ctx.storage.get_thread(run.thread_id)
    if thread is None:
        return []  # the storage answers 404 (or creates it, with nothing to answer)
    return await interrupts.plan_answers(
        ctx,
        run.thread_id,
        run.run_id,
        command["resume"],
        answer=request.answer,
        thread_busy=thread.status == ThreadStatus.BUSY,
    )


async def respond(
    ctx: ServiceContext,
    interrupt_id: str,
    value: Any,
    *,
    thread_id: str | None = None,
    actor: str | None = None,
) -> Run:
    """Answer one interrupt: queue the run that resumes it (or continues a breakpoint)."""
    record = await interrupts.get_interrupt(ctx, interrupt_id, thread_id=thread_id)
    if record.status == "expired":
        raise GoneError(f"Interrupt {interrupt_id} expired; it can no longer be answered.")
    if record.status != "pending":
        by = f" by run {record.resolved_by_run_id}" if record.resolved_by_run_id else ""
        raise ConflictError(f"Interrupt {interrupt_id} was already {record.status}{by}.")
    return await _answer(ctx, record, value, interrupts.Answer(actor=actor, source="respond"))


async def answer_on_expiry(ctx: ServiceContext, record: InterruptRecord, value: Any) -> Run:
    """Answer an expired interrupt with its configured value (source `expiry`)."""
    return await _answer(ctx, record, value, interrupts.Answer(source="expiry"))


async def _answer(ctx: ServiceContext, record: InterruptRecord, value: Any, answer: Answer) -> Run:
    if record.when == "during":
        request = RunRequest(
            assistant_id=record.assistant_id,
            command={"resume": {record.interrupt_id: value}},
            answer=answer,
        )
    else:
        request = RunRequest(
            assistant_id=record.assistant_id, breakpoint_answer=(record, value), answer=answer
        )
    return (await create_run(ctx, record.thread_id, request)).run


async def wait_for_run(ctx: ServiceContext, run_id: str) -> Run | None:
    """Wait until a run reaches a final status; None when it was deleted meanwhile."""
    while True:
        run = await ride_out(partial(ctx.storage.get_run, run_id))
        if run is None:
            return None
        if not run.status.is_active:
            return run
        ended = await ctx.notifier.wait_for_run(run_id, ctx.settings.poll_interval)
        if ended is not None:
            return ended


def rolled_back_output() -> JSONObject:
    """What `wait`/`join` answer for a run deleted by a rollback."""
    return {"__error__": {"error": "HTTPException", "message": "404: Run not found"}}


async def get_run(ctx: ServiceContext, thread_id: str, run_id: str) -> Run:
    """Return a run of a thread, or the official 404."""
    tid = require_uuid(thread_id, "thread")
    rid = require_uuid(run_id, "run")
    run = await ctx.storage.get_run(rid)
    if run is None or run.thread_id != tid:
        raise NotFoundError()
    return run


async def list_runs(
    ctx: ServiceContext, thread_id: str, *, limit: int, offset: int, status: RunStatus | None
) -> list[Run]:
    """Return a thread's runs, newest first."""
    thread = await get_thread(ctx, thread_id)
    return await ctx.storage.list_runs(thread.thread_id, limit=limit, offset=offset, status=status)


async def join_run(ctx: ServiceContext, thread_id: str, run_id: str) -> JSON:
    """Wait for a run and return its output; a finished run gives the thread's current state."""
    run = await get_run(ctx, thread_id, run_id)
    if run.status.is_active:
        ended = await wait_for_run(ctx, run.run_id)
        return rolled_back_output() if ended is None else ended.output
    thread = await get_thread(ctx, thread_id)
    if thread.status == ThreadStatus.INTERRUPTED and thread.interrupts:
        return {"__interrupt__": [i for items in thread.interrupts.values() for i in items]}
    return thread.values


async def cancel_run(
    ctx: ServiceContext, thread_id: str, run_id: str, *, action: str, wait: bool
) -> None:
    """Cancel a pending or running run (`action` is `interrupt` or `rollback`)."""
    run = await ctx.storage.get_run(require_uuid(run_id, "run"))
    if (
        run is None
        or run.thread_id != require_uuid(thread_id, "thread")
        or not run.status.is_active
    ):
        raise NotFoundError(NO_MATCHING_RUNS)
    await _cancel(ctx, [run], action)
    if wait:
        await wait_for_run(ctx, run.run_id)


async def cancel_runs(
    ctx: ServiceContext,
    *,
    thread_id: str | None,
    run_ids: list[str] | None,
    status: str | None,
    action: str,
) -> None:
    """Cancel several runs: by ids on a thread, or every run with a status."""
    runs: list[Run] = []
    if run_ids:
        for rid in run_ids:
            run = await ctx.storage.get_run(require_uuid(rid, "run"))
            if run is not None and run.status.is_active:
                if thread_id is None or run.thread_id == require_uuid(thread_id, "thread"):
                    runs.append(run)
    elif thread_id is not None:
        all_runs = await ctx.storage.list_runs(
            require_uuid(thread_id, "thread"), limit=10_000, offset=0, status=None
        )
        runs = [r for r in all_runs if r.status.is_active]
    elif status is not None:
        wanted = {"pending", "running"} if status == "all" else {status}
        runs = [r for r in await _active_runs(ctx) if r.status.value in wanted]
    if not runs:
        raise NotFoundError(NO_MATCHING_RUNS)
    await _cancel(ctx, runs, action)


async def _active_runs(ctx: ServiceContext) -> list[Run]:
    threads, _ = await ctx.storage.search_threads(
        ThreadQuery(status=ThreadStatus.BUSY, limit=10_000)
    )
    found: list[Run] = []
    for thread in threads:
        runs = await ctx.storage.list_runs(thread.thread_id, limit=10_000, offset=0, status=None)
        found.extend(r for r in runs if r.status.is_active)
    return found


async def _cancel(ctx: ServiceContext, runs: list[Run], action: str) -> None:
    if action not in ("interrupt", "rollback"):
        raise InvalidRequestError(f"Unknown cancel action {action!r}: use interrupt or rollback.")
    settled = await ctx.storage.cancel_pending_runs(
        [r.run_id for r in runs], delete=action == "rollback", now=utcnow()
    )
    settled_ids = {r.run_id for r in settled}
    for run in settled:
        ctx.notifier.run_ended(run)
    for run in runs:
        if run.run_id in settled_ids:
            continue
        message = f"{action} requested via POST /threads/{{thread_id}}/runs/{{run_id}}/cancel"
        await _stop_running(ctx, run.run_id, action, message)


async def _stop_running(ctx: ServiceContext, run_id: str, action: str, message: str) -> None:
    # Here if this process runs it; else through the database, for whichever worker does.
    if not ctx.worker.cancel(run_id, action, message):
        await ctx.storage.request_cancel(run_id, action)


async def delete_run(ctx: ServiceContext, thread_id: str, run_id: str) -> None:
    """Delete a finished run."""
    run = await get_run(ctx, thread_id, run_id)
    if run.status.is_active:
        raise ConflictError(f"Run {run.run_id} is still {run.status.value}. Cancel it first.")
    await ctx.storage.delete_run(run.run_id, utcnow())
