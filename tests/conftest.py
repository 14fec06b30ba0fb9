"""Shared fixtures: the example project and live servers on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from interlock.testing import LiveServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "langgraph.json"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server on the example graphs, shared by the tests that only add threads."""
    db = tmp_path_factory.mktemp("live") / "interlock.db"
    with LiveServer(EXAMPLES, db) as server:
        yield server


@pytest.fixture
def fresh_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own (not started), for tests that stop, kill or restart it."""
    server = LiveServer(EXAMPLES, tmp_path / "interlock.db")
    try:
        yield server
    finally:
        server.kill()
