"""SQLite operations of interrupts as records and the decisions ledger.

`SQLiteStorage` runs each of these in its own database thread, so a whole transaction
is one hop from the event loop, and a writer waiting for the file lock never blocks it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from interlock.errors import ConflictError, GoneError
from interlock.models import (
    Decision,
    InterruptRecord,
    Run,
    ThreadStatus,
)
from interlock.storage._dialect import Connection
from interlock.storage._ops_base import SqlBase, in_list, metadata_filters
from interlock.storage._rows import (
    decision_from_row,
    decision_params,
    interrupt_from_row,
    to_ts,
)
from interlock.storage.base import (
    DecisionQuery,
    InterruptClaim,
    InterruptQuery,
)

__all__ = ["HitlOps"]

_INTERRUPT_SORT = {"created_at", "expires_at", "thread_id", "graph_id", "status"}


class HitlOps(SqlBase):
    """Interrupt records (claims, inbox, expiry) and decisions."""

    def _claim(self, conn: Connection, run: Run, claim: InterruptClaim, strict: bool) -> None:
        decision = claim.decision
        params = {
            "thread_id": run.thread_id,
            "interrupt_id": claim.interrupt_id,
            "status": claim.status,
            "resolved_at": to_ts(decision.created_at),
            "run_id": run.run_id,
            "decision_id": decision.decision_id,
        }
        if self._exec("claim_interrupt", params, conn) == 0:
            if not strict:
                return  # lenient mode: answer what langgraph will, record nothing more
            row = self._one(
                "get_thread_interrupt",
                {"thread_id": run.thread_id, "interrupt_id": claim.interrupt_id},
                conn,
            )
            if row is not None and row["status"] == "expired":
                raise GoneError(
                    f"Interrupt {claim.interrupt_id} expired at {row['resolved_at']}; "
                    "it can no longer be answered."
                )
            by = f" by run {row['resolved_by_run_id']}" if row and row["resolved_by_run_id"] else ""
            raise ConflictError(
                f"Interrupt {claim.interrupt_id} was already answered{by}. "
                "Read the thread's state to see what it waits for now."
            )
        self._exec("insert_decision", decision_params(decision), conn)
        event = "interrupt.expired" if claim.status == "expired" else "interrupt.resolved"
        self._interrupt_event(
            conn, event, run.thread_id, claim.interrupt_id, decision, decision.created_at
        )

    def thread_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """See `Storage.thread_interrupts`."""
        return [
            interrupt_from_row(r) for r in self._all("thread_interrupts", {"thread_id": thread_id})
        ]

    def get_interrupts(self, interrupt_id: str) -> list[InterruptRecord]:
        """See `Storage.get_interrupts`."""
        rows = self._all("get_interrupts_by_id", {"interrupt_id": interrupt_id})
        return [interrupt_from_row(r) for r in rows]

    def search_interrupts(self, query: InterruptQuery) -> tuple[list[InterruptRecord], int]:
        """See `Storage.search_interrupts`."""
        where, params = _filters(
            query, ("status", "thread_id", "assistant_id", "graph_id"), prefix="i."
        )
        table = "interrupts AS i"
        metadata_filters(where, params, "i.thread_id", query.metadata)
        column = query.sort_by if query.sort_by in _INTERRUPT_SORT else "created_at"
        direction = "ASC" if query.sort_order == "asc" else "DESC"
        order = f"i.{column} {direction}, i.interrupt_id {direction}"
        rows, total = self._page(table, where, params, order, query.limit, query.offset, "i.*")
        return [interrupt_from_row(r) for r in rows], total

    def expired_interrupts(self, now: datetime, limit: int) -> list[InterruptRecord]:
        """See `Storage.expired_interrupts`."""
        rows = self._all("expired_interrupts", {"now": to_ts(now), "limit": limit})
        return [interrupt_from_row(r) for r in rows]

    def expire_interrupt(
        self, record: InterruptRecord, decision: Decision, *, cancel_thread: bool, now: datetime
    ) -> bool:
        """See `Storage.expire_interrupt`."""
        with self._tx() as conn:
            changed = self._exec(
                "set_interrupt_status",
                {
                    "thread_id": record.thread_id,
                    "interrupt_id": record.interrupt_id,
                    "status": "expired",
                    "resolved_at": to_ts(decision.created_at),
                    "decision_id": decision.decision_id,
                },
                conn,
            )
            if not changed:
                return False
            self._exec("insert_decision", decision_params(decision), conn)
            self._interrupt_event(
                conn, "interrupt.expired", record.thread_id, record.interrupt_id, decision, now
            )
            if cancel_thread:
                self._exec(
                    "cancel_thread_interrupts",
                    {"thread_id": record.thread_id, "resolved_at": to_ts(now)},
                    conn,
                )
                if not self._all("active_runs", {"thread_id": record.thread_id}, conn):
                    self._exec(
                        "set_thread_status",
                        {
                            "thread_id": record.thread_id,
                            "status": ThreadStatus.IDLE.value,
                            "updated_at": to_ts(now),
                        },
                        conn,
                    )
            return True

    def get_decisions(self, decision_ids: Sequence[str]) -> list[Decision]:
        """See `Storage.get_decisions`."""
        if not decision_ids:
            return []
        params: dict[str, Any] = {}
        marks = in_list(params, "d", decision_ids)
        sql = f"SELECT * FROM decisions WHERE decision_id IN {marks}"  # noqa: S608 -- placeholders
        return [decision_from_row(row) for row in self.conn.execute(sql, params).fetchall()]

    def search_decisions(self, query: DecisionQuery) -> tuple[list[Decision], int]:
        """See `Storage.search_decisions`."""
        where, params = _filters(
            query, ("thread_id", "interrupt_id", "run_id", "actor", "source"), prefix=""
        )
        direction = "ASC" if query.sort_order == "asc" else "DESC"
        order = f"created_at {direction}, decision_id {direction}"
        rows, total = self._page("decisions", where, params, order, query.limit, query.offset)
        return [decision_from_row(r) for r in rows], total

    def pending_interrupts(self, thread_id: str) -> list[InterruptRecord]:
        """See `Storage.pending_interrupts`."""
        rows = self._all("pending_interrupts", {"thread_id": thread_id})
        return [interrupt_from_row(r) for r in rows]


def _filters(
    query: InterruptQuery | DecisionQuery, columns: tuple[str, ...], *, prefix: str
) -> tuple[list[str], dict[str, Any]]:
    # Equality on the given columns, and the created_after / created_before window.
    where, params = ["1 = 1"], {}
    for column in columns:
        value = getattr(query, column)
        if value is not None:
            where.append(f"{prefix}{column} = :{column}")
            params[column] = value
    if query.created_after is not None:
        where.append(f"{prefix}created_at > :created_after")
        params["created_after"] = to_ts(query.created_after)
    if query.created_before is not None:
        where.append(f"{prefix}created_at < :created_before")
        params["created_before"] = to_ts(query.created_before)
    return where, params
