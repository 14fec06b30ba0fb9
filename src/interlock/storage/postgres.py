"""The PostgreSQL back end (`pip install "interlock[postgres]"`)."""

from __future__ import annotations

from interlock.storage._dialect import PostgresDialect
from interlock.storage._threaded import ThreadedSqlStorage

__all__ = ["PostgresStorage"]


class PostgresStorage(ThreadedSqlStorage):
    """Storage in a PostgreSQL database; the schema is migrated on open.

    Args:
        dsn: a `postgresql://` URL or libpq connection string.
    """

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        super().__init__(PostgresDialect(dsn))
