"""The graph registry: what langgraph.json may point at, and how failures read."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.pregel import Pregel

from interlock.config import load_project
from interlock.errors import ConfigError, GraphLoadError, NotFoundError
from interlock.graphs import GraphRegistry, default_assistant_id

GRAPH_MODULE = """
from typing import TypedDict
from langgraph.graph import StateGraph, START

class S(TypedDict):
    n: int

def step(state: S) -> S:
    return {"n": state["n"] + 1}

builder = StateGraph(S)
builder.add_node("step", step)
builder.add_edge(START, "step")
compiled = builder.compile()

def make_graph(config):
    return builder.compile()

async def make_graph_async():
    return builder.compile()

not_a_graph = 42
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with one graph module and a langgraph.json naming its shapes."""
    (tmp_path / "mygraphs.py").write_text(GRAPH_MODULE)
    config = {
        "dependencies": ["."],
        "graphs": {
            "compiled": "./mygraphs.py:compiled",
            "builder": "./mygraphs.py:builder",
            "factory": "./mygraphs.py:make_graph",
            "async_factory": "./mygraphs.py:make_graph_async",
            "by_module": "mygraphs:compiled",
        },
        "env": {"INTERLOCK_TEST_ENV_VALUE": "from-config"},
    }
    (tmp_path / "langgraph.json").write_text(json.dumps(config))
    return tmp_path / "langgraph.json"


async def test_every_graph_shape_loads_and_runs(project: Path) -> None:
    """Compiled graphs, builders, factories (sync and async) and module specs all run."""
    registry = GraphRegistry()
    registry.load_project(load_project(project))
    registry.bind(InMemorySaver(), None)
    for graph_id in ("compiled", "builder", "factory", "async_factory", "by_module"):
        graph = await registry.get(graph_id, {"configurable": {}})
        assert isinstance(graph, Pregel)
        config = {"configurable": {"thread_id": graph_id}}
        assert await graph.ainvoke({"n": 1}, config) == {"n": 2}
    sys.modules.pop("mygraphs", None)


def test_env_is_exported(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The config's env is set before graphs import, without overriding what is set."""
    monkeypatch.delenv("INTERLOCK_TEST_ENV_VALUE", raising=False)
    GraphRegistry().load_project(load_project(project))
    import os

    assert os.environ["INTERLOCK_TEST_ENV_VALUE"] == "from-config"
    monkeypatch.delenv("INTERLOCK_TEST_ENV_VALUE")
    sys.modules.pop("mygraphs", None)


def test_not_a_graph_is_refused(tmp_path: Path) -> None:
    """An attribute that is not a graph or a callable is a GraphLoadError naming it."""
    (tmp_path / "g.py").write_text("not_a_graph = 42\n")
    (tmp_path / "langgraph.json").write_text(json.dumps({"graphs": {"x": "./g.py:not_a_graph"}}))
    with pytest.raises(GraphLoadError, match='Graph "x" is a int'):
        GraphRegistry().load_project(load_project(tmp_path / "langgraph.json"))


def test_env_file_must_exist(tmp_path: Path) -> None:
    """An env path that does not exist is a ConfigError naming it."""
    (tmp_path / "langgraph.json").write_text(
        json.dumps({"graphs": {"x": "./g.py:g"}, "env": ".env.missing"})
    )
    with pytest.raises(ConfigError, match=r"\.env\.missing"):
        load_project(tmp_path / "langgraph.json")


async def test_unknown_graph_is_not_found() -> None:
    """Asking for a graph that is not registered names the ones that are."""
    registry = GraphRegistry()
    with pytest.raises(NotFoundError, match="Graph 'nope' not found"):
        await registry.get("nope")


def test_default_assistant_id_matches_the_official_one() -> None:
    """The default assistant of `agent` has the id the official server gives it."""
    assert default_assistant_id("agent") == "fe096781-5601-53d2-b2f6-0d3403f7e9ca"
