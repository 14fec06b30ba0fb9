"""A graph that emits many custom stream events, for the streaming benchmark."""

from __future__ import annotations

from typing import TypedDict

from langgraph.config import get_stream_writer
from langgraph.graph import START, StateGraph


class State(TypedDict, total=False):
    """How many events to send, and how many were sent."""

    count: int
    sent: int


def chatter(state: State) -> State:
    """Send `count` custom events, as fast as the node can."""
    write = get_stream_writer()
    count = state.get("count", 10_000)
    for n in range(count):
        write({"n": n})
    return {"sent": count}


builder = StateGraph(State)
builder.add_node("chatter", chatter)
builder.add_edge(START, "chatter")
graph = builder.compile()
