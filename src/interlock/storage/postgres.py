"""The PostgreSQL back end (`pip install "interlock[postgres]"`)."""

from __future__ import annotations

from interlock.config import DEFAULT_POOL_SIZE
from interlock.storage._dialect import PostgresDialect
from interlock.storage._threaded import ThreadedSqlStorage

__all__ = ["PostgresStorage"]


class PostgresStorage(ThreadedSqlStorage):
    """Storage in a PostgreSQL database, over a pool of connections.

    Args:
        dsn: a `postgresql://` URL or libpq connection string.
        pool_size: the most connections this process opens; they open as load needs them.
        migrate: apply pending migrations on open (else refuse a schema that is behind).
    """

    def __init__(
        self, dsn: str, *, pool_size: int = DEFAULT_POOL_SIZE, migrate: bool = True
    ) -> None:
        self.dsn = dsn
        super().__init__(PostgresDialect(dsn), connections=pool_size, migrate=migrate)
