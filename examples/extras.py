"""More human-in-the-loop shapes: parallel, static, subgraph, slow, failing, typed graphs,
and one with a side effect per step (for crash tests)."""

from __future__ import annotations

import asyncio
import operator
import os
from pathlib import Path
from typing import Annotated, TypedDict

from langgraph.graph import START, StateGraph
from langgraph.types import interrupt
from pydantic import BaseModel


# Two interrupts in the same superstep.
class MultiState(TypedDict):
    answers: Annotated[list[str], operator.add]


def ask_a(state: MultiState) -> MultiState:
    return {"answers": ["A=" + interrupt({"question": "value for A?"})]}


def ask_b(state: MultiState) -> MultiState:
    return {"answers": ["B=" + interrupt({"question": "value for B?"})]}


def join(state: MultiState) -> MultiState:
    return {"answers": ["joined"]}


_multi = StateGraph(MultiState)
_multi.add_node("ask_a", ask_a)
_multi.add_node("ask_b", ask_b)
_multi.add_node("join", join)
_multi.add_edge(START, "ask_a")
_multi.add_edge(START, "ask_b")
_multi.add_edge(["ask_a", "ask_b"], "join")
multi = _multi.compile()


# Three nodes in a row, for static breakpoints.
class TrailState(TypedDict):
    trail: Annotated[list[str], operator.add]


def node_a(state: TrailState) -> TrailState:
    return {"trail": ["a"]}


def node_b(state: TrailState) -> TrailState:
    return {"trail": ["b"]}


def node_c(state: TrailState) -> TrailState:
    return {"trail": ["c"]}


_static = StateGraph(TrailState)
_static.add_node("node_a", node_a)
_static.add_node("node_b", node_b)
_static.add_node("node_c", node_c)
_static.add_edge(START, "node_a")
_static.add_edge("node_a", "node_b")
_static.add_edge("node_b", "node_c")
static = _static.compile()
static_compiled = _static.compile(interrupt_before=["node_b"], interrupt_after=["node_c"])


# An interrupt inside a subgraph.
class SubState(TypedDict, total=False):
    some_text: str
    log: str


def sub_ask(state: SubState) -> SubState:
    return {"some_text": interrupt({"text_to_revise": state.get("some_text", "")})}


_sub = StateGraph(SubState)
_sub.add_node("sub_ask", sub_ask)
_sub.add_edge(START, "sub_ask")


def before(state: SubState) -> SubState:
    return {"log": "before"}


def after(state: SubState) -> SubState:
    return {"log": "after:" + state.get("some_text", "")}


_parent = StateGraph(SubState)
_parent.add_node("before", before)
_parent.add_node("sub", _sub.compile())
_parent.add_node("after", after)
_parent.add_edge(START, "before")
_parent.add_edge("before", "sub")
_parent.add_edge("sub", "after")
subgraph = _parent.compile()


# A slow node before an interrupt: for busy threads, cancel and multitask.
class SlowState(TypedDict, total=False):
    delay: float
    answer: str


async def work(state: SlowState) -> SlowState:
    await asyncio.sleep(state.get("delay", 1.0))
    return {}


def ask(state: SlowState) -> SlowState:
    return {"answer": "answer=" + str(interrupt({"q": "ok?"}))}


_slow = StateGraph(SlowState)
_slow.add_node("work", work)
_slow.add_node("ask", ask)
_slow.add_edge(START, "work")
_slow.add_edge("work", "ask")
slow = _slow.compile()


# A node that fails.
class BoomState(TypedDict, total=False):
    x: int


def explode(state: BoomState) -> BoomState:
    raise ValueError("boom: node failed on purpose")


_boom = StateGraph(BoomState)
_boom.add_node("explode", explode)
_boom.add_edge(START, "explode")
boom = _boom.compile()


# An interrupt whose answer must match a schema.
class Answer(BaseModel):
    approved: bool
    comment: str = ""


class TypedState(TypedDict, total=False):
    result: str


def review(state: TypedState) -> TypedState:
    answer = interrupt({"question": "approve?"}, response_schema=Answer)
    return {"result": f"Answer:{answer!r}"}


_typed = StateGraph(TypedState)
_typed.add_node("review", review)
_typed.add_edge(START, "review")
typed = _typed.compile()


# Steps with side effects: each appends a line to the file `journal` names, then the
# second waits. After a crash in the second step, the first must not run again.
class JournalState(TypedDict, total=False):
    journal: str
    delay: float
    steps: Annotated[list[str], operator.add]


def _note(state: JournalState, step: str) -> None:
    with Path(state["journal"]).open("a", encoding="utf-8") as out:
        out.write(f"{step} {os.getpid()}\n")


def charge(state: JournalState) -> JournalState:
    _note(state, "charge")
    return {"steps": ["charge"]}


async def ship(state: JournalState) -> JournalState:
    _note(state, "ship")
    await asyncio.sleep(state.get("delay", 1.0))
    return {"steps": ["ship"]}


_journal = StateGraph(JournalState)
_journal.add_node("charge", charge)
_journal.add_node("ship", ship)
_journal.add_edge(START, "charge")
_journal.add_edge("charge", "ship")
journal = _journal.compile()
