"""Following the durable event log: a run's events, or every event of a thread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

from interlock._outage import ride_out
from interlock.models import StreamEvent
from interlock.service.context import ServiceContext

__all__ = ["follow_run", "follow_thread", "parse_last_event_id"]

BATCH = 500  # events read from the log at a time


def parse_last_event_id(value: str | None, *, default: int) -> int:
    """The event id to resume after: `-1` or `-` mean from the start, nothing means `default`."""
    if value is None or value.strip() == "":
        return default
    value = value.strip()
    if value in ("-1", "-", "0"):
        return 0
    try:
        return max(0, int(value))
    except ValueError:
        # Ids of another server (`<ms>-<seq>`) cannot point into our log: replay everything.
        return 0


async def follow_run(ctx: ServiceContext, run_id: str, *, after: int) -> AsyncIterator[StreamEvent]:
    """Yield a run's events after `after`, live, until the run has ended and all are read."""
    with ctx.notifier.watch_events(f"run:{run_id}") as waiter:
        while True:
            waiter.arm()
            # The status is read before the events: a run's last events are committed with
            # its end, so once it reads as ended, one more read drains everything.
            run = await ride_out(partial(ctx.storage.get_run, run_id))
            ended = run is None or not run.status.is_active
            events = await ride_out(
                partial(ctx.storage.read_events, run_id=run_id, after=after, limit=BATCH)
            )
            for event in events:
                yield event
                after = event.event_id
            if len(events) == BATCH:
                continue
            if ended:
                return
            await waiter.wait(ctx.settings.poll_interval)


async def follow_thread(
    ctx: ServiceContext, thread_id: str, *, after: int | None
) -> AsyncIterator[StreamEvent]:
    """Yield every event of a thread's runs after `after` (or from now), until cancelled."""
    if after is None:
        after = await ctx.storage.last_thread_event_id(thread_id)
    with ctx.notifier.watch_events(f"thread:{thread_id}") as waiter:
        while True:
            waiter.arm()
            events = await ride_out(
                partial(ctx.storage.read_events, thread_id=thread_id, after=after, limit=BATCH)
            )
            for event in events:
                yield event
                after = event.event_id
            if len(events) < BATCH:
                await waiter.wait(ctx.settings.poll_interval)
