"""Health and server information."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from interlock._version import __version__
from interlock.api.responses import JSONResponse

__all__ = ["router"]

router = APIRouter(tags=["System"])


@router.get("/ok")
async def ok() -> Response:
    """Health check."""
    return JSONResponse({"ok": True})


@router.get("/info")
async def info() -> Response:
    """Server version and the features it offers."""
    return JSONResponse(
        {
            "version": __version__,
            "server": "interlock",
            "flags": {"assistants": True, "crons": False, "langsmith": False},
        }
    )
