"""A background task that repeats a step, for the pruner, the expiry sweeper and webhooks."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

__all__ = ["Periodic"]

logger = logging.getLogger("interlock")

RETRY_PAUSE = 5.0  # seconds before a step that raised runs again


class Periodic:
    """Runs `step` at once and then again after each pause, until stopped.

    `step` returns how long to pause before the next run (seconds), so a busy step can
    ask to run again at once.

    Args:
        name: the task's name, as shown in asyncio debugging.
        step: one round of work.
    """

    def __init__(self, name: str, step: Callable[[], Awaitable[float]]) -> None:
        self._name = name
        self._step = step
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start repeating in the background."""
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        """Stop, waiting for the task to end."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            # A step that fails unexpectedly is logged and tried again later: the loop
            # must outlive it, or its work (expiry, webhooks, pruning) silently stops.
            try:
                pause = await self._step()
            except Exception:
                logger.exception("%s failed; trying again in %.0f s.", self._name, RETRY_PAUSE)
                pause = RETRY_PAUSE
            await asyncio.sleep(pause)
