"""SQLite operations of the webhook outbox and its deliveries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from interlock.models import Delivery, new_id
from interlock.storage._ops_base import SqlBase
from interlock.storage._rows import delivery_from_row, to_ts

__all__ = ["OutboxOps"]


class OutboxOps(SqlBase):
    """Fan outbox events out to subscribers and track each delivery's attempts."""

    def undispatched(self, limit: int) -> list[tuple[str, str]]:
        """`(event_id, event_type)` of outbox events not yet fanned out, oldest first."""
        rows = self._all("undispatched_outbox", {"limit": limit})
        return [(r["event_id"], r["event_type"]) for r in rows]

    def fan_out(self, routes: Sequence[tuple[str, Sequence[str]]], now: datetime) -> None:
        """Create one delivery per `(event_id, urls)` pair's URL and mark the events dispatched."""
        with self._tx() as conn:
            for event_id, urls in routes:
                row = self._one("get_outbox", {"event_id": event_id}, conn)
                if row is None:
                    continue
                for url in urls:
                    self._exec(
                        "insert_delivery",
                        {
                            "delivery_id": new_id(),
                            "event_id": event_id,
                            "event_type": row["event_type"],
                            "url": url,
                            "now": to_ts(now),
                        },
                        conn,
                    )
                self._exec("mark_dispatched", {"event_id": event_id}, conn)

    def lease_due(self, now: datetime, lease_until: datetime, limit: int) -> list[Delivery]:
        """Take due deliveries for one attempt each (until `lease_until`)."""
        taken = []
        with self._tx() as conn:
            for row in self._all("due_deliveries", {"now": to_ts(now), "limit": limit}, conn):
                params = {
                    "delivery_id": row["delivery_id"],
                    "lease_until": to_ts(lease_until),
                    "now": to_ts(now),
                }
                if self._exec("lease_delivery", params, conn):
                    taken.append(delivery_from_row(row))
        return taken

    def delivery_done(
        self,
        delivery_id: str,
        *,
        status: str,
        status_code: int | None,
        error: str | None,
        next_attempt_at: datetime,
        now: datetime,
    ) -> None:
        """Record an attempt's result: `delivered`, `failed`, or `pending` for a retry."""
        with self._tx() as conn:
            self._exec(
                "delivery_done",
                {
                    "delivery_id": delivery_id,
                    "status": status,
                    "status_code": status_code,
                    "error": error,
                    "next_attempt_at": to_ts(next_attempt_at),
                    "delivered_at": to_ts(now) if status == "delivered" else None,
                },
                conn,
            )

    def list_deliveries(
        self, *, status: str | None, event_type: str | None, limit: int, offset: int
    ) -> tuple[list[Delivery], int]:
        """A page of deliveries, newest first, and the total number of matches."""
        where, params = ["1 = 1"], {}
        if status is not None:
            where.append("status = :status")
            params["status"] = status
        if event_type is not None:
            where.append("event_type = :event_type")
            params["event_type"] = event_type
        order = "created_at DESC, delivery_id DESC"
        rows, total = self._page("webhook_deliveries", where, params, order, limit, offset)
        return [delivery_from_row(r) for r in rows], total

    def prune_outbox(self, before: datetime) -> int:
        """Delete dispatched outbox events older than `before` with nothing left to deliver."""
        with self._tx() as conn:
            return self._exec("prune_outbox", {"before": to_ts(before)}, conn)
