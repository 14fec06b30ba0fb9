"""The errors Interlock raises.

Every error derives from one root, so callers can catch them all; the HTTP layer
(`interlock.api.errors`) is the only place that turns them into status codes.

```
InterlockError
├── ConfigError            langgraph.json or a setting is wrong; raised at start-up
│   └── GraphLoadError     a graph could not be imported or built
├── PortInUseError         the port to listen on is taken
├── InvalidRequestError    the request is well-formed JSON but asks for something impossible (400)
├── ValidationError        a field has the wrong type or value (422)
├── NotFoundError          an id names nothing (404)
├── ConflictError          the resource exists, or the thread is busy (409)
├── GoneError              the interrupt expired before the answer arrived (410)
└── StorageError           the database failed underneath us
    ├── DatabaseUnavailable  it cannot be reached at all (down, restarting)
    └── CommitOutcomeUnknown the connection broke during a commit: applied or not, unknown
```
"""

from __future__ import annotations

__all__ = [
    "CommitOutcomeUnknown",
    "ConfigError",
    "ConflictError",
    "DatabaseUnavailable",
    "GoneError",
    "GraphLoadError",
    "InterlockError",
    "InvalidRequestError",
    "NotFoundError",
    "PortInUseError",
    "StorageError",
    "ValidationError",
]


class InterlockError(Exception):
    """Interlock failed."""

    def __init__(self, message: str | None = None) -> None:
        # The class docstring is the default message, so a bare raise still says something.
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0])


class ConfigError(InterlockError):
    """The configuration is invalid. Check langgraph.json and the INTERLOCK_* settings."""


class GraphLoadError(ConfigError):
    """A graph named in langgraph.json could not be loaded."""


class PortInUseError(InterlockError):
    """The port is already in use. Stop the other process or pass another --port."""


class InvalidRequestError(InterlockError):
    """The request cannot be carried out as asked."""


class ValidationError(InterlockError):
    """The request body or a parameter is invalid."""


class NotFoundError(InterlockError):
    """Not Found"""  # noqa: D415 -- the official wire message, verbatim


class ConflictError(InterlockError):
    """The request conflicts with the current state of the resource."""


class GoneError(InterlockError):
    """The interrupt has expired; it can no longer be answered."""


class StorageError(InterlockError):
    """The database failed. The request was not applied; retry it."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached (down or restarting). Nothing was applied; retry."""


class CommitOutcomeUnknown(StorageError):
    """The connection broke during a commit: the change may or may not have been applied.

    Not an outage to retry through: read what was meant to change before doing it again.
    """


def is_database_outage(exc: BaseException) -> bool:
    """Whether `exc`, or an error that caused it, says the database connection was lost.

    Used to tell a run that failed because PostgreSQL restarted under its checkpointer
    from a run whose graph failed: the first is handed back to the queue, the second ends.
    Only lost or refused connections count (psycopg errors without a SQLSTATE, class 08,
    shutdowns 57P01-57P03, the pool's timeout); a cancelled query, a deadlock or a
    constraint violation is the graph's own failure.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DatabaseUnavailable) or is_lost_connection(current):
            return True
        cause = current.__cause__
        if cause is None and not current.__suppress_context__:
            cause = current.__context__
        current = cause
    return False


_LOST_STATES = ("57P01", "57P02", "57P03")  # admin shutdown, crash shutdown, starting up


def is_lost_connection(exc: BaseException) -> bool:
    """Whether a driver error itself (not its causes) says the connection was lost."""
    # Matched by module and name, so SQLite-only installs need no psycopg.
    for cls in type(exc).__mro__:
        if cls.__module__.split(".")[0] in ("psycopg", "psycopg_pool") and cls.__name__ in (
            "OperationalError",
            "PoolTimeout",
        ):
            state = getattr(exc, "sqlstate", None)
            return state is None or state.startswith("08") or state in _LOST_STATES
    return False
