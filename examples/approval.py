"""Approve or reject: a fake model drafts a text, a human approves it or not."""

from __future__ import annotations

from typing import Literal, TypedDict

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.types import Command, interrupt


class State(TypedDict, total=False):
    topic: str
    llm_output: str
    decision: str


def generate(state: State) -> State:
    topic = state.get("topic", "cats")
    # A fake chat model: no network, the same tokens every time.
    model = GenericFakeChatModel(messages=iter([AIMessage(content=f"draft about {topic}")]))
    draft = model.invoke(f"Write about {topic}")
    get_stream_writer()({"progress": "draft generated"})
    return {"llm_output": str(draft.content)}


def human_approval(state: State) -> Command[Literal["some_node", "another_node"]]:
    is_approved = interrupt(
        {
            "question": "Is this correct?",
            # Surface the output that should be reviewed and approved by the human.
            "llm_output": state["llm_output"],
        }
    )
    if is_approved:
        return Command(goto="some_node")
    return Command(goto="another_node")


def some_node(state: State) -> State:
    return {"decision": "approved"}


def another_node(state: State) -> State:
    return {"decision": "rejected"}


builder = StateGraph(State)
builder.add_node("generate", generate)
builder.add_node("human_approval", human_approval)
builder.add_node("some_node", some_node)
builder.add_node("another_node", another_node)
builder.add_edge(START, "generate")
builder.add_edge("generate", "human_approval")
builder.add_edge("some_node", END)
builder.add_edge("another_node", END)

graph = builder.compile()
