"""The worker: claim runs from the durable queue and execute them, a pool at a time.

The queue lives in the database. A notification wakes the claim loop at once; the
poll interval only bounds how long a missed notification can delay a run. A claimed
run is leased: heartbeats renew the lease (and bring cancel requests from other
processes); a run whose lease expires goes back to the queue for another worker, up
to `max_attempts` times.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from interlock._outage import ride_out
from interlock.errors import (
    CommitOutcomeUnknown,
    DatabaseUnavailable,
    StorageError,
    is_database_outage,
)
from interlock.events.base import Notifier
from interlock.execution.executor import Executor, error_body
from interlock.execution.stream import EventSink
from interlock.models import NewEvent, Run, RunStatus, ThreadStatus, utcnow
from interlock.storage.base import RunOutcome, Storage

__all__ = ["CancelAction", "Worker"]

logger = logging.getLogger("interlock.worker")

SHUTDOWN_GRACE = 10.0  # seconds running runs get to finish on shutdown
LEASE = 30.0  # seconds a claimed run stays this worker's without a heartbeat
MAX_ATTEMPTS = 3  # times a run is started before a lost run ends in error
CLAIM_LOOP_EXIT = 5.0  # seconds the claim loop gets to leave on its own at shutdown

CancelAction = str  # "interrupt" or "rollback"
RunHook = Callable[[Run], Awaitable[None]]


@dataclass(slots=True)
class _Active:
    task: asyncio.Task[None] | None = None
    cancel_action: CancelAction | None = None
    cancel_message: str | None = None
    finishing: bool = False


class Worker:
    """A pool of `n_jobs` concurrent runs fed from the queue.

    Args:
        storage: the queue and the state.
        executor: runs one graph.
        notifier: wake-ups in both directions.
        n_jobs: how many runs execute at once.
        poll_interval: seconds between polls when no wake-up arrives.
        on_run_end: awaited after a run's final record is written (webhooks, clean-up).
        on_rollback: awaited to delete a rolled-back run's checkpoints.
        lease: seconds a claimed run is held without a heartbeat (renewed every third).
        max_attempts: starts of a run before a lost run ends in error.
        exclusive: this worker is the only one on the database (embedded SQLite), so runs
            left running at start-up are taken up at once instead of after their lease.
    """

    def __init__(
        self,
        storage: Storage,
        executor: Executor,
        notifier: Notifier,
        *,
        n_jobs: int,
        poll_interval: float,
        on_run_end: RunHook | None = None,
        on_rollback: RunHook | None = None,
        lease: float = LEASE,
        max_attempts: int = MAX_ATTEMPTS,
        exclusive: bool = True,
    ) -> None:
        self._storage = storage
        self._executor = executor
        self._notifier = notifier
        self._n_jobs = max(1, n_jobs)
        self._poll_interval = poll_interval
        self._on_run_end = on_run_end
        self._on_rollback = on_rollback
        self._active: dict[str, _Active] = {}
        self._slot_free = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._beat_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._lease = lease
        self._max_attempts = max_attempts
        self._exclusive = exclusive
        self.worker_id = f"worker-{uuid.uuid4().hex[:12]}"

    async def start(self) -> None:
        """Take up runs a dead process left running, then start claiming."""
        if self._exclusive:
            requeued = await self._storage.requeue_running(utcnow())
            if requeued:
                logger.info("Took up %d run(s) left running by a stopped process.", len(requeued))
        self._loop_task = asyncio.create_task(self._claim_loop(), name="interlock-claim-loop")
        self._beat_task = asyncio.create_task(self._heartbeat(), name="interlock-heartbeat")

    async def stop(self, grace: float = SHUTDOWN_GRACE) -> None:
        """Stop claiming, let running runs finish within `grace`, then hand the rest back."""
        self._stopping = True
        self._notifier.run_queued()
        self._slot_free.set()
        if self._loop_task is not None:
            # Let the claim loop see `_stopping` and leave by itself: cancelled mid-claim,
            # its claim could still commit in a database thread after the hand-back below.
            done, _ = await asyncio.wait({self._loop_task}, timeout=CLAIM_LOOP_EXIT)
            if not done:
                self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._beat_task is not None:
            self._beat_task.cancel()
            await asyncio.gather(self._beat_task, return_exceptions=True)
        tasks = [a.task for a in self._active.values() if a.task is not None]
        if tasks:
            logger.info("Waiting up to %.0f s for %d running run(s).", grace, len(tasks))
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        requeued = await self._storage.requeue_running(utcnow(), worker_id=self.worker_id)
        if requeued:
            logger.info("Handed %d unfinished run(s) back to the queue.", len(requeued))

    def cancel(self, run_id: str, action: CancelAction, message: str) -> bool:
        """Stop a run this worker executes; return False when it is not here."""
        active = self._active.get(run_id)
        if active is None:
            return False
        if active.finishing or active.cancel_action is not None:
            return True  # already ending; its final record is being written
        active.cancel_action = action
        active.cancel_message = message
        if active.task is not None:
            active.task.cancel()
        return True

    async def _claim_loop(self) -> None:
        while not self._stopping:
            if len(self._active) >= self._n_jobs:
                self._slot_free.clear()
                await self._slot_free.wait()
                continue
            # Any failure (the database away) is logged and retried: a dead claim loop would
            # leave the queue unserved while the process looks alive.
            try:
                now = utcnow()
                run = await self._storage.claim_run(
                    now, worker_id=self.worker_id, lease_until=now + timedelta(seconds=self._lease)
                )
                if run is not None:
                    self._spawn(run)
                    continue
                sleep = await self._sleep_time()
            except Exception:
                logger.exception("Claiming a run failed; retrying.")
                await asyncio.sleep(self._poll_interval)
                continue
            await self._notifier.wait_for_queue(sleep)

    async def _sleep_time(self) -> float:
        next_at = await self._storage.next_available_at()
        if next_at is None:
            return self._poll_interval
        delay = (next_at - utcnow()).total_seconds()
        return max(0.0, min(self._poll_interval, delay))

    async def _heartbeat(self) -> None:
        # Renew our leases, pick up cancels asked of other processes, and requeue the runs
        # of workers that stopped renewing theirs.
        while True:
            await asyncio.sleep(self._lease / 3)
            try:
                await self._beat()
            except Exception:
                logger.exception("Heartbeat failed; retrying.")

    async def _beat(self) -> None:
        now = utcnow()
        mine = list(self._active)
        if mine:
            held = await self._storage.renew_leases(
                self.worker_id, mine, now + timedelta(seconds=self._lease)
            )
            for run_id in mine:
                if run_id not in held:
                    logger.warning("Lost the lease of run %s; another worker takes it.", run_id)
                    self.cancel(run_id, "lost", "")
                elif held[run_id]:
                    self.cancel(run_id, str(held[run_id]), f"{held[run_id]} requested")
        for run in await self._storage.recover_expired(now, max_attempts=self._max_attempts):
            await self._given_up(run)
        self._notifier.run_queued()

    async def _given_up(self, run: Run) -> None:
        # A run out of attempts ended in error: tell its waiters, and run the end hooks
        # (its webhook, a temporary thread's deletion) as for any other ending.
        logger.warning("Run %s ended in error: its workers kept stopping.", run.run_id)
        self._notifier.run_ended(run)
        if self._on_run_end is not None:
            try:
                await self._on_run_end(run)
            except Exception:
                logger.exception("The end hooks of run %s failed.", run.run_id)

    def _spawn(self, run: Run) -> None:
        earlier = self._active.get(run.run_id)
        if earlier is not None:
            # An earlier attempt of this run is still winding down here (its lease ran out
            # during an outage and the run came back to us): it must not write anything.
            earlier.cancel_action = "lost"
            if earlier.task is not None:
                earlier.task.cancel()
        active = _Active()
        self._active[run.run_id] = active
        active.task = asyncio.create_task(
            self._execute(run, active), name=f"interlock-run-{run.run_id}"
        )

    async def _execute(self, run: Run, active: _Active) -> None:
        sink = EventSink(self._storage, self._notifier, run)
        try:
            try:
                outcome = await self._executor.execute(run, sink)
            except asyncio.CancelledError:
                if active.cancel_action == "lost":
                    sink.abandon()
                    return  # the run belongs to another attempt now; write nothing
                if active.cancel_action is None:
                    # Shutdown: stop() hands the run back to the queue; keep its events.
                    await self._storage.append_events(await sink.close(), utcnow())
                    raise
                await self._cancelled(run, sink, active.cancel_action, active.cancel_message or "")
                return
            except Exception as exc:
                if is_database_outage(exc):
                    await self._hand_back(run, sink, active, exc)
                    return
                logger.exception("Run %s failed outside its graph.", run.run_id)
                body = error_body(exc)
                outcome = RunOutcome(
                    status=RunStatus.ERROR,
                    output={"__error__": body},
                    thread_status=ThreadStatus.ERROR,
                    thread_values=None,
                    thread_error=body,
                )
            # From here on the run has ended; a cancel must not cut its final write.
            active.finishing = True
            await self._finish(run, outcome, sink)
        finally:
            self._release(run.run_id, active)

    def _release(self, run_id: str, active: _Active) -> None:
        if self._active.get(run_id) is active:
            self._active.pop(run_id)
        self._slot_free.set()
        # Another run of the same thread may be waiting for this one to end.
        self._notifier.run_queued()

    async def _hand_back(
        self, run: Run, sink: EventSink, active: _Active, exc: BaseException
    ) -> None:
        # The database went away under the run (a PostgreSQL restart): the graph did not
        # fail, so the run is not ended. Its lease is dropped so that the next attempt,
        # here or on another worker, continues from its last checkpoint. When even this
        # fails for as long as a lease lasts, the lease runs out and the same happens.
        logger.warning("Run %s lost its database (%s); handing it back.", run.run_id, exc)
        self._release(run.run_id, active)  # no heartbeat may renew the lease meanwhile
        events = await sink.close()

        async def release() -> None:
            if events:
                await self._storage.append_events(events, utcnow())
                events.clear()
            now = utcnow()
            released = await self._storage.release_run(
                run.run_id, worker_id=self.worker_id, attempt=run.attempt, now=now
            )
            if not released:
                return  # another attempt holds the run now; it is not ours to requeue
            for ended in await self._storage.recover_expired(
                now + timedelta(milliseconds=1), max_attempts=self._max_attempts
            ):
                await self._given_up(ended)

        try:
            await ride_out(release, patience=self._lease, what=f"handing back run {run.run_id}")
        except StorageError as again:
            logger.warning("Handing run %s back failed (%s); its lease will.", run.run_id, again)
        self._notifier.run_queued()

    async def _finish(self, run: Run, outcome: RunOutcome, sink: EventSink) -> bool:
        """Record the end of the run; False when another attempt holds it (nothing written)."""
        events = await sink.close()
        try:
            ended = await self._write_end(run, outcome, events)
        except StorageError:
            # The database stayed away for a whole lease: the lease runs out and the run
            # is taken up again from its last checkpoint.
            logger.exception("Could not record the end of run %s.", run.run_id)
            return False
        if ended is None:
            return False  # another attempt holds the run; its end is the one that counts
        sink.committed()
        self._notifier.run_ended(ended)
        if self._on_run_end is not None:
            await self._on_run_end(ended)
        return True

    async def _write_end(self, run: Run, outcome: RunOutcome, events: list[NewEvent]) -> Run | None:
        # The run has ended; its record must not be lost to a database restart. Retrying
        # is safe: the write only applies while this attempt still holds the run.
        async def write() -> Run | None:
            try:
                return await self._storage.finish_run(
                    run.run_id, outcome, utcnow(), events,
                    worker_id=self.worker_id, attempt=run.attempt,
                )  # fmt: skip
            except CommitOutcomeUnknown:
                # Cut during the commit: if the end was applied, the run reads as ended.
                stored = await self._storage.get_run(run.run_id)
                if stored is not None and not stored.status.is_active:
                    return stored
                raise DatabaseUnavailable("the end of the run was not recorded") from None

        return await ride_out(
            write, patience=self._lease, what=f"recording the end of run {run.run_id}"
        )

    async def _cancelled(
        self, run: Run, sink: EventSink, action: CancelAction, message: str
    ) -> None:
        rollback = action == "rollback"
        if rollback and self._on_rollback is not None:
            await self._on_rollback(run)
        body = {"error": "UserRollback" if rollback else "UserInterrupt", "message": message}
        outcome = RunOutcome(
            status=RunStatus.INTERRUPTED,
            output={"__error__": body},
            thread_status=ThreadStatus.IDLE if rollback else ThreadStatus.INTERRUPTED,
            thread_values=await ride_out(
                lambda: self._executor.current_values(run), patience=self._lease
            ),
            thread_error=body,
        )
        if await self._finish(run, outcome, sink) and rollback:
            await self._storage.delete_run(run.run_id, utcnow())
