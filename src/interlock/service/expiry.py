"""The expiry sweeper: applies each expired interrupt's action, also after a restart."""

from __future__ import annotations

import logging

from interlock._background import Periodic
from interlock.errors import InterlockError
from interlock.models import Decision, InterruptRecord, new_id, utcnow
from interlock.service import runs
from interlock.service.context import ServiceContext
from interlock.service.interrupts import Answer, payload_digest

__all__ = ["ExpirySweeper"]

logger = logging.getLogger("interlock.expiry")

SWEEP_INTERVAL = 1.0  # seconds between sweeps
BATCH = 100  # expired interrupts handled per sweep


class ExpirySweeper:
    """Finds interrupts past their `expires_at` and applies their action.

    `expire` marks them expired; `resume` answers them with the configured value (a
    run, like any answer); `cancel` withdraws the thread's pending interrupts. Each is
    recorded as a decision with source `expiry`.

    Args:
        ctx: the service context.
        interval: seconds between sweeps.
    """

    def __init__(self, ctx: ServiceContext, interval: float = SWEEP_INTERVAL) -> None:
        self._ctx = ctx
        self._interval = interval
        self._periodic = Periodic("interlock-expiry", self._step)

    def start(self) -> None:
        """Start sweeping in the background (the first sweep runs at once)."""
        self._periodic.start()

    async def stop(self) -> None:
        """Stop sweeping."""
        await self._periodic.stop()

    async def sweep(self) -> int:
        """Apply every due expiry once; return how many interrupts were handled."""
        handled = 0
        for record in await self._ctx.storage.expired_interrupts(utcnow(), BATCH):
            try:
                if await self._apply(record):
                    handled += 1
            except InterlockError as exc:
                # Another answer won the race, or the thread went away: nothing to expire.
                logger.info("Expiry of interrupt %s skipped: %s", record.interrupt_id, exc)
        return handled

    async def _apply(self, record: InterruptRecord) -> bool:
        action = record.expiry_action if isinstance(record.expiry_action, dict) else {}
        kind = action.get("action", "expire")
        if kind == "resume":
            await runs.answer_on_expiry(self._ctx, record, action.get("value"))
            return True
        decision = Decision(
            decision_id=new_id(),
            interrupt_id=record.interrupt_id,
            thread_id=record.thread_id,
            run_id=None,
            value=None,
            actor=None,
            source=Answer(source="expiry").source,
            payload_sha256=payload_digest(record.value),
            created_at=utcnow(),
        )
        return await self._ctx.storage.expire_interrupt(
            record, decision, cancel_thread=kind == "cancel", now=utcnow()
        )

    async def _step(self) -> float:
        try:
            handled = await self.sweep()
        except InterlockError:
            logger.warning("Sweeping expired interrupts failed; trying again later.")
        else:
            if handled:
                logger.info("Applied the expiry of %d interrupt(s).", handled)
        return self._interval
