"""The seed documents' flows through the official Python SDK, against a live server."""

from __future__ import annotations

import re

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.schema import Command

from interlock.testing import LiveServer

HEX32 = re.compile(r"^[0-9a-f]{32}$")


async def test_seed_interrupt_and_resume(live_server: LiveServer) -> None:
    """The seed flow, verbatim: run to the interrupt, then resume with Command(resume=...)."""
    client = get_client(url=live_server.url)
    assistant_id = "agent"
    thread = await client.threads.create()
    thread_id = thread["thread_id"]
    result = await client.runs.wait(thread_id, assistant_id, input={"some_text": "original text"})
    interrupts = result["__interrupt__"]
    assert len(interrupts) == 1
    assert interrupts[0]["value"] == {"text_to_revise": "original text"}
    assert HEX32.match(interrupts[0]["id"])
    assert interrupts[0] == {
        "value": {"text_to_revise": "original text"},
        "id": interrupts[0]["id"],
        "response_schema": None,
    }
    assert result["some_text"] == "original text"
    resumed = await client.runs.wait(thread_id, assistant_id, command=Command(resume="Edited text"))
    assert resumed == {"some_text": "Edited text"}


async def test_interrupted_thread_is_inspectable(live_server: LiveServer) -> None:
    """A paused thread reports status interrupted, its interrupts by task id, and its state."""
    client = get_client(url=live_server.url)
    thread = await client.threads.create(metadata={"user": "alice"})
    result = await client.runs.wait(thread["thread_id"], "agent", input={"some_text": "x"})
    interrupt_id = result["__interrupt__"][0]["id"]
    fetched = await client.threads.get(thread["thread_id"])
    assert fetched["status"] == "interrupted"
    assert fetched["metadata"]["user"] == "alice"
    assert fetched["metadata"]["graph_id"] == "agent"
    [(task_id, items)] = fetched["interrupts"].items()
    assert items == [{"id": interrupt_id, "value": {"text_to_revise": "x"}}]
    state = await client.threads.get_state(thread["thread_id"])
    assert state["next"] == ["human_node"]
    assert state["tasks"][0]["id"] == task_id
    assert state["interrupts"] == [{"id": interrupt_id, "value": {"text_to_revise": "x"}}]
    runs = await client.runs.list(thread["thread_id"])
    assert [r["status"] for r in runs] == ["success"]


@pytest.mark.parametrize(("answer", "decision"), [(True, "approved"), (False, "rejected")])
async def test_approve_or_reject(live_server: LiveServer, answer: bool, decision: str) -> None:
    """The approval graph routes with Command(goto=...) after interrupt(), both ways."""
    client = get_client(url=live_server.url)
    thread = await client.threads.create()
    first = await client.runs.wait(thread["thread_id"], "approval", input={"topic": "cats"})
    assert first["__interrupt__"][0]["value"] == {
        "question": "Is this correct?",
        "llm_output": "draft about cats",
    }
    final = await client.runs.wait(thread["thread_id"], "approval", command=Command(resume=answer))
    assert final == {"topic": "cats", "llm_output": "draft about cats", "decision": decision}


async def test_static_interrupt_at_run_time(live_server: LiveServer) -> None:
    """interrupt_before/after given per run stop the graph; input=None continues it."""
    client = get_client(url=live_server.url)
    thread = await client.threads.create()
    tid = thread["thread_id"]
    first = await client.runs.wait(tid, "static", input={"trail": []}, interrupt_before=["node_b"])
    assert first == {"trail": ["a"]}
    assert (await client.threads.get(tid))["status"] == "interrupted"
    assert (await client.threads.get_state(tid))["next"] == ["node_b"]
    done = await client.runs.wait(tid, "static", input=None)
    assert done == {"trail": ["a", "b", "c"]}
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_static_interrupt_after_and_star(live_server: LiveServer) -> None:
    """interrupt_after stops after the node; "*" stops before the first node."""
    client = get_client(url=live_server.url)
    tid = (await client.threads.create())["thread_id"]
    after = await client.runs.wait(tid, "static", input={"trail": []}, interrupt_after=["node_b"])
    assert after == {"trail": ["a", "b"]}
    assert (await client.threads.get_state(tid))["next"] == ["node_c"]
    tid2 = (await client.threads.create())["thread_id"]
    star = await client.runs.wait(tid2, "static", input={"trail": []}, interrupt_before="*")
    assert star == {"trail": []}
    assert await client.runs.wait(tid2, "static", input=None) == {"trail": ["a", "b", "c"]}


async def test_static_interrupt_at_compile_time(live_server: LiveServer) -> None:
    """A graph compiled with interrupt_before stops there and continues with input=None."""
    client = get_client(url=live_server.url)
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.wait(tid, "static_compiled", input={"trail": []})
    assert first == {"trail": ["a"]}
    done = await client.runs.wait(tid, "static_compiled", input=None)
    assert done == {"trail": ["a", "b", "c"]}
    assert (await client.threads.get(tid))["status"] == "idle"


async def test_parallel_interrupts_resumed_by_id_map(live_server: LiveServer) -> None:
    """Two interrupts in one step come back together and resume with a map by id."""
    client = get_client(url=live_server.url)
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.wait(tid, "multi", input={"answers": []})
    assert set(first) == {"__interrupt__"}
    ids = {i["value"]["question"]: i["id"] for i in first["__interrupt__"]}
    assert set(ids) == {"value for A?", "value for B?"}
    partial = await client.runs.wait(
        tid, "multi", command=Command(resume={ids["value for A?"]: "one"})
    )
    assert [i["id"] for i in partial["__interrupt__"]] == [ids["value for B?"]]
    done = await client.runs.wait(
        tid, "multi", command=Command(resume={ids["value for B?"]: "two"})
    )
    assert done == {"answers": ["A=one", "B=two", "joined"]}


async def test_subgraph_interrupt(live_server: LiveServer) -> None:
    """An interrupt inside a subgraph surfaces in the parent and resumes without a namespace."""
    client = get_client(url=live_server.url)
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.wait(tid, "subgraph", input={"some_text": "draft"})
    assert first["__interrupt__"][0]["value"] == {"text_to_revise": "draft"}
    done = await client.runs.wait(tid, "subgraph", command=Command(resume="edited-in-sub"))
    assert done == {"some_text": "edited-in-sub", "log": "after:edited-in-sub"}


async def test_node_error_is_a_200_with_error_body(live_server: LiveServer) -> None:
    """A node exception ends the run in error; runs/wait answers 200 with __error__."""
    client = get_client(url=live_server.url)
    tid = (await client.threads.create())["thread_id"]
    result = await client.runs.wait(tid, "boom", input={"x": 1}, raise_error=False)
    assert result == {
        "__error__": {"error": "ValueError", "message": "boom: node failed on purpose"}
    }
    thread = await client.threads.get(tid)
    assert thread["status"] == "error"
    assert thread["error"] == {"error": "ValueError", "message": "boom: node failed on purpose"}
    [run] = await client.runs.list(tid)
    assert run["status"] == "error"


async def test_typed_interrupt_carries_response_schema(live_server: LiveServer) -> None:
    """interrupt(..., response_schema=Model) shows the model's JSON Schema."""
    client = get_client(url=live_server.url)
    tid = (await client.threads.create())["thread_id"]
    first = await client.runs.wait(tid, "typed", input={})
    schema = first["__interrupt__"][0]["response_schema"]
    assert schema["title"] == "Answer"
    assert schema["required"] == ["approved"]
    done = await client.runs.wait(
        tid, "typed", command=Command(resume={"approved": True, "comment": "ok"})
    )
    assert done == {"result": "Answer:Answer(approved=True, comment='ok')"}
