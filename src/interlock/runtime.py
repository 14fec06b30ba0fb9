"""Everything a running process holds: database, graphs, worker and background loops.

`running()` is shared by the HTTP server (`create_app`) and the headless
`interlock worker`: open the database, bind the graphs to it, start the worker pool
(unless this process only serves the API) and the background loops, and stop them all
in order at the end.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from interlock._version import __version__
from interlock.backend import is_postgres, open_backend
from interlock.config import InterruptOptions, Settings
from interlock.events.memory import InProcessNotifier
from interlock.events.postgres import PostgresNotifier
from interlock.events.retention import EventPruner
from interlock.execution.executor import Executor
from interlock.execution.outbox import WebhookDispatcher
from interlock.execution.webhooks import WebhookSender
from interlock.execution.worker import Worker
from interlock.graphs import GraphRegistry
from interlock.models import Run
from interlock.service import state
from interlock.service.assistants import create_default_assistants
from interlock.service.context import ServiceContext
from interlock.service.expiry import ExpirySweeper
from interlock.storage.base import Storage

__all__ = ["running"]

logger = logging.getLogger("interlock")


@contextlib.asynccontextmanager
async def running(
    settings: Settings,
    graphs: GraphRegistry,
    options: InterruptOptions,
    storage: Storage | None = None,
) -> AsyncIterator[ServiceContext]:
    """Open the process's resources and yield the service context; close them after."""
    async with contextlib.AsyncExitStack() as stack:
        backend = await open_backend(settings, stack, storage)
        store_db = backend.storage
        graphs.bind(backend.checkpointer, backend.store)
        webhooks = WebhookSender(settings.webhook_timeout)
        stack.push_async_callback(webhooks.close)
        notifier: InProcessNotifier
        if is_postgres(settings.database):
            notifier = PostgresNotifier(str(settings.database), store_db.get_run)
            await notifier.start()
            stack.push_async_callback(notifier.stop)
        else:
            notifier = InProcessNotifier()
        holder: list[ServiceContext] = []

        async def on_run_end(run: Run) -> None:
            await _after_run(holder[0], webhooks, run)

        async def on_rollback(run: Run) -> None:
            await state.delete_run_checkpoints(holder[0], run.thread_id, run.run_id)

        worker = Worker(
            store_db,
            Executor(graphs, options),
            notifier,
            n_jobs=settings.n_jobs,
            poll_interval=settings.poll_interval,
            on_run_end=on_run_end,
            on_rollback=on_rollback,
            lease=settings.lease_seconds,
            max_attempts=settings.max_attempts,
            # On its own SQLite file a process is the only worker; on PostgreSQL others
            # may run, so an orphaned run waits for its lease to expire.
            exclusive=not is_postgres(settings.database),
        )
        ctx = ServiceContext(
            settings=settings,
            storage=store_db,
            registry=graphs,
            notifier=notifier,
            worker=worker,
            options=options,
        )
        holder.append(ctx)
        await create_default_assistants(ctx)
        loops: list[EventPruner | ExpirySweeper | WebhookDispatcher] = [
            EventPruner(store_db, settings.event_retention),
            ExpirySweeper(ctx),
            WebhookDispatcher(
                store_db,
                options.webhooks,
                max_attempts=options.webhook_max_attempts,
                timeout=settings.webhook_timeout,
                backoff_base=options.webhook_retry_seconds,
            ),
        ]
        if settings.workers:
            await worker.start()
        for loop in loops:
            loop.start()
        logger.info(
            "Interlock %s: graphs %s; %s",
            __version__,
            ", ".join(graphs.graph_ids),
            f"{settings.n_jobs} job(s) per worker" if settings.workers else "API only",
        )
        try:
            yield ctx
        finally:
            for loop in reversed(loops):
                await loop.stop()
            if settings.workers:
                await worker.stop(settings.shutdown_grace)


async def _after_run(ctx: ServiceContext, webhooks: WebhookSender, run: Run) -> None:
    webhook = run.kwargs.get("webhook")
    if webhook:
        thread = await ctx.storage.get_thread(run.thread_id)
        webhooks.send(
            webhook,
            {
                "run_id": run.run_id,
                "thread_id": run.thread_id,
                "assistant_id": run.assistant_id,
                "metadata": run.metadata,
                "status": run.status.value,
                "kwargs": run.kwargs,
                "multitask_strategy": run.multitask_strategy.value,
                "created_at": run.created_at,
                "updated_at": run.updated_at,
                "values": thread.values if thread else None,
                "output": run.output,
                "error": thread.error if thread else None,
            },
        )
    if run.temporary and run.on_completion == "delete":
        # Its events stay until retention: a stream may still be draining them.
        await ctx.storage.delete_thread(
            run.thread_id, keep_decisions=ctx.options.keep_decisions, keep_events=True
        )
        await state.delete_checkpoints(ctx, run.thread_id)
