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
from interlock.config import InterruptOptions, ProjectConfig, Settings, load_project
from interlock.graphs import GraphRegistry
from interlock.runtime import running
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

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with running(settings, registry, options, storage) as ctx:
            app.state.ctx = ctx
            yield

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
