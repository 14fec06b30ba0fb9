"""The seed graph: pause for a human to revise a text, then store the answer."""

from __future__ import annotations

from typing import TypedDict

from langgraph.constants import START
from langgraph.graph import StateGraph
from langgraph.types import interrupt


class State(TypedDict):
    some_text: str


def human_node(state: State) -> State:
    value = interrupt({"text_to_revise": state["some_text"]})
    return {"some_text": value}


graph_builder = StateGraph(State)
graph_builder.add_node("human_node", human_node)
graph_builder.add_edge(START, "human_node")

graph = graph_builder.compile()
