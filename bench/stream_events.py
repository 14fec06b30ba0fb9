"""Benchmark streaming: time to the first event, and events per second through SSE.

Starts `interlock dev` on `bench/graphs/langgraph.json` (a graph that emits N custom
events) on a free port, then, through the official Python SDK:

1. time from `runs.stream(...)` to the first event (`metadata`), over several runs;
2. events per second for a run that emits N custom events, read to the end.

Both are printed against the in-process floor: the same graph's `astream` with an
SQLite checkpointer, no server.

Usage::

    python bench/stream_events.py --events 10000 --runs 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph_sdk import get_client

from interlock.testing import LiveServer

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "graphs" / "langgraph.json"


async def server_figures(url: str, events: int, runs: int) -> tuple[list[float], float, int]:
    """Return first-event latencies (ms), events/s of the big run, and events seen."""
    client = get_client(url=url)
    first: list[float] = []
    for _ in range(runs):
        thread = await client.threads.create()
        start = time.perf_counter()
        stream = client.runs.stream(
            thread["thread_id"], "chatter", input={"count": 1}, stream_mode="custom"
        )
        async for part in stream:
            if part.event == "metadata":
                first.append((time.perf_counter() - start) * 1000)
        # The loop reads the stream to its end so the next run starts on an idle server.
    thread = await client.threads.create()
    seen = 0
    start = time.perf_counter()
    async for part in client.runs.stream(
        thread["thread_id"], "chatter", input={"count": events}, stream_mode="custom"
    ):
        if part.event == "custom":
            seen += 1
    elapsed = time.perf_counter() - start
    return first, seen / elapsed, seen


async def floor_figures(events: int, runs: int) -> tuple[list[float], float, int]:
    """The same measurements with `graph.astream` in process."""
    sys.path.insert(0, str(HERE / "graphs"))
    from chatter import builder

    with tempfile.TemporaryDirectory() as tmp:
        async with AsyncSqliteSaver.from_conn_string(str(Path(tmp) / "floor.db")) as saver:
            graph = builder.compile(checkpointer=saver)
            first: list[float] = []
            for _ in range(runs):
                config = {"configurable": {"thread_id": str(uuid.uuid4())}}
                start = time.perf_counter()
                got_first = False
                async for _chunk in graph.astream({"count": 1}, config, stream_mode="custom"):
                    if not got_first:
                        first.append((time.perf_counter() - start) * 1000)
                        got_first = True
            config = {"configurable": {"thread_id": str(uuid.uuid4())}}
            seen = 0
            start = time.perf_counter()
            async for _chunk in graph.astream({"count": events}, config, stream_mode="custom"):
                seen += 1
            elapsed = time.perf_counter() - start
    return first, seen / elapsed, seen


def main() -> int:
    """Run both measurements and print them with their ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, LiveServer(CONFIG, Path(tmp) / "bench.db") as srv:
        first, rate, seen = asyncio.run(server_figures(srv.url, args.events, args.runs))
    floor_first, floor_rate, floor_seen = asyncio.run(floor_figures(args.events, args.runs))
    if seen != args.events or floor_seen != args.events:
        print(f"MISMATCH: server saw {seen}, floor saw {floor_seen}, expected {args.events}")
        return 1
    p50, floor_p50 = statistics.median(first), statistics.median(floor_first)
    print("| measurement | Interlock (SSE, Python SDK) | in-process floor (astream) | ratio |")
    print("|---|---|---|---|")
    print(f"| first event, p50 ms ({args.runs} runs) | {p50:.2f} | {floor_p50:.2f} | "
          f"{p50 / floor_p50:.1f}x |")  # fmt: skip
    print(f"| {args.events} custom events, events/s | {rate:,.0f} | {floor_rate:,.0f} | "
          f"{rate / floor_rate:.2f}x |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
