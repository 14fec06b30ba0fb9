"""Assistant endpoints: CRUD, search, versions, graph drawing and schemas."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from interlock import serde
from interlock.api.deps import Ctx
from interlock.api.responses import JSONResponse
from interlock.api.schemas import (
    AssistantCreate,
    AssistantLatest,
    AssistantPatch,
    AssistantSearch,
    AssistantVersionsSearch,
    assistant_to_wire,
    version_to_wire,
)
from interlock.service import assistants
from interlock.storage.base import AssistantQuery

__all__ = ["router"]

router = APIRouter(tags=["Assistants"])


def _query(body: AssistantSearch) -> AssistantQuery:
    return AssistantQuery(
        graph_id=body.graph_id,
        name=body.name,
        metadata=body.metadata or {},
        limit=body.limit,
        offset=body.offset,
        sort_by=body.sort_by,
        sort_order=body.sort_order,
    )


@router.post("/assistants")
async def create_assistant(ctx: Ctx, body: AssistantCreate) -> Response:
    """Create an assistant."""
    created = await assistants.create_assistant(
        ctx,
        graph_id=body.graph_id,
        assistant_id=body.assistant_id,
        config=body.config,
        context=body.context,
        metadata=body.metadata,
        if_exists=body.if_exists,
        name=body.name,
        description=body.description,
    )
    return JSONResponse(assistant_to_wire(created))


@router.post("/assistants/search")
async def search_assistants(
    ctx: Ctx, body: Annotated[AssistantSearch | None, Body()] = None
) -> Response:
    """Search assistants."""
    found, total = await assistants.search_assistants(ctx, _query(body or AssistantSearch()))
    return JSONResponse(
        [assistant_to_wire(a) for a in found], headers={"X-Pagination-Total": str(total)}
    )


@router.post("/assistants/count")
async def count_assistants(
    ctx: Ctx, body: Annotated[AssistantSearch | None, Body()] = None
) -> Response:
    """Count assistants."""
    query = _query((body or AssistantSearch()).model_copy(update={"limit": 0}))
    _, total = await assistants.search_assistants(ctx, query)
    return JSONResponse(total)


@router.get("/assistants/{assistant_id}")
async def get_assistant(ctx: Ctx, assistant_id: str) -> Response:
    """Get an assistant."""
    return JSONResponse(assistant_to_wire(await assistants.get_assistant(ctx, assistant_id)))


@router.patch("/assistants/{assistant_id}")
async def patch_assistant(ctx: Ctx, assistant_id: str, body: AssistantPatch) -> Response:
    """Store a new version of an assistant."""
    updated = await assistants.patch_assistant(
        ctx,
        assistant_id,
        graph_id=body.graph_id,
        config=body.config,
        context=body.context,
        metadata=body.metadata,
        name=body.name,
        description=body.description,
    )
    return JSONResponse(assistant_to_wire(updated))


@router.delete("/assistants/{assistant_id}", status_code=204)
async def delete_assistant(ctx: Ctx, assistant_id: str) -> Response:
    """Delete an assistant."""
    await assistants.delete_assistant(ctx, assistant_id)
    return Response(status_code=204)


@router.post("/assistants/{assistant_id}/versions")
async def list_versions(
    ctx: Ctx, assistant_id: str, body: Annotated[AssistantVersionsSearch | None, Body()] = None
) -> Response:
    """An assistant's versions, newest first."""
    body = body or AssistantVersionsSearch()
    versions = await assistants.list_versions(
        ctx, assistant_id, metadata=body.metadata or {}, limit=body.limit, offset=body.offset
    )
    return JSONResponse([version_to_wire(v) for v in versions])


@router.post("/assistants/{assistant_id}/latest")
async def set_latest(ctx: Ctx, assistant_id: str, body: AssistantLatest) -> Response:
    """Make a stored version the current one."""
    updated = await assistants.set_latest_version(ctx, assistant_id, body.version)
    return JSONResponse(assistant_to_wire(updated))


@router.get("/assistants/{assistant_id}/graph")
async def get_graph(ctx: Ctx, assistant_id: str, xray: bool | int = False) -> Response:
    """The graph's nodes and edges (`xray` shows subgraph nodes too)."""
    assistant = await assistants.graph_of(ctx, assistant_id)
    graph = await ctx.registry.get(assistant.graph_id, {"configurable": dict(assistant.context)})
    drawing = await graph.aget_graph(xray=xray)
    return JSONResponse(_drawing(drawing.to_json()))


def _drawing(raw: dict[str, Any]) -> dict[str, Any]:
    nodes = []
    for node in raw.get("nodes", []):
        data = node.get("data")
        if isinstance(data, dict):
            data = {"name": data.get("name", node.get("id"))}
        entry: dict[str, Any] = {"id": node["id"]}
        if node.get("type"):
            entry["type"] = node["type"]
        if data is not None:
            entry["data"] = data
        nodes.append(entry)
    return serde.to_jsonable({"nodes": nodes, "edges": raw.get("edges", [])})  # type: ignore[no-any-return]


@router.get("/assistants/{assistant_id}/schemas")
async def get_schemas(ctx: Ctx, assistant_id: str) -> Response:
    """The JSON schemas of the graph's input, output, state, config and context."""
    assistant = await assistants.get_assistant(ctx, assistant_id)
    graph = await ctx.registry.get(assistant.graph_id)
    return JSONResponse(assistants.schemas(graph, assistant.graph_id))


@router.get("/assistants/{assistant_id}/subgraphs")
async def get_subgraphs(ctx: Ctx, assistant_id: str, recurse: bool = False) -> Response:
    """The schemas of the graph's subgraphs, by namespace."""
    return JSONResponse(await _subgraphs(ctx, assistant_id, None, recurse))


@router.get("/assistants/{assistant_id}/subgraphs/{namespace}")
async def get_subgraphs_ns(
    ctx: Ctx, assistant_id: str, namespace: str, recurse: bool = False
) -> Response:
    """The schemas of the subgraphs under one namespace."""
    return JSONResponse(await _subgraphs(ctx, assistant_id, namespace, recurse))


async def _subgraphs(
    ctx: Ctx, assistant_id: str, namespace: str | None, recurse: bool
) -> dict[str, Any]:
    assistant = await assistants.get_assistant(ctx, assistant_id)
    graph = await ctx.registry.get(assistant.graph_id)
    found = {}
    async for ns, sub in graph.aget_subgraphs(namespace=namespace, recurse=recurse):
        found[ns] = {k: v for k, v in assistants.schemas(sub, ns).items() if k != "graph_id"}
    return found
