"""The LangGraph Server semantics: assistants, threads, state, runs; no HTTP here."""

from __future__ import annotations

from interlock.service.context import ServiceContext

__all__ = ["ServiceContext"]
