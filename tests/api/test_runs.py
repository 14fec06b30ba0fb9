"""Run endpoints over raw HTTP (reference sections 2.6, 3, 6, 7, 8 and 14)."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from api_support import AGENT_ID, DEADLINE, GRAPHS, Api, default_assistant_id

HEX32 = re.compile(r"^[0-9a-f]{32}$")
CORE_RUN_KEYS = {
    "run_id",
    "thread_id",
    "assistant_id",
    "metadata",
    "status",
    "kwargs",
    "multitask_strategy",
    "created_at",
    "updated_at",
}
RUN_KEYS = CORE_RUN_KEYS | {"langsmith_session_name"}
NOT_FOUND = {"detail": "Thread or assistant not found."}
BUSY = {
    "detail": "Thread is already running a task. "
    "Wait for it to finish or choose a different multitask strategy."
}
NO_MATCHING_RUNS = {
    "detail": "No matching runs to cancel. Please verify the thread ID and run IDs are correct, "
    "and the runs haven't been deleted or completed."
}
SEED_INPUT = {"assistant_id": "agent", "input": {"some_text": "original text"}}


# The seed flow and run shapes.


async def test_wait_returns_interrupt_with_location_headers(
    client: httpx.AsyncClient, api: Api
) -> None:
    """runs/wait answers the values plus __interrupt__, with Location and Content-Location."""
    thread_id = await api.new_thread()
    response = await client.post(f"/threads/{thread_id}/runs/wait", json=SEED_INPUT)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    location = response.headers["location"]
    match = re.fullmatch(rf"/threads/{thread_id}/runs/([0-9a-f-]+)/join", location)
    assert match
    run_id = match.group(1)
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run_id}"
    output = response.json()
    assert output["some_text"] == "original text"
    [interrupt] = output["__interrupt__"]
    assert list(interrupt) == ["value", "id", "response_schema"]
    assert interrupt["value"] == {"text_to_revise": "original text"}
    assert HEX32.match(interrupt["id"])
    assert interrupt["response_schema"] is None
    run = (await client.get(f"/threads/{thread_id}/runs/{run_id}")).json()
    assert run["status"] == "success"


async def test_resume_with_command(api: Api) -> None:
    """A resume command on the interrupted thread completes it and answers the values."""
    thread_id, _ = await api.seed_interrupted()
    done = await api.wait(
        thread_id, {"assistant_id": "agent", "command": {"resume": "Edited text"}}
    )
    assert done == {"some_text": "Edited text"}
    assert (await api.thread(thread_id))["status"] == "idle"


async def test_background_run_then_join(client: httpx.AsyncClient, api: Api) -> None:
    """A background run answers 200 with a pending or running run; join answers its output."""
    thread_id = await api.new_thread()
    response = await client.post(
        f"/threads/{thread_id}/runs",
        json={"assistant_id": "slow", "input": {"delay": 1.5}, "metadata": {"user": "carol"}},
    )
    assert response.status_code == 200
    run = response.json()
    assert response.headers["content-location"] == f"/threads/{thread_id}/runs/{run['run_id']}"
    assert set(run) >= CORE_RUN_KEYS
    assert run["thread_id"] == thread_id
    assert run["assistant_id"] == default_assistant_id("slow")
    assert run["status"] in {"pending", "running"}
    assert run["multitask_strategy"] == "enqueue"
    assert run["metadata"]["user"] == "carol"
    assert run["metadata"]["graph_id"] == "slow"
    assert run["metadata"]["assistant_id"] == default_assistant_id("slow")
    kwargs = run["kwargs"]
    assert kwargs["input"] == {"delay": 1.5}
    assert kwargs["command"] is None
    assert kwargs["stream_mode"] == ["values"]
    assert kwargs["webhook"] is None
    assert kwargs["temporary"] is False

    joined = await client.get(f"/threads/{thread_id}/runs/{run['run_id']}/join")
    assert joined.status_code == 200
    output = joined.json()
    assert output["delay"] == 1.5
    [interrupt] = output["__interrupt__"]
    assert interrupt["value"] == {"q": "ok?"}
    assert interrupt["response_schema"] is None
    finished = (await client.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()
    assert finished["status"] == "success"


async def test_join_finished_run_returns_thread_state(client: httpx.AsyncClient, api: Api) -> None:
    """Joining a finished run answers the thread's current state, not that run's output."""
    thread_id = await api.new_thread()
    first = await client.post(f"/threads/{thread_id}/runs/wait", json=SEED_INPUT)
    first_run = first.headers["content-location"]
    interrupt_id = first.json()["__interrupt__"][0]["id"]
    joined = await client.get(f"{first_run}/join")
    assert joined.status_code == 200
    assert joined.json() == {
        "__interrupt__": [{"id": interrupt_id, "value": {"text_to_revise": "original text"}}]
    }
    await api.wait(thread_id, {"assistant_id": "agent", "command": {"resume": "Edited text"}})
    rejoined = await client.get(f"{first_run}/join")
    assert rejoined.status_code == 200
    assert rejoined.json() == {"some_text": "Edited text"}


async def test_list_runs_newest_first(client: httpx.AsyncClient, api: Api) -> None:
    """GET /threads/{id}/runs lists the thread's runs, newest first."""
    thread_id = await api.new_thread()
    first = await client.post(f"/threads/{thread_id}/runs/wait", json=SEED_INPUT)
    second = await client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "agent", "command": {"resume": "x"}},
    )
    response = await client.get(f"/threads/{thread_id}/runs")
    assert response.status_code == 200
    runs = response.json()
    assert [f"/threads/{thread_id}/runs/{r['run_id']}" for r in runs] == [
        second.headers["content-location"],
        first.headers["content-location"],
    ]
    assert [r["status"] for r in runs] == ["success", "success"]
    assert all(set(r) >= CORE_RUN_KEYS for r in runs)


async def test_get_run(client: httpx.AsyncClient, api: Api) -> None:
    """GET a run answers the run with its final status."""
    thread_id = await api.new_thread()
    created = await api.background(thread_id, SEED_INPUT)
    run = await api.run_until(thread_id, created["run_id"], {"success"})
    assert run["run_id"] == created["run_id"]
    assert run["thread_id"] == thread_id
    assert run["assistant_id"] == AGENT_ID
    assert set(run) >= CORE_RUN_KEYS


async def test_run_has_exactly_the_official_keys(client: httpx.AsyncClient, api: Api) -> None:
    """A run has exactly the official keys, langsmith_session_name (null) included."""
    thread_id = await api.new_thread()
    created = await api.background(thread_id, SEED_INPUT)
    assert set(created) == RUN_KEYS
    assert created["langsmith_session_name"] is None
    fetched = await api.run_until(thread_id, created["run_id"], {"success"})
    assert set(fetched) == RUN_KEYS


async def test_get_unknown_run_is_404(client: httpx.AsyncClient, api: Api) -> None:
    """GET a random run id answers 404 Not Found."""
    thread_id = await api.new_thread()
    response = await client.get(f"/threads/{thread_id}/runs/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


async def test_get_runs_wait_is_422(client: httpx.AsyncClient, api: Api) -> None:
    """GET .../runs/wait matches the run route and answers 422 for the non-UUID run id."""
    thread_id = await api.new_thread()
    response = await client.get(f"/threads/{thread_id}/runs/wait")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid run ID: must be a UUID"}


async def test_delete_run(client: httpx.AsyncClient, api: Api) -> None:
    """DELETE a finished run answers 204 with no body; GET then answers 404."""
    thread_id = await api.new_thread()
    response = await client.post(f"/threads/{thread_id}/runs/wait", json=SEED_INPUT)
    run_path = response.headers["content-location"]
    deleted = await client.delete(run_path)
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = await client.get(run_path)
    assert gone.status_code == 404
    assert gone.json() == {"detail": "Not Found"}


# Run statuses (section 3).


async def test_completed_run_is_success_and_thread_idle(api: Api) -> None:
    """A run that completes is success and leaves the thread idle."""
    thread_id = await api.new_thread()
    run = await api.background(thread_id, {"assistant_id": "static", "input": {"trail": []}})
    assert (await api.run_until(thread_id, run["run_id"], {"success", "error"}))[
        "status"
    ] == "success"
    assert (await api.thread(thread_id))["status"] == "idle"


async def test_failed_run_is_error(client: httpx.AsyncClient, api: Api) -> None:
    """A node that raises answers 200 with __error__; the run and the thread are error."""
    thread_id = await api.new_thread()
    response = await client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "boom", "input": {"x": 1}}
    )
    assert response.status_code == 200
    assert response.json() == {
        "__error__": {"error": "ValueError", "message": "boom: node failed on purpose"}
    }
    run = (await client.get(response.headers["content-location"])).json()
    assert run["status"] == "error"
    assert (await api.thread(thread_id))["status"] == "error"


# Commands (section 6).


async def test_resume_with_update(api: Api) -> None:
    """A resume with an update applies the update, then the node writes the resume value."""
    thread_id, _ = await api.seed_interrupted()
    output = await api.wait(
        thread_id,
        {"assistant_id": "agent", "command": {"resume": "R", "update": {"some_text": "U"}}},
    )
    assert output == {"some_text": "R"}


async def test_update_only_command_reinterrupts_with_same_id(api: Api) -> None:
    """An update-only command re-runs the node, which interrupts again with the same id."""
    thread_id, first = await api.seed_interrupted()
    old_id = first["__interrupt__"][0]["id"]
    output = await api.wait(
        thread_id,
        {"assistant_id": "agent", "command": {"update": [["some_text", "tuple-update"]]}},
    )
    assert output["some_text"] == "tuple-update"
    [interrupt] = output["__interrupt__"]
    assert interrupt["value"] == {"text_to_revise": "tuple-update"}
    assert interrupt["id"] == old_id
    assert (await api.thread(thread_id))["status"] == "interrupted"


async def test_multi_resume_by_id_map(api: Api) -> None:
    """Two pending interrupts resume together with a map of interrupt id to value."""
    thread_id = await api.new_thread()
    first = await api.wait(thread_id, {"assistant_id": "multi", "input": {"answers": []}})
    by_question = {i["value"]["question"]: i["id"] for i in first["__interrupt__"]}
    resume = {by_question["value for A?"]: "x", by_question["value for B?"]: "y"}
    output = await api.wait(thread_id, {"assistant_id": "multi", "command": {"resume": resume}})
    assert output == {"answers": ["A=x", "B=y", "joined"]}
    assert (await api.thread(thread_id))["status"] == "idle"


async def test_multi_scalar_resume_is_refused(api: Api) -> None:
    """A scalar resume with two pending interrupts is a 422 naming both; nothing changes."""
    thread_id = await api.new_thread()
    first = await api.wait(thread_id, {"assistant_id": "multi", "input": {"answers": []}})
    ids = [i["id"] for i in first["__interrupt__"]]
    response = await api.client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "multi", "command": {"resume": "s"}},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert all(i in detail for i in ids)
    assert "answer them by id" in detail
    thread = await api.thread(thread_id)
    assert thread["status"] == "interrupted"
    assert len(thread["interrupts"]) == 2


async def test_wrong_interrupt_id_is_refused(api: Api) -> None:
    """A resume with an id that is not pending is a 422 listing the pending ids."""
    thread_id, first = await api.seed_interrupted()
    response = await api.client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "agent", "command": {"resume": {"deadbeef" * 4: "x"}}},
    )
    assert response.status_code == 422
    assert first["__interrupt__"][0]["id"] in response.json()["detail"]
    assert (await api.thread(thread_id))["status"] == "interrupted"


async def test_resume_on_fresh_thread_is_a_conflict(api: Api) -> None:
    """A resume on a thread that never ran is a 409: nothing is pending there."""
    thread_id = await api.new_thread()
    response = await api.client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "agent", "command": {"resume": "x"}},
    )
    assert response.status_code == 409
    assert "no pending interrupt" in response.json()["detail"]
    assert (await api.thread(thread_id))["status"] == "idle"


async def test_resume_on_completed_thread_is_a_conflict(api: Api) -> None:
    """A resume on a completed thread is a 409 and changes nothing."""
    thread_id = await api.seed_completed()
    response = await api.client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "agent", "command": {"resume": "second"}},
    )
    assert response.status_code == 409
    thread = await api.thread(thread_id)
    assert thread["status"] == "idle"
    assert thread["values"] == {"some_text": "Edited text"}


async def test_string_input_is_graph_error(api: Api) -> None:
    """A string input answers 200 with the graph's InvalidUpdateError."""
    thread_id = await api.new_thread()
    output = await api.wait(thread_id, {"assistant_id": "agent", "input": "hello"})
    assert output == {
        "__error__": {
            "error": "InvalidUpdateError",
            "message": "Expected dict, got hello\nFor troubleshooting, visit: "
            "https://docs.langchain.com/oss/python/langgraph/errors/"
            "INVALID_GRAPH_NODE_RETURN_VALUE",
        }
    }


async def test_unknown_checkpoint_id_is_graph_error(api: Api) -> None:
    """A run from an unknown checkpoint_id answers 200 with EmptyInputError; the thread errors."""
    thread_id, _ = await api.seed_interrupted()
    output = await api.wait(
        thread_id,
        {"assistant_id": "agent", "input": None, "checkpoint_id": str(uuid.uuid4())},
    )
    assert output == {
        "__error__": {"error": "EmptyInputError", "message": "Received no input for __start__"}
    }
    assert (await api.thread(thread_id))["status"] == "error"


# Request errors (section 7).


async def test_unknown_assistant_name_is_422(client: httpx.AsyncClient, api: Api) -> None:
    """An assistant_id that is neither a UUID nor a graph answers 422 listing the graphs."""
    thread_id = await api.new_thread()
    response = await client.post(
        f"/threads/{thread_id}/runs/wait", json={"assistant_id": "nope", "input": {}}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "Invalid assistant: 'nope'. Must be either:\n"
        "- A valid assistant UUID, or\n"
        f"- One of the registered graphs: {', '.join(GRAPHS)}"
    }


@pytest.mark.parametrize("endpoint", ["runs/wait", "runs"])
async def test_unknown_assistant_uuid_is_404(
    client: httpx.AsyncClient, api: Api, endpoint: str
) -> None:
    """A random assistant UUID answers 404 Thread or assistant not found."""
    thread_id = await api.new_thread()
    response = await client.post(
        f"/threads/{thread_id}/{endpoint}", json={"assistant_id": str(uuid.uuid4()), "input": {}}
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


@pytest.mark.parametrize("endpoint", ["runs/wait", "runs"])
async def test_missing_thread_is_404(client: httpx.AsyncClient, endpoint: str) -> None:
    """A run on a thread that does not exist answers 404 Thread or assistant not found."""
    response = await client.post(
        f"/threads/{uuid.uuid4()}/{endpoint}", json={"assistant_id": "agent", "input": {}}
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


async def test_if_not_exists_reject_is_404(client: httpx.AsyncClient) -> None:
    """if_not_exists reject on a new thread id answers 404."""
    response = await client.post(
        f"/threads/{uuid.uuid4()}/runs/wait",
        json={"assistant_id": "agent", "input": {"some_text": "x"}, "if_not_exists": "reject"},
    )
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


async def test_missing_assistant_id_is_422(client: httpx.AsyncClient, api: Api) -> None:
    """A run body without assistant_id answers 422 naming the field."""
    thread_id = await api.new_thread()
    response = await client.post(f"/threads/{thread_id}/runs/wait", json={"input": {}})
    assert response.status_code == 422
    assert "assistant_id" in response.json()["detail"]


async def test_malformed_json_is_422(client: httpx.AsyncClient, api: Api) -> None:
    """A body that is not JSON answers 422 Invalid JSON in request body."""
    thread_id = await api.new_thread()
    response = await client.post(
        f"/threads/{thread_id}/runs/wait",
        content=b'{"assistant_id": "agent", ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid JSON in request body"}


async def test_json_array_body_is_422(client: httpx.AsyncClient, api: Api) -> None:
    """A JSON array body answers 422 saying it is not an object."""
    thread_id = await api.new_thread()
    response = await client.post(f"/threads/{thread_id}/runs/wait", json=[1, 2])
    assert response.status_code == 422
    assert isinstance(response.json()["detail"], str)


async def test_nonsense_stream_mode_is_422(client: httpx.AsyncClient, api: Api) -> None:
    """An unknown stream_mode answers 422 naming the value."""
    thread_id = await api.new_thread()
    response = await client.post(
        f"/threads/{thread_id}/runs/wait",
        json={"assistant_id": "agent", "input": {"some_text": "x"}, "stream_mode": "nonsense"},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "stream_mode" in detail or "nonsense" in detail


async def test_unknown_field_is_ignored(client: httpx.AsyncClient, api: Api) -> None:
    """An unknown top-level field is ignored and the run proceeds."""
    thread_id = await api.new_thread()
    response = await client.post(
        f"/threads/{thread_id}/runs/wait", json={**SEED_INPUT, "bogus_field": 1}
    )
    assert response.status_code == 200
    assert response.json()["some_text"] == "original text"


async def test_non_uuid_thread_on_run_is_400(client: httpx.AsyncClient) -> None:
    """POST runs/wait on a non-UUID thread id answers 400, not 422."""
    response = await client.post("/threads/not-a-uuid/runs/wait", json=SEED_INPUT)
    assert response.status_code == 400
    assert response.json() == {"detail": "badly formed hexadecimal UUID string"}


# if_not_exists and after_seconds (section 8).


async def test_if_not_exists_create(client: httpx.AsyncClient, api: Api) -> None:
    """if_not_exists create on a new thread id answers 200 and creates that thread."""
    thread_id = str(uuid.uuid4())
    response = await client.post(
        f"/threads/{thread_id}/runs/wait", json={**SEED_INPUT, "if_not_exists": "create"}
    )
    assert response.status_code == 200
    assert response.json()["some_text"] == "original text"
    thread = await api.thread(thread_id)
    assert thread["thread_id"] == thread_id
    assert thread["status"] == "interrupted"


async def test_after_seconds_delays_the_run(api: Api) -> None:
    """A run with after_seconds is pending first, then runs and succeeds."""
    thread_id = await api.new_thread()
    run = await api.background(thread_id, {**SEED_INPUT, "after_seconds": 1})
    assert run["status"] == "pending"
    done = await api.run_until(thread_id, run["run_id"], {"success", "error"})
    assert done["status"] == "success"
    assert (await api.thread(thread_id))["status"] == "interrupted"


# Cancel (sections 3 and 8).


async def test_cancel_running_run(client: httpx.AsyncClient, api: Api) -> None:
    """Cancelling a running run answers 202 empty; the run and thread become interrupted."""
    thread_id, run = await api.running_slow(delay=30)
    response = await client.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
    assert response.status_code == 202
    assert response.content == b""
    cancelled = await api.run_until(thread_id, run["run_id"], {"interrupted", "success", "error"})
    assert cancelled["status"] == "interrupted"
    thread = await api.thread_until(thread_id, {"interrupted", "idle", "error"})
    assert thread["status"] == "interrupted"
    assert thread["error"] == {
        "error": "UserInterrupt",
        "message": "interrupt requested via POST /threads/{thread_id}/runs/{run_id}/cancel",
    }
    assert thread["interrupts"] == {}


async def test_cancel_with_wait(client: httpx.AsyncClient, api: Api) -> None:
    """Cancel with ?wait=true answers 200 {} once the run has stopped."""
    thread_id, run = await api.running_slow(delay=30)
    response = await client.post(
        f"/threads/{thread_id}/runs/{run['run_id']}/cancel", params={"wait": "true"}
    )
    assert response.status_code == 200
    assert response.json() == {}
    stopped = (await client.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()
    assert stopped["status"] == "interrupted"


async def test_cancel_pending_run_leaves_thread_idle(client: httpx.AsyncClient, api: Api) -> None:
    """Cancelling a run that is still pending makes it interrupted and the thread idle."""
    thread_id = await api.new_thread()
    run = await api.background(thread_id, {**SEED_INPUT, "after_seconds": 60})
    queued = await api.thread(thread_id)
    assert queued["status"] == "busy"
    assert (await client.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()[
        "status"
    ] == "pending"
    response = await client.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
    assert response.status_code == 202
    cancelled = await api.run_until(thread_id, run["run_id"], {"interrupted", "success", "error"})
    assert cancelled["status"] == "interrupted"
    assert (await api.thread_until(thread_id, {"idle", "interrupted", "error"}))["status"] == "idle"


async def test_cancel_rollback_deletes_the_run(client: httpx.AsyncClient, api: Api) -> None:
    """Cancel with action=rollback deletes the run and resets the thread."""
    thread_id, run = await api.running_slow(delay=30)
    response = await client.post(
        f"/threads/{thread_id}/runs/{run['run_id']}/cancel", params={"action": "rollback"}
    )
    assert response.status_code == 202
    gone = await api.run_gone(thread_id, run["run_id"])
    assert gone.json() == {"detail": "Not Found"}
    thread = await api.thread_until(thread_id, {"idle", "interrupted", "error"})
    assert thread["status"] == "idle"
    assert thread["error"]["error"] == "UserRollback"
    assert thread["error"]["message"].startswith("rollback requested via POST")
    assert thread["values"] is None


async def test_cancel_finished_run_is_404(client: httpx.AsyncClient, api: Api) -> None:
    """Cancelling a run that already finished answers 404 No matching runs."""
    thread_id = await api.new_thread()
    done = await client.post(f"/threads/{thread_id}/runs/wait", json=SEED_INPUT)
    response = await client.post(f"{done.headers['content-location']}/cancel")
    assert response.status_code == 404
    assert response.json() == NO_MATCHING_RUNS


async def test_bulk_cancel(client: httpx.AsyncClient, api: Api) -> None:
    """POST /runs/cancel with a thread and run ids cancels those runs."""
    thread_id, run = await api.running_slow(delay=30)
    response = await client.post(
        "/runs/cancel", json={"thread_id": thread_id, "run_ids": [run["run_id"]]}
    )
    assert response.is_success
    cancelled = await api.run_until(thread_id, run["run_id"], {"interrupted", "success", "error"})
    assert cancelled["status"] == "interrupted"


# Multitask strategies (section 8).


async def test_multitask_reject_while_busy(client: httpx.AsyncClient, api: Api) -> None:
    """A second run with multitask reject on a busy thread answers 409; the first finishes."""
    thread_id, first = await api.running_slow(delay=1.5)
    for endpoint in ("runs", "runs/wait"):
        response = await client.post(
            f"/threads/{thread_id}/{endpoint}",
            json={"assistant_id": "slow", "input": {"delay": 0}, "multitask_strategy": "reject"},
        )
        assert response.status_code == 409
        assert response.json() == BUSY
    finished = await api.run_until(thread_id, first["run_id"], {"success", "error", "interrupted"})
    assert finished["status"] == "success"
    assert (await api.thread(thread_id))["status"] == "interrupted"


async def test_multitask_interrupt(client: httpx.AsyncClient, api: Api) -> None:
    """Multitask interrupt stops the first run; the second runs; both keep their checkpoints."""
    thread_id, first = await api.running_slow(delay=30)
    second = await api.background(
        thread_id,
        {"assistant_id": "slow", "input": {"delay": 0.1}, "multitask_strategy": "interrupt"},
    )
    assert second["status"] == "pending"
    assert second["multitask_strategy"] == "interrupt"
    done = await api.run_until(thread_id, second["run_id"], {"success", "error", "interrupted"})
    assert done["status"] == "success"
    displaced = await api.run_until(thread_id, first["run_id"], {"interrupted", "success", "error"})
    assert displaced["status"] == "interrupted"
    history = await api.history(thread_id)
    assert [h["metadata"]["step"] for h in history] == [3, 2, 1, 0, -1]
    assert history[2]["metadata"]["source"] == "input"
    assert (await api.thread(thread_id))["status"] == "interrupted"


async def test_multitask_rollback(client: httpx.AsyncClient, api: Api) -> None:
    """Multitask rollback deletes the first run and its checkpoints; its join reports 404."""
    thread_id, first = await api.running_slow(delay=30)
    second = await api.background(
        thread_id,
        {"assistant_id": "slow", "input": {"delay": 0.1}, "multitask_strategy": "rollback"},
    )
    done = await api.run_until(thread_id, second["run_id"], {"success", "error", "interrupted"})
    assert done["status"] == "success"
    gone = await api.run_gone(thread_id, first["run_id"])
    assert gone.json() == {"detail": "Not Found"}
    history = await api.history(thread_id)
    assert [h["metadata"]["step"] for h in history] == [1, 0, -1]
    assert {h["metadata"]["run_id"] for h in history} == {second["run_id"]}
    joined = await client.get(f"/threads/{thread_id}/runs/{first['run_id']}/join")
    assert joined.status_code == 200
    assert joined.json() == {
        "__error__": {"error": "HTTPException", "message": "404: Run not found"}
    }


async def test_multitask_enqueue(client: httpx.AsyncClient, api: Api) -> None:
    """The default enqueue strategy runs the second run after the first; both succeed."""
    thread_id, first = await api.running_slow(delay=1.5)
    second = await api.background(thread_id, {"assistant_id": "slow", "input": {"delay": 0.1}})
    assert second["status"] == "pending"
    assert second["multitask_strategy"] == "enqueue"
    joined = await client.get(f"/threads/{thread_id}/runs/{second['run_id']}/join")
    assert joined.status_code == 200
    output = joined.json()
    assert output["delay"] == 0.1
    assert len(output["__interrupt__"]) == 1
    first_done = (await client.get(f"/threads/{thread_id}/runs/{first['run_id']}")).json()
    second_done = (await client.get(f"/threads/{thread_id}/runs/{second['run_id']}")).json()
    assert first_done["status"] == second_done["status"] == "success"
    assert len((await api.thread(thread_id))["interrupts"]) == 1


async def test_enqueued_resume_answers_the_running_interrupt(api: Api) -> None:
    """A resume sent while the first run still works waits, then resumes its interrupt."""
    thread_id, _ = await api.running_slow(delay=1.5)
    output = await api.wait(thread_id, {"assistant_id": "slow", "command": {"resume": "early"}})
    assert output == {"delay": 1.5, "answer": "answer=early"}
    assert (await api.thread(thread_id))["status"] == "idle"


# Stateless runs (section 8).


async def test_stateless_wait_returns_interrupt_and_deletes_thread(
    client: httpx.AsyncClient, api: Api
) -> None:
    """POST /runs/wait answers the interrupt, and its temporary thread is deleted afterwards."""
    response = await client.post("/runs/wait", json=SEED_INPUT)
    assert response.status_code == 200
    output = response.json()
    assert output["some_text"] == "original text"
    assert output["__interrupt__"][0]["value"] == {"text_to_revise": "original text"}
    match = re.fullmatch(
        r"/threads/([0-9a-f-]+)/runs/([0-9a-f-]+)/join", response.headers["location"]
    )
    assert match
    gone = await api.thread_gone(match.group(1))
    assert gone.json() == {"detail": f"Thread with ID {match.group(1)} not found"}


async def test_stateless_wait_keep(client: httpx.AsyncClient, api: Api) -> None:
    """on_completion keep leaves the temporary thread, interrupted and searchable."""
    tag = uuid.uuid4().hex
    response = await client.post(
        "/runs/wait", json={**SEED_INPUT, "on_completion": "keep", "metadata": {"tag": tag}}
    )
    assert response.status_code == 200
    match = re.fullmatch(
        r"/threads/([0-9a-f-]+)/runs/([0-9a-f-]+)/join", response.headers["location"]
    )
    assert match
    thread_id = match.group(1)
    thread = await api.thread(thread_id)
    assert thread["status"] == "interrupted"
    found = await client.post("/threads/search", json={"status": "interrupted", "ids": [thread_id]})
    assert [t["thread_id"] for t in found.json()] == [thread_id]


async def test_stateless_resume_is_400(client: httpx.AsyncClient) -> None:
    """A stateless run with a command answers 400: resuming needs a thread."""
    response = await client.post(
        "/runs/wait", json={"assistant_id": "agent", "command": {"resume": "x"}}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "You must provide a thread_id when resuming."}


async def test_stateless_background_run(client: httpx.AsyncClient, api: Api) -> None:
    """POST /runs answers 200 with a temporary run; its thread goes when the run ends."""
    response = await client.post("/runs", json={"assistant_id": "slow", "input": {"delay": 0.5}})
    assert response.status_code == 200
    run = response.json()
    assert response.headers["content-location"] == f"/runs/{run['run_id']}"
    assert run["status"] in {"pending", "running"}
    assert run["kwargs"]["temporary"] is True
    await api.thread_gone(run["thread_id"])


# Webhooks.


@pytest.fixture
async def webhook_receiver() -> AsyncIterator[tuple[str, asyncio.Queue[dict[str, Any]]]]:
    """A tiny HTTP server on a free loopback port that queues every POST it receives."""
    received: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
            request_line, *header_lines = head.split("\r\n")
            headers = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in header_lines if line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            received.put_nowait(
                {"request_line": request_line, "headers": headers, "body": json.loads(body)}
            )
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        server.close()
        await server.wait_closed()


async def test_webhook_receives_the_finished_run(
    api: Api, webhook_receiver: tuple[str, asyncio.Queue[dict[str, Any]]]
) -> None:
    """A run with a webhook POSTs the run, with its run_id, to the URL once it ends."""
    url, received = webhook_receiver
    thread_id = await api.new_thread()
    run = await api.background(thread_id, {**SEED_INPUT, "webhook": url})
    assert run["kwargs"]["webhook"] == url
    delivery = await asyncio.wait_for(received.get(), timeout=DEADLINE)
    assert delivery["request_line"] == "POST /hook HTTP/1.1"
    assert delivery["headers"]["content-type"].startswith("application/json")
    assert delivery["body"]["run_id"] == run["run_id"]
    assert delivery["body"]["thread_id"] == thread_id
    assert delivery["body"]["status"] == "success"
