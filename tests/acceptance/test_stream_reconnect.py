"""The SSE transport: framing, Last-Event-ID reconnects, disconnects, keep-alive, thread streams.

These tests read the raw `text/event-stream` bytes with httpx and a small SSE parser, since
the event ids, the comments and the connection itself are what they check. The recorded
reference (langgraph-server-behaviour.md section 4) fixes the framing; ids come from
Interlock's durable event log, so every event has one and a reconnect resumes after it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from langgraph_sdk import get_client

from interlock.testing import LiveServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "langgraph.json"
DEADLINE = 30.0  # seconds any one wait may take before the test fails
HEX32 = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# One event as the official server frames it: CRLF line ends, a blank line after.
FRAME = re.compile(rb"(?:id: \d+\r\n)?event: [^\r\n]+\r\ndata: [^\r\n]*\r\n\r\n|: [^\r\n]*\r\n\r\n")
BLANK = re.compile(rb"\r\n\r\n|\n\n|\r\r")
ACTIVE = {"pending", "running"}

SLOW_INTERRUPT = {"value": {"q": "ok?"}, "id": "<iid>", "response_schema": None}
APPROVAL_MODES = ["values", "updates", "messages-tuple", "custom"]


@dataclass(frozen=True)
class Event:
    """One server-sent event."""

    id: int
    event: str
    data: Any


def parse_frame(frame: bytes) -> Event | None:
    """Parse one SSE frame (without its blank line); None for a comment-only frame."""
    fields: dict[str, str] = {}
    data: list[str] = []
    for line in re.split(r"\r\n|\n|\r", frame.decode()):
        if line.startswith(":") or not line:
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        else:
            fields[name] = value
    if not fields and not data:
        return None
    assert "id" in fields, f"an event without an id: {frame!r}"
    return Event(int(fields["id"]), fields["event"], json.loads("\n".join(data)))


class SSE:
    """Reads events from a streaming httpx response, keeping the raw bytes."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.raw = bytearray()

    async def __aiter__(self) -> AsyncIterator[Event]:
        buffer = b""
        async for chunk in self.response.aiter_bytes():
            self.raw += chunk
            buffer += chunk
            while match := BLANK.search(buffer):
                frame, buffer = buffer[: match.start()], buffer[match.end() :]
                event = parse_frame(frame)
                if event is not None:
                    yield event
        assert not buffer.strip(), f"the stream ended mid-frame: {buffer!r}"


@asynccontextmanager
async def sse(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> AsyncIterator[SSE]:
    """Open an event stream; leaving the block drops the connection if it is still open."""
    async with asyncio.timeout(DEADLINE), http.stream(method, url, **kwargs) as response:
        assert response.status_code == 200, (await response.aread()).decode()
        yield SSE(response)


async def read_all(http: httpx.AsyncClient, method: str, url: str, **kwargs: Any) -> list[Event]:
    """Read an event stream to its end."""
    async with sse(http, method, url, **kwargs) as stream:
        return [event async for event in stream]


async def read_some(
    http: httpx.AsyncClient, method: str, url: str, count: int, **kwargs: Any
) -> list[Event]:
    """Read `count` events, then drop the connection."""
    events: list[Event] = []
    async with sse(http, method, url, **kwargs) as stream:
        async for event in stream:
            events.append(event)
            if len(events) == count:
                break
    assert len(events) == count, events
    return events


async def replay(http: httpx.AsyncClient, thread_id: str, run_id: str, after: str) -> list[Event]:
    """Join a run's stream with `Last-Event-ID: after` and read it to its end."""
    url = f"/threads/{thread_id}/runs/{run_id}/stream"
    return await read_all(http, "GET", url, headers={"Last-Event-ID": after})


def check_ids(events: list[Event]) -> None:
    """Event ids are unique and increase along the stream."""
    ids = [event.id for event in events]
    assert ids == sorted(set(ids)), ids


def norm(value: Any) -> Any:
    """Replace interrupt ids by a placeholder."""
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, tuple):
        return tuple(norm(v) for v in value)
    if isinstance(value, str) and HEX32.fullmatch(value):
        return "<iid>"
    return value


async def new_thread(http: httpx.AsyncClient) -> str:
    """Create a thread and return its id."""
    response = await http.post("/threads", json={})
    assert response.status_code == 200, response.text
    thread_id: str = response.json()["thread_id"]
    return thread_id


async def settled(http: httpx.AsyncClient, thread_id: str, run_id: str) -> dict[str, Any]:
    """Poll a run until it is neither pending nor running; return it."""
    deadline = time.monotonic() + DEADLINE
    while True:
        run: dict[str, Any] = (await http.get(f"/threads/{thread_id}/runs/{run_id}")).json()
        if run["status"] not in ACTIVE:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        await asyncio.sleep(0.05)


def client(server: LiveServer) -> httpx.AsyncClient:
    """An httpx client for the server, with a generous read timeout."""
    return httpx.AsyncClient(base_url=server.url, timeout=DEADLINE)


async def test_sse_framing_and_headers(live_server: LiveServer) -> None:
    """A run stream uses CRLF frames with integer ids, metadata first, and the reference headers."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {"assistant_id": "agent", "input": {"some_text": "original text"}}
        url = f"/threads/{thread_id}/runs/stream"
        async with sse(http, "POST", url, json=body) as stream:
            events = [event async for event in stream]
            headers = stream.response.headers
            raw = bytes(stream.raw)
    assert headers["content-type"] == "text/event-stream; charset=utf-8"
    assert headers["cache-control"] == "no-store"
    assert headers["x-accel-buffering"] == "no"
    run_id = events[0].data["run_id"]
    assert UUID.fullmatch(run_id), run_id
    assert headers["location"] == f"/threads/{thread_id}/runs/{run_id}/stream"
    assert headers["content-location"] == f"/threads/{thread_id}/runs/{run_id}"
    # Every byte belongs to a CRLF-framed event (or comment); no end event.
    assert FRAME.sub(b"", raw) == b"", raw
    assert b"id: " in raw
    assert events[0] == Event(events[0].id, "metadata", {"run_id": run_id, "attempt": 1})
    assert [event.event for event in events] == ["metadata", "values", "values"]
    check_ids(events)


async def test_stateless_stream_location(live_server: LiveServer) -> None:
    """`POST /runs/stream` points its Location header at `/runs/{run_id}/stream`."""
    async with client(live_server) as http:
        body = {"assistant_id": "agent", "input": {"some_text": "original text"}}
        async with sse(http, "POST", "/runs/stream", json=body) as stream:
            events = [event async for event in stream]
            headers = stream.response.headers
    run_id = events[0].data["run_id"]
    assert headers["location"] == f"/runs/{run_id}/stream"
    assert headers["content-location"] == f"/runs/{run_id}"


async def test_reconnect_after_half_a_stream(live_server: LiveServer) -> None:
    """Half a stream plus an SDK join after its Last-Event-ID equals the full replay."""
    sdk = get_client(url=live_server.url)
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {
            "assistant_id": "approval",
            "input": {"topic": "cats"},
            "stream_mode": APPROVAL_MODES,
        }
        url = f"/threads/{thread_id}/runs/stream"
        # metadata, 3 values, 2 updates, 5 messages, 1 custom: 12 events to the interrupt.
        head = await read_some(http, "POST", url, 6, json=body)
        run_id = head[0].data["run_id"]
        tail = [
            Event(int(part.id or 0), part.event, part.data)
            async for part in sdk.runs.join_stream(
                thread_id, run_id, last_event_id=str(head[-1].id)
            )
        ]
        full = await replay(http, thread_id, run_id, "-1")
    check_ids(full)
    assert len(full) == 12, [event.event for event in full]
    assert head + tail == full
    assert full[-1].event == "values"
    assert norm(full[-1].data["__interrupt__"]) == [
        {
            "value": {"question": "Is this correct?", "llm_output": "draft about cats"},
            "id": "<iid>",
            "response_schema": None,
        }
    ]


async def test_reconnect_while_the_run_is_live(live_server: LiveServer) -> None:
    """Dropping a slow run's stream and joining after its last id misses and repeats nothing."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {
            "assistant_id": "slow",
            "input": {"delay": 1.5},
            "stream_mode": ["values", "updates"],
        }
        # metadata and the input values come before the node sleeps.
        head = await read_some(http, "POST", f"/threads/{thread_id}/runs/stream", 2, json=body)
        run_id = head[0].data["run_id"]
        tail = await replay(http, thread_id, run_id, str(head[-1].id))
        full = await replay(http, thread_id, run_id, "-1")
        run = await settled(http, thread_id, run_id)
    check_ids(full)
    assert head + tail == full
    assert run["status"] == "success"  # on_disconnect defaults to continue
    assert [(e.event, norm(e.data)) for e in full[-2:]] == [
        ("updates", {"__interrupt__": [SLOW_INTERRUPT]}),
        ("values", {"delay": 1.5, "__interrupt__": [SLOW_INTERRUPT]}),
    ]


async def test_reconnect_after_sigkill(fresh_server: LiveServer) -> None:
    """After kill -9 and a restart, a join after a middle id gives exactly the rest."""
    fresh_server.start()
    async with client(fresh_server) as http:
        thread_id = await new_thread(http)
        body = {
            "assistant_id": "approval",
            "input": {"topic": "cats"},
            "stream_mode": APPROVAL_MODES,
        }
        full = await read_all(http, "POST", f"/threads/{thread_id}/runs/stream", json=body)
    run_id = full[0].data["run_id"]
    check_ids(full)
    middle = len(full) // 2
    fresh_server.kill()
    fresh_server.start()
    async with client(fresh_server) as http:
        tail = await replay(http, thread_id, run_id, str(full[middle].id))
        assert tail == full[middle + 1 :]
        assert await replay(http, thread_id, run_id, "-1") == full
        # The log goes on after the restart: a resume's events get later ids.
        resume = {"assistant_id": "approval", "command": {"resume": True}}
        resumed = await read_all(http, "POST", f"/threads/{thread_id}/runs/stream", json=resume)
    assert resumed[0].id > full[-1].id, (resumed[0], full[-1])
    assert resumed[-1].data == {
        "topic": "cats",
        "llm_output": "draft about cats",
        "decision": "approved",
    }


async def test_late_joiner_gets_every_event(live_server: LiveServer) -> None:
    """Joining a finished, interrupted run replays all its events and then the stream ends."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {
            "assistant_id": "agent",
            "input": {"some_text": "original text"},
            "stream_mode": ["values", "updates"],
        }
        seen = await read_all(http, "POST", f"/threads/{thread_id}/runs/stream", json=body)
        run_id = seen[0].data["run_id"]
        # No Last-Event-ID: from the start.
        joined = await read_all(http, "GET", f"/threads/{thread_id}/runs/{run_id}/stream")
    assert [event.event for event in seen] == ["metadata", "values", "updates", "values"]
    assert joined == seen


async def test_join_a_background_run(live_server: LiveServer) -> None:
    """`POST /threads/{tid}/runs`, then the SDK's join_stream, streams the run to its interrupt."""
    sdk = get_client(url=live_server.url)
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {
            "assistant_id": "slow",
            "input": {"delay": 1.5},
            "stream_mode": ["values", "updates"],
        }
        response = await http.post(f"/threads/{thread_id}/runs", json=body)
        assert response.status_code == 200, response.text
        run_id = response.json()["run_id"]
    parts = [(p.event, p.data) async for p in sdk.runs.join_stream(thread_id, run_id)]
    assert parts[0] == ("metadata", {"run_id": run_id, "attempt": 1})
    assert parts[1] == ("values", {"delay": 1.5})
    assert norm(parts[-2:]) == [
        ("updates", {"__interrupt__": [SLOW_INTERRUPT]}),
        ("values", {"delay": 1.5, "__interrupt__": [SLOW_INTERRUPT]}),
    ]


async def test_disconnect_cancels_with_on_disconnect_cancel(live_server: LiveServer) -> None:
    """Closing a stream opened with on_disconnect="cancel" cancels the run (status interrupted)."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {"assistant_id": "slow", "input": {"delay": 3}, "on_disconnect": "cancel"}
        [metadata] = await read_some(
            http, "POST", f"/threads/{thread_id}/runs/stream", 1, json=body
        )
        run = await settled(http, thread_id, metadata.data["run_id"])
        thread = (await http.get(f"/threads/{thread_id}")).json()
    assert run["status"] == "interrupted", run
    # Cancelled while running: the thread is interrupted, with no pending interrupt (section 3).
    assert thread["status"] == "interrupted", thread
    assert thread["interrupts"] == {}, thread


async def test_disconnect_continues_by_default(live_server: LiveServer) -> None:
    """Closing a stream opened with on_disconnect="continue" lets the run reach its interrupt."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {"assistant_id": "slow", "input": {"delay": 3}, "on_disconnect": "continue"}
        [metadata] = await read_some(
            http, "POST", f"/threads/{thread_id}/runs/stream", 1, json=body
        )
        run = await settled(http, thread_id, metadata.data["run_id"])
        thread = (await http.get(f"/threads/{thread_id}")).json()
    assert run["status"] == "success", run
    assert thread["status"] == "interrupted", thread
    [pending] = thread["interrupts"].values()
    assert [item["value"] for item in pending] == [{"q": "ok?"}]


async def test_on_disconnect_cancel_after_the_end_cancels_nothing(live_server: LiveServer) -> None:
    """A stream with on_disconnect="cancel" read to its end leaves the run and thread alone."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {"assistant_id": "agent", "input": {"some_text": "x"}, "on_disconnect": "cancel"}
        events = await read_all(http, "POST", f"/threads/{thread_id}/runs/stream", json=body)
        run = await settled(http, thread_id, events[0].data["run_id"])
        thread = (await http.get(f"/threads/{thread_id}")).json()
        # A later run on the thread is not disturbed either.
        resume = {"assistant_id": "agent", "command": {"resume": "y"}}
        done = (await http.post(f"/threads/{thread_id}/runs/wait", json=resume)).json()
    assert run["status"] == "success", run
    assert thread["status"] == "interrupted", thread
    assert thread["error"] is None, thread
    assert done == {"some_text": "y"}


async def test_join_with_cancel_on_disconnect(live_server: LiveServer) -> None:
    """Dropping a join stream opened with `?cancel_on_disconnect=true` cancels the run."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        body = {"assistant_id": "slow", "input": {"delay": 3}}
        run_id = (await http.post(f"/threads/{thread_id}/runs", json=body)).json()["run_id"]
        url = f"/threads/{thread_id}/runs/{run_id}/stream"
        params = {"cancel_on_disconnect": "true"}
        # The metadata event is written when the run starts executing.
        [metadata] = await read_some(http, "GET", url, 1, params=params)
        assert metadata.event == "metadata"
        run = await settled(http, thread_id, run_id)
    assert run["status"] == "interrupted", run


async def test_keepalive_comment(tmp_path: Path) -> None:
    """With --stream-keepalive 0.3, a slow run's stream carries `: heartbeat` comments."""
    server = LiveServer(EXAMPLES, tmp_path / "db", extra_args=["--stream-keepalive", "0.3"])
    with server:
        async with client(server) as http:
            thread_id = await new_thread(http)
            body = {"assistant_id": "slow", "input": {"delay": 1.5}}
            url = f"/threads/{thread_id}/runs/stream"
            async with sse(http, "POST", url, json=body) as stream:
                events = [event async for event in stream]
                raw = bytes(stream.raw)
    assert b"\r\n\r\n: heartbeat\r\n\r\n" in raw, raw
    assert FRAME.sub(b"", raw) == b"", raw
    # The comments do not disturb the events.
    assert events[0].event == "metadata"
    assert {event.event for event in events[1:]} == {"values"}
    assert norm(events[-1].data) == {"delay": 1.5, "__interrupt__": [SLOW_INTERRUPT]}


async def test_thread_stream_follows_new_runs(live_server: LiveServer) -> None:
    """`GET /threads/{tid}/stream` sends the events of runs started after it opened, only."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        first = {"assistant_id": "agent", "input": {"some_text": "original text"}}
        assert (await http.post(f"/threads/{thread_id}/runs/wait", json=first)).status_code == 200
        seen: list[Event] = []
        async with sse(http, "GET", f"/threads/{thread_id}/stream") as stream:
            resume = {"assistant_id": "agent", "command": {"resume": "Edited text"}}
            response = await http.post(f"/threads/{thread_id}/runs", json=resume)
            assert response.status_code == 200, response.text
            run_id = response.json()["run_id"]
            async for event in stream:
                seen.append(event)
                if event.data == {"some_text": "Edited text"}:
                    break  # the thread stream never ends by itself
    check_ids(seen)
    assert [(e.event, e.data) for e in seen] == [
        ("metadata", {"run_id": run_id, "attempt": 1}),
        ("values", {"some_text": "original text"}),
        ("values", {"some_text": "Edited text"}),
    ]


async def test_thread_stream_replays_from_last_event_id(live_server: LiveServer) -> None:
    """`GET /threads/{tid}/stream` with `Last-Event-ID: -1` replays every run of the thread."""
    async with client(live_server) as http:
        thread_id = await new_thread(http)
        url = f"/threads/{thread_id}/runs/stream"
        first = {"assistant_id": "agent", "input": {"some_text": "original text"}}
        resume = {"assistant_id": "agent", "command": {"resume": "Edited text"}}
        expected = await read_all(http, "POST", url, json=first)
        expected += await read_all(http, "POST", url, json=resume)
        seen: list[Event] = []
        headers = {"Last-Event-ID": "-1"}
        async with sse(http, "GET", f"/threads/{thread_id}/stream", headers=headers) as stream:
            async for event in stream:
                seen.append(event)
                if len(seen) == len(expected):
                    break
    assert seen == expected
