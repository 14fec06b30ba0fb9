"""Assistants: a graph plus configuration, versioned; one default per graph."""

from __future__ import annotations

import warnings
from typing import Any, get_type_hints

from pydantic import PydanticUserError, create_model

from interlock.errors import InvalidRequestError, NotFoundError, ValidationError
from interlock.graphs import default_assistant_id
from interlock.models import Assistant, AssistantVersion, JSONObject, new_id, utcnow
from interlock.service.context import ServiceContext
from interlock.service.ids import is_uuid, require_uuid
from interlock.storage.base import AssistantQuery

__all__ = [
    "create_assistant",
    "create_default_assistants",
    "delete_assistant",
    "get_assistant",
    "list_versions",
    "patch_assistant",
    "resolve_assistant",
    "search_assistants",
    "set_latest_version",
]


def _mirror(config: JSONObject | None, context: JSONObject | None) -> tuple[JSONObject, JSONObject]:
    # The official server keeps `config.configurable` and `context` in step.
    config = dict(config or {})
    configurable = config.get("configurable")
    if configurable and context:
        raise InvalidRequestError(
            "Cannot specify both configurable and context. Prefer setting context alone. "
            "Context was introduced in LangGraph 0.6.0 and is the long term planned "
            "replacement for configurable."
        )
    if context:
        config["configurable"] = dict(context)
        return config, dict(context)
    return config, dict(configurable or {})


async def create_default_assistants(ctx: ServiceContext) -> None:
    """Make sure every graph has its default assistant (deterministic id)."""
    now = utcnow()
    for graph_id in ctx.registry.graph_ids:
        assistant = Assistant(
            assistant_id=default_assistant_id(graph_id),
            graph_id=graph_id,
            config={},
            context={},
            metadata={"created_by": "system"},
            name=graph_id,
            description=None,
            version=1,
            created_at=now,
            updated_at=now,
        )
        await ctx.storage.create_assistant(assistant, if_exists="do_nothing")


async def create_assistant(
    ctx: ServiceContext,
    *,
    graph_id: str,
    assistant_id: str | None,
    config: JSONObject | None,
    context: JSONObject | None,
    metadata: JSONObject | None,
    if_exists: str,
    name: str | None,
    description: str | None,
) -> Assistant:
    """Create an assistant for a registered graph."""
    if graph_id not in ctx.registry:
        raise NotFoundError(
            f"Graph '{graph_id}' not found. Expected one of: {ctx.registry.graph_ids}"
        )
    config, context = _mirror(config, context)
    now = utcnow()
    assistant = Assistant(
        assistant_id=require_uuid(assistant_id, "assistant") if assistant_id else new_id(),
        graph_id=graph_id,
        config=config,
        context=context,
        metadata=metadata or {},
        name=name or "Untitled",
        description=description,
        version=1,
        created_at=now,
        updated_at=now,
    )
    return await ctx.storage.create_assistant(assistant, if_exists=if_exists)


async def get_assistant(ctx: ServiceContext, assistant_id: str) -> Assistant:
    """Return an assistant by UUID."""
    found = await ctx.storage.get_assistant(require_uuid(assistant_id, "assistant"))
    if found is None:
        raise NotFoundError()
    return found


async def resolve_assistant(ctx: ServiceContext, assistant_id: str) -> Assistant:
    """Return the assistant a run names: a UUID, or a graph id for its default assistant."""
    if not is_uuid(assistant_id):
        if assistant_id in ctx.registry:
            assistant_id = default_assistant_id(assistant_id)
        else:
            graphs = ", ".join(ctx.registry.graph_ids)
            raise ValidationError(
                f"Invalid assistant: '{assistant_id}'. Must be either:\n"
                f"- A valid assistant UUID, or\n- One of the registered graphs: {graphs}"
            )
    found = await ctx.storage.get_assistant(assistant_id)
    if found is None:
        raise NotFoundError("Thread or assistant not found.")
    return found


async def graph_of(ctx: ServiceContext, assistant_id: str) -> Assistant:
    """Return the assistant behind a graph endpoint (a UUID or a graph id both work there)."""
    if not is_uuid(assistant_id) and assistant_id in ctx.registry:
        assistant_id = default_assistant_id(assistant_id)
    return await get_assistant(ctx, assistant_id)


async def patch_assistant(
    ctx: ServiceContext,
    assistant_id: str,
    *,
    graph_id: str | None,
    config: JSONObject | None,
    context: JSONObject | None,
    metadata: JSONObject | None,
    name: str | None,
    description: str | None,
) -> Assistant:
    """Store a new version of an assistant."""
    assistant_id = require_uuid(assistant_id, "assistant")
    if graph_id is not None and graph_id not in ctx.registry:
        raise NotFoundError(
            f"Graph '{graph_id}' not found. Expected one of: {ctx.registry.graph_ids}"
        )
    if config is not None or context is not None:
        config, context = _mirror(config, context)
    return await ctx.storage.patch_assistant(
        assistant_id,
        graph_id=graph_id,
        config=config,
        context=context,
        metadata=metadata,
        name=name,
        description=description,
        now=utcnow(),
    )


async def delete_assistant(ctx: ServiceContext, assistant_id: str) -> None:
    """Delete an assistant and its versions."""
    if not await ctx.storage.delete_assistant(require_uuid(assistant_id, "assistant")):
        raise NotFoundError()


async def search_assistants(
    ctx: ServiceContext, query: AssistantQuery
) -> tuple[list[Assistant], int]:
    """Return a page of assistants and the total count."""
    return await ctx.storage.search_assistants(query)


async def list_versions(
    ctx: ServiceContext, assistant_id: str, *, metadata: JSONObject, limit: int, offset: int
) -> list[AssistantVersion]:
    """Return an assistant's versions, newest first."""
    await get_assistant(ctx, assistant_id)
    versions = await ctx.storage.list_assistant_versions(require_uuid(assistant_id, "assistant"))
    if metadata:
        versions = [v for v in versions if _contains(v.metadata, metadata)]
    return versions[offset : offset + limit]


async def set_latest_version(ctx: ServiceContext, assistant_id: str, version: int) -> Assistant:
    """Make a stored version the current one."""
    return await ctx.storage.set_assistant_version(
        require_uuid(assistant_id, "assistant"), version, utcnow()
    )


def _contains(haystack: JSONObject, needle: JSONObject) -> bool:
    return all(haystack.get(k) == v for k, v in needle.items())


def _typed_dict_schema(schema: Any, title: str) -> JSONObject:
    # pydantic refuses `typing.TypedDict` before Python 3.12, and user graphs use it:
    # rebuild the same fields as a model instead.
    hints = get_type_hints(schema, include_extras=True)
    required = getattr(schema, "__required_keys__", set(hints))
    fields: dict[str, Any] = {
        name: (hint, ... if name in required else None) for name, hint in hints.items()
    }
    model = create_model(title, **fields)
    result: JSONObject = model.model_json_schema()
    return result


def _json_schema(graph: Any, method: str, attribute: str, title: str | None) -> JSONObject | None:
    try:
        result: JSONObject = getattr(graph, method)()
    except PydanticUserError:
        builder_schema = getattr(getattr(graph, "builder", None), attribute, None)
        if builder_schema is None:
            return None
        result = _typed_dict_schema(builder_schema, builder_schema.__name__)
    except Exception:  # noqa: BLE001 -- a schema that cannot be built is shown as null
        return None
    if title is not None:
        result = {**result, "title": title}
    return result


def schemas(graph: Any, graph_id: str) -> JSONObject:
    """The JSON schemas of a graph's input, output, state, config and context."""
    with warnings.catch_warnings():
        # `get_config_jsonschema` is deprecated upstream but still what `config_schema` means.
        warnings.simplefilter("ignore")
        config = _json_schema(graph, "get_config_jsonschema", "config_schema", None)
    if config is not None and not config.get("properties"):
        config = {}
    return {
        "graph_id": graph_id,
        "input_schema": _json_schema(graph, "get_input_jsonschema", "input_schema", None),
        "output_schema": _json_schema(graph, "get_output_jsonschema", "output_schema", None),
        "state_schema": _json_schema(
            graph, "get_input_jsonschema", "state_schema", f"{graph_id}_state"
        ),
        "config_schema": config if config is not None else {},
        "context_schema": _json_schema(graph, "get_context_jsonschema", "context_schema", None),
    }
