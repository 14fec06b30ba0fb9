"""The dependencies every service function receives, built once by `create_app`."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

from interlock.config import InterruptOptions, Settings
from interlock.events.base import Notifier
from interlock.execution.worker import Worker
from interlock.graphs import GraphRegistry
from interlock.storage.base import Storage

__all__ = ["ServiceContext"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceContext:
    """Settings, storage, graphs, notifier and the local worker pool."""

    settings: Settings
    storage: Storage
    registry: GraphRegistry
    notifier: Notifier
    worker: Worker
    options: InterruptOptions = field(default_factory=InterruptOptions)
    """How interrupts are answered, kept and expired (langgraph.json `interlock`)."""
    background: set[asyncio.Task[Any]] = field(default_factory=set)
    """Work started by a request that must outlive it (kept referenced until done)."""

    def spawn(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` in the background, independent of the request that asked for it."""
        task = asyncio.ensure_future(work)
        self.background.add(task)
        task.add_done_callback(self.background.discard)
