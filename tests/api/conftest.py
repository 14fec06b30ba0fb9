"""Fixtures for the raw-HTTP API tests: a client on the shared live server, and helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from api_support import Api

from interlock.testing import LiveServer


@pytest.fixture
async def client(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the shared live server."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as http:
        yield http


@pytest.fixture
def api(client: httpx.AsyncClient) -> Api:
    """Helpers for the steps many tests share."""
    return Api(client)
