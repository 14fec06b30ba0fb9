"""Open the database a server runs on: our storage, the checkpointer and the store.

`--database` names a SQLite file (the default, `.interlock/interlock.db`) or a
`postgresql://` URL; all three live in that one database.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.store.base import BaseStore
from langgraph.store.sqlite.aio import AsyncSqliteStore

from interlock.config import Settings
from interlock.errors import ConfigError
from interlock.storage._dialect import CONNECT_TIMEOUT
from interlock.storage.base import Storage
from interlock.storage.sqlite import BUSY_TIMEOUT_MS, SQLiteStorage

__all__ = ["Backend", "is_postgres", "open_backend"]

POOL_OPEN_TIMEOUT = 10.0  # seconds to wait for the first PostgreSQL connection


@dataclass(frozen=True, slots=True, kw_only=True)
class Backend:
    """The three views of the one database."""

    storage: Storage
    checkpointer: BaseCheckpointSaver[Any]
    store: BaseStore


def is_postgres(database: str | None) -> bool:
    """Whether a `--database` value names a PostgreSQL server."""
    return bool(database) and str(database).startswith(("postgresql://", "postgres://"))


async def open_backend(
    settings: Settings, stack: contextlib.AsyncExitStack, storage: Storage | None = None
) -> Backend:
    """Open (and, unless `settings.migrate` is off, migrate) the database.

    Everything opened closes with `stack`.
    """
    if is_postgres(settings.database):
        return await _open_postgres(settings, stack, storage)
    return await _open_sqlite(settings, stack, storage)


async def _sqlite_connection(path: Path, *, autocommit: bool) -> aiosqlite.Connection:
    # The saver commits its own transactions; the store expects autocommit, as the
    # connections their `from_conn_string` helpers open.
    conn = await aiosqlite.connect(path, isolation_level=None if autocommit else "DEFERRED")
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    return conn


async def _open_sqlite(
    settings: Settings, stack: contextlib.AsyncExitStack, storage: Storage | None
) -> Backend:
    path = settings.database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    saver_conn = await _sqlite_connection(path, autocommit=False)
    stack.push_async_callback(saver_conn.close)
    memory_conn = await _sqlite_connection(path, autocommit=True)
    stack.push_async_callback(memory_conn.close)
    saver = AsyncSqliteSaver(saver_conn)
    memory = AsyncSqliteStore(memory_conn)
    if settings.migrate:
        await saver.setup()
        await memory.setup()
    opened = storage or SQLiteStorage(path, migrate=settings.migrate)
    await stack.enter_async_context(opened)
    return Backend(storage=opened, checkpointer=saver, store=memory)


async def _open_postgres(
    settings: Settings, stack: contextlib.AsyncExitStack, storage: Storage | None
) -> Backend:
    try:
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from langgraph.store.postgres.aio import AsyncPostgresStore
        from psycopg.rows import dict_row
        from psycopg_pool import AsyncConnectionPool

        from interlock.storage.postgres import PostgresStorage
    except ImportError as exc:
        msg = 'A postgresql:// database needs the extra: pip install "interlock[postgres]"'
        raise ConfigError(msg) from exc
    dsn = str(settings.database)
    # Checkpoints and the store share one pool. Each connection is checked as it is
    # taken (without a round trip), so after a PostgreSQL restart the pool replaces the
    # dead ones instead of failing checkpoint writes with them.
    pool: AsyncConnectionPool[Any] = AsyncConnectionPool(
        dsn,
        min_size=1,
        max_size=max(2, settings.pool_size),
        kwargs={
            "autocommit": True,
            "prepare_threshold": 0,
            "row_factory": dict_row,
            "connect_timeout": CONNECT_TIMEOUT,
        },
        check=_check_idle_connection,
        open=False,
        name="interlock-checkpoints",
    )
    try:
        await pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT)
    except Exception as exc:
        await pool.close()
        msg = (
            f"Cannot reach the PostgreSQL database: {exc}. "
            "Check --database and that the server is up."
        )
        raise ConfigError(msg) from exc
    stack.push_async_callback(pool.close)
    saver = AsyncPostgresSaver(pool)
    memory = AsyncPostgresStore(pool)
    if settings.migrate:
        await saver.setup()
        await memory.setup()
    opened = storage or PostgresStorage(dsn, pool_size=settings.pool_size, migrate=settings.migrate)
    await stack.enter_async_context(opened)
    return Backend(storage=opened, checkpointer=saver, store=memory)


async def _check_idle_connection(conn: Any) -> None:
    """Refuse a pooled connection the server has closed, without a round trip.

    An idle connection has nothing to read. A server that shut down or ended the session
    has sent an error and closed the socket, so a non-blocking peek finds bytes (or the
    end of the stream). Such a connection is closed here: the pool discards a closed
    connection, while one that merely failed a check would be handed out again. Over
    TLS, pending bytes may be the protocol's own, so there the round-trip check is used.

    Raises:
        psycopg.OperationalError: the connection was unusable; the pool takes another.
    """
    import psycopg
    from psycopg_pool import AsyncConnectionPool

    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    if conn.pgconn.ssl_in_use:
        await AsyncConnectionPool.check_connection(conn)
        return
    sock = socket.fromfd(conn.pgconn.socket, socket.AF_INET, socket.SOCK_STREAM)
    try:
        pending = sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return  # nothing to read: alive and idle
    except OSError as exc:
        pending = None
        reason = str(exc)
    else:
        reason = "the server sent a message" if pending else "the server closed it"
    finally:
        sock.close()
    await conn.close()
    raise psycopg.OperationalError(f"the pooled connection is unusable: {reason}")
