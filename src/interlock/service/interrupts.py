"""Interrupts as records: the inbox, checking every answer, the decisions ledger, respond.

An answer arrives as `command.resume` on any run endpoint, or through
`POST /interrupts/{id}/respond`. Either way it is checked against the thread's
pending interrupts before a run is queued, and it becomes a decision, written in the
same transaction as the run that carries it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import jsonschema

from interlock import serde
from interlock.errors import ConflictError, GoneError, NotFoundError, ValidationError
from interlock.models import Decision, InterruptRecord, Run, new_id, utcnow
from interlock.service.context import ServiceContext
from interlock.storage.base import DecisionQuery, InterruptClaim, InterruptQuery

__all__ = [
    "Answer",
    "get_interrupt",
    "plan_answers",
    "search_decisions",
    "search_interrupts",
]

_INTERRUPT_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """Who answers, and through which door (`api`, `respond`, `expiry`)."""

    actor: str | None = None
    source: str = "api"


def payload_digest(value: Any) -> str:
    """The SHA-256 of an interrupt payload, as the ledger records it."""
    return hashlib.sha256(serde.dumps(value)).hexdigest()


def _is_id_map(resume: Any) -> bool:
    # The rule langgraph applies: a dict whose keys all look like interrupt ids.
    return (
        isinstance(resume, dict)
        and bool(resume)
        and all(isinstance(k, str) and _INTERRUPT_ID.match(k) for k in resume)
    )


def _ids(records: list[InterruptRecord]) -> str:
    return ", ".join(r.interrupt_id for r in records) or "none"


async def plan_answers(
    ctx: ServiceContext,
    thread_id: str,
    run_id: str,
    resume: Any,
    *,
    answer: Answer,
    thread_busy: bool,
) -> list[InterruptClaim]:
    """Check a resume against the thread's pending interrupts and return its claims.

    With `strict_resume` off, nothing is refused: the claims cover what matches.

    Raises:
        ValidationError: an id that is not pending, a scalar for several interrupts,
            or a value that does not match the interrupt's `response_schema`.
        ConflictError: nothing is pending, or the interrupt was already answered.
        GoneError: the interrupt expired.
    """
    strict = ctx.options.strict_resume
    pending = await ctx.storage.pending_interrupts(thread_id)
    if not pending:
        if strict and not thread_busy:
            if _is_id_map(resume):
                await _refuse_known(ctx, thread_id, list(resume), pending)
            raise ConflictError(
                f"Thread {thread_id} has no pending interrupt to resume. Send `input` to start "
                "a new run, or read the thread's state to see where it is."
            )
        # A resume queued behind a running run is checked by langgraph when it runs.
        return []
    by_id = {r.interrupt_id: r for r in pending}
    if _is_id_map(resume):
        answers = dict(resume)
        unknown = [k for k in answers if k not in by_id]
        if unknown and strict:
            await _refuse_unknown(ctx, thread_id, unknown, pending)
        answers = {k: v for k, v in answers.items() if k in by_id}
    elif len(pending) == 1:
        answers = {pending[0].interrupt_id: resume}
    else:
        if strict:
            raise ValidationError(
                f"Thread {thread_id} has {len(pending)} pending interrupts ({_ids(pending)}); "
                'answer them by id: {"command": {"resume": {"<interrupt id>": <value>}}}.'
            )
        return []
    claims = []
    now = utcnow()
    for interrupt_id, value in answers.items():
        record = by_id[interrupt_id]
        if strict:
            _check_schema(record, value)
        decision = Decision(
            decision_id=new_id(),
            interrupt_id=interrupt_id,
            thread_id=thread_id,
            run_id=run_id,
            value=serde.to_jsonable(value),
            actor=answer.actor,
            source=answer.source,
            payload_sha256=payload_digest(record.value),
            created_at=now,
        )
        claims.append(
            InterruptClaim(
                interrupt_id=interrupt_id,
                decision=decision,
                status="expired" if answer.source == "expiry" else "resolved",
            )
        )
    return claims


async def _refuse_unknown(
    ctx: ServiceContext, thread_id: str, unknown: list[str], pending: list[InterruptRecord]
) -> None:
    await _refuse_known(ctx, thread_id, unknown, pending)
    raise ValidationError(
        f"Interrupt id(s) {', '.join(unknown)} are not pending on thread {thread_id}. "
        f"Pending: {_ids(pending)}."
    )


async def _refuse_known(
    ctx: ServiceContext, thread_id: str, unknown: list[str], pending: list[InterruptRecord]
) -> None:
    # An id the thread had: say it expired (410) or was answered (409).
    known = {r.interrupt_id: r for r in await ctx.storage.thread_interrupts(thread_id)}
    for interrupt_id in unknown:
        record = known.get(interrupt_id)
        if record is not None and record.status == "expired":
            raise GoneError(f"Interrupt {interrupt_id} expired; it can no longer be answered.")
        if record is not None:
            raise ConflictError(
                f"Interrupt {interrupt_id} was already {record.status}"
                + (f" by run {record.resolved_by_run_id}" if record.resolved_by_run_id else "")
                + f". Pending on thread {thread_id}: {_ids(pending)}."
            )


def _check_schema(record: InterruptRecord, value: Any) -> None:
    schema = record.response_schema
    if not isinstance(schema, dict):
        return
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(serde.to_jsonable(value)), key=lambda e: list(e.path))
    if errors:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e.path) or '(value)'}: {e.message}" for e in errors
        )
        raise ValidationError(
            f"The answer to interrupt {record.interrupt_id} does not match its "
            f"response_schema: {details}"
        )


async def get_interrupt(
    ctx: ServiceContext, interrupt_id: str, *, thread_id: str | None = None
) -> InterruptRecord:
    """Return an interrupt record; with copies on several threads, the newest (or `thread_id`'s)."""
    records = await ctx.storage.get_interrupts(interrupt_id)
    if thread_id is not None:
        records = [r for r in records if r.thread_id == thread_id]
    if not records:
        raise NotFoundError(f"Interrupt {interrupt_id} not found")
    return records[0]


async def search_interrupts(
    ctx: ServiceContext, query: InterruptQuery
) -> tuple[list[InterruptRecord], int]:
    """A page of the inbox and the total count."""
    return await ctx.storage.search_interrupts(query)


async def search_decisions(ctx: ServiceContext, query: DecisionQuery) -> tuple[list[Decision], int]:
    """A page of the ledger and the total count."""
    return await ctx.storage.search_decisions(query)


async def decisions_of(ctx: ServiceContext, records: list[InterruptRecord]) -> dict[str, Decision]:
    """The decisions that answered these records, by decision id (one read for a page)."""
    wanted = sorted({r.decision_id for r in records if r.decision_id})
    return {d.decision_id: d for d in await ctx.storage.get_decisions(wanted)}


def static_claim(record: InterruptRecord, run: Run, value: Any, answer: Answer) -> InterruptClaim:
    """The claim of a respond to a static breakpoint (which langgraph does not check)."""
    decision = Decision(
        decision_id=new_id(),
        interrupt_id=record.interrupt_id,
        thread_id=record.thread_id,
        run_id=run.run_id,
        value=serde.to_jsonable(value),
        actor=answer.actor,
        source=answer.source,
        payload_sha256=payload_digest(record.value),
        created_at=utcnow(),
    )
    return InterruptClaim(
        interrupt_id=record.interrupt_id,
        decision=decision,
        status="expired" if answer.source == "expiry" else "resolved",
    )
