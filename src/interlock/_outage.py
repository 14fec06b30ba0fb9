"""Ride out a short database outage: retry while the database is unreachable.

A `runs/wait` or a stream has already answered 200 when PostgreSQL restarts under it;
failing it then would cut the client off from a run that goes on. A worker that has
ended a run must still record it. Such calls retry for a bounded time, then give up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from interlock.errors import is_database_outage

__all__ = ["OUTAGE_PATIENCE", "ride_out"]

logger = logging.getLogger("interlock")

T = TypeVar("T")

OUTAGE_PATIENCE = 60.0
"""Seconds a long-lived read keeps retrying while the database is unreachable."""


async def ride_out(
    call: Callable[[], Awaitable[T]], *, patience: float = OUTAGE_PATIENCE, what: str = "a read"
) -> T:
    """Return `await call()`, retrying with backoff while the database is unreachable.

    Only for calls that are safe to repeat: reads, or writes that do nothing the second
    time (ending a run checks that it is still running).

    Raises:
        Exception: what `call` raised, at once unless it says the database is away, or
            once the database has stayed away for `patience` seconds.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + patience
    delay = 0.05
    while True:
        try:
            return await call()
        except Exception as exc:
            if not is_database_outage(exc) or loop.time() + delay > give_up:
                raise
            logger.warning("The database is away; retrying %s in %.2f s.", what, delay)
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)
