"""Thread endpoints over raw HTTP (reference sections 2.3, 3, 7 and 14)."""

from __future__ import annotations

import re
import uuid

import httpx
from api_support import AGENT_ID, Api

FRESH_KEYS = {
    "thread_id",
    "created_at",
    "updated_at",
    "state_updated_at",
    "metadata",
    "status",
    "config",
    "values",
}
HEX32 = re.compile(r"^[0-9a-f]{32}$")


# Create and get.


async def test_create_fresh_thread(client: httpx.AsyncClient) -> None:
    """POST /threads {} answers 200 with an idle thread that has exactly the fresh keys."""
    response = await client.post("/threads", json={})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == FRESH_KEYS
    uuid.UUID(body["thread_id"])
    assert body["metadata"] == {}
    assert body["status"] == "idle"
    assert body["config"] == {}
    assert body["values"] is None
    assert body["created_at"] == body["updated_at"] == body["state_updated_at"]


async def test_create_with_metadata_like_the_js_sdk(client: httpx.AsyncClient) -> None:
    """POST /threads with metadata (as the JS SDK sends) stores that metadata."""
    response = await client.post("/threads", json={"metadata": {"user": "alice"}})
    assert response.status_code == 200
    assert response.json()["metadata"] == {"user": "alice"}


async def test_get_thread(client: httpx.AsyncClient) -> None:
    """GET /threads/{id} answers the thread as created."""
    created = (await client.post("/threads", json={"metadata": {"k": "v"}})).json()
    response = await client.get(f"/threads/{created['thread_id']}")
    assert response.status_code == 200
    assert response.json() == created


async def test_get_unknown_thread_is_404(client: httpx.AsyncClient) -> None:
    """GET /threads/{random uuid} answers 404 naming the thread."""
    missing = str(uuid.uuid4())
    response = await client.get(f"/threads/{missing}")
    assert response.status_code == 404
    assert response.json() == {"detail": f"Thread with ID {missing} not found"}


async def test_get_non_uuid_thread_is_422(client: httpx.AsyncClient) -> None:
    """GET /threads/not-a-uuid answers 422."""
    response = await client.get("/threads/not-a-uuid")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid thread ID: must be a UUID"}


async def test_create_with_given_id_duplicate_and_do_nothing(client: httpx.AsyncClient) -> None:
    """A thread_id that exists answers 409, or 200 with the existing thread under do_nothing."""
    thread_id = str(uuid.uuid4())
    first = await client.post("/threads", json={"thread_id": thread_id, "metadata": {"n": 1}})
    assert first.status_code == 200
    assert first.json()["thread_id"] == thread_id
    duplicate = await client.post("/threads", json={"thread_id": thread_id})
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": f"Thread with ID {thread_id} already exists"}
    kept = await client.post(
        "/threads",
        json={"thread_id": thread_id, "metadata": {"n": 2}, "if_exists": "do_nothing"},
    )
    assert kept.status_code == 200
    assert kept.json() == first.json()


async def test_interrupted_thread_shape(client: httpx.AsyncClient, api: Api) -> None:
    """A thread stopped at the seed interrupt shows its status, metadata and interrupts."""
    thread_id = await api.new_thread(metadata={"user": "alice"})
    output = await api.wait(
        thread_id, {"assistant_id": "agent", "input": {"some_text": "original text"}}
    )
    interrupt_id = output["__interrupt__"][0]["id"]
    thread = await api.thread(thread_id)
    assert set(thread) == FRESH_KEYS | {"error", "interrupts"}
    assert thread["status"] == "interrupted"
    assert thread["metadata"] == {"user": "alice", "graph_id": "agent", "assistant_id": AGENT_ID}
    assert thread["config"] == {"configurable": {}}
    assert thread["values"] == {"some_text": "original text"}
    assert thread["error"] is None
    [(task_id, items)] = thread["interrupts"].items()
    uuid.UUID(task_id)
    assert items == [{"id": interrupt_id, "value": {"text_to_revise": "original text"}}]
    assert list(items[0]) == ["id", "value"]
    assert HEX32.match(interrupt_id)


async def test_thread_status_busy_then_interrupted(api: Api) -> None:
    """A thread is busy, with previous values and only the fresh keys, while a run goes on."""
    thread_id, _ = await api.running_slow(delay=1.5)
    busy = await api.thread(thread_id)
    assert busy["status"] == "busy"
    assert busy["values"] is None
    assert set(busy) == FRESH_KEYS
    done = await api.thread_until(thread_id, {"interrupted"})
    assert done["values"] == {"delay": 1.5}
    assert done["error"] is None


async def test_thread_status_idle_after_completion(api: Api) -> None:
    """A thread whose run completed is idle with no pending interrupts."""
    thread_id = await api.seed_completed()
    thread = await api.thread(thread_id)
    assert thread["status"] == "idle"
    assert thread["values"] == {"some_text": "Edited text"}
    assert thread["interrupts"] == {}
    assert thread["error"] is None


async def test_thread_status_error_after_failed_run(api: Api) -> None:
    """A failed run leaves the thread in error with the exception's type and message."""
    thread_id = await api.new_thread()
    output = await api.wait(thread_id, {"assistant_id": "boom", "input": {"x": 1}})
    assert output == {
        "__error__": {"error": "ValueError", "message": "boom: node failed on purpose"}
    }
    thread = await api.thread(thread_id)
    assert thread["status"] == "error"
    assert thread["error"] == {"error": "ValueError", "message": "boom: node failed on purpose"}


async def test_parallel_interrupts_are_keyed_by_task(api: Api) -> None:
    """Two interrupts in one superstep give two task-id keys on the thread."""
    thread_id = await api.new_thread()
    output = await api.wait(thread_id, {"assistant_id": "multi", "input": {"answers": []}})
    assert list(output) == ["__interrupt__"]
    assert len(output["__interrupt__"]) == 2
    thread = await api.thread(thread_id)
    assert thread["status"] == "interrupted"
    assert len(thread["interrupts"]) == 2
    stored = sorted(i["id"] for items in thread["interrupts"].values() for i in items)
    assert stored == sorted(i["id"] for i in output["__interrupt__"])


async def test_static_interrupt_leaves_no_interrupts(api: Api) -> None:
    """A static interrupt_before leaves the thread interrupted with an empty interrupts map."""
    thread_id = await api.new_thread()
    output = await api.wait(
        thread_id,
        {"assistant_id": "static", "input": {"trail": []}, "interrupt_before": ["node_b"]},
    )
    assert output == {"trail": ["a"]}
    thread = await api.thread(thread_id)
    assert thread["status"] == "interrupted"
    assert thread["interrupts"] == {}


# Patch and delete.


async def test_patch_merges_metadata(client: httpx.AsyncClient, api: Api) -> None:
    """PATCH /threads/{id} merges metadata into the thread."""
    thread_id = await api.new_thread(metadata={"a": 1, "b": 1})
    response = await client.patch(f"/threads/{thread_id}", json={"metadata": {"b": 2, "c": 3}})
    assert response.status_code == 200
    assert response.json()["metadata"] == {"a": 1, "b": 2, "c": 3}
    assert (await api.thread(thread_id))["metadata"] == {"a": 1, "b": 2, "c": 3}


async def test_delete_thread(client: httpx.AsyncClient, api: Api) -> None:
    """DELETE /threads/{id} answers 204 with no body; the thread and its state are gone."""
    thread_id, _ = await api.seed_interrupted()
    response = await client.delete(f"/threads/{thread_id}")
    assert response.status_code == 204
    assert response.content == b""
    gone = await client.get(f"/threads/{thread_id}")
    assert gone.status_code == 404
    assert gone.json() == {"detail": f"Thread with ID {thread_id} not found"}
    state = await client.get(f"/threads/{thread_id}/state")
    assert state.status_code == 404


# Search and count.


async def test_search_by_metadata(client: httpx.AsyncClient, api: Api) -> None:
    """Search by metadata finds only the threads carrying it."""
    tag = uuid.uuid4().hex
    mine = {await api.new_thread(metadata={"tag": tag}) for _ in range(2)}
    await api.new_thread(metadata={"tag": "other"})
    response = await client.post("/threads/search", json={"metadata": {"tag": tag}})
    assert response.status_code == 200
    assert {t["thread_id"] for t in response.json()} == mine


async def test_search_by_status(client: httpx.AsyncClient, api: Api) -> None:
    """Search by status separates interrupted from idle threads."""
    tag = uuid.uuid4().hex
    idle = await api.new_thread(metadata={"tag": tag})
    paused = await api.new_thread(metadata={"tag": tag})
    await api.wait(paused, {"assistant_id": "agent", "input": {"some_text": "x"}})
    interrupted = await client.post(
        "/threads/search", json={"status": "interrupted", "metadata": {"tag": tag}}
    )
    assert interrupted.status_code == 200
    assert [t["thread_id"] for t in interrupted.json()] == [paused]
    idle_found = await client.post(
        "/threads/search", json={"status": "idle", "metadata": {"tag": tag}}
    )
    assert [t["thread_id"] for t in idle_found.json()] == [idle]


async def test_search_by_ids(client: httpx.AsyncClient, api: Api) -> None:
    """Search by ids answers exactly the threads named."""
    first = await api.new_thread()
    second = await api.new_thread()
    await api.new_thread()
    response = await client.post("/threads/search", json={"ids": [first, second]})
    assert response.status_code == 200
    assert {t["thread_id"] for t in response.json()} == {first, second}


async def test_search_limit_offset_and_sort(client: httpx.AsyncClient, api: Api) -> None:
    """Limit, offset, sort_by and sort_order page through threads in a stable order."""
    tag = uuid.uuid4().hex
    created = [await api.new_thread(metadata={"tag": tag}) for _ in range(3)]

    async def page(**body: object) -> list[str]:
        response = await client.post("/threads/search", json={"metadata": {"tag": tag}, **body})
        assert response.status_code == 200
        return [t["thread_id"] for t in response.json()]

    oldest_first = await page(sort_by="created_at", sort_order="asc")
    assert oldest_first == created
    assert await page(sort_by="created_at", sort_order="desc") == created[::-1]
    assert await page(sort_by="created_at", sort_order="asc", limit=2) == created[:2]
    assert await page(sort_by="created_at", sort_order="asc", limit=2, offset=2) == created[2:]
    assert await page(sort_by="thread_id", sort_order="asc") == sorted(created)


async def test_count(client: httpx.AsyncClient, api: Api) -> None:
    """POST /threads/count answers a bare number of matching threads."""
    tag = uuid.uuid4().hex
    for _ in range(3):
        await api.new_thread(metadata={"tag": tag})
    response = await client.post("/threads/count", json={"metadata": {"tag": tag}})
    assert response.status_code == 200
    assert response.json() == 3
    everything = await client.post("/threads/count", json={})
    assert everything.status_code == 200
    assert isinstance(everything.json(), int)
    assert everything.json() >= 3


# Copy.


async def test_copy_interrupted_thread_resumes_the_same(
    client: httpx.AsyncClient, api: Api
) -> None:
    """A copy of an interrupted thread is interrupted too and resumes to the same result."""
    thread_id, _ = await api.seed_interrupted()
    response = await client.post(f"/threads/{thread_id}/copy")
    assert response.status_code == 200
    copy = response.json()
    assert copy["thread_id"] != thread_id
    assert copy["status"] == "interrupted"
    assert copy["values"] == {"some_text": "original text"}
    copy_state = await api.state(copy["thread_id"])
    assert copy_state["next"] == ["human_node"]
    assert len(await api.history(copy["thread_id"])) == len(await api.history(thread_id))

    resume = {"assistant_id": "agent", "command": {"resume": "Edited text"}}
    assert await api.wait(copy["thread_id"], resume) == {"some_text": "Edited text"}
    assert (await api.thread(thread_id))["status"] == "interrupted"
    assert await api.wait(thread_id, resume) == {"some_text": "Edited text"}
