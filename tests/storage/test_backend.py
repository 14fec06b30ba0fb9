"""The checkpointer's pool on PostgreSQL: dead connections are replaced, not handed out."""

from __future__ import annotations

import contextlib

import psycopg
import pytest

from interlock.backend import open_backend
from interlock.config import Settings

pytestmark = pytest.mark.postgres


async def test_checkpointer_pool_replaces_terminated_connections(postgres_dsn: str) -> None:
    """After the server ends every session (a restart), the next checkpoint read just works."""
    settings = Settings(database=postgres_dsn, pool_size=4)
    async with contextlib.AsyncExitStack() as stack:
        backend = await open_backend(settings, stack)
        config = {"configurable": {"thread_id": "t", "checkpoint_ns": ""}}
        assert await backend.checkpointer.aget_tuple(config) is None  # type: ignore[arg-type]
        database = postgres_dsn.rpartition("/")[2]
        with psycopg.connect(postgres_dsn, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (database,),
            ).fetchall()
        assert ended
        for _ in range(3):
            assert await backend.checkpointer.aget_tuple(config) is None  # type: ignore[arg-type]
        assert await backend.storage.get_thread("missing") is None
