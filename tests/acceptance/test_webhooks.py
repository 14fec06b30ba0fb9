"""Webhooks: signed deliveries of interrupt and run events, once per id, retried until taken."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from interlock.testing import LiveServer, free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SECRET = "s3cret"  # noqa: S105 -- a test secret for signatures


class Receiver:
    """A local HTTP endpoint that records what it is sent, failing the first `fail` POSTs."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.received: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    refuse = receiver.fail > 0
                    receiver.fail -= 1
                    receiver.received.append(
                        {"headers": dict(self.headers), "body": body, "refused": refuse}
                    )
                self.send_response(500 if refuse else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass  # quiet

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        """Where to POST."""
        return f"http://127.0.0.1:{self.port}/hook"

    def accepted(self) -> list[dict[str, Any]]:
        """The deliveries that were answered 2xx."""
        with self.lock:
            return [r for r in self.received if not r["refused"]]

    def close(self) -> None:
        """Stop listening."""
        self.server.shutdown()
        self.server.server_close()


def _server(tmp: Path, receiver: Receiver) -> LiveServer:
    config = json.loads((EXAMPLES / "langgraph.json").read_text())
    config["dependencies"] = [str(EXAMPLES)]
    config["graphs"] = {
        k: str(EXAMPLES / v.removeprefix("./")) for k, v in config["graphs"].items()
    }
    config["interlock"] = {
        "webhooks": [{"url": receiver.url, "secret": SECRET}],
        "webhook_retry_seconds": 0.1,
    }
    (tmp / "langgraph.json").write_text(json.dumps(config))
    return LiveServer(tmp / "langgraph.json", tmp / "interlock.db")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver that accepts everything."""
    r = Receiver()
    yield r
    r.close()


def _wait_for(check: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _verify(delivery: dict[str, Any]) -> dict[str, Any]:
    # What a receiver does: recompute the signature over "<t>.<body>" with the shared secret.
    headers = {k.lower(): v for k, v in delivery["headers"].items()}
    parts = dict(item.split("=", 1) for item in headers["x-interlock-signature"].split(","))
    expected = hmac.new(
        SECRET.encode(), parts["t"].encode() + b"." + delivery["body"], hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(parts["v1"], expected)
    event: dict[str, Any] = json.loads(delivery["body"])
    assert headers["x-interlock-delivery"] == event["id"]
    assert headers["x-interlock-event"] == event["type"]
    return event


def test_seed_cycle_delivers_signed_events_once(tmp_path: Path, receiver: Receiver) -> None:
    """A pause and a resume announce interrupt.created, run.completed, interrupt.resolved."""
    with _server(tmp_path, receiver) as server, httpx.Client(base_url=server.url) as http:
        thread_id = http.post("/threads", json={}).json()["thread_id"]
        http.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "agent", "input": {"some_text": "x"}},
        )
        http.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "agent", "command": {"resume": "y"}},
            headers={"X-Interlock-Actor": "bob"},
        )
        _wait_for(lambda: len(receiver.accepted()) >= 4, "four deliveries")
        time.sleep(0.5)  # anything delivered twice would arrive now
        events = [_verify(d) for d in receiver.accepted()]
        assert len({e["id"] for e in events}) == len(events) == 4
        kinds = sorted(e["type"] for e in events)
        assert kinds == [
            "interrupt.created",
            "interrupt.resolved",
            "run.completed",
            "run.completed",
        ]
        [resolved] = [e for e in events if e["type"] == "interrupt.resolved"]
        assert resolved["data"]["decision"]["actor"] == "bob"
        assert resolved["data"]["interrupt"]["thread_id"] == thread_id
        log = http.get("/webhooks/deliveries", params={"status": "delivered"}).json()
        assert len(log) == 4


def test_failing_receiver_is_retried_until_it_recovers(tmp_path: Path) -> None:
    """A receiver that answers 500 twice gets the same event again until it takes it."""
    receiver = Receiver(fail=2)
    try:
        with _server(tmp_path, receiver) as server, httpx.Client(base_url=server.url) as http:
            thread_id = http.post("/threads", json={}).json()["thread_id"]
            http.post(
                f"/threads/{thread_id}/runs/wait",
                json={"assistant_id": "boom", "input": {"x": 1}},
            )
            _wait_for(lambda: len(receiver.accepted()) >= 1, "a delivery after the failures")
            ids = {json.loads(r["body"])["id"] for r in receiver.received}
            assert len(ids) == 1  # the same event, retried
            [event] = [_verify(d) for d in receiver.accepted()]
            assert event["type"] == "run.failed"
            assert event["data"]["output"]["__error__"]["error"] == "ValueError"
            [delivery] = http.get("/webhooks/deliveries").json()
            assert delivery["status"] == "delivered"
            assert delivery["attempts"] == 3
    finally:
        receiver.close()
