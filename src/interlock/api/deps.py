"""Request-scoped access to the service context built by `create_app`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from interlock.service.context import ServiceContext

__all__ = ["Actor", "Ctx", "get_ctx"]


def get_ctx(request: Request) -> ServiceContext:
    """Return the service context of the running app."""
    ctx: ServiceContext = request.app.state.ctx
    return ctx


Ctx = Annotated[ServiceContext, Depends(get_ctx)]

Actor = Annotated[str | None, Header(alias="X-Interlock-Actor")]
"""Who answers an interrupt, when no authentication says it: the `X-Interlock-Actor` header."""
