"""Streaming through the official Python SDK, compared with the recorded reference.

Every expectation comes from the recorded reference (langgraph-server-behaviour.md):
section 4 (the table of what each `stream_mode` emits for the `approval` graph, the seed
agent, `multi`, `subgraph`), section 5 (static interrupts) and section 6 (errors). Volatile
ids are checked for their shape and then replaced by placeholders before comparing.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient

from interlock.testing import LiveServer

HEX32 = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
MESSAGE_ID = re.compile(r"(?:lc_run--|run-)" + UUID.pattern + r"(?:-\d+)?")

Events = list[tuple[str, Any]]

# The approval graph's interrupt, as `updates`/`values`/`tasks` carry it (section 2.1).
APPROVAL_INTERRUPT = {
    "value": {"question": "Is this correct?", "llm_output": "draft about cats"},
    "id": "<iid>",
    "response_schema": None,
}
DRAFTED = {"topic": "cats", "llm_output": "draft about cats"}
TOKENS = ["draft", " ", "about", " ", "cats"]


def norm(value: Any) -> Any:
    """Replace interrupt ids, UUIDs and message ids (also as keys) by placeholders."""
    if isinstance(value, dict):
        return {norm(k): norm(v) for k, v in value.items()}
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, tuple):
        return tuple(norm(v) for v in value)
    if isinstance(value, str):
        if HEX32.fullmatch(value):
            return "<iid>"
        if UUID.fullmatch(value):
            return "<uuid>"
        if MESSAGE_ID.fullmatch(value):
            return "<msgid>"
    return value


async def stream(
    client: LangGraphClient, thread_id: str | None, graph: str, **kwargs: Any
) -> Events:
    """Stream one run; check its first event is `metadata {run_id, attempt}`; return the rest."""
    parts = [(p.event, p.data) async for p in client.runs.stream(thread_id, graph, **kwargs)]
    assert parts, f"empty stream for {graph} {kwargs}"
    event, data = parts[0]
    assert event == "metadata", parts
    assert set(data) == {"run_id", "attempt"}, data
    assert UUID.fullmatch(data["run_id"]), data
    assert data["attempt"] == 1, data
    return parts[1:]


async def approval(live_server: LiveServer, mode: str | list[str]) -> tuple[Events, Events]:
    """The approval graph streamed to its interrupt, then on `command {"resume": true}`."""
    client = get_client(url=live_server.url)
    thread_id = (await client.threads.create())["thread_id"]
    first = await stream(client, thread_id, "approval", input={"topic": "cats"}, stream_mode=mode)
    resumed = await stream(
        client, thread_id, "approval", command={"resume": True}, stream_mode=mode
    )
    return first, resumed


def names(events: Events) -> list[str]:
    """The event names of a stream."""
    return [event for event, _ in events]


@pytest.mark.parametrize(
    ("mode", "to_interrupt", "on_resume"),
    [
        pytest.param(
            "values",
            [
                ("values", {"topic": "cats"}),
                ("values", DRAFTED),
                ("values", {**DRAFTED, "__interrupt__": [APPROVAL_INTERRUPT]}),
            ],
            # The current state is replayed first.
            [("values", DRAFTED), ("values", {**DRAFTED, "decision": "approved"})],
            id="values",
        ),
        pytest.param(
            "updates",
            [
                ("updates", {"generate": {"llm_output": "draft about cats"}}),
                ("updates", {"__interrupt__": [APPROVAL_INTERRUPT]}),
            ],
            # human_approval returned a Command with goto only.
            [
                ("updates", {"human_approval": None}),
                ("updates", {"some_node": {"decision": "approved"}}),
            ],
            id="updates",
        ),
        pytest.param(
            "custom",
            [("custom", {"progress": "draft generated"})],
            [],
            id="custom",
        ),
    ],
)
async def test_approval_mode_exact(
    live_server: LiveServer, mode: str, to_interrupt: Events, on_resume: Events
) -> None:
    """The values, updates and custom modes emit exactly the reference events, both runs."""
    first, resumed = await approval(live_server, mode)
    assert norm(first) == norm(to_interrupt)
    assert norm(resumed) == norm(on_resume)


async def test_approval_messages_mode(live_server: LiveServer) -> None:
    """The messages mode announces the message once, then five accumulated partials, no complete."""
    first, resumed = await approval(live_server, "messages")
    assert names(first) == ["messages/metadata"] + ["messages/partial"] * 5, names(first)
    [(_, announced)] = first[:1]
    [(msg_id, entry)] = announced.items()
    assert MESSAGE_ID.fullmatch(msg_id) or UUID.fullmatch(msg_id), msg_id
    assert set(entry) == {"metadata"}, entry
    assert entry["metadata"]["langgraph_node"] == "generate", entry
    contents = []
    for _, data in first[1:]:
        assert isinstance(data, list), data
        [message] = data
        assert message["type"] == "ai", message
        assert message["id"] == msg_id, message
        contents.append(message["content"])
    # Each partial carries the whole message so far.
    assert contents == ["".join(TOKENS[: i + 1]) for i in range(len(TOKENS))]
    # Nothing streams a message on resume: only the run's metadata event (checked by `stream`).
    assert resumed == []


async def test_approval_messages_tuple_mode(live_server: LiveServer) -> None:
    """The messages-tuple mode sends `messages [chunk, metadata]` once per token."""
    first, resumed = await approval(live_server, "messages-tuple")
    assert names(first) == ["messages"] * len(TOKENS), names(first)
    tokens = []
    for _, data in first:
        assert isinstance(data, list), data
        chunk, metadata = data
        assert chunk["type"] == "AIMessageChunk", chunk
        assert metadata["langgraph_node"] == "generate", metadata
        tokens.append(chunk["content"])
    assert tokens == TOKENS
    assert len({chunk["id"] for _, (chunk, _) in first}) == 1  # one message, chunk by chunk
    assert resumed == []


async def test_approval_debug_mode(live_server: LiveServer) -> None:
    """The debug mode shows checkpoints and tasks; the interrupt is the last task_result."""
    first, resumed = await approval(live_server, "debug")
    for events in (first, resumed):
        assert set(names(events)) == {"debug"}, names(events)
        for _, data in events:
            assert set(data) == {"step", "timestamp", "type", "payload"}, data
        assert {data["type"] for _, data in events} == {"checkpoint", "task", "task_result"}
    # The interrupt appears as a task_result, and no checkpoint follows it.
    _, last = first[-1]
    assert last["type"] == "task_result", last
    assert norm(last["payload"]) == {
        "id": "<uuid>",
        "name": "human_approval",
        "error": None,
        "result": {},
        "interrupts": [APPROVAL_INTERRUPT],
    }
    started = [d["payload"]["name"] for _, d in resumed if d["type"] == "task"]
    assert started == ["human_approval", "some_node"], started
    results = {d["payload"]["name"]: d["payload"] for _, d in resumed if d["type"] == "task_result"}
    assert results["human_approval"]["interrupts"] == []
    assert results["some_node"]["result"] == {"decision": "approved"}


async def test_approval_tasks_mode(live_server: LiveServer) -> None:
    """The tasks mode pairs a start and a result per task; the paused one carries the interrupt."""
    first, resumed = await approval(live_server, "tasks")
    for events in (first, resumed):
        assert set(names(events)) == {"tasks"}, names(events)
        starts, ends = events[0::2], events[1::2]
        for (_, start), (_, end) in zip(starts, ends, strict=True):
            assert set(start) == {"id", "name", "input", "triggers", "metadata"}, start
            assert set(end) == {"id", "name", "error", "result", "interrupts"}, end
            assert (start["id"], start["name"]) == (end["id"], end["name"])
            assert UUID.fullmatch(start["id"]), start
    assert [d["name"] for _, d in first] == ["generate"] * 2 + ["human_approval"] * 2
    assert first[0][1]["input"] == {"topic": "cats"}
    assert norm(first[1][1]) == {
        "id": "<uuid>",
        "name": "generate",
        "error": None,
        "result": {"llm_output": "draft about cats"},
        "interrupts": [],
    }
    assert norm(first[3][1]) == {
        "id": "<uuid>",
        "name": "human_approval",
        "error": None,
        "result": {},
        "interrupts": [APPROVAL_INTERRUPT],
    }
    assert [d["name"] for _, d in resumed] == ["human_approval"] * 2 + ["some_node"] * 2
    assert resumed[1][1]["interrupts"] == []
    assert resumed[3][1]["result"] == {"decision": "approved"}


async def test_approval_checkpoints_mode(live_server: LiveServer) -> None:
    """The checkpoints mode sends three checkpoints to the interrupt and two on resume."""
    first, resumed = await approval(live_server, "checkpoints")
    for events in (first, resumed):
        assert set(names(events)) == {"checkpoints"}, names(events)
        for _, data in events:
            assert set(data) == {"config", "parent_config", "values", "metadata", "next", "tasks"}
    # No checkpoint is written at the interrupt itself.
    assert [d["next"] for _, d in first] == [["__start__"], ["generate"], ["human_approval"]]
    assert first[-1][1]["values"] == DRAFTED
    assert [d["next"] for _, d in resumed] == [["some_node"], []], [
        (d["metadata"].get("step"), d["next"]) for _, d in resumed
    ]
    assert resumed[-1][1]["values"] == {**DRAFTED, "decision": "approved"}


async def test_modes_interleave_in_execution_order(live_server: LiveServer) -> None:
    """Several modes in one stream interleave in the order the graph produced them."""
    first, resumed = await approval(live_server, ["values", "updates", "custom"])
    assert norm(first) == norm(
        [
            ("values", {"topic": "cats"}),
            # The writer is called inside `generate`, before the node's update.
            ("custom", {"progress": "draft generated"}),
            ("updates", {"generate": {"llm_output": "draft about cats"}}),
            ("values", DRAFTED),
            ("updates", {"__interrupt__": [APPROVAL_INTERRUPT]}),
            ("values", {**DRAFTED, "__interrupt__": [APPROVAL_INTERRUPT]}),
        ]
    )
    assert norm(resumed) == [
        ("values", DRAFTED),
        ("updates", {"human_approval": None}),
        ("updates", {"some_node": {"decision": "approved"}}),
        ("values", {**DRAFTED, "decision": "approved"}),
    ]


async def test_seed_agent_values_and_updates(live_server: LiveServer) -> None:
    """The seed agent with ["values", "updates"] streams exactly the reference's four events."""
    client = get_client(url=live_server.url)
    thread_id = (await client.threads.create())["thread_id"]
    first = await stream(
        client,
        thread_id,
        "agent",
        input={"some_text": "original text"},
        stream_mode=["values", "updates"],
    )
    interrupt = {
        "value": {"text_to_revise": "original text"},
        "id": "<iid>",
        "response_schema": None,
    }
    assert norm(first) == [
        ("values", {"some_text": "original text"}),
        ("updates", {"__interrupt__": [interrupt]}),
        ("values", {"some_text": "original text", "__interrupt__": [interrupt]}),
    ]
    # Both events carry the same interrupt, and it is the one the thread waits on.
    ids = {first[1][1]["__interrupt__"][0]["id"], first[2][1]["__interrupt__"][0]["id"]}
    thread = await client.threads.get(thread_id)
    [pending] = thread["interrupts"].values()
    assert ids == {pending[0]["id"]}
    resumed = await stream(
        client,
        thread_id,
        "agent",
        command={"resume": "Edited text"},
        stream_mode=["values", "updates"],
    )
    assert resumed == [
        ("values", {"some_text": "original text"}),
        ("updates", {"human_node": {"some_text": "Edited text"}}),
        ("values", {"some_text": "Edited text"}),
    ]


async def test_multi_streams_two_interrupt_pairs(live_server: LiveServer) -> None:
    """Two parallel interrupts stream as two updates/values pairs; an id map resumes both."""
    client = get_client(url=live_server.url)
    thread_id = (await client.threads.create())["thread_id"]
    first = await stream(
        client, thread_id, "multi", input={"answers": []}, stream_mode=["values", "updates"]
    )
    assert first[0] == ("values", {"answers": []}), first
    pairs = first[1:]
    assert names(pairs) == ["updates", "values", "updates", "values"], names(pairs)
    seen: dict[str, str] = {}
    for (_, update), (_, values) in zip(pairs[0::2], pairs[1::2], strict=True):
        [interrupt] = update["__interrupt__"]
        assert values == {"answers": [], "__interrupt__": [interrupt]}
        assert norm(interrupt) == {
            "value": {"question": interrupt["value"]["question"]},
            "id": "<iid>",
            "response_schema": None,
        }
        seen[interrupt["value"]["question"]] = interrupt["id"]
    assert set(seen) == {"value for A?", "value for B?"}
    resumed = await stream(
        client,
        thread_id,
        "multi",
        command={"resume": {seen["value for A?"]: "p", seen["value for B?"]: "q"}},
        stream_mode="updates",
    )
    # ask_a and ask_b run in the same superstep: their order is not fixed.
    assert sorted(resumed[:2], key=lambda item: list(item[1])) == [
        ("updates", {"ask_a": {"answers": ["A=p"]}}),
        ("updates", {"ask_b": {"answers": ["B=q"]}}),
    ]
    assert resumed[2:] == [("updates", {"join": {"answers": ["joined"]}})]


async def test_subgraph_events_are_namespaced(live_server: LiveServer) -> None:
    """With stream_subgraphs, events from the subgraph are named `<mode>|sub:<task id>`."""
    client = get_client(url=live_server.url)
    thread_id = (await client.threads.create())["thread_id"]
    first = await stream(
        client,
        thread_id,
        "subgraph",
        input={"some_text": "x"},
        stream_mode=["values", "updates"],
        stream_subgraphs=True,
    )
    namespaces = {event.split("|", 1)[1] for event, _ in first if "|" in event}
    [namespace] = namespaces
    assert re.fullmatch(r"sub:" + UUID.pattern, namespace), namespace
    interrupt = {"value": {"text_to_revise": "x"}, "id": "<iid>", "response_schema": None}
    inner = {"some_text": "x", "log": "before"}
    renamed = [(event.replace(namespace, "sub:<task>"), data) for event, data in first]
    assert norm(renamed) == [
        ("values", {"some_text": "x"}),
        ("updates", {"before": {"log": "before"}}),
        ("values", inner),
        ("values|sub:<task>", inner),
        ("updates|sub:<task>", {"__interrupt__": [interrupt]}),
        ("values|sub:<task>", {**inner, "__interrupt__": [interrupt]}),
        # The parent then reports the same interrupt; the object has no `ns` field.
        ("updates", {"__interrupt__": [interrupt]}),
        ("values", {**inner, "__interrupt__": [interrupt]}),
    ]
    ids = {item["id"] for _, data in first for item in data.get("__interrupt__", [])}
    assert len(ids) == 1, ids
    resumed = await stream(client, thread_id, "subgraph", command={"resume": "edited-in-sub"})
    assert resumed[-1] == ("values", {"some_text": "edited-in-sub", "log": "after:edited-in-sub"})


async def test_static_interrupt_ends_with_empty_interrupt_update(live_server: LiveServer) -> None:
    """A run-time interrupt_before ends the stream with `updates {"__interrupt__": []}`."""
    client = get_client(url=live_server.url)
    thread_id = (await client.threads.create())["thread_id"]
    events = await stream(
        client,
        thread_id,
        "static",
        input={"trail": []},
        stream_mode=["updates", "values", "debug"],
        interrupt_before=["node_c"],
    )
    assert events[-1] == ("updates", {"__interrupt__": []}), events[-1]
    # No values event carries an __interrupt__ key for a static stop.
    assert not [d for e, d in events if e == "values" and "__interrupt__" in d]
    assert [d for e, d in events if e == "values"][-1] == {"trail": ["a", "b"]}
    assert (await client.threads.get(thread_id))["status"] == "interrupted"


async def test_boom_streams_an_error_event(live_server: LiveServer) -> None:
    """A failing graph streams metadata, its values, then `error {error, message}` and ends."""
    client = get_client(url=live_server.url)
    thread_id = (await client.threads.create())["thread_id"]
    events = await stream(client, thread_id, "boom", input={"x": 1})
    assert events == [
        ("values", {"x": 1}),
        ("error", {"error": "ValueError", "message": "boom: node failed on purpose"}),
    ]
    assert (await client.threads.get(thread_id))["status"] == "error"


async def test_stateless_stream(live_server: LiveServer) -> None:
    """`POST /runs/stream` streams like the stateful endpoint, to the interrupt."""
    client = get_client(url=live_server.url)
    events = await stream(client, None, "agent", input={"some_text": "original text"})
    interrupt = {
        "value": {"text_to_revise": "original text"},
        "id": "<iid>",
        "response_schema": None,
    }
    assert norm(events) == [
        ("values", {"some_text": "original text"}),
        ("values", {"some_text": "original text", "__interrupt__": [interrupt]}),
    ]


@pytest.mark.parametrize("stream_mode", ["nonsense", ["values", "nonsense"]])
async def test_unknown_stream_mode_is_422(live_server: LiveServer, stream_mode: Any) -> None:
    """An unknown stream_mode is refused with 422 and a `detail` string, alone or in a list."""
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        thread_id = (await http.post("/threads", json={})).json()["thread_id"]
        body = {"assistant_id": "agent", "input": {"some_text": "x"}, "stream_mode": stream_mode}
        for path in (f"/threads/{thread_id}/runs/stream", "/runs/stream"):
            response = await http.post(path, json=body)
            assert response.status_code == 422, (path, response.text)
            detail = response.json()["detail"]
            assert isinstance(detail, str)
            assert "nonsense" in detail, detail
        # Nothing ran on the thread.
        assert (await http.get(f"/threads/{thread_id}")).json()["status"] == "idle"
