"""Health and server information."""

from __future__ import annotations

import langgraph.version
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
            "langgraph_py_version": langgraph.version.__version__,
            "flags": {"assistants": True, "crons": False, "langsmith": False},
            "metadata": {"server": "interlock"},
        }
    )
