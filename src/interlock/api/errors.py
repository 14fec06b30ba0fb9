"""The one place where errors become HTTP responses: `{"detail": <message>}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from interlock.api.responses import JSONResponse
from interlock.errors import (
    ConflictError,
    GoneError,
    InterlockError,
    InvalidRequestError,
    NotFoundError,
    StorageError,
    ValidationError,
)

__all__ = ["install_error_handlers", "status_of", "validation_message"]

logger = logging.getLogger("interlock.api")

_STATUS: list[tuple[type[InterlockError], int]] = [
    (ValidationError, 422),
    (InvalidRequestError, 400),
    (NotFoundError, 404),
    (ConflictError, 409),
    (GoneError, 410),
    (StorageError, 503),
]


def status_of(exc: InterlockError) -> int:
    """The HTTP status of an Interlock error."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def validation_message(errors: list[Any]) -> str:
    """Turn pydantic/FastAPI validation errors into one readable sentence per problem."""
    if any(e.get("type") == "json_invalid" for e in errors):
        return "Invalid JSON in request body"
    parts = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc)
        if error.get("type") == "missing":
            parts.append(f'"{field}" is a required property')
        elif error.get("type") == "model_attributes_type" or (
            not field and "dict" in error.get("msg", "")
        ):
            parts.append(f'{error.get("input")!r} is not of type "object"')
        else:
            parts.append(f"{field or 'body'}: {error.get('msg')} (got {error.get('input')!r})")
    return "\n".join(parts) or "Invalid request"


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into `{"detail": ...}`."""

    @app.exception_handler(InterlockError)
    async def _interlock_error(request: Request, exc: InterlockError) -> Response:
        status = status_of(exc)
        if status >= 500:
            logger.error("%s %s failed: %s", request.method, request.url.path, exc)
        return JSONResponse({"detail": exc.message}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        return JSONResponse({"detail": validation_message(list(exc.errors()))}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        logger.exception("%s %s failed unexpectedly", request.method, request.url.path)
        return JSONResponse(
            {"detail": f"Internal error: {type(exc).__name__}: {exc}"}, status_code=500
        )
