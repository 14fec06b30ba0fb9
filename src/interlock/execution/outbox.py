"""Webhook delivery: fan the outbox out to subscribers, sign, POST, retry with backoff.

Events reach the outbox in the same transaction as what they announce, so none is lost;
this dispatcher runs beside the worker, so a slow or dead receiver never slows a run.
Each POST carries:

- `X-Interlock-Event`: the event type;
- `X-Interlock-Delivery`: the event id, the same on every retry (an idempotency key);
- `X-Interlock-Signature: t=<unix seconds>,v1=<hex>`: HMAC-SHA256 with the subscriber's
  secret over `<t>.<body>` (only when a secret is configured).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from datetime import timedelta

import httpx

from interlock._background import Periodic
from interlock.config import WebhookSubscription
from interlock.errors import StorageError
from interlock.models import Delivery, utcnow
from interlock.storage.base import Storage

__all__ = ["WebhookDispatcher", "sign"]

logger = logging.getLogger("interlock.webhooks")

POLL_INTERVAL = 0.5  # seconds between outbox scans
BATCH = 100  # events fanned out, or deliveries attempted, per scan
BACKOFF_BASE = 1.0  # seconds before the first retry; doubles each time
BACKOFF_MAX = 600.0  # seconds between retries, at most
OUTBOX_RETENTION = timedelta(days=7)  # delivered outbox events are kept this long


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `v1` signature of a delivery: HMAC-SHA256 of `<timestamp>.<body>`, in hex."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class WebhookDispatcher:
    """Delivers outbox events to the configured subscribers.

    Args:
        storage: the outbox and the delivery log.
        subscriptions: who receives what.
        max_attempts: attempts per delivery before it is marked `failed`.
        timeout: seconds one POST may take.
        backoff_base: seconds before the first retry (doubling after each failure).
    """

    def __init__(
        self,
        storage: Storage,
        subscriptions: tuple[WebhookSubscription, ...],
        *,
        max_attempts: int,
        timeout: float,
        backoff_base: float = BACKOFF_BASE,
    ) -> None:
        self._storage = storage
        self._subscriptions = subscriptions
        self._max_attempts = max_attempts
        self._timeout = timeout
        self._backoff_base = backoff_base
        self._client = httpx.AsyncClient(timeout=timeout)
        self._periodic = Periodic("interlock-webhooks", self._step)
        self._last_prune = 0.0

    def start(self) -> None:
        """Start delivering in the background."""
        self._periodic.start()

    async def stop(self) -> None:
        """Stop delivering (unfinished deliveries are retried at the next start)."""
        await self._periodic.stop()
        await self._client.aclose()

    async def run_once(self) -> int:
        """Fan out new events and attempt due deliveries once; return attempts made."""
        events = await self._storage.undispatched(BATCH)
        if events:
            routes = [
                (event_id, [s.url for s in self._subscriptions if s.wants(event_type)])
                for event_id, event_type in events
            ]
            await self._storage.fan_out(routes, utcnow())
        now = utcnow()
        lease = now + timedelta(seconds=self._timeout * 2)
        due = await self._storage.lease_due(now, lease, BATCH)
        await asyncio.gather(*(self._attempt(d) for d in due))
        return len(due)

    async def _attempt(self, delivery: Delivery) -> None:
        body = delivery.payload.encode()
        headers = {
            "Content-Type": "application/json",
            "X-Interlock-Event": delivery.event_type,
            "X-Interlock-Delivery": delivery.event_id,
        }
        secret = next(
            (s.secret for s in self._subscriptions if s.url == delivery.url and s.secret), None
        )
        if secret:
            stamp = int(time.time())
            headers["X-Interlock-Signature"] = f"t={stamp},v1={sign(secret, stamp, body)}"
        status_code: int | None = None
        error: str | None = None
        try:
            response = await self._client.post(delivery.url, content=body, headers=headers)
            status_code = response.status_code
            if response.is_success:
                await self._done(delivery, "delivered", status_code, None)
                return
            error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        attempts = delivery.attempts + 1
        final = attempts >= self._max_attempts
        if final:
            logger.warning(
                "Webhook %s to %s failed for good: %s", delivery.event_type, delivery.url, error
            )
        await self._done(delivery, "failed" if final else "pending", status_code, error, attempts)

    async def _done(
        self,
        delivery: Delivery,
        status: str,
        status_code: int | None,
        error: str | None,
        attempts: int = 0,
    ) -> None:
        delay = min(BACKOFF_MAX, self._backoff_base * 2 ** max(0, attempts - 1))
        await self._storage.delivery_done(
            delivery.delivery_id,
            status=status,
            status_code=status_code,
            error=error,
            next_attempt_at=utcnow() + timedelta(seconds=delay),
            now=utcnow(),
        )

    async def _step(self) -> float:
        try:
            busy = await self.run_once()
            if time.monotonic() - self._last_prune > 3600:
                await self._storage.prune_outbox(utcnow() - OUTBOX_RETENTION)
                self._last_prune = time.monotonic()
        except StorageError:
            logger.warning("Webhook delivery scan failed; trying again later.")
            busy = 0
        # A full batch means more may be waiting: go again at once.
        return 0.0 if busy else POLL_INTERVAL
