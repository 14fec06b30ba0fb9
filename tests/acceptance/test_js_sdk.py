"""The official JavaScript SDK (@langchain/langgraph-sdk 2.0.0) against a live server.

The Node scripts in tests/js print their outputs as one `RESULT <json>` line; these
tests compare that JSON with the behaviour recorded from the official server.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SDK_DIR = JS_DIR / "node_modules" / "@langchain" / "langgraph-sdk"
INTERRUPT_ID = re.compile(r"[0-9a-f]{32}")

# flows.mjs covers several tests; run it once per server address.
_results: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}


def _run_node(script: str, url: str) -> tuple[dict[str, Any], str]:
    """Run a script from tests/js against `url`; return its RESULT object and full output."""
    key = (script, url)
    if key in _results:
        return _results[key]
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; the JS SDK tests need Node 20 or newer")
    if not SDK_DIR.is_dir():
        pytest.fail(f"{SDK_DIR} is missing: run `npm ci --prefix tests/js` to install the JS SDK")
    proc = subprocess.run(
        [node, str(JS_DIR / script)],
        cwd=JS_DIR,
        env={**os.environ, "INTERLOCK_URL": url},
        timeout=120,
        capture_output=True,
        text=True,
    )
    output = f"exit code {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode == 0, f"node {script} failed\n{output}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, f"node {script} printed no single RESULT line\n{output}"
    result = json.loads(lines[0].removeprefix("RESULT "))
    _results[key] = (result, output)
    return result, output


def _checked_interrupts(interrupts: Any, output: str) -> list[dict[str, Any]]:
    """Check each interrupt's id is 32 lowercase hex chars, then blank it for comparison."""
    assert isinstance(interrupts, list), output
    for item in interrupts:
        assert isinstance(item, dict), output
        assert INTERRUPT_ID.fullmatch(str(item.get("id"))), f"bad interrupt id\n{output}"
    return [{**item, "id": "<id>"} for item in interrupts]


def test_seed_flow_verbatim(live_server: Any) -> None:
    """The docs' JavaScript seed flow runs unchanged and gives the documented outputs."""
    result, output = _run_node("seed.mjs", live_server.url)
    assert _checked_interrupts(result["interrupt"], output) == [
        {"value": {"text_to_revise": "original text"}, "id": "<id>", "response_schema": None}
    ], output
    assert result["resumed"] == {"some_text": "Edited text"}, output
    # The seed's own console.log lines print through Node's inspector.
    assert "text_to_revise: 'original text'" in output, output
    assert "{ some_text: 'Edited text' }" in output, output


@pytest.mark.parametrize(
    ("key", "resume", "decision"),
    [
        ("approval_approved", True, "approved"),
        ("approval_rejected", False, "rejected"),
    ],
)
def test_approval_flow(live_server: Any, key: str, resume: bool, decision: str) -> None:
    """The approval graph stops at its interrupt and a true/false resume picks the branch."""
    result, output = _run_node("flows.mjs", live_server.url)
    flow = result[key]
    stopped = dict(flow["interrupted"])
    stopped["output"] = dict(stopped["output"])
    interrupts = _checked_interrupts(stopped["output"].pop("__interrupt__", None), output)
    assert interrupts == [
        {
            "value": {"question": "Is this correct?", "llm_output": "draft about cats"},
            "id": "<id>",
            "response_schema": None,
        }
    ], output
    assert stopped == {
        "output": {"topic": "cats", "llm_output": "draft about cats"},
        "status": "interrupted",
        "next": ["human_approval"],
    }, output
    assert flow["resumed"] == {
        "output": {"topic": "cats", "llm_output": "draft about cats", "decision": decision},
        "status": "idle",
        "next": [],
    }, f"resume={resume}\n{output}"


def test_static_run_time_breakpoints(live_server: Any) -> None:
    """Run-time interruptBefore node_b stops after node_a; a null input then runs to the end."""
    result, output = _run_node("flows.mjs", live_server.url)
    assert result["static_run_time"] == {
        # A static stop has no __interrupt__ key: only the thread and state show it.
        "stopped": {"output": {"trail": ["a"]}, "status": "interrupted", "next": ["node_b"]},
        # The continuation carries no breakpoints, so it runs to the end.
        "continued": {"output": {"trail": ["a", "b", "c"]}, "status": "idle", "next": []},
    }, output


def test_static_docs_options(live_server: Any) -> None:
    """The docs' run-time options (before node_a, after node_b, node_c) stop at each in turn."""
    result, output = _run_node("flows.mjs", live_server.url)
    assert result["static_docs_options"] == [
        {"output": {"trail": []}, "status": "interrupted", "next": ["node_a"]},
        {"output": {"trail": ["a", "b"]}, "status": "interrupted", "next": ["node_c"]},
        # interruptAfter node_c never fires: nothing follows the last node.
        {"output": {"trail": ["a", "b", "c"]}, "status": "idle", "next": []},
    ], output


def test_static_compiled_breakpoints(live_server: Any) -> None:
    """Compile-time breakpoints stop before node_b, and a null input then completes the graph."""
    result, output = _run_node("flows.mjs", live_server.url)
    assert result["static_compiled"] == {
        "stopped": {"output": {"trail": ["a"]}, "status": "interrupted", "next": ["node_b"]},
        # Compile-time interrupt_after on node_c never fires: nothing follows the last node.
        "continued": {"output": {"trail": ["a", "b", "c"]}, "status": "idle", "next": []},
    }, output
