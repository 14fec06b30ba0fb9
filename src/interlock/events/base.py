"""The notifier contract.

Notifications are hints that save a poll, never the source of truth: whoever waits
also re-reads the database every so often, so a lost notification only costs time.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterator

from interlock.models import Run

__all__ = ["EventWaiter", "Notifier"]


class EventWaiter(abc.ABC):
    """A subscriber's wake-up for new stream events of one run or thread.

    Call `arm()` before reading the log, then `wait()` when the read found nothing new:
    an append between the two still wakes it.
    """

    @abc.abstractmethod
    def arm(self) -> None:
        """Forget earlier wake-ups; the next append wakes `wait`."""

    @abc.abstractmethod
    async def wait(self, timeout: float) -> None:
        """Return after an append since `arm()`, or after `timeout` seconds."""


class Notifier(abc.ABC):
    """Tells workers about new runs and waiters about ended runs."""

    @abc.abstractmethod
    def run_queued(self) -> None:
        """Say that a run may be ready to claim."""

    @abc.abstractmethod
    async def wait_for_queue(self, timeout: float) -> None:
        """Return when `run_queued` is called, or after `timeout` seconds."""

    @abc.abstractmethod
    def run_ended(self, run: Run) -> None:
        """Say that a run has reached a final status (carrying its final record)."""

    @abc.abstractmethod
    async def wait_for_run(self, run_id: str, timeout: float) -> Run | None:
        """Return the run's final record when it ends, or None after `timeout` seconds."""

    @abc.abstractmethod
    def events_appended(self, run_id: str, thread_id: str) -> None:
        """Say that events of a run (on a thread) were committed to the log."""

    @abc.abstractmethod
    @contextlib.contextmanager
    def watch_events(self, key: str) -> Iterator[EventWaiter]:
        """Watch `run:<id>` or `thread:<id>` for new events while the block runs."""
