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
```
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ConflictError",
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
