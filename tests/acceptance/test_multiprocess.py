"""Scale-out on PostgreSQL: an API-only process and separate worker processes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.schema import Command

from interlock.testing import LiveServer

pytestmark = pytest.mark.postgres

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "langgraph.json"
LEASE = "2"


class Workers:
    """`interlock worker` processes on one database."""

    def __init__(self, database: str, folder: Path) -> None:
        self.database = database
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        """Start one more worker."""
        log = (self.folder / f"worker{len(self.procs)}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "interlock", "worker", "--config", str(EXAMPLES),
             "--database", self.database, "--lease-seconds", LEASE],
            stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
        log.close()
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        """Stop every worker."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def cluster(
    tmp_path: Path, new_postgres_database: Callable[[], str]
) -> Iterator[tuple[LiveServer, Workers]]:
    """One API-only server and two workers on a fresh PostgreSQL database."""
    database = new_postgres_database()
    api = LiveServer(
        EXAMPLES, tmp_path / "api.db", database=database,
        extra_args=["--workers", "0", "--lease-seconds", LEASE],
    )  # fmt: skip
    workers = Workers(database, tmp_path)
    api.start()
    try:
        workers.start()
        workers.start()
        yield api, workers
    finally:
        workers.stop()
        api.stop()


async def _status(http: httpx.AsyncClient, thread_id: str, run_id: str, wanted: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = (await http.get(f"/threads/{thread_id}/runs/{run_id}")).json()
        if run["status"] == wanted:
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} never became {wanted}")


async def test_seed_cycles_run_on_worker_processes(
    cluster: tuple[LiveServer, Workers],
) -> None:
    """Seed cycles through an API-only process all end `{"some_text": "Edited text"}`."""
    api, _ = cluster
    client = get_client(url=api.url)

    async def cycle(n: int) -> Any:
        thread = await client.threads.create()
        first = await client.runs.wait(
            thread["thread_id"], "agent", input={"some_text": f"text {n}"}
        )
        assert first["__interrupt__"][0]["value"] == {"text_to_revise": f"text {n}"}
        return await client.runs.wait(
            thread["thread_id"], "agent", command=Command(resume="Edited text")
        )

    results = await asyncio.gather(*(cycle(n) for n in range(16)))
    assert results == [{"some_text": "Edited text"}] * 16


async def test_killed_worker_run_finishes_on_another(
    cluster: tuple[LiveServer, Workers],
) -> None:
    """SIGKILL the worker running a run: after the lease, the other worker finishes it."""
    api, workers = cluster
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        thread_id = (await http.post("/threads", json={})).json()["thread_id"]
        run = (
            await http.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "slow", "input": {"delay": 4}},
            )
        ).json()
        await _status(http, thread_id, run["run_id"], "running")
        # Which worker holds it is not visible; kill one, and if the run keeps going on
        # the other, kill nothing more: either way it must end.
        workers.procs[0].kill()
        workers.procs[0].wait()
        done = await _status(http, thread_id, run["run_id"], "success")
        assert done["status"] == "success"
        thread = (await http.get(f"/threads/{thread_id}")).json()
        assert thread["status"] == "interrupted"


async def test_cancel_reaches_the_worker_process(cluster: tuple[LiveServer, Workers]) -> None:
    """A cancel sent to the API process stops a run executing in a worker process."""
    api, _ = cluster
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        thread_id = (await http.post("/threads", json={})).json()["thread_id"]
        run = (
            await http.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "slow", "input": {"delay": 30}},
            )
        ).json()
        await _status(http, thread_id, run["run_id"], "running")
        response = await http.post(f"/threads/{thread_id}/runs/{run['run_id']}/cancel")
        assert response.status_code == 202
        await _status(http, thread_id, run["run_id"], "interrupted")
        thread = (await http.get(f"/threads/{thread_id}")).json()
        assert thread["status"] == "interrupted"
