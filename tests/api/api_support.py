"""Helpers shared by the raw-HTTP API tests: constants and the `Api` wrapper."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Collection
from typing import Any

import httpx
import pytest

DEADLINE = 30.0  # seconds a poll may take before the test gives up
POLL_EVERY = 0.05  # seconds between two polls

GRAPHS = [
    "agent",
    "approval",
    "multi",
    "static",
    "static_compiled",
    "subgraph",
    "slow",
    "boom",
    "typed",
    "journal",
]
"""The graphs of examples/langgraph.json, in the order the file lists them."""

AGENT_ID = "fe096781-5601-53d2-b2f6-0d3403f7e9ca"
"""The default assistant of the seed graph (uuid5 of "agent")."""


def default_assistant_id(graph_id: str) -> str:
    """The deterministic id of a graph's default assistant."""
    return str(uuid.uuid5(uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8"), graph_id))


class Api:
    """A thin layer over the HTTP client for the steps many tests repeat."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def new_thread(self, **body: Any) -> str:
        """Create a thread and return its id."""
        response = await self.client.post("/threads", json=body)
        assert response.status_code == 200, response.text
        thread_id: str = response.json()["thread_id"]
        return thread_id

    async def wait(self, thread_id: str, body: dict[str, Any]) -> Any:
        """POST runs/wait on a thread, require a 200 and return the output."""
        response = await self.client.post(f"/threads/{thread_id}/runs/wait", json=body)
        assert response.status_code == 200, response.text
        return response.json()

    async def background(self, thread_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST a background run on a thread, require a 200 and return the run."""
        response = await self.client.post(f"/threads/{thread_id}/runs", json=body)
        assert response.status_code == 200, response.text
        run: dict[str, Any] = response.json()
        return run

    async def seed_interrupted(self, text: str = "original text") -> tuple[str, Any]:
        """A new thread run to the seed graph's interrupt; returns (thread id, output)."""
        thread_id = await self.new_thread()
        output = await self.wait(thread_id, {"assistant_id": "agent", "input": {"some_text": text}})
        return thread_id, output

    async def seed_completed(self) -> str:
        """A new thread taken through a whole seed cycle (interrupt, then resume)."""
        thread_id, _ = await self.seed_interrupted()
        done = await self.wait(
            thread_id, {"assistant_id": "agent", "command": {"resume": "Edited text"}}
        )
        assert done == {"some_text": "Edited text"}
        return thread_id

    async def thread(self, thread_id: str) -> dict[str, Any]:
        """GET a thread, requiring a 200."""
        response = await self.client.get(f"/threads/{thread_id}")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def state(self, thread_id: str) -> dict[str, Any]:
        """GET a thread's state, requiring a 200."""
        response = await self.client.get(f"/threads/{thread_id}/state")
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def history(self, thread_id: str, limit: int = 50) -> list[dict[str, Any]]:
        """POST history with a limit, requiring a 200."""
        response = await self.client.post(f"/threads/{thread_id}/history", json={"limit": limit})
        assert response.status_code == 200, response.text
        found: list[dict[str, Any]] = response.json()
        return found

    async def run_until(
        self, thread_id: str, run_id: str, statuses: Collection[str]
    ) -> dict[str, Any]:
        """Poll GET run until its status is one of `statuses`; return the run."""
        deadline = time.monotonic() + DEADLINE
        last: Any = None
        while time.monotonic() < deadline:
            response = await self.client.get(f"/threads/{thread_id}/runs/{run_id}")
            assert response.status_code == 200, response.text
            last = response.json()
            if last["status"] in statuses:
                run: dict[str, Any] = last
                return run
            await asyncio.sleep(POLL_EVERY)
        pytest.fail(f"run {run_id} never reached {sorted(statuses)}; last seen {last}")

    async def run_gone(self, thread_id: str, run_id: str) -> httpx.Response:
        """Poll GET run until it answers 404; return that response."""
        deadline = time.monotonic() + DEADLINE
        last: Any = None
        while time.monotonic() < deadline:
            response = await self.client.get(f"/threads/{thread_id}/runs/{run_id}")
            if response.status_code == 404:
                return response
            last = response.json()
            await asyncio.sleep(POLL_EVERY)
        pytest.fail(f"run {run_id} was never deleted; last seen {last}")

    async def thread_until(self, thread_id: str, statuses: Collection[str]) -> dict[str, Any]:
        """Poll GET thread until its status is one of `statuses`; return the thread."""
        deadline = time.monotonic() + DEADLINE
        last: Any = None
        while time.monotonic() < deadline:
            last = await self.thread(thread_id)
            if last["status"] in statuses:
                found: dict[str, Any] = last
                return found
            await asyncio.sleep(POLL_EVERY)
        pytest.fail(f"thread {thread_id} never reached {sorted(statuses)}; last seen {last}")

    async def thread_gone(self, thread_id: str) -> httpx.Response:
        """Poll GET thread until it answers 404; return that response."""
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            response = await self.client.get(f"/threads/{thread_id}")
            if response.status_code == 404:
                return response
            await asyncio.sleep(POLL_EVERY)
        pytest.fail(f"thread {thread_id} was never deleted")

    async def state_next(self, thread_id: str, next_nodes: list[str]) -> dict[str, Any]:
        """Poll GET state until `next` is `next_nodes` (a run has reached that point)."""
        deadline = time.monotonic() + DEADLINE
        last: Any = None
        while time.monotonic() < deadline:
            last = await self.state(thread_id)
            if last["next"] == next_nodes:
                found: dict[str, Any] = last
                return found
            await asyncio.sleep(POLL_EVERY)
        pytest.fail(f"thread {thread_id} never got next={next_nodes}; last seen {last}")

    async def running_slow(self, delay: float = 1.5, **extra: Any) -> tuple[str, dict[str, Any]]:
        """A new thread whose `slow` run is inside its `work` node; returns (thread id, run)."""
        thread_id = await self.new_thread()
        run = await self.background(
            thread_id, {"assistant_id": "slow", "input": {"delay": delay}, **extra}
        )
        await self.run_until(thread_id, run["run_id"], {"running"})
        await self.state_next(thread_id, ["work"])
        return thread_id, run
