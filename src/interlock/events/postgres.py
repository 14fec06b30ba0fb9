"""Wake-ups across processes through PostgreSQL `LISTEN/NOTIFY`.

Each process keeps its in-process notifier for its own subscribers and also tells the
others: a run was queued (wake your claim loop), a run ended (wake its waiters), a run's
events were appended (wake its streams). Notifications are hints: everyone still re-reads
the database, and polls it when no hint comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

from interlock.errors import InterlockError
from interlock.events.memory import InProcessNotifier
from interlock.models import Run

__all__ = ["PostgresNotifier"]

logger = logging.getLogger("interlock.events")

CHANNEL = "interlock"
RECONNECT_DELAY = 1.0  # seconds before listening again after a lost connection


class PostgresNotifier(InProcessNotifier):
    """An in-process notifier that also speaks to the other processes on the database.

    Args:
        dsn: the PostgreSQL database.
        fetch_run: reads a run, to hand its final record to local waiters.
    """

    def __init__(self, dsn: str, fetch_run: Callable[[str], Awaitable[Run | None]]) -> None:
        super().__init__()
        self._dsn = dsn
        self._fetch_run = fetch_run
        self._outgoing: asyncio.Queue[str] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._me = f"{os.getpid()}-{id(self)}"  # tells our own notifications apart

    async def start(self) -> None:
        """Start listening and sending."""
        self._tasks = [
            asyncio.create_task(self._listen(), name="interlock-listen"),
            asyncio.create_task(self._send(), name="interlock-notify"),
        ]

    async def stop(self) -> None:
        """Stop both."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def run_queued(self) -> None:
        """See `Notifier.run_queued`; other processes' claim loops wake too."""
        super().run_queued()
        self._outgoing.put_nowait("q")

    def run_ended(self, run: Run) -> None:
        """See `Notifier.run_ended`; waiters in other processes wake too."""
        super().run_ended(run)
        self._outgoing.put_nowait(f"e|{run.run_id}")

    def events_appended(self, run_id: str, thread_id: str) -> None:
        """See `Notifier.events_appended`; streams in other processes wake too."""
        super().events_appended(run_id, thread_id)
        self._outgoing.put_nowait(f"v|{run_id}|{thread_id}")

    async def _send(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as conn:
                    while True:
                        messages = [await self._outgoing.get()]
                        # Whatever queued up meanwhile goes in the same round trip, and a
                        # hint repeated (a busy run's event batches) goes once.
                        while not self._outgoing.empty():
                            messages.append(self._outgoing.get_nowait())
                        payloads = [f"{self._me}|{m}" for m in dict.fromkeys(messages)]
                        await conn.execute(
                            "SELECT pg_notify(%s, p.payload) FROM unnest(%s::text[]) "
                            "WITH ORDINALITY AS p(payload, n) ORDER BY p.n",
                            (CHANNEL, payloads),
                        )
            except psycopg.Error as exc:
                logger.warning("Sending a notification failed (%s); reconnecting.", exc)
                await asyncio.sleep(RECONNECT_DELAY)

    async def _listen(self) -> None:
        import psycopg

        while True:
            try:
                async with await psycopg.AsyncConnection.connect(
                    self._dsn, autocommit=True
                ) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    # Anything missed while not listening is found by polling; say so.
                    super().run_queued()
                    async for note in conn.notifies():
                        await self._received(note.payload)
            except psycopg.Error as exc:
                logger.warning("Listening for notifications failed (%s); reconnecting.", exc)
                await asyncio.sleep(RECONNECT_DELAY)

    async def _received(self, payload: str) -> None:
        sender, _, message = payload.partition("|")
        if sender == self._me:
            return  # our own, already delivered in this process
        kind, *args = message.split("|")
        if kind == "q":
            super().run_queued()
        elif kind == "e" and args:
            with contextlib.suppress(InterlockError):
                run = await self._fetch_run(args[0])
                if run is not None and not run.status.is_active:
                    super().run_ended(run)
        elif kind == "v" and len(args) == 2:
            super().events_appended(args[0], args[1])
