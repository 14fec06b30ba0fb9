"""Restart PostgreSQL under load: every process reconnects, every acknowledged run ends.

The server is a private PostgreSQL cluster made for this test (initdb in a temporary
folder, on a free port), so restarting it disturbs nothing else.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langgraph_sdk import get_client
from langgraph_sdk.schema import Command

from interlock.testing import LiveServer, free_port, start_worker

pytestmark = pytest.mark.postgres

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "langgraph.json"


class PrivatePostgres:
    """A throw-away PostgreSQL cluster on a free loopback port."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.folder = Path(tempfile.mkdtemp(prefix="interlock-pg-"))
        self.port = free_port()
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"

    @property
    def dsn(self) -> str:
        """The URL of its `postgres` database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root; its own account owns the cluster.
            shutil.chown(self.folder, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_owner("pg_ctl", action, "-D", str(self.data), "-w", "-l", str(self.log),
                       "-o", options, *extra)  # fmt: skip

    def start(self) -> None:
        """Create the cluster and start it."""
        self._as_owner("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres",
                       "--no-sync", "-E", "UTF8")  # fmt: skip
        self._ctl("start")

    def restart(self, down: float) -> None:
        """Stop the server (fast shutdown: every connection is cut), wait, start it again."""
        self._ctl("stop", "-m", "fast")
        time.sleep(down)
        self._ctl("start")

    def stop(self) -> None:
        """Stop the server and remove the cluster."""
        try:
            self._ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own; skipped (failed in CI) without initdb."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        reason = "needs PostgreSQL's server binaries (initdb, pg_ctl) to run a private cluster"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    server = PrivatePostgres(Path(found[-1]).parent)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _unfinished(database: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(database) as conn:
        return conn.execute(
            "SELECT r.run_id, r.status, r.attempt, r.worker_id, r.lease_until, t.status "
            "FROM runs r JOIN threads t USING (thread_id) WHERE r.status IN ('pending', 'running')"
        ).fetchall()


def _status(exc: Exception) -> int | str:
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", None)
    return code if isinstance(code, int) else type(exc).__name__


async def test_processes_carry_on_when_postgresql_restarts(
    private_postgres: PrivatePostgres, tmp_path: Path
) -> None:
    """Two restarts (1 s down each) during 40 HITL cycles: no process dies, all cycles end well."""
    database = private_postgres.dsn
    api = LiveServer(
        EXAMPLES,
        tmp_path / "api.db",
        database=database,
        extra_args=["--workers", "0", "--lease-seconds", "3"],
    ).start()
    worker = start_worker(EXAMPLES, database, tmp_path / "worker.log", "--lease-seconds", "3")
    client = get_client(url=api.url, timeout=30)
    refused: list[int | str] = []
    gate = asyncio.Semaphore(8)

    async def settle(thread_id: str) -> Any:
        # What a careful client does after an answer it did not get: read where the
        # thread is, and do the next step only if nobody did it yet.
        while True:
            try:
                return await client.threads.get(thread_id)
            except Exception as exc:  # noqa: BLE001 -- the server may be answering 503
                refused.append(_status(exc))
                await asyncio.sleep(0.2)

    async def cycle(n: int) -> Any:
        async with gate:
            thread_id = str(uuid.uuid4())
            while True:
                try:
                    await client.threads.create(thread_id=thread_id, if_exists="do_nothing")
                    break
                except Exception as exc:  # noqa: BLE001
                    refused.append(_status(exc))
                    await asyncio.sleep(0.2)
            while True:
                thread = await settle(thread_id)
                values = thread["values"] or {}
                if thread["status"] == "busy":
                    await asyncio.sleep(0.1)
                    continue
                assert thread["status"] != "error", thread
                if "answer" in values:
                    return thread
                try:
                    if thread["status"] == "interrupted":
                        await client.runs.wait(
                            thread_id, "slow", command=Command(resume=f"yes {n}"),
                            multitask_strategy="reject",
                        )  # fmt: skip
                    else:
                        await client.runs.wait(
                            thread_id, "slow", input={"delay": 0.3}, multitask_strategy="reject"
                        )
                except Exception as exc:  # noqa: BLE001
                    refused.append(_status(exc))
                    await asyncio.sleep(0.2)

    async def restarts() -> None:
        for _ in range(2):
            await asyncio.sleep(1.5)
            await asyncio.to_thread(private_postgres.restart, 1.0)

    try:
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(cycle(n) for n in range(40)), restarts()), timeout=90
            )
        except TimeoutError:
            pytest.fail(f"cycles stuck; runs not ended: {_unfinished(database)}")
        threads = results[:40]
        assert api.running, api.log()
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        for n, thread in enumerate(threads):
            assert thread["values"]["answer"] == f"answer=yes {n}"
            assert thread["status"] == "idle"
            runs = await client.runs.list(thread["thread_id"])
            # Exactly the two runs of the cycle, both ended well: none lost, none doubled.
            assert sorted(r["status"] for r in runs) == ["success", "success"], runs
        interrupts = await client.http.post("/interrupts/count", json={"status": "pending"})
        assert interrupts == 0
        # Requests that met the outage were refused as retryable, never as a server bug.
        assert 500 not in refused, refused
        # The outages were felt: the worker logged the failures it rode out.
        assert "reconnecting" in (tmp_path / "worker.log").read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(20)
        except subprocess.TimeoutExpired:
            worker.kill()
        api.stop()
