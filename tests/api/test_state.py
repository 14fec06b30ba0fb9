"""Thread state, history, update_state and time travel over raw HTTP (sections 2.4, 2.5, 10)."""

from __future__ import annotations

import uuid

import httpx
from api_support import AGENT_ID, Api

STATE_KEYS = {
    "values",
    "next",
    "tasks",
    "metadata",
    "created_at",
    "checkpoint",
    "parent_checkpoint",
    "interrupts",
    "checkpoint_id",
    "parent_checkpoint_id",
}
TASK_KEYS = {"id", "name", "path", "error", "interrupts", "checkpoint", "state", "result"}
EMPTY_STATE = {"values": {}, "next": [], "tasks": [], "interrupts": []}


# Current state.


async def test_state_at_interrupt(api: Api) -> None:
    """The state of an interrupted seed thread has the official shape and pending task."""
    thread_id, output = await api.seed_interrupted()
    interrupt_id = output["__interrupt__"][0]["id"]
    state = await api.state(thread_id)
    assert set(state) == STATE_KEYS
    assert state["values"] == {"some_text": "original text"}
    assert state["next"] == ["human_node"]
    [task] = state["tasks"]
    assert set(task) == TASK_KEYS
    assert task["name"] == "human_node"
    assert task["path"] == ["__pregel_pull", "human_node"]
    assert task["error"] is None
    assert task["checkpoint"] is None
    assert task["state"] is None
    assert task["result"] is None
    stored = [{"id": interrupt_id, "value": {"text_to_revise": "original text"}}]
    assert task["interrupts"] == stored
    assert state["interrupts"] == stored
    assert list(state["interrupts"][0]) == ["id", "value"]
    assert state["checkpoint"] == {
        "checkpoint_id": state["checkpoint_id"],
        "thread_id": thread_id,
        "checkpoint_ns": "",
    }
    assert state["parent_checkpoint"] == {
        "checkpoint_id": state["parent_checkpoint_id"],
        "thread_id": thread_id,
        "checkpoint_ns": "",
    }
    assert state["metadata"]["graph_id"] == "agent"
    assert state["metadata"]["assistant_id"] == AGENT_ID
    assert state["metadata"]["source"] == "loop"
    assert state["metadata"]["step"] == 0
    thread = await api.thread(thread_id)
    assert list(thread["interrupts"]) == [task["id"]]


async def test_state_after_completion(api: Api) -> None:
    """After a completed resume the state has no next node, task or interrupt."""
    thread_id = await api.seed_completed()
    state = await api.state(thread_id)
    assert state["values"] == {"some_text": "Edited text"}
    assert state["next"] == []
    assert state["tasks"] == []
    assert state["interrupts"] == []


async def test_state_after_error(api: Api) -> None:
    """After a failed run the failed task carries the exception repr and stays next."""
    thread_id = await api.new_thread()
    await api.wait(thread_id, {"assistant_id": "boom", "input": {"x": 1}})
    state = await api.state(thread_id)
    assert state["next"] == ["explode"]
    assert state["tasks"][0]["error"] == "ValueError('boom: node failed on purpose')"


async def test_state_interrupt_keeps_response_schema(api: Api) -> None:
    """A stored interrupt carries response_schema only when the interrupt set one."""
    thread_id = await api.new_thread()
    output = await api.wait(thread_id, {"assistant_id": "typed", "input": {}})
    [full] = output["__interrupt__"]
    assert full["response_schema"]["title"] == "Answer"
    state = await api.state(thread_id)
    assert state["interrupts"] == [
        {
            "id": full["id"],
            "value": {"question": "approve?"},
            "response_schema": full["response_schema"],
        }
    ]


async def test_state_of_subgraph_interrupt(client: httpx.AsyncClient, api: Api) -> None:
    """A subgraph interrupt shows the child checkpoint; ?subgraphs=true inlines its state."""
    thread_id = await api.new_thread()
    await api.wait(thread_id, {"assistant_id": "subgraph", "input": {"some_text": "x"}})
    state = await api.state(thread_id)
    [task] = state["tasks"]
    assert task["name"] == "sub"
    assert task["state"] is None
    assert task["checkpoint"]["thread_id"] == thread_id
    assert task["checkpoint"]["checkpoint_ns"].startswith("sub:")
    response = await client.get(f"/threads/{thread_id}/state", params={"subgraphs": "true"})
    assert response.status_code == 200
    [inlined] = response.json()["tasks"]
    assert inlined["checkpoint"] is None
    child = inlined["state"]
    assert child["next"] == ["sub_ask"]
    assert child["values"] == {"some_text": "x", "log": "before"}
    assert child["checkpoint"]["checkpoint_ns"] == task["checkpoint"]["checkpoint_ns"]
    assert child["metadata"]["checkpoint_ns"] == task["checkpoint"]["checkpoint_ns"]
    assert "checkpoint_map" in child["metadata"]


async def test_state_of_unknown_thread_is_404(client: httpx.AsyncClient) -> None:
    """GET state of a missing thread answers 404 naming the thread."""
    missing = str(uuid.uuid4())
    response = await client.get(f"/threads/{missing}/state")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Thread with ID {missing} not found"}


# State at a checkpoint.


async def test_state_at_checkpoint_get_and_post(client: httpx.AsyncClient, api: Api) -> None:
    """GET /state/{checkpoint_id} and POST /state/checkpoint give the same past state."""
    thread_id = await api.seed_completed()
    [_, at_interrupt, _] = await api.history(thread_id)
    checkpoint_id = at_interrupt["checkpoint_id"]
    by_get = await client.get(f"/threads/{thread_id}/state/{checkpoint_id}")
    assert by_get.status_code == 200
    past = by_get.json()
    assert past["checkpoint_id"] == checkpoint_id
    assert past["values"] == {"some_text": "original text"}
    assert past["next"] == ["human_node"]
    by_post = await client.post(
        f"/threads/{thread_id}/state/checkpoint",
        json={"checkpoint": {"checkpoint_id": checkpoint_id}},
    )
    assert by_post.status_code == 200
    assert by_post.json() == past


async def test_state_at_unknown_checkpoint_is_empty(client: httpx.AsyncClient, api: Api) -> None:
    """An unknown checkpoint_id answers 200 with the empty state, not 404."""
    thread_id, _ = await api.seed_interrupted()
    unknown = str(uuid.uuid4())
    by_get = await client.get(f"/threads/{thread_id}/state/{unknown}")
    assert by_get.status_code == 200
    assert by_get.json() == EMPTY_STATE
    by_post = await client.post(
        f"/threads/{thread_id}/state/checkpoint", json={"checkpoint": {"checkpoint_id": unknown}}
    )
    assert by_post.status_code == 200
    assert by_post.json() == EMPTY_STATE


# History.


async def test_history_get_defaults_to_one_entry(client: httpx.AsyncClient, api: Api) -> None:
    """GET history without a limit answers only the newest checkpoint."""
    thread_id = await api.seed_completed()
    response = await client.get(f"/threads/{thread_id}/history")
    assert response.status_code == 200
    [newest] = response.json()
    assert newest == await api.state(thread_id)
    more = await client.get(f"/threads/{thread_id}/history", params={"limit": 10})
    assert more.status_code == 200
    assert len(more.json()) == 3


async def test_history_post_empty_body_is_one_entry(client: httpx.AsyncClient, api: Api) -> None:
    """POST history with {} answers one checkpoint, as GET does."""
    thread_id = await api.seed_completed()
    response = await client.post(f"/threads/{thread_id}/history", json={})
    assert response.status_code == 200
    assert len(response.json()) == 1


async def test_history_of_full_seed_cycle(client: httpx.AsyncClient, api: Api) -> None:
    """POST history with limit 10 after a seed cycle answers 3 checkpoints, newest first."""
    thread_id = await api.seed_completed()
    response = await client.post(f"/threads/{thread_id}/history", json={"limit": 10})
    assert response.status_code == 200
    history = response.json()
    assert [h["metadata"]["step"] for h in history] == [1, 0, -1]
    assert [h["metadata"]["source"] for h in history] == ["loop", "loop", "input"]
    assert [h["next"] for h in history] == [[], ["human_node"], ["__start__"]]
    assert all(set(h) == STATE_KEYS for h in history)
    [start_task] = history[2]["tasks"]
    assert start_task["name"] == "__start__"
    assert start_task["result"] == {"some_text": "original text"}
    assert history[0]["parent_checkpoint_id"] == history[1]["checkpoint_id"]
    assert history[1]["parent_checkpoint_id"] == history[2]["checkpoint_id"]


async def test_history_before(client: httpx.AsyncClient, api: Api) -> None:
    """`before` answers only the checkpoints older than the one named."""
    thread_id = await api.seed_completed()
    history = await api.history(thread_id, limit=10)
    newest = history[0]["checkpoint_id"]
    response = await client.post(
        f"/threads/{thread_id}/history",
        json={"limit": 10, "before": {"configurable": {"checkpoint_id": newest}}},
    )
    assert response.status_code == 200
    assert [h["checkpoint_id"] for h in response.json()] == [
        history[1]["checkpoint_id"],
        history[2]["checkpoint_id"],
    ]


# update_state.


async def test_update_state_values_on_interrupted_thread(
    client: httpx.AsyncClient, api: Api
) -> None:
    """Updating values answers the new checkpoint; the interrupt goes, the node stays next."""
    thread_id, _ = await api.seed_interrupted()
    response = await client.post(
        f"/threads/{thread_id}/state", json={"values": {"some_text": "patched"}}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"checkpoint", "configurable", "checkpoint_id"}
    assert body["checkpoint"] == {
        "thread_id": thread_id,
        "checkpoint_ns": "",
        "checkpoint_id": body["checkpoint_id"],
    }
    assert body["configurable"] == body["checkpoint"]
    thread = await api.thread(thread_id)
    assert thread["status"] == "interrupted"
    assert thread["interrupts"] == {}
    state = await api.state(thread_id)
    assert state["checkpoint_id"] == body["checkpoint_id"]
    assert state["values"] == {"some_text": "patched"}
    assert state["next"] == ["human_node"]
    assert state["tasks"][0]["interrupts"] == []
    done = await api.wait(thread_id, {"assistant_id": "agent", "command": {"resume": "final"}})
    assert done == {"some_text": "final"}


async def test_update_state_as_node(client: httpx.AsyncClient, api: Api) -> None:
    """Updating as the interrupted node counts it as done: the thread goes idle."""
    thread_id, _ = await api.seed_interrupted()
    response = await client.post(
        f"/threads/{thread_id}/state",
        json={"values": {"some_text": "as-node"}, "as_node": "human_node"},
    )
    assert response.status_code == 200
    assert (await api.thread(thread_id))["status"] == "idle"
    assert (await api.state(thread_id))["next"] == []
    output = await api.wait(thread_id, {"assistant_id": "agent", "input": None})
    assert output == {"some_text": "as-node"}


async def test_update_state_as_node_on_static_breakpoint(
    client: httpx.AsyncClient, api: Api
) -> None:
    """Writing as the node a static breakpoint stopped before skips it."""
    thread_id = await api.new_thread()
    await api.wait(
        thread_id,
        {"assistant_id": "static", "input": {"trail": []}, "interrupt_before": ["node_b"]},
    )
    response = await client.post(
        f"/threads/{thread_id}/state",
        json={"values": {"trail": ["B-by-human"]}, "as_node": "node_b"},
    )
    assert response.status_code == 200
    assert (await api.state(thread_id))["next"] == ["node_c"]
    output = await api.wait(thread_id, {"assistant_id": "static", "input": None})
    assert output == {"trail": ["a", "B-by-human", "c"]}


async def test_update_state_unknown_node_is_400(client: httpx.AsyncClient, api: Api) -> None:
    """as_node naming no node of the graph answers 400."""
    thread_id, _ = await api.seed_interrupted()
    response = await client.post(
        f"/threads/{thread_id}/state", json={"values": {"some_text": "x"}, "as_node": "nope"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "Node nope does not exist"}


async def test_update_state_unknown_thread_is_404(client: httpx.AsyncClient) -> None:
    """Updating the state of a missing thread answers 404 naming the thread."""
    missing = str(uuid.uuid4())
    response = await client.post(f"/threads/{missing}/state", json={"values": {"some_text": "x"}})
    assert response.status_code == 404
    assert response.json() == {"detail": f"Thread with ID {missing} not found"}


async def test_update_state_from_checkpoint_forks(client: httpx.AsyncClient, api: Api) -> None:
    """Updating from an old checkpoint forks: the new head is that point with the values patched."""
    thread_id = await api.seed_completed()
    [_, at_interrupt, _] = await api.history(thread_id)
    response = await client.post(
        f"/threads/{thread_id}/state",
        json={"values": {"some_text": "forked"}, "checkpoint_id": at_interrupt["checkpoint_id"]},
    )
    assert response.status_code == 200
    state = await api.state(thread_id)
    assert state["checkpoint_id"] == response.json()["checkpoint_id"]
    assert state["parent_checkpoint_id"] == at_interrupt["checkpoint_id"]
    assert state["next"] == ["human_node"]
    assert state["values"] == {"some_text": "forked"}


# Time travel through runs.


async def test_replay_from_checkpoint_gives_new_interrupt(api: Api) -> None:
    """Running from the interrupt checkpoint with no input re-executes the node: a new interrupt."""
    thread_id, first = await api.seed_interrupted()
    old_id = first["__interrupt__"][0]["id"]
    await api.wait(thread_id, {"assistant_id": "agent", "command": {"resume": "answer-1"}})
    [_, at_interrupt, _] = await api.history(thread_id)
    replay = await api.wait(
        thread_id,
        {"assistant_id": "agent", "input": None, "checkpoint_id": at_interrupt["checkpoint_id"]},
    )
    [interrupt] = replay["__interrupt__"]
    assert interrupt["value"] == {"text_to_revise": "original text"}
    assert interrupt["id"] != old_id
    assert (await api.thread(thread_id))["status"] == "interrupted"
    sources = [h["metadata"]["source"] for h in await api.history(thread_id)]
    assert "fork" in sources


async def test_resume_at_old_checkpoint_replays_old_answer(api: Api) -> None:
    """Resuming at an old interrupt checkpoint replays the answer saved there."""
    thread_id, _ = await api.seed_interrupted()
    await api.wait(thread_id, {"assistant_id": "agent", "command": {"resume": "answer-1"}})
    [_, at_interrupt, _] = await api.history(thread_id)
    output = await api.wait(
        thread_id,
        {
            "assistant_id": "agent",
            "command": {"resume": "answer-3"},
            "checkpoint_id": at_interrupt["checkpoint_id"],
        },
    )
    assert output == {"some_text": "answer-1"}
