"""The notifier contract.

Notifications are hints that save a poll, never the source of truth: whoever waits
also re-reads the database every so often, so a lost notification only costs time.
"""

from __future__ import annotations

import abc

from interlock.models import Run

__all__ = ["Notifier"]


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
