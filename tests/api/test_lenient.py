"""With `strict_resume` off, answers behave byte for byte as on the official server."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from api_support import Api

from interlock.testing import LiveServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def lenient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server on the example graphs with `"interlock": {"strict_resume": false}`."""
    folder = tmp_path_factory.mktemp("lenient")
    config = json.loads((EXAMPLES / "langgraph.json").read_text())
    config["dependencies"] = [str(EXAMPLES)]
    config["graphs"] = {
        graph_id: str(EXAMPLES / spec.removeprefix("./"))
        for graph_id, spec in config["graphs"].items()
    }
    config["interlock"] = {"strict_resume": False}
    (folder / "langgraph.json").write_text(json.dumps(config))
    with LiveServer(folder / "langgraph.json", folder / "interlock.db") as server:
        yield server


@pytest.fixture
async def api(lenient_server: LiveServer) -> AsyncIterator[Api]:
    """Helpers on the lenient server."""
    async with httpx.AsyncClient(base_url=lenient_server.url, timeout=60) as http:
        yield Api(http)


async def test_multi_scalar_resume_is_error(api: Api) -> None:
    """A scalar resume with two pending interrupts answers 200 with a RuntimeError __error__."""
    thread_id = await api.new_thread()
    await api.wait(thread_id, {"assistant_id": "multi", "input": {"answers": []}})
    output = await api.wait(thread_id, {"assistant_id": "multi", "command": {"resume": "s"}})
    assert output["__error__"]["error"] == "RuntimeError"
    assert output["__error__"]["message"].startswith(
        "When there are multiple pending interrupts, you must specify the interrupt id"
    )
    thread = await api.thread(thread_id)
    assert thread["status"] == "error"
    assert len(thread["interrupts"]) == 2


async def test_wrong_interrupt_id_returns_same_interrupt(api: Api) -> None:
    """A resume with an unknown interrupt id answers the same interrupt again."""
    thread_id, first = await api.seed_interrupted()
    output = await api.wait(
        thread_id, {"assistant_id": "agent", "command": {"resume": {"deadbeef" * 4: "x"}}}
    )
    assert [i["id"] for i in output["__interrupt__"]] == [first["__interrupt__"][0]["id"]]
    assert (await api.thread(thread_id))["status"] == "interrupted"


async def test_resume_on_fresh_thread_is_a_graph_error(api: Api) -> None:
    """A resume on a thread that never ran answers 200 with the graph's __error__."""
    thread_id = await api.new_thread()
    output = await api.wait(thread_id, {"assistant_id": "agent", "command": {"resume": "x"}})
    # The official server reports a TypeError from its own code; we report what the graph
    # raised when it ran with no state (docs/compatibility.md).
    assert set(output) == {"__error__"}
    assert output["__error__"]["error"] == "KeyError"
    assert (await api.thread(thread_id))["status"] == "error"


async def test_resume_on_completed_thread_is_noop(api: Api) -> None:
    """A resume on a completed thread answers its current values and changes nothing."""
    thread_id = await api.seed_completed()
    output = await api.wait(thread_id, {"assistant_id": "agent", "command": {"resume": "second"}})
    assert output == {"some_text": "Edited text"}
    assert (await api.thread(thread_id))["status"] == "idle"
