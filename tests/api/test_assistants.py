"""Assistant endpoints over raw HTTP (reference sections 2.6, 7, 9 and 14.9)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from api_support import AGENT_ID, GRAPHS, Api, default_assistant_id

ASSISTANT_KEYS = {
    "assistant_id",
    "graph_id",
    "config",
    "context",
    "metadata",
    "name",
    "created_at",
    "updated_at",
    "version",
    "description",
}

BOTH_CONFIGURABLE_AND_CONTEXT = (
    "Cannot specify both configurable and context. Prefer setting context alone. "
    "Context was introduced in LangGraph 0.6.0 and is the long term planned replacement "
    "for configurable."
)


async def create(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    """POST /assistants, requiring a 200."""
    response = await client.post("/assistants", json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


# Defaults, get, search and count.


async def test_default_assistant_id_of_agent(client: httpx.AsyncClient) -> None:
    """The seed graph's default assistant has the fixed uuid5 id and the official shape."""
    response = await client.get(f"/assistants/{AGENT_ID}")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == ASSISTANT_KEYS
    assert body["assistant_id"] == AGENT_ID
    assert body["graph_id"] == "agent"
    assert body["config"] == {}
    assert body["context"] == {}
    assert body["metadata"] == {"created_by": "system"}
    assert body["name"] == "agent"
    assert body["version"] == 1
    assert body["description"] is None


@pytest.mark.parametrize("graph_id", GRAPHS)
async def test_every_graph_has_a_default_assistant(
    client: httpx.AsyncClient, graph_id: str
) -> None:
    """Every graph has a default assistant whose id is uuid5 of the graph id."""
    response = await client.get(f"/assistants/{default_assistant_id(graph_id)}")
    assert response.status_code == 200
    assert response.json()["graph_id"] == graph_id


async def test_get_unknown_assistant_is_404(client: httpx.AsyncClient) -> None:
    """GET /assistants/{random uuid} answers 404 Not Found."""
    response = await client.get(f"/assistants/{uuid.uuid4()}")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


@pytest.mark.parametrize("suffix", ["", "/schemas", "/subgraphs"])
async def test_graph_name_instead_of_uuid_is_422(client: httpx.AsyncClient, suffix: str) -> None:
    """GET /assistants/agent (and its schemas and subgraphs) want a UUID and answer 422."""
    response = await client.get(f"/assistants/agent{suffix}")
    assert response.status_code == 422
    assert response.json() == {"detail": "Invalid assistant ID: must be a UUID"}


async def test_search_lists_defaults_with_total_header(client: httpx.AsyncClient) -> None:
    """POST /assistants/search answers a list and the X-Pagination-Total header."""
    response = await client.post("/assistants/search", json={})
    assert response.status_code == 200
    found = response.json()
    assert isinstance(found, list)
    assert found
    assert all(set(item) == ASSISTANT_KEYS for item in found)
    total = int(response.headers["x-pagination-total"])
    assert total >= len(GRAPHS)
    assert len(found) == min(total, 10)


async def test_search_filters_by_graph_id(client: httpx.AsyncClient) -> None:
    """A graph_id filter finds the default assistant of that graph."""
    response = await client.post(
        "/assistants/search", json={"graph_id": "agent", "metadata": {"created_by": "system"}}
    )
    assert response.status_code == 200
    [item] = response.json()
    assert item["assistant_id"] == AGENT_ID
    assert response.headers["x-pagination-total"] == "1"


async def test_search_limit_and_offset(client: httpx.AsyncClient) -> None:
    """Limit and offset page through the assistants; the header keeps the full total."""
    tag = uuid.uuid4().hex
    ids = [
        (await create(client, graph_id="static", metadata={"tag": tag}, name=f"page-{i}"))[
            "assistant_id"
        ]
        for i in range(3)
    ]
    first = await client.post(
        "/assistants/search", json={"metadata": {"tag": tag}, "limit": 2, "offset": 0}
    )
    second = await client.post(
        "/assistants/search", json={"metadata": {"tag": tag}, "limit": 2, "offset": 2}
    )
    assert first.status_code == second.status_code == 200
    assert first.headers["x-pagination-total"] == "3"
    assert second.headers["x-pagination-total"] == "3"
    page_one = [a["assistant_id"] for a in first.json()]
    page_two = [a["assistant_id"] for a in second.json()]
    assert len(page_one) == 2
    assert len(page_two) == 1
    assert sorted(page_one + page_two) == sorted(ids)


async def test_count_is_a_bare_number(client: httpx.AsyncClient) -> None:
    """POST /assistants/count answers a bare JSON number that matches the search total."""
    response = await client.post("/assistants/count", json={})
    assert response.status_code == 200
    count = response.json()
    assert isinstance(count, int)
    assert count >= len(GRAPHS)
    filtered = await client.post(
        "/assistants/count", json={"graph_id": "agent", "metadata": {"created_by": "system"}}
    )
    assert filtered.status_code == 200
    assert filtered.json() == 1


# Graph drawing, schemas, subgraphs.


async def test_graph_by_name(client: httpx.AsyncClient) -> None:
    """GET /assistants/agent/graph accepts a graph name and draws the seed graph."""
    response = await client.get("/assistants/agent/graph")
    assert response.status_code == 200
    body = response.json()
    node_ids = [node["id"] for node in body["nodes"]]
    assert node_ids[0] == "__start__"
    assert "human_node" in node_ids
    assert node_ids[-1] == "__end__"
    start = body["nodes"][0]
    assert start == {"id": "__start__", "type": "runnable", "data": {"name": "__start__"}}
    assert {"source": "__start__", "target": "human_node"} in [
        {"source": e["source"], "target": e["target"]} for e in body["edges"]
    ]


async def test_graph_by_uuid_marks_conditional_edges(client: httpx.AsyncClient) -> None:
    """The approval graph drawn by UUID has its Command routes as conditional edges."""
    response = await client.get(f"/assistants/{default_assistant_id('approval')}/graph")
    assert response.status_code == 200
    edges = response.json()["edges"]
    assert {"source": "__start__", "target": "generate"} in [
        {"source": e["source"], "target": e["target"]} for e in edges
    ]
    conditional = {(e["source"], e["target"]) for e in edges if e.get("conditional") is True}
    assert ("human_approval", "another_node") in conditional
    assert ("human_approval", "some_node") in conditional


async def test_graph_xray_shows_subgraph_nodes(client: httpx.AsyncClient) -> None:
    """With ?xray=true the subgraph's inner node appears as sub:sub_ask."""
    plain = await client.get("/assistants/subgraph/graph")
    xray = await client.get("/assistants/subgraph/graph", params={"xray": "true"})
    assert plain.status_code == xray.status_code == 200
    plain_ids = {node["id"] for node in plain.json()["nodes"]}
    xray_ids = {node["id"] for node in xray.json()["nodes"]}
    assert "sub" in plain_ids
    assert "sub:sub_ask" not in plain_ids
    assert "sub:sub_ask" in xray_ids


async def test_schemas(client: httpx.AsyncClient) -> None:
    """GET /assistants/{uuid}/schemas answers the graph's JSON schemas."""
    response = await client.get(f"/assistants/{default_assistant_id('approval')}/schemas")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "graph_id",
        "input_schema",
        "output_schema",
        "state_schema",
        "config_schema",
        "context_schema",
    }
    assert body["graph_id"] == "approval"
    assert body["input_schema"]["title"] == "State"
    assert body["state_schema"]["title"] == "approval_state"
    assert set(body["state_schema"]["properties"]) == {"topic", "llm_output", "decision"}
    assert body["config_schema"] == {}
    assert body["context_schema"] is None


async def test_subgraphs(client: httpx.AsyncClient) -> None:
    """GET /assistants/{uuid}/subgraphs lists the subgraph namespaces with their schemas."""
    sub_id = default_assistant_id("subgraph")
    response = await client.get(f"/assistants/{sub_id}/subgraphs")
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["sub"]
    assert "state_schema" in body["sub"]
    by_namespace = await client.get(f"/assistants/{sub_id}/subgraphs/sub")
    assert by_namespace.status_code == 200
    assert list(by_namespace.json()) == ["sub"]
    flat = await client.get(f"/assistants/{AGENT_ID}/subgraphs")
    assert flat.status_code == 200
    assert flat.json() == {}


# Create, patch, versions, delete.


async def test_create_with_config_mirrors_context(client: httpx.AsyncClient) -> None:
    """Creating with config.configurable answers 200 version 1 and mirrors it into context."""
    body = await create(
        client,
        graph_id="static",
        config={"configurable": {"foo": "bar"}, "tags": ["t1"]},
        metadata={"team": "hitl"},
        name="static-with-config",
        description="test",
    )
    assert set(body) == ASSISTANT_KEYS
    uuid.UUID(body["assistant_id"])
    assert body["graph_id"] == "static"
    assert body["config"] == {"configurable": {"foo": "bar"}, "tags": ["t1"]}
    assert body["context"] == {"foo": "bar"}
    assert body["metadata"] == {"team": "hitl"}
    assert body["name"] == "static-with-config"
    assert body["description"] == "test"
    assert body["version"] == 1
    fetched = await client.get(f"/assistants/{body['assistant_id']}")
    assert fetched.status_code == 200
    assert fetched.json() == body


async def test_create_with_context_mirrors_configurable(client: httpx.AsyncClient) -> None:
    """Creating with context only mirrors it back into config.configurable."""
    body = await create(client, graph_id="static", context={"foo": "baz"})
    assert body["context"] == {"foo": "baz"}
    assert body["config"]["configurable"] == {"foo": "baz"}


async def test_create_with_given_id(client: httpx.AsyncClient) -> None:
    """An assistant_id in the body is used as the new assistant's id."""
    wanted = str(uuid.uuid4())
    body = await create(client, graph_id="agent", assistant_id=wanted)
    assert body["assistant_id"] == wanted


async def test_create_unknown_graph_is_404(client: httpx.AsyncClient) -> None:
    """Creating an assistant for an unknown graph answers 404 naming the graphs."""
    response = await client.post("/assistants", json={"graph_id": "nope"})
    assert response.status_code == 404
    assert response.json() == {
        "detail": f"Graph 'nope' not found. Expected one of: {GRAPHS!r}",
    }


async def test_create_without_graph_id_is_422(client: httpx.AsyncClient) -> None:
    """A create body without graph_id fails validation with 422."""
    response = await client.post("/assistants", json={"name": "no graph"})
    assert response.status_code == 422
    assert "graph_id" in response.json()["detail"]


async def test_create_with_configurable_and_context_is_400(client: httpx.AsyncClient) -> None:
    """Giving both config.configurable and context answers 400."""
    response = await client.post(
        "/assistants",
        json={"graph_id": "static", "config": {"configurable": {"a": 1}}, "context": {"b": 2}},
    )
    assert response.status_code == 400
    assert response.json() == {"detail": BOTH_CONFIGURABLE_AND_CONTEXT}


async def test_create_duplicate_is_409_or_do_nothing(client: httpx.AsyncClient) -> None:
    """A duplicate assistant_id answers 409, or 200 with the original under do_nothing."""
    original = await create(client, graph_id="static", name="first")
    aid = original["assistant_id"]
    duplicate = await client.post(
        "/assistants", json={"graph_id": "static", "assistant_id": aid, "name": "second"}
    )
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": f"Assistant {aid} already exists"}
    kept = await client.post(
        "/assistants",
        json={
            "graph_id": "static",
            "assistant_id": aid,
            "name": "third",
            "if_exists": "do_nothing",
        },
    )
    assert kept.status_code == 200
    assert kept.json()["assistant_id"] == aid
    assert kept.json()["name"] == "first"


async def test_patch_versions_and_latest(client: httpx.AsyncClient) -> None:
    """PATCH makes version 2; versions lists newest first; latest goes back to version 1."""
    created = await create(client, graph_id="static", name="v1", metadata={"n": 1})
    aid = created["assistant_id"]
    patched = await client.patch(f"/assistants/{aid}", json={"name": "v2", "metadata": {"n": 2}})
    assert patched.status_code == 200
    assert patched.json()["version"] == 2
    assert patched.json()["name"] == "v2"
    assert (await client.get(f"/assistants/{aid}")).json()["version"] == 2

    versions = await client.post(f"/assistants/{aid}/versions", json={})
    assert versions.status_code == 200
    listed = versions.json()
    assert [v["version"] for v in listed] == [2, 1]
    assert [v["name"] for v in listed] == ["v2", "v1"]
    assert all(v["assistant_id"] == aid for v in listed)

    latest = await client.post(f"/assistants/{aid}/latest", json={"version": 1})
    assert latest.status_code == 200
    assert latest.json()["version"] == 1
    current = (await client.get(f"/assistants/{aid}")).json()
    assert current["version"] == 1
    assert current["name"] == "v1"


async def test_delete_then_get_is_404(client: httpx.AsyncClient) -> None:
    """DELETE answers 204 with no body, and a later GET answers 404."""
    aid = (await create(client, graph_id="static"))["assistant_id"]
    deleted = await client.delete(f"/assistants/{aid}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = await client.get(f"/assistants/{aid}")
    assert gone.status_code == 404
    assert gone.json() == {"detail": "Not Found"}


async def test_run_with_custom_assistant_uses_its_config(
    client: httpx.AsyncClient, api: Api
) -> None:
    """A run with a custom assistant copies its config and ids onto the thread."""
    created = await create(
        client, graph_id="static", config={"configurable": {"foo": "bar"}, "tags": ["t1"]}
    )
    aid = created["assistant_id"]
    thread_id = await api.new_thread()
    output = await api.wait(thread_id, {"assistant_id": aid, "input": {"trail": []}})
    assert output == {"trail": ["a", "b", "c"]}
    thread = await api.thread(thread_id)
    assert thread["config"] == {"configurable": {"foo": "bar"}, "tags": ["t1"]}
    assert thread["metadata"]["assistant_id"] == aid
    assert thread["metadata"]["graph_id"] == "static"
