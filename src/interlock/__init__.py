"""Interlock: a self-hosted LangGraph Server API with durable, first-class human-in-the-loop."""

from __future__ import annotations

from interlock._version import __version__
from interlock.api.app import create_app
from interlock.config import Settings
from interlock.errors import (
    ConfigError,
    ConflictError,
    GoneError,
    GraphLoadError,
    InterlockError,
    InvalidRequestError,
    NotFoundError,
    PortInUseError,
    StorageError,
    ValidationError,
)
from interlock.execution.worker import Worker

__all__ = [
    "ConfigError",
    "ConflictError",
    "GoneError",
    "GraphLoadError",
    "InterlockError",
    "InvalidRequestError",
    "NotFoundError",
    "PortInUseError",
    "Settings",
    "StorageError",
    "ValidationError",
    "Worker",
    "__version__",
    "create_app",
]
