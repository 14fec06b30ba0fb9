"""The in-process notifier used with the embedded SQLite database."""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict, defaultdict
from collections.abc import Iterator

from interlock.events.base import EventWaiter, Notifier
from interlock.models import Run

__all__ = ["InProcessNotifier"]

RECENT_RUNS = 1024  # ended runs remembered for waiters that arrive just too late


class _Waiter(EventWaiter):
    def __init__(self) -> None:
        self.event = asyncio.Event()

    def arm(self) -> None:
        self.event.clear()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self.event.wait(), timeout)
        except TimeoutError:
            return


class InProcessNotifier(Notifier):
    """Notifications through asyncio futures, for one process."""

    def __init__(self) -> None:
        self._queue_event = asyncio.Event()
        self._waiters: defaultdict[str, set[asyncio.Future[Run]]] = defaultdict(set)
        # A waiter that reads "running" from the database and subscribes after the run
        # ended would otherwise sleep a whole poll interval.
        self._recent: OrderedDict[str, Run] = OrderedDict()
        self._watchers: defaultdict[str, set[_Waiter]] = defaultdict(set)

    def run_queued(self) -> None:
        """See `Notifier.run_queued`."""
        self._queue_event.set()

    async def wait_for_queue(self, timeout: float) -> None:
        """See `Notifier.wait_for_queue`."""
        try:
            await asyncio.wait_for(self._queue_event.wait(), timeout)
        except TimeoutError:
            return
        finally:
            self._queue_event.clear()

    def run_ended(self, run: Run) -> None:
        """See `Notifier.run_ended`."""
        self._recent[run.run_id] = run
        while len(self._recent) > RECENT_RUNS:
            self._recent.popitem(last=False)
        for future in self._waiters.pop(run.run_id, ()):
            if not future.done():
                future.set_result(run)

    async def wait_for_run(self, run_id: str, timeout: float) -> Run | None:
        """See `Notifier.wait_for_run`."""
        if (recent := self._recent.get(run_id)) is not None:
            return recent
        future: asyncio.Future[Run] = asyncio.get_running_loop().create_future()
        self._waiters[run_id].add(future)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None
        finally:
            waiters = self._waiters.get(run_id)
            if waiters is not None:
                waiters.discard(future)
                if not waiters:
                    del self._waiters[run_id]

    def events_appended(self, run_id: str, thread_id: str) -> None:
        """See `Notifier.events_appended`."""
        for key in (f"run:{run_id}", f"thread:{thread_id}"):
            for waiter in self._watchers.get(key, ()):
                waiter.event.set()

    @contextlib.contextmanager
    def watch_events(self, key: str) -> Iterator[EventWaiter]:
        """See `Notifier.watch_events`."""
        waiter = _Waiter()
        self._watchers[key].add(waiter)
        try:
            yield waiter
        finally:
            watchers = self._watchers.get(key)
            if watchers is not None:
                watchers.discard(waiter)
                if not watchers:
                    del self._watchers[key]
