"""The seed documents' cURL commands, run with the real curl binary."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from interlock.testing import LiveServer

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def curl(*args: str) -> tuple[str, str]:
    """Run curl with the seed's flags; return (headers, body)."""
    done = subprocess.run(
        ["curl", "--silent", "--show-error", "--include", *args],
        capture_output=True,
        timeout=60,
        check=True,
    )
    # Bytes, not text mode: text mode would turn the CRLF that ends the headers into LF.
    head, _, body = done.stdout.decode().partition("\r\n\r\n")
    return head, body


def test_seed_curl_commands(live_server: LiveServer) -> None:
    """The three seed commands: create a thread, run to the interrupt, resume it."""
    url = live_server.url
    head, body = curl(
        "--request", "POST",
        "--url", f"{url}/threads",
        "--header", "Content-Type: application/json",
        "--data", "{}",
    )  # fmt: skip
    assert head.startswith("HTTP/1.1 200")
    thread_id = json.loads(body)["thread_id"]

    head, body = curl(
        "--request", "POST",
        "--url", f"{url}/threads/{thread_id}/runs/wait",
        "--header", "Content-Type: application/json",
        "--data", '{\n  "assistant_id": "agent",\n  "input": {"some_text": "original text"}\n}',
    )  # fmt: skip
    assert head.startswith("HTTP/1.1 200")
    assert f"location: /threads/{thread_id}/runs/" in head.lower()
    first = json.loads(body)
    assert first["some_text"] == "original text"
    [interrupt] = first["__interrupt__"]
    assert interrupt["value"] == {"text_to_revise": "original text"}
    assert interrupt["response_schema"] is None

    head, body = curl(
        "--request", "POST",
        "--url", f"{url}/threads/{thread_id}/runs/wait",
        "--header", "Content-Type: application/json",
        "--data",
        '{\n  "assistant_id": "agent",\n  "command": {\n    "resume": "Edited text"\n  }\n}',
    )  # fmt: skip
    assert head.startswith("HTTP/1.1 200")
    assert json.loads(body) == {"some_text": "Edited text"}


def test_static_breakpoint_curl_commands(live_server: LiveServer) -> None:
    """The static-interrupt cURL commands: stop before a node, continue with no input."""
    url = live_server.url
    _, body = curl("--request", "POST", "--url", f"{url}/threads",
                   "--header", "Content-Type: application/json", "--data", "{}")  # fmt: skip
    thread_id = json.loads(body)["thread_id"]
    _, body = curl(
        "--request", "POST",
        "--url", f"{url}/threads/{thread_id}/runs/wait",
        "--header", "Content-Type: application/json",
        "--data", json.dumps({
            "assistant_id": "static",
            "interrupt_before": ["node_a"],
            "interrupt_after": ["node_b", "node_c"],
            "input": {"trail": []},
        }),
    )  # fmt: skip
    assert json.loads(body) == {"trail": []}
    _, body = curl(
        "--request", "POST",
        "--url", f"{url}/threads/{thread_id}/runs/wait",
        "--header", "Content-Type: application/json",
        "--data", '{\n  "assistant_id": "static"\n}',
    )  # fmt: skip
    assert json.loads(body) == {"trail": ["a", "b", "c"]}
