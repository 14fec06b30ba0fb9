"""Durability: a stopped or killed server loses no pause and no run."""

from __future__ import annotations

import asyncio
import time

import httpx
from langgraph_sdk import get_client
from langgraph_sdk.schema import Command

from interlock.testing import LiveServer


async def test_resume_after_graceful_stop(fresh_server: LiveServer) -> None:
    """An interrupted thread survives Ctrl-C (SIGTERM) and resumes after a restart."""
    fresh_server.start()
    client = get_client(url=fresh_server.url)
    tid = (await client.threads.create())["thread_id"]
    await client.runs.wait(tid, "agent", input={"some_text": "original text"})
    fresh_server.stop()
    fresh_server.start()
    client = get_client(url=fresh_server.url)
    assert (await client.threads.get(tid))["status"] == "interrupted"
    done = await client.runs.wait(tid, "agent", command=Command(resume="Edited text"))
    assert done == {"some_text": "Edited text"}


async def test_resume_after_sigkill(fresh_server: LiveServer) -> None:
    """An interrupted thread survives kill -9 and resumes after a restart."""
    fresh_server.start()
    client = get_client(url=fresh_server.url)
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.wait(tid, "agent", input={"some_text": "original text"})
    fresh_server.kill()
    fresh_server.start()
    client = get_client(url=fresh_server.url)
    thread = await client.threads.get(tid)
    assert thread["status"] == "interrupted"
    [items] = thread["interrupts"].values()
    assert items[0]["id"] == first["__interrupt__"][0]["id"]
    done = await client.runs.wait(tid, "agent", command=Command(resume="Edited text"))
    assert done == {"some_text": "Edited text"}


async def _wait_status(client: httpx.AsyncClient, tid: str, rid: str, wanted: str) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = (await client.get(f"/threads/{tid}/runs/{rid}")).json()
        if run["status"] == wanted:
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {rid} never reached {wanted}: {run}")


async def test_running_run_is_taken_up_after_sigkill(fresh_server: LiveServer) -> None:
    """A run killed mid-execution is taken up at restart and reaches its interrupt."""
    fresh_server.start()
    async with httpx.AsyncClient(base_url=fresh_server.url, timeout=30) as http:
        tid = (await http.post("/threads", json={})).json()["thread_id"]
        run = (
            await http.post(
                f"/threads/{tid}/runs", json={"assistant_id": "slow", "input": {"delay": 2.0}}
            )
        ).json()
        await _wait_status(http, tid, run["run_id"], "running")
    fresh_server.kill()
    fresh_server.start()
    async with httpx.AsyncClient(base_url=fresh_server.url, timeout=30) as http:
        thread = (await http.get(f"/threads/{tid}")).json()
        assert thread["status"] == "busy"  # the run is alive again, not orphaned
        joined = (await http.get(f"/threads/{tid}/runs/{run['run_id']}/join")).json()
        assert joined["__interrupt__"][0]["value"] == {"q": "ok?"}
        finished = await _wait_status(http, tid, run["run_id"], "success")
        assert finished["status"] == "success"
        assert (await http.get(f"/threads/{tid}")).json()["status"] == "interrupted"
        client = get_client(url=fresh_server.url)
        done = await client.runs.wait(tid, "slow", command=Command(resume="yes"))
        assert done == {"delay": 2.0, "answer": "answer=yes"}
