"""Streaming through the official JavaScript SDK (@langchain/langgraph-sdk 2.0.0).

tests/js/stream.mjs streams the seed agent to its interrupt with `streamMode:
["values", "updates"]`, resumes it by streaming `{command: {resume: "Edited text"}}`,
and prints the events it saw as one `RESULT <json>` line. The expectations are the
recorded reference's (langgraph-server-behaviour.md sections 1 and 4).
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

from interlock.testing import LiveServer

JS_DIR = Path(__file__).resolve().parents[1] / "js"
SDK_DIR = JS_DIR / "node_modules" / "@langchain" / "langgraph-sdk"
HEX32 = re.compile(r"[0-9a-f]{32}")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def streamed(live_server: LiveServer) -> tuple[dict[str, Any], str]:
    """Run tests/js/stream.mjs once against the live server; its RESULT object and output."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH; the JS SDK tests need Node 20 or newer")
    if not SDK_DIR.is_dir():
        pytest.fail(f"{SDK_DIR} is missing: run `npm ci --prefix tests/js` to install the JS SDK")
    proc = subprocess.run(
        [node, str(JS_DIR / "stream.mjs")],
        cwd=JS_DIR,
        env={**os.environ, "INTERLOCK_URL": live_server.url},
        timeout=120,
        capture_output=True,
        text=True,
    )
    output = f"exit code {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    assert proc.returncode == 0, f"node stream.mjs failed\n{output}"
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, f"node stream.mjs printed no single RESULT line\n{output}"
    return json.loads(lines[0].removeprefix("RESULT ")), output


def _metadata_first(events: list[dict[str, Any]], output: str) -> list[dict[str, Any]]:
    """Check the stream opens with `metadata {run_id, attempt: 1}`; return the other events."""
    first = events[0]
    assert first["event"] == "metadata", output
    assert UUID.fullmatch(first["data"]["run_id"]), output
    assert first["data"]["attempt"] == 1, output
    return events[1:]


def test_interrupt_arrives_in_updates(streamed: tuple[dict[str, Any], str]) -> None:
    """Streaming to the interrupt gives values, `updates {"__interrupt__"}`, then values with it."""
    result, output = streamed
    events = _metadata_first(result["interrupted"], output)
    assert [e["event"] for e in events] == ["values", "updates", "values"], output
    [interrupt] = events[1]["data"]["__interrupt__"]
    assert HEX32.fullmatch(interrupt["id"]), output
    assert interrupt == {
        "value": {"text_to_revise": "original text"},
        "id": interrupt["id"],
        "response_schema": None,
    }, output
    assert events[0]["data"] == {"some_text": "original text"}, output
    assert events[2]["data"] == {"some_text": "original text", "__interrupt__": [interrupt]}, output


def test_resumed_stream_ends_with_edited_text(streamed: tuple[dict[str, Any], str]) -> None:
    """Streaming the resume command ends with `values {"some_text": "Edited text"}`."""
    result, output = streamed
    events = _metadata_first(result["resumed"], output)
    values = [e["data"] for e in events if e["event"] == "values"]
    assert values[-1] == {"some_text": "Edited text"}, output
    assert [(e["event"], e["data"]) for e in events] == [
        ("values", {"some_text": "original text"}),
        ("updates", {"human_node": {"some_text": "Edited text"}}),
        ("values", {"some_text": "Edited text"}),
    ], output
    assert result["status"] == "idle", output
