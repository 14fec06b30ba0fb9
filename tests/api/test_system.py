"""System endpoints over raw HTTP: health, server info, the OpenAPI document, docs, 404s."""

from __future__ import annotations

import httpx


async def test_ok(client: httpx.AsyncClient) -> None:
    """GET /ok answers 200 with a JSON body that says ok."""
    response = await client.get("/ok")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"ok": True}


async def test_info(client: httpx.AsyncClient) -> None:
    """GET /info answers 200 with a JSON object describing the server."""
    response = await client.get("/info")
    assert response.status_code == 200
    body = response.json()
    assert isinstance(body, dict)
    assert isinstance(body.get("flags"), dict)


async def test_openapi_document(client: httpx.AsyncClient) -> None:
    """GET /openapi.json answers 200 with an OpenAPI document listing the core paths."""
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert "openapi" in document
    paths = document["paths"]
    for path, method in [
        ("/assistants/search", "post"),
        ("/assistants/{assistant_id}", "get"),
        ("/threads", "post"),
        ("/threads/search", "post"),
        ("/threads/{thread_id}", "get"),
        ("/threads/{thread_id}/state", "get"),
        ("/threads/{thread_id}/history", "get"),
        ("/threads/{thread_id}/history", "post"),
        ("/threads/{thread_id}/runs", "get"),
        ("/threads/{thread_id}/runs", "post"),
        ("/threads/{thread_id}/runs/wait", "post"),
        ("/threads/{thread_id}/runs/{run_id}", "get"),
        ("/threads/{thread_id}/runs/{run_id}/join", "get"),
        ("/threads/{thread_id}/runs/{run_id}/cancel", "post"),
        ("/info", "get"),
        ("/ok", "get"),
    ]:
        assert method in paths.get(path, {}), f"{method.upper()} {path} is not documented"


async def test_docs_page(client: httpx.AsyncClient) -> None:
    """GET /docs answers 200 with an HTML page."""
    response = await client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


async def test_unknown_path_is_404(client: httpx.AsyncClient) -> None:
    """An unknown path answers 404 with the official JSON body."""
    response = await client.get("/nope")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {"detail": "Not Found"}
