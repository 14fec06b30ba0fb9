"""The dependencies every service function receives, built once by `create_app`."""

from __future__ import annotations

from dataclasses import dataclass

from interlock.config import Settings
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
