"""SQLite operations of the stream event log.

`SQLiteStorage` runs each of these in its own database thread, so a whole transaction
is one hop from the event loop, and a writer waiting for the file lock never blocks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from interlock.models import (
    NewEvent,
    StreamEvent,
)
from interlock.storage._ops_base import SqlBase
from interlock.storage._rows import (
    event_from_row,
    to_ts,
)

__all__ = ["EventLogOps"]


class EventLogOps(SqlBase):
    """Append, read and prune the durable event log."""

    def append_events(self, events: Sequence[NewEvent], now: datetime) -> int:
        """See `Storage.append_events`."""
        with self._tx() as conn:
            return self._insert_events(conn, events, now)

    def read_events(
        self, *, run_id: str | None = None, thread_id: str | None = None, after: int, limit: int
    ) -> list[StreamEvent]:
        """See `Storage.read_events`."""
        if run_id is not None:
            rows = self._all("run_events_after", {"run_id": run_id, "after": after, "limit": limit})
        else:
            params = {"thread_id": thread_id, "after": after, "limit": limit}
            rows = self._all("thread_events_after", params)
        return [event_from_row(r) for r in rows]

    def last_thread_event_id(self, thread_id: str) -> int:
        """See `Storage.last_thread_event_id`."""
        row = self._one("last_thread_event", {"thread_id": thread_id})
        return int(row["event_id"]) if row else 0

    def prune_events(self, before: datetime) -> int:
        """See `Storage.prune_events`."""
        with self._tx() as conn:
            return self._exec("prune_events", {"before": to_ts(before)}, conn)
