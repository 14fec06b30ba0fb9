"""The per-run `webhook`: POST the run and its output to a URL when the run ends."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx

from interlock import serde

__all__ = ["WebhookSender"]

logger = logging.getLogger("interlock.webhooks")

ATTEMPTS = 3  # deliveries tried per run
BACKOFF = 1.0  # seconds before the second attempt; doubles after each failure


class WebhookSender:
    """Delivers webhooks in the background, so a slow receiver never slows a run.

    Args:
        timeout: seconds one POST may take.
    """

    def __init__(self, timeout: float) -> None:
        self._client = httpx.AsyncClient(timeout=timeout)
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, url: str, payload: Any) -> None:
        """Queue a delivery and return at once."""
        task = asyncio.create_task(self._deliver(url, serde.dumps(payload)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, url: str, body: bytes) -> None:
        delay = BACKOFF
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = await self._client.post(
                    url, content=body, headers={"Content-Type": "application/json"}
                )
                if response.is_success:
                    return
                logger.warning(
                    "Webhook %s answered %d (attempt %d).", url, response.status_code, attempt
                )
            except httpx.HTTPError as exc:
                logger.warning("Webhook %s failed: %s (attempt %d).", url, exc, attempt)
            if attempt < ATTEMPTS:
                await asyncio.sleep(delay)
                delay *= 2

    async def close(self) -> None:
        """Give pending deliveries a moment, then close the client."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=2)
        for task in self._tasks:
            task.cancel()
        await self._client.aclose()
