"""Running graphs: the executor (one run) and the worker (the claim loop)."""

from __future__ import annotations

from interlock.execution.executor import Executor
from interlock.execution.worker import Worker

__all__ = ["Executor", "Worker"]
