"""The graph registry: import the graphs of langgraph.json and hand them out ready to run.

Users compile their graphs without a checkpointer; the registry gives every graph the
server's checkpointer and store, so each pause is durable.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import StateGraph
from langgraph.pregel import Pregel
from langgraph.store.base import BaseStore

from interlock.config import ProjectConfig, apply_env
from interlock.errors import GraphLoadError, NotFoundError

__all__ = ["ASSISTANT_NAMESPACE", "AnyGraph", "GraphRegistry", "default_assistant_id"]

AnyGraph = Pregel[Any, Any, Any, Any]
"""A compiled graph of any state, context, input and output types."""

ASSISTANT_NAMESPACE = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
"""The namespace of default assistant ids (uuid5 of the graph id), as the official server uses."""


def default_assistant_id(graph_id: str) -> str:
    """Return the id of the assistant created for a graph at start-up."""
    return str(uuid.uuid5(ASSISTANT_NAMESPACE, graph_id))


GraphFactory = Callable[[RunnableConfig], Any]


@dataclass(slots=True)
class _Entry:
    graph_id: str
    graph: AnyGraph | None
    factory: GraphFactory | None


class GraphRegistry:
    """The project's graphs, by id, bound to one checkpointer and one store.

    Graphs are imported first (so a broken graph stops the server before it listens)
    and bound to the database once it is open (`bind`).
    """

    def __init__(self) -> None:
        self._checkpointer: BaseCheckpointSaver[Any] | None = None
        self._store: BaseStore | None = None
        self._entries: dict[str, _Entry] = {}
        self._bound: dict[str, AnyGraph] = {}

    def bind(self, checkpointer: BaseCheckpointSaver[Any], store: BaseStore | None) -> None:
        """Give every graph this checkpointer and store from now on."""
        self._checkpointer = checkpointer
        self._store = store
        self._bound.clear()

    @property
    def checkpointer(self) -> BaseCheckpointSaver[Any]:
        """The checkpointer injected into every graph."""
        if self._checkpointer is None:
            raise RuntimeError("GraphRegistry.bind() must be called before graphs run.")
        return self._checkpointer

    @property
    def graph_ids(self) -> list[str]:
        """The ids of the registered graphs, in config order."""
        return list(self._entries)

    def load_project(self, project: ProjectConfig) -> None:
        """Import every graph named in a project.

        Raises:
            GraphLoadError: a graph failed to import, or its attribute is not a graph.
        """
        apply_env(project)
        for dep in reversed(project.dependencies):
            if str(dep) not in sys.path:
                sys.path.insert(0, str(dep))
        for graph_id, spec in project.graphs.items():
            self.add(graph_id, _import_spec(graph_id, spec, project.base_dir))

    def add(self, graph_id: str, obj: Any) -> None:
        """Register a compiled graph, a `StateGraph` builder, or a factory taking a config.

        Raises:
            GraphLoadError: the object is none of those.
        """
        if isinstance(obj, StateGraph):
            obj = obj.compile()
        if isinstance(obj, Pregel):
            self._entries[graph_id] = _Entry(graph_id, obj, None)
        elif callable(obj):
            self._entries[graph_id] = _Entry(graph_id, None, obj)
        else:
            msg = (
                f'Graph "{graph_id}" is a {type(obj).__name__}, not a graph. Point langgraph.json '
                "at a compiled graph, a StateGraph, or a function returning one."
            )
            raise GraphLoadError(msg)

    def __contains__(self, graph_id: object) -> bool:
        return graph_id in self._entries

    async def get(self, graph_id: str, config: RunnableConfig | None = None) -> AnyGraph:
        """Return a graph ready to run, with the server's checkpointer and store.

        Raises:
            NotFoundError: no graph has that id.
            GraphLoadError: a factory failed or returned something that is not a graph.
        """
        entry = self._entries.get(graph_id)
        if entry is None:
            raise NotFoundError(f"Graph '{graph_id}' not found. Expected one of: {self.graph_ids}")
        if entry.graph is not None:
            bound = self._bound.get(graph_id)
            if bound is None:
                bound = self._bound[graph_id] = self._bind(entry.graph)
            return bound
        assert entry.factory is not None
        try:
            made = _call_factory(entry.factory, config or {})
            if inspect.isawaitable(made):
                made = await made
        except Exception as exc:
            raise GraphLoadError(f'The factory of graph "{graph_id}" failed: {exc!r}') from exc
        if isinstance(made, StateGraph):
            made = made.compile()
        if not isinstance(made, Pregel):
            msg = (
                f'The factory of graph "{graph_id}" returned a {type(made).__name__}, not a graph.'
            )
            raise GraphLoadError(msg)
        return self._bind(made)

    def _bind(self, graph: AnyGraph) -> AnyGraph:
        update: dict[str, Any] = {"checkpointer": self.checkpointer}
        if self._store is not None:
            update["store"] = self._store
        return graph.copy(update=update)


def _call_factory(factory: GraphFactory, config: RunnableConfig) -> Any:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        params = {}  # type: ignore[assignment]
    return factory(config) if params else factory()  # type: ignore[call-arg]


def _import_spec(graph_id: str, spec: str, base_dir: Path) -> Any:
    path_part, _, attr = spec.rpartition(":")
    if not attr or not path_part:
        raise GraphLoadError(f'Graph "{graph_id}": "{spec}" must look like "./file.py:attr".')
    try:
        if path_part.endswith(".py") or "/" in path_part:
            module = _import_file(graph_id, (base_dir / path_part).resolve())
        else:
            module = importlib.import_module(path_part)
    except GraphLoadError:
        raise
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        msg = f'Graph "{graph_id}" failed to import from "{spec}": {type(exc).__name__}: {exc}'
        raise GraphLoadError(msg) from exc
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise GraphLoadError(f'Graph "{graph_id}": "{path_part}" has no attribute "{attr}".')
        obj = getattr(obj, part)
    return obj


def _import_file(graph_id: str, path: Path) -> Any:
    if not path.is_file():
        raise GraphLoadError(f'Graph "{graph_id}": file {path} does not exist.')
    name = f"interlock_graphs.{graph_id}_{abs(hash(str(path)))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise GraphLoadError(f'Graph "{graph_id}": cannot import {path}.')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pydantic look their module up here
    spec.loader.exec_module(module)
    return module
