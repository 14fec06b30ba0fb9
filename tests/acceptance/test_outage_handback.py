"""A run whose database goes away under its graph is handed back, not ended in error."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from langgraph_sdk import get_client

from interlock.testing import LiveServer

GRAPH = """
from pathlib import Path
from typing import TypedDict

import psycopg
from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    marks: str
    steps: list[str]


def first(state: State) -> State:
    return {"steps": ["first"]}


def flaky(state: State) -> State:
    marks = Path(state["marks"])
    tries = len(marks.read_text().splitlines()) if marks.exists() else 0
    with marks.open("a") as out:
        out.write("try\\n")
    if tries < LOSSES:
        # What the checkpointer raises when PostgreSQL restarts under it.
        raise psycopg.OperationalError("server closed the connection unexpectedly")
    return {"steps": [*state["steps"], "flaky"]}


builder = StateGraph(State)
builder.add_node("first", first)
builder.add_node("flaky", flaky)
builder.add_edge(START, "first")
builder.add_edge("first", "flaky")
graph = builder.compile()
"""


def _project(folder: Path, losses: int) -> Path:
    (folder / "flaky.py").write_text(GRAPH.replace("LOSSES", str(losses)))
    config = folder / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"flaky": "./flaky.py:graph"}}))
    return config


async def test_lost_database_hands_the_run_back(tmp_path: Path) -> None:
    """Attempt 1 loses its database in the second step; attempt 2 continues and succeeds."""
    marks = tmp_path / "marks.txt"
    with LiveServer(_project(tmp_path, losses=1), tmp_path / "db.sqlite") as server:
        client = get_client(url=server.url)
        thread = await client.threads.create()
        out = await client.runs.wait(thread["thread_id"], "flaky", input={"marks": str(marks)})
        assert out == {"marks": str(marks), "steps": ["first", "flaky"]}
        [run] = await client.runs.list(thread["thread_id"])
        assert run["status"] == "success"
        assert (await client.threads.get(thread["thread_id"]))["status"] == "idle"
    assert marks.read_text().splitlines() == ["try", "try"]


async def test_a_run_that_keeps_losing_its_database_ends_after_max_attempts(
    tmp_path: Path,
) -> None:
    """The hand-back is bounded: after --max-attempts starts the run ends in error.

    Its webhook still reports the ending, as for a run that ended any other way.
    """
    marks = tmp_path / "marks.txt"
    config = _project(tmp_path, losses=100)
    hooks: asyncio.Queue[bytes] = asyncio.Queue()

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(h for h in head.decode().split("\r\n") if h.lower().startswith(
            "content-length")).split(":")[1])  # fmt: skip
        hooks.put_nowait(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    receiver = await asyncio.start_server(receive, "127.0.0.1", 0)
    hook_url = f"http://127.0.0.1:{receiver.sockets[0].getsockname()[1]}/hook"
    with LiveServer(config, tmp_path / "db.sqlite", extra_args=["--max-attempts", "2"]) as server:
        client = get_client(url=server.url)
        thread = await client.threads.create()
        out = await client.runs.wait(
            thread["thread_id"], "flaky", input={"marks": str(marks)}, raise_error=False,
            webhook=hook_url,
        )  # fmt: skip
        hook = json.loads(await asyncio.wait_for(hooks.get(), 30))
        assert hook["status"] == "error"
        assert out["__error__"]["error"] == "WorkerLost"
        [run] = await client.runs.list(thread["thread_id"])
        assert run["status"] == "error"
        assert hook["run_id"] == run["run_id"]
        assert (await client.threads.get(thread["thread_id"]))["status"] == "error"
    receiver.close()
    assert marks.read_text().splitlines() == ["try", "try"]
