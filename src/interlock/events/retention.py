"""Retention: drop the stream events of ended runs once they are older than the setting."""

from __future__ import annotations

import logging
from datetime import timedelta

from interlock._background import Periodic
from interlock.errors import StorageError
from interlock.models import utcnow
from interlock.storage.base import Storage

__all__ = ["EventPruner"]

logger = logging.getLogger("interlock.events")

MAX_INTERVAL = 3600.0  # seconds between prunes, at most


class EventPruner:
    """Prunes the event log in the background, at start-up and then periodically.

    Args:
        storage: where the log lives.
        retention: seconds an ended run's events stay replayable.
    """

    def __init__(self, storage: Storage, retention: float) -> None:
        self._storage = storage
        self._retention = retention
        self._periodic = Periodic("interlock-event-pruner", self._step)

    async def prune(self) -> int:
        """Prune once; return how many events were dropped."""
        before = utcnow() - timedelta(seconds=self._retention)
        return await self._storage.prune_events(before)

    def start(self) -> None:
        """Start pruning in the background."""
        self._periodic.start()

    async def stop(self) -> None:
        """Stop pruning."""
        await self._periodic.stop()

    async def _step(self) -> float:
        try:
            dropped = await self.prune()
        except StorageError:
            logger.warning("Pruning old stream events failed; trying again later.")
        else:
            if dropped:
                logger.info("Dropped %d stream event(s) older than the retention.", dropped)
        return min(MAX_INTERVAL, max(1.0, self._retention / 10))
