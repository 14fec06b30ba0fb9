"""`create_app`: the ASGI application, wired with its storage, graphs and worker."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI

from interlock._version import __version__
from interlock.api import assistants, interrupts, runs, streams, system, threads
from interlock.api.errors import install_error_handlers
from interlock.api.responses import JSONResponse
from interlock.api.schemas import run_to_wire
from interlock.backend import open_backend
from interlock.config import InterruptOptions, ProjectConfig, Settings, load_project
from interlock.events.memory import InProcessNotifier
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

__all__ = ["create_app"]

logger = logging.getLogger("interlock")


def create_app(
    settings: Settings,
    *,
    project: ProjectConfig | None = None,
    registry: GraphRegistry | None = None,
    storage: Storage | None = None,
) -> FastAPI:
    """Build the application.

    Graphs are imported here, before anything listens, so a broken graph or config
    is reported at once (`ConfigError`). The database opens when the app starts.

    Args:
        settings: the server settings.
        project: the parsed langgraph.json; read from `settings.config` when omitted.
        registry: graphs to serve; imported from the project when omitted.
        storage: the storage back end; a `SQLiteStorage` on `settings.database` when omitted.
    """
    if registry is None:
        project = project or load_project(settings.config)
        registry = GraphRegistry()
        registry.load_project(project)
    options = project.interrupts if project is not None else InterruptOptions()
    graphs = registry

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            backend = await open_backend(settings, stack, storage)
            store_db = backend.storage
            graphs.bind(backend.checkpointer, backend.store)
            webhooks = WebhookSender(settings.webhook_timeout)
            stack.push_async_callback(webhooks.close)
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
            app.state.ctx = ctx
            await worker.start()
            pruner = EventPruner(store_db, settings.event_retention)
            pruner.start()
            sweeper = ExpirySweeper(ctx)
            sweeper.start()
            dispatcher = WebhookDispatcher(
                store_db,
                options.webhooks,
                max_attempts=options.webhook_max_attempts,
                timeout=settings.webhook_timeout,
                backoff_base=options.webhook_retry_seconds,
            )
            dispatcher.start()
            logger.info("Interlock %s serving graphs: %s", __version__, ", ".join(graphs.graph_ids))
            try:
                yield
            finally:
                await dispatcher.stop()
                await sweeper.stop()
                await pruner.stop()
                await worker.stop()

    app = FastAPI(
        title="Interlock",
        version=__version__,
        description="A LangGraph Server API with durable human-in-the-loop.",
        lifespan=lifespan,
        default_response_class=JSONResponse,
    )
    install_error_handlers(app)
    for router in (
        system.router,
        assistants.router,
        threads.router,
        streams.router,
        runs.router,
        interrupts.router,
    ):
        app.include_router(router)
    return app


async def _after_run(ctx: ServiceContext, webhooks: WebhookSender, run: Run) -> None:
    webhook = run.kwargs.get("webhook")
    if webhook:
        thread = await ctx.storage.get_thread(run.thread_id)
        payload = run_to_wire(run) | {
            "values": thread.values if thread else None,
            "output": run.output,
            "error": thread.error if thread else None,
        }
        webhooks.send(webhook, payload)
    if run.temporary and run.on_completion == "delete":
        # Its events stay until retention: a stream may still be draining them.
        await ctx.storage.delete_thread(
            run.thread_id, keep_decisions=ctx.options.keep_decisions, keep_events=True
        )
        await state.delete_checkpoints(ctx, run.thread_id)
