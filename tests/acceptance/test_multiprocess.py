"""Scale-out on PostgreSQL: an API-only process and separate worker processes."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client
from langgraph_sdk.schema import Command

from interlock.testing import LiveServer, start_worker

pytestmark = pytest.mark.postgres

Cluster = tuple[LiveServer, "Workers", str]
"""The first API server, the workers, and the second API server's URL."""

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "langgraph.json"
LEASE = "2"


class Workers:
    """`interlock worker` processes on one database."""

    def __init__(self, database: str, folder: Path) -> None:
        self.database = database
        self.folder = folder
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, *extra: str) -> subprocess.Popen[bytes]:
        """Start one more worker, with more flags if given."""
        log_path = self.folder / f"worker{len(self.procs)}.log"
        proc = start_worker(EXAMPLES, self.database, log_path, "--lease-seconds", LEASE, *extra)
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
def cluster(tmp_path: Path, new_postgres_database: Callable[[], str]) -> Iterator[Cluster]:
    """Two API-only servers and two workers on a fresh PostgreSQL database."""
    database = new_postgres_database()
    apis = [
        LiveServer(
            EXAMPLES,
            tmp_path / f"api{n}.db",
            database=database,
            extra_args=["--workers", "0", "--lease-seconds", LEASE],
        )
        for n in range(2)
    ]
    workers = Workers(database, tmp_path)
    for api in apis:
        api.start()
    try:
        workers.start()
        workers.start()
        yield apis[0], workers, apis[1].url
    finally:
        workers.stop()
        for api in apis:
            api.stop()


async def _status(http: httpx.AsyncClient, thread_id: str, run_id: str, wanted: str) -> Any:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = (await http.get(f"/threads/{thread_id}/runs/{run_id}")).json()
        if run["status"] == wanted:
            return run
        await asyncio.sleep(0.05)
    raise AssertionError(f"run {run_id} never became {wanted}")


async def test_seed_cycles_run_on_worker_processes(cluster: Cluster) -> None:
    """200 seed cycles over both API processes, 16 at a time: every one ends as the seed says."""
    api, _, other_api = cluster
    clients = [get_client(url=api.url), get_client(url=other_api)]
    gate = asyncio.Semaphore(16)

    async def cycle(n: int) -> Any:
        async with gate:
            # Each call may go to either API process.
            first_client, second_client = clients[n % 2], clients[(n // 2) % 2]
            thread = await first_client.threads.create()
            first = await second_client.runs.wait(
                thread["thread_id"], "agent", input={"some_text": f"text {n}"}
            )
            assert first["__interrupt__"][0]["value"] == {"text_to_revise": f"text {n}"}
            return await first_client.runs.wait(
                thread["thread_id"], "agent", command=Command(resume="Edited text")
            )

    results = await asyncio.gather(*(cycle(n) for n in range(200)))
    assert results == [{"some_text": "Edited text"}] * 200
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        count = await http.post("/threads/count", json={"status": "idle"})
        assert count.json() == 200


async def test_killed_worker_run_finishes_on_another(
    cluster: Cluster,
) -> None:
    """SIGKILL the worker running a run: after the lease, the other worker finishes it."""
    api, workers, _ = cluster
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


async def test_killed_worker_does_not_repeat_steps_before_its_last_checkpoint(
    cluster: Cluster, tmp_path: Path
) -> None:
    """SIGKILL in the second step: the run ends on the other worker, the first step ran once.

    A stream joined on the other API process sees attempt 1, then attempt 2, and the end.
    """
    api, workers, other_api = cluster
    journal = tmp_path / "journal.txt"
    journal.touch()
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        thread_id = (await http.post("/threads", json={})).json()["thread_id"]
        run = (
            await http.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "journal", "input": {"journal": str(journal), "delay": 3}},
            )
        ).json()

        async def follow() -> list[Any]:
            stream = get_client(url=other_api).runs.join_stream(thread_id, run["run_id"])
            return [(part.event, part.data) async for part in stream]

        watcher = asyncio.create_task(follow())
        deadline = time.monotonic() + 60
        while "ship" not in journal.read_text():
            assert time.monotonic() < deadline, "the second step never started"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # the first step's checkpoint is written meanwhile
        # Each line carries the pid of the worker that wrote it: kill that one.
        first_pid = int(journal.read_text().split()[1])
        [victim] = [proc for proc in workers.procs if proc.pid == first_pid]
        victim.kill()
        victim.wait()
        done = await _status(http, thread_id, run["run_id"], "success")
        assert done["status"] == "success"
        state = (await http.get(f"/threads/{thread_id}/state")).json()
        seen = await asyncio.wait_for(watcher, 60)
    assert state["values"]["steps"] == ["charge", "ship"]
    attempts = [data["attempt"] for event, data in seen if event == "metadata"]
    assert attempts == [1, 2]
    assert seen[-1] == ("values", state["values"])
    lines = [line.split() for line in journal.read_text().splitlines()]
    survivor = next(proc.pid for proc in workers.procs if proc.pid != first_pid)
    # The step the crash cut short ran again on the survivor; the one before did not.
    assert lines == [["charge", str(first_pid)], ["ship", str(first_pid)], ["ship", str(survivor)]]


async def test_cancel_reaches_the_worker_process(cluster: Cluster) -> None:
    """A cancel sent to the API process stops a run executing in a worker process."""
    api, _, _ = cluster
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


async def test_run_on_one_api_streams_and_resumes_on_the_other(
    cluster: Cluster,
) -> None:
    """A run created through API A is joined on API B, which sees the interrupt; B resumes it."""
    api, _, other_api = cluster
    async with (
        httpx.AsyncClient(base_url=api.url, timeout=60) as a,
        httpx.AsyncClient(base_url=other_api, timeout=60) as b,
    ):
        thread_id = (await a.post("/threads", json={})).json()["thread_id"]
        run = (
            await a.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "slow", "input": {"delay": 1}, "stream_mode": ["updates"]},
            )
        ).json()
        seen = []
        async with b.stream("GET", f"/threads/{thread_id}/runs/{run['run_id']}/stream") as resp:
            async for line in resp.aiter_lines():
                if line.startswith("data: "):
                    seen.append(line)
        assert any("__interrupt__" in line for line in seen)
        done = await b.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "slow", "command": {"resume": "yes"}},
        )
        assert done.json()["answer"] == "answer=yes"


async def test_concurrent_resumes_through_both_apis_run_once(
    cluster: Cluster,
) -> None:
    """Fifty resumes of one interrupt through both API processes: exactly one is accepted."""
    api, _, other_api = cluster
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as a:
        thread_id = (await a.post("/threads", json={})).json()["thread_id"]
        await a.post(
            f"/threads/{thread_id}/runs/wait",
            json={"assistant_id": "agent", "input": {"some_text": "x"}},
        )

    async def resume(n: int) -> int:
        url = api.url if n % 2 else other_api
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            response = await http.post(
                f"/threads/{thread_id}/runs",
                json={
                    "assistant_id": "agent",
                    "command": {"resume": f"r{n}"},
                    "multitask_strategy": "reject",
                },
            )
            return response.status_code

    statuses = await asyncio.gather(*(resume(n) for n in range(50)))
    assert statuses.count(200) == 1
    assert set(statuses) <= {200, 409}
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as a:
        runs = (await a.get(f"/threads/{thread_id}/runs")).json()
        assert len(runs) == 2


async def test_sigterm_lets_a_worker_finish_its_run(
    cluster: Cluster,
) -> None:
    """SIGTERM on the workers: the running run finishes within the grace period."""
    api, workers, _ = cluster
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        thread_id = (await http.post("/threads", json={})).json()["thread_id"]
        run = (
            await http.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "slow", "input": {"delay": 2}},
            )
        ).json()
        await _status(http, thread_id, run["run_id"], "running")
        for proc in workers.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in workers.procs:
            assert proc.wait(30) == 0
        finished = (await http.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()
        assert finished["status"] == "success"


async def test_sigterm_hands_back_a_run_that_outlasts_the_grace_period(
    cluster: Cluster,
) -> None:
    """A run longer than --shutdown-grace goes back to the queue and ends on the next worker."""
    api, workers, _ = cluster
    for proc in workers.procs:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    short = workers.start("--shutdown-grace", "0.5")
    async with httpx.AsyncClient(base_url=api.url, timeout=60) as http:
        thread_id = (await http.post("/threads", json={})).json()["thread_id"]
        run = (
            await http.post(
                f"/threads/{thread_id}/runs",
                json={"assistant_id": "slow", "input": {"delay": 3}},
            )
        ).json()
        await _status(http, thread_id, run["run_id"], "running")
        short.send_signal(signal.SIGTERM)
        assert short.wait(30) == 0
        handed_back = (await http.get(f"/threads/{thread_id}/runs/{run['run_id']}")).json()
        assert handed_back["status"] == "pending"
        workers.start()
        finished = await _status(http, thread_id, run["run_id"], "success")
        assert finished["status"] == "success"
