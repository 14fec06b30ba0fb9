"""A background task that repeats a step, for the pruner, the expiry sweeper and webhooks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

__all__ = ["Periodic"]


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
        while True:  # noqa: ASYNC110 -- a timed repeat, not a wait for a condition
            await asyncio.sleep(await self._step())
