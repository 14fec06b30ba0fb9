"""Benchmark the interrupt inbox: `POST /interrupts/search` over many pending interrupts.

Fills a fresh SQLite database with N pending interrupts (on N threads, over several
graphs and users), starts `interlock dev` on it, and times first-page searches through
HTTP: unfiltered, by graph, by thread metadata, and by status and age. Prints p50 / p99
per query. The target is interactive: under 20 ms at p50 on SQLite.

Usage::

    python bench/interrupt_search.py --interrupts 100000 --queries 200
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx

from interlock import serde
from interlock.models import utcnow
from interlock.storage._dialect import SQLiteDialect
from interlock.storage._ops import SqlOps
from interlock.testing import LiveServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "langgraph.json"
GRAPHS = ["agent", "approval", "multi", "typed"]


def fill(path: Path, count: int) -> None:
    """Write `count` threads, each with one pending interrupt, in one transaction."""
    ops = SqlOps(SQLiteDialect(path))
    ops.migrate()
    start = utcnow() - timedelta(days=7)
    threads, interrupts, keys = [], [], []
    for n in range(count):
        thread_id = f"00000000-0000-7000-8000-{n:012d}"
        created = (start + timedelta(seconds=n * 6)).isoformat()
        graph = GRAPHS[n % len(GRAPHS)]
        metadata = serde.dumps({"user": f"user{n % 500}", "graph_id": graph}).decode()
        threads.append(
            (thread_id, created, created, created, metadata, "interrupted", "{}", "{}", "{}")
        )
        keys += [(thread_id, "user", f'"user{n % 500}"'), (thread_id, "graph_id", f'"{graph}"')]
        interrupts.append(
            (f"{n:032x}", thread_id, f"run-{n}", "assistant", graph, "cp", "task", "", "node",
             "during", '{"question": "ok?"}', "null", "pending", created)
        )  # fmt: skip
    with ops._tx() as conn:
        conn.executemany(
            "INSERT INTO threads (thread_id, created_at, updated_at, state_updated_at, metadata, "
            'status, config, "values", interrupts, has_run) VALUES (?,?,?,?,?,?,?,?,?,1)',
            threads,
        )
        conn.executemany(
            "INSERT INTO interrupts (interrupt_id, thread_id, run_id, assistant_id, graph_id, "
            'checkpoint_id, task_id, namespace, node, "when", value, response_schema, status, '
            "created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            interrupts,
        )
        conn.executemany("INSERT INTO thread_metadata VALUES (?, ?, ?)", keys)
    ops.conn.execute("ANALYZE")
    ops.close()


async def measure(url: str, queries: int) -> dict[str, list[float]]:
    """Time each kind of first-page search `queries` times."""
    recent = (utcnow() - timedelta(days=1)).isoformat()
    bodies = {
        "pending, newest first": {"status": "pending", "limit": 20},
        "pending, by graph": {"status": "pending", "graph_id": "approval", "limit": 20},
        "pending, by thread metadata": {"status": "pending", "metadata": {"user": "user42"}},
        "pending, created in the last day": {"status": "pending", "created_after": recent},
    }
    timings: dict[str, list[float]] = {name: [] for name in bodies}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for name, body in bodies.items():
            for _ in range(5):  # warm-up
                await http.post("/interrupts/search", json=body)
            for _ in range(queries):
                start = time.perf_counter()
                response = await http.post("/interrupts/search", json=body)
                timings[name].append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, response.text
                assert response.json(), f"{name}: no results"
    return timings


def main() -> int:
    """Fill, serve, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interrupts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "inbox.db"
        fill(db, args.interrupts)
        with LiveServer(EXAMPLES, db) as server:
            timings = asyncio.run(measure(server.url, args.queries))
    print(f"{args.interrupts:,} pending interrupts; first page; ms over HTTP (client included)")
    print("| query | p50 | p99 |")
    print("|---|---|---|")
    for name, values in timings.items():
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"| {name} | {statistics.median(values):.2f} | {p99:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
