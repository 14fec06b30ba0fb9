"""Persistence: the storage contract and its back ends."""

from __future__ import annotations

from interlock.storage.base import AssistantQuery, RunCreation, RunOutcome, Storage, ThreadQuery
from interlock.storage.sqlite import SQLiteStorage

__all__ = ["AssistantQuery", "RunCreation", "RunOutcome", "SQLiteStorage", "Storage", "ThreadQuery"]
