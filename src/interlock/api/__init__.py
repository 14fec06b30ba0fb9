"""The HTTP transport: FastAPI routes that parse, call one service function, render."""

from __future__ import annotations

from interlock.api.app import create_app

__all__ = ["create_app"]
