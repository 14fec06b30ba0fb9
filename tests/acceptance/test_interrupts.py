"""Interrupts as first-class records: inbox, respond, checks, ledger and expiry, over HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.schema import Command

from interlock.testing import LiveServer


@pytest.fixture
async def http(live_server: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    """A raw HTTP client on the shared server."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
        yield client


async def _paused(http: httpx.AsyncClient, graph: str, body: dict[str, Any], **meta: Any) -> str:
    thread_id: str = (await http.post("/threads", json={"metadata": meta})).json()["thread_id"]
    response = await http.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": graph, **body}
    )
    assert response.status_code == 200, response.text
    return thread_id


async def _pending(http: httpx.AsyncClient, **filters: Any) -> list[dict[str, Any]]:
    response = await http.post("/interrupts/search", json={"status": "pending", **filters})
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


async def _wait_status(http: httpx.AsyncClient, thread_id: str, wanted: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        thread: dict[str, Any] = (await http.get(f"/threads/{thread_id}")).json()
        if thread["status"] == wanted:
            return thread
        await asyncio.sleep(0.05)
    raise AssertionError(f"thread {thread_id} never became {wanted}")


async def test_inbox_lists_every_kind_of_pause(http: httpx.AsyncClient) -> None:
    """Seed, approval, parallel, subgraph and static pauses all appear, filterable."""
    tag = {"inbox": hashlib.md5(str(time.time()).encode()).hexdigest()}  # noqa: S324
    seed = await _paused(http, "agent", {"input": {"some_text": "t"}}, **tag)
    await _paused(http, "approval", {"input": {"topic": "dogs"}}, **tag)
    multi = await _paused(http, "multi", {"input": {"answers": []}}, **tag)
    await _paused(http, "subgraph", {"input": {"some_text": "s"}}, **tag)
    static = await _paused(
        http, "static", {"input": {"trail": []}, "interrupt_before": ["node_b"]}, **tag
    )
    found = await _pending(http, metadata=tag, limit=100)
    assert len(found) == 6
    assert {r["graph_id"] for r in found} == {"agent", "approval", "multi", "subgraph", "static"}
    assert len([r for r in found if r["thread_id"] == multi]) == 2
    [sub] = [r for r in found if r["graph_id"] == "subgraph"]
    assert sub["namespace"].startswith("sub:")
    assert sub["node"] == "sub_ask"
    [brk] = [r for r in found if r["thread_id"] == static]
    assert (brk["when"], brk["node"]) == ("before", "node_b")
    [agent] = await _pending(http, thread_id=seed)
    assert agent["value"] == {"text_to_revise": "t"}
    assert agent["when"] == "during"
    count = await http.post("/interrupts/count", json={"status": "pending", "metadata": tag})
    assert count.json() == 6
    only_static = await _pending(http, metadata=tag, graph_id="static")
    assert [r["thread_id"] for r in only_static] == [static]
    one = await http.get(f"/interrupts/{agent['interrupt_id']}")
    assert one.json()["thread_id"] == seed


async def test_respond_resumes_and_records_the_decision(http: httpx.AsyncClient) -> None:
    """Respond queues the resume run; the record shows the decision with actor and digest."""
    thread_id = await _paused(http, "agent", {"input": {"some_text": "original text"}})
    [record] = await _pending(http, thread_id=thread_id)
    response = await http.post(
        f"/interrupts/{record['interrupt_id']}/respond",
        json={"value": "Edited text"},
        headers={"X-Interlock-Actor": "alice"},
    )
    assert response.status_code == 200, response.text
    run = response.json()
    joined = await http.get(f"/threads/{thread_id}/runs/{run['run_id']}/join")
    assert joined.json() == {"some_text": "Edited text"}
    after = (await http.get(f"/interrupts/{record['interrupt_id']}")).json()
    assert after["status"] == "resolved"
    decision = after["decision"]
    assert decision["value"] == "Edited text"
    assert decision["actor"] == "alice"
    assert decision["source"] == "respond"
    assert decision["run_id"] == run["run_id"]
    payload = json.dumps(record["value"], separators=(",", ":")).encode()
    assert decision["payload_sha256"] == hashlib.sha256(payload).hexdigest()
    again = await http.post(
        f"/interrupts/{record['interrupt_id']}/respond", json={"value": "twice"}
    )
    assert again.status_code == 409


async def test_parallel_interrupts_answered_one_at_a_time(http: httpx.AsyncClient) -> None:
    """Each of two parallel interrupts can be answered on its own, in any order."""
    thread_id = await _paused(http, "multi", {"input": {"answers": []}})
    records = await _pending(http, thread_id=thread_id)
    by_question = {r["value"]["question"]: r["interrupt_id"] for r in records}
    first = await http.post(
        f"/interrupts/{by_question['value for B?']}/respond", json={"value": "b"}
    )
    assert first.status_code == 200
    second = await http.post(
        f"/interrupts/{by_question['value for A?']}/respond", json={"value": "a"}
    )
    assert second.status_code == 200, second.text
    joined = await http.get(f"/threads/{thread_id}/runs/{second.json()['run_id']}/join")
    assert sorted(joined.json()["answers"]) == ["A=a", "B=b", "joined"]
    assert await _pending(http, thread_id=thread_id) == []


async def test_respond_continues_a_static_breakpoint(http: httpx.AsyncClient) -> None:
    """A static breakpoint's record can be answered; the graph continues past it."""
    thread_id = await _paused(
        http, "static", {"input": {"trail": []}, "interrupt_after": ["node_a"]}
    )
    [record] = await _pending(http, thread_id=thread_id)
    assert (record["when"], record["node"]) == ("after", "node_a")
    run = (
        await http.post(f"/interrupts/{record['interrupt_id']}/respond", json={"value": "ok"})
    ).json()
    joined = await http.get(f"/threads/{thread_id}/runs/{run['run_id']}/join")
    assert joined.json() == {"trail": ["a", "b", "c"]}


async def test_schema_mismatch_is_refused_with_the_errors(http: httpx.AsyncClient) -> None:
    """An answer that does not match response_schema is a 422 naming the field."""
    thread_id = await _paused(http, "typed", {"input": {}})
    [record] = await _pending(http, thread_id=thread_id)
    bad = await http.post(
        f"/interrupts/{record['interrupt_id']}/respond", json={"value": {"approved": "maybe"}}
    )
    assert bad.status_code == 422
    assert "approved" in bad.json()["detail"]
    assert (await _pending(http, thread_id=thread_id))[0]["status"] == "pending"
    good = await http.post(
        f"/interrupts/{record['interrupt_id']}/respond", json={"value": {"approved": True}}
    )
    assert good.status_code == 200


async def test_concurrent_answers_queue_exactly_one_run(
    http: httpx.AsyncClient, live_server: LiveServer
) -> None:
    """Twenty clients answering one interrupt at once: one run is queued, the rest get 409."""
    thread_id = await _paused(http, "agent", {"input": {"some_text": "race"}})
    [record] = await _pending(http, thread_id=thread_id)

    async def answer(n: int) -> int:
        async with httpx.AsyncClient(base_url=live_server.url, timeout=60) as client:
            response = await client.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "agent", "command": {"resume": f"answer {n}"}},
            )
            return response.status_code

    statuses = await asyncio.gather(*(answer(n) for n in range(20)))
    assert sorted(statuses).count(200) == 1
    assert statuses.count(409) == 19
    await _wait_status(http, thread_id, "idle")
    runs = (await http.get(f"/threads/{thread_id}/runs")).json()
    assert len(runs) == 2  # the first run and the one resume
    decisions = (
        await http.post("/decisions/search", json={"interrupt_id": record["interrupt_id"]})
    ).json()
    assert len(decisions) == 1


async def test_ledger_after_approve_edit_and_reject(live_server: LiveServer) -> None:
    """Answers through the SDK (approve, reject, edit) are all in the ledger with source api."""
    client = get_client(url=live_server.url)
    ids = []
    for graph, body, answer in [
        ("approval", {"topic": "a"}, True),
        ("approval", {"topic": "b"}, False),
        ("agent", {"some_text": "x"}, "edited"),
    ]:
        thread = await client.threads.create()
        await client.runs.wait(thread["thread_id"], graph, input=body)
        await client.runs.wait(thread["thread_id"], graph, command=Command(resume=answer))
        ids.append(thread["thread_id"])
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        values = []
        for thread_id in ids:
            [decision] = (
                await http.post("/decisions/search", json={"thread_id": thread_id})
            ).json()
            assert decision["source"] == "api"
            values.append(decision["value"])
    assert values == [True, False, "edited"]


async def test_expiry_marks_expired_and_late_answers_get_410(http: httpx.AsyncClient) -> None:
    """With a short per-run expiry, the record expires and a late answer is a 410."""
    thread_id = await _paused(
        http,
        "agent",
        {"input": {"some_text": "late"}, "interrupt_expiry": {"ttl_seconds": 0.2}},
    )
    [record] = await _pending(http, thread_id=thread_id)
    assert record["expires_at"] is not None
    deadline = time.monotonic() + 30
    while (await http.get(f"/interrupts/{record['interrupt_id']}")).json()["status"] != "expired":
        assert time.monotonic() < deadline, "the interrupt never expired"
        await asyncio.sleep(0.1)
    late = await http.post(f"/interrupts/{record['interrupt_id']}/respond", json={"value": "x"})
    assert late.status_code == 410
    via_run = await http.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "agent", "command": {"resume": {record["interrupt_id"]: "x"}}},
    )
    assert via_run.status_code == 410
    [decision] = (
        await http.post("/decisions/search", json={"interrupt_id": record["interrupt_id"]})
    ).json()
    assert decision["source"] == "expiry"


async def test_expiry_resume_answers_with_the_default(http: httpx.AsyncClient) -> None:
    """Expiry with action resume answers with the configured value and the run finishes."""
    thread_id = await _paused(
        http,
        "agent",
        {
            "input": {"some_text": "draft"},
            "interrupt_expiry": {"ttl_seconds": 0.2, "action": "resume", "value": "auto"},
        },
    )
    thread = await _wait_status(http, thread_id, "idle")
    assert thread["values"] == {"some_text": "auto"}
    [decision] = (await http.post("/decisions/search", json={"thread_id": thread_id})).json()
    assert (decision["source"], decision["value"]) == ("expiry", "auto")


async def test_expiry_applies_after_a_restart(fresh_server: LiveServer) -> None:
    """An interrupt that expires while the server is down is expired at the next start."""
    fresh_server.start()
    async with httpx.AsyncClient(base_url=fresh_server.url, timeout=60) as http:
        thread_id = await _paused(
            http,
            "agent",
            {"input": {"some_text": "x"}, "interrupt_expiry": {"ttl_seconds": 1}},
        )
        [record] = await _pending(http, thread_id=thread_id)
    fresh_server.kill()
    await asyncio.sleep(1.2)  # let the deadline pass while the server is down
    fresh_server.start()
    async with httpx.AsyncClient(base_url=fresh_server.url, timeout=60) as http:
        deadline = time.monotonic() + 30
        while True:
            got = (await http.get(f"/interrupts/{record['interrupt_id']}")).json()
            if got["status"] == "expired":
                break
            assert time.monotonic() < deadline, got
            await asyncio.sleep(0.1)
