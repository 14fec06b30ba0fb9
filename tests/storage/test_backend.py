"""The checkpointer's pool on PostgreSQL: dead connections are replaced, not handed out."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from interlock.backend import open_backend
from interlock.config import Settings

pytestmark = pytest.mark.postgres


async def test_checkpointer_pool_replaces_terminated_connections(
    postgres_dsn: str, end_sessions: Callable[[str], int]
) -> None:
    """After the server ends every session (a restart), the next checkpoint read just works."""
    settings = Settings(database=postgres_dsn, pool_size=4)
    async with contextlib.AsyncExitStack() as stack:
        backend = await open_backend(settings, stack)
        config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
        assert await backend.checkpointer.aget_tuple(config) is None  # type: ignore[arg-type]
        assert end_sessions(postgres_dsn)
        for _ in range(3):
            assert await backend.checkpointer.aget_tuple(config) is None  # type: ignore[arg-type]
        assert await backend.storage.get_thread("missing") is None
