"""Benchmark scale-out on PostgreSQL: HITL cycles/s with 1, 2 and 4 worker processes.

For each worker count, starts a fresh PostgreSQL database, one API-only
`interlock serve --workers 0` and N `interlock worker` processes, then runs seed HITL
cycles (as `hitl_cycle.py` does) with 16 and 64 concurrent clients through the official
Python SDK. Prints cycles/s and p50 / p99 per call, and the ratio to the SQLite
single-process figure (measured here too) and to the in-process floor with
`AsyncPostgresSaver`.

Usage::

    python bench/scaleout.py --cycles 200 --postgres postgresql://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.types import Command
from langgraph_sdk import get_client

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hitl_cycle import (
    RESUME,
    SEED_INPUT,
    Measurement,
    load_seed_builder,
    p50,
    percentile,
    run_cycles,
    server_cycle,
)

from interlock.testing import LiveServer, start_worker

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "langgraph.json"


@contextmanager
def database(admin: str) -> Iterator[str]:
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"interlock_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def cluster(dsn: str, workers: int, folder: Path) -> Iterator[str]:
    """An API-only server and `workers` worker processes; yields the API URL."""
    api = LiveServer(EXAMPLES, folder / "api.db", database=dsn, extra_args=["--workers", "0"])
    api.start()
    procs = []
    try:
        for n in range(workers):
            procs.append(start_worker(EXAMPLES, dsn, folder / f"worker{n}.log"))
        yield api.url
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(30)
        api.stop()


async def measure(url: str, name: str, cycles: int, concurrency: int) -> Measurement:
    """Warm up, then run the cycles."""
    client = get_client(url=url)
    for _ in range(3):
        await server_cycle(client, None)
    return await run_cycles(name, cycles, concurrency, lambda m: server_cycle(client, m))


async def floor(dsn: str, cycles: int) -> Measurement:
    """The same cycles in process with AsyncPostgresSaver, sequentially."""
    m = Measurement(name="in-process floor (AsyncPostgresSaver)", cycles=cycles)
    async with AsyncPostgresSaver.from_conn_string(dsn) as saver:
        await saver.setup()
        graph = load_seed_builder().compile(checkpointer=saver)
        start = time.perf_counter()
        for _ in range(cycles):
            config: Any = {"configurable": {"thread_id": str(uuid.uuid4())}}
            t0 = time.perf_counter()
            await graph.ainvoke(SEED_INPUT, config)
            t1 = time.perf_counter()
            await graph.ainvoke(Command(resume=RESUME), config)
            t2 = time.perf_counter()
            m.latencies["runs.wait input"].append((t1 - t0) * 1000)
            m.latencies["runs.wait resume"].append((t2 - t1) * 1000)
            m.latencies["whole cycle"].append((t2 - t0) * 1000)
            m.ok += 1
        m.wall_s = time.perf_counter() - start
    return m


def row(m: Measurement, sqlite_cps: float, floor_cps: float) -> str:
    """One Markdown row."""
    calls = m.latencies["runs.wait input"] + m.latencies["runs.wait resume"]
    return (
        f"| {m.name} | {m.ok}/{m.cycles} | {m.cycles_per_s:.1f} | "
        f"{p50(m, 'runs.wait input'):.1f} / {percentile(calls, 99):.1f} | "
        f"{m.cycles_per_s / sqlite_cps:.2f}x | {m.cycles_per_s / floor_cps:.2f}x |"
    )


def main() -> int:
    """Run every configuration and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--clients", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    rows: list[Measurement] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with LiveServer(EXAMPLES, folder / "sqlite.db") as sqlite_server:
            sqlite = asyncio.run(
                measure(sqlite_server.url, "SQLite, one process, 16 clients", args.cycles, 16)
            )
        with database(args.postgres) as dsn:
            base = asyncio.run(floor(dsn, args.cycles))
        for workers in args.workers:
            for clients in args.clients:
                with database(args.postgres) as dsn, cluster(dsn, workers, folder) as url:
                    name = f"PostgreSQL, API + {workers} worker(s), {clients} clients"
                    rows.append(asyncio.run(measure(url, name, args.cycles, clients)))
    print(f"Machine: {os.cpu_count()} cores. Cycles per measurement: {args.cycles}.")
    print("| measurement | ok | cycles/s | runs.wait p50 / p99 ms | vs SQLite | vs floor |")
    print("|---|---|---|---|---|---|")
    for m in [sqlite, base, *rows]:
        print(row(m, sqlite.cycles_per_s, base.cycles_per_s))
    return 0 if all(m.ok == m.cycles for m in [sqlite, *rows]) else 1


if __name__ == "__main__":
    sys.exit(main())
