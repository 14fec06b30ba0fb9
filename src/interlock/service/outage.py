"""Ride out a short database outage in long-lived reads (waits and streams).

A `runs/wait` or a stream has already answered 200 when PostgreSQL restarts under it;
failing it then would cut the client off from a run that goes on. Its reads retry
instead, for a bounded time, and only then give up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from interlock.errors import DatabaseUnavailable

__all__ = ["OUTAGE_PATIENCE", "ride_out"]

logger = logging.getLogger("interlock.api")

T = TypeVar("T")

OUTAGE_PATIENCE = 60.0
"""Seconds a long-lived read keeps retrying while the database is unreachable."""


async def ride_out(read: Callable[[], Awaitable[T]], *, patience: float = OUTAGE_PATIENCE) -> T:
    """Return `await read()`, retrying with backoff while the database is unreachable.

    Raises:
        DatabaseUnavailable: the database stayed away for `patience` seconds.
    """
    loop = asyncio.get_running_loop()
    give_up = loop.time() + patience
    delay = 0.05
    while True:
        try:
            return await read()
        except DatabaseUnavailable:
            if loop.time() + delay > give_up:
                raise
            logger.warning("The database is away; retrying a read in %.2f s.", delay)
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)
