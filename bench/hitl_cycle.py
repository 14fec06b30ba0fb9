"""Benchmark the seed human-in-the-loop cycle through the official Python SDK.

One cycle is the seed flow: ``threads.create()``, ``runs.wait`` with the input (stops
at the interrupt), then ``runs.wait`` with ``Command(resume=...)``. Every response is
checked against the seed contract. The script measures a sequential run, a concurrent
run, and an in-process floor (the same graph driven directly with an SQLite
checkpointer), then compares them with each other and with the official
``langgraph dev`` figures.

Usage::

    python bench/hitl_cycle.py --url http://127.0.0.1:2024 --cycles 200 --concurrency 16
    python bench/hitl_cycle.py                 # starts `interlock dev` on a free port
    python bench/hitl_cycle.py --floor-only    # only the in-process floor

Exits 1 if any response did not match the seed contract.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from langgraph_sdk import get_client
from langgraph_sdk.client import LangGraphClient
from langgraph_sdk.errors import LangGraphError
from langgraph_sdk.schema import Command as SdkCommand

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"

SEED_INPUT = {"some_text": "original text"}
INTERRUPT_VALUE = {"text_to_revise": "original text"}
RESUME = "Edited text"
RESUMED = {"some_text": "Edited text"}

CREATE = "threads.create"
WAIT_INPUT = "runs.wait input"
WAIT_RESUME = "runs.wait resume"
ANY_CALL = "any call"
CYCLE = "whole cycle"
COLUMNS = (CREATE, WAIT_INPUT, WAIT_RESUME, ANY_CALL, CYCLE)

# Recorded from the official `langgraph dev` server (reference, section 13).
OFFICIAL_SEQUENTIAL_CPS = 0.495
OFFICIAL_WAIT_P50_MS = 1005.0
OFFICIAL_CONCURRENT_CPS = (26.4, 32.4)


class ContractError(Exception):
    """A response did not match the seed contract."""


@dataclass
class Measurement:
    """Latencies (ms) per call type and the outcome of one measured run."""

    name: str
    cycles: int
    ok: int = 0
    wall_s: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in COLUMNS})
    failures: list[str] = field(default_factory=list)

    @property
    def cycles_per_s(self) -> float:
        """Completed cycles per wall-clock second."""
        return self.ok / self.wall_s if self.wall_s > 0 else 0.0

    def add_call(self, column: str, ms: float) -> None:
        """Record one call's latency under its own column and under "any call"."""
        self.latencies[column].append(ms)
        self.latencies[ANY_CALL].append(ms)


def percentile(values: list[float], pct: float) -> float:
    """Return the nearest-rank percentile of `values` (NaN when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def p50(m: Measurement, column: str) -> float:
    """Median latency of one column."""
    return percentile(m.latencies[column], 50)


def fmt_stats(values: list[float]) -> str:
    """Format p50 / p95 / p99 in ms, or a dash when nothing was measured."""
    if not values:
        return "-"
    return " / ".join(f"{percentile(values, p):.2f}" for p in (50, 95, 99))


def check_interrupted(result: Any) -> None:
    """Check the first runs.wait output: the input plus exactly one seed interrupt."""
    if not isinstance(result, dict) or result.get("some_text") != SEED_INPUT["some_text"]:
        raise ContractError(f"runs.wait(input) returned {result!r}")
    interrupts = result.get("__interrupt__")
    if not isinstance(interrupts, list) or len(interrupts) != 1:
        raise ContractError(f"expected exactly one __interrupt__, got {result!r}")
    if not isinstance(interrupts[0], dict) or interrupts[0].get("value") != INTERRUPT_VALUE:
        raise ContractError(f"unexpected interrupt {interrupts[0]!r}")


def check_resumed(result: Any) -> None:
    """Check the resume output is exactly the edited text."""
    if result != RESUMED:
        raise ContractError(f"runs.wait(resume) returned {result!r}, expected {RESUMED!r}")


async def server_cycle(client: LangGraphClient, m: Measurement | None) -> None:
    """Run one seed cycle through the SDK; record latencies into `m` unless warming up."""
    t0 = time.perf_counter()
    thread = await client.threads.create()
    t1 = time.perf_counter()
    # raise_error=False: an `__error__` body is a contract failure, reported like any other.
    result = await client.runs.wait(
        thread["thread_id"], "agent", input=SEED_INPUT, raise_error=False
    )
    t2 = time.perf_counter()
    check_interrupted(result)
    resumed = await client.runs.wait(
        thread["thread_id"], "agent", command=SdkCommand(resume=RESUME), raise_error=False
    )
    t3 = time.perf_counter()
    check_resumed(resumed)
    if m is not None:
        m.add_call(CREATE, (t1 - t0) * 1000)
        m.add_call(WAIT_INPUT, (t2 - t1) * 1000)
        m.add_call(WAIT_RESUME, (t3 - t2) * 1000)
        m.latencies[CYCLE].append((t3 - t0) * 1000)


async def run_cycles(
    name: str,
    cycles: int,
    concurrency: int,
    cycle: Callable[[Measurement], Awaitable[None]],
) -> Measurement:
    """Run `cycles` cycles over `concurrency` tasks that pull from one shared budget."""
    m = Measurement(name=name, cycles=cycles)
    remaining = cycles

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            try:
                await cycle(m)
            except (ContractError, httpx.HTTPError, LangGraphError) as exc:
                m.failures.append(f"{type(exc).__name__}: {exc}")
            else:
                m.ok += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))
    m.wall_s = time.perf_counter() - start
    return m


async def bench_server(url: str, cycles: int, concurrency: int, warmup: int) -> list[Measurement]:
    """Warm up, then measure the sequential and the concurrent run against `url`.

    Returns the warm-up (only its failures matter), sequential and concurrent runs.
    """
    async with get_client(url=url) as client:

        async def unmeasured(m: Measurement) -> None:
            await server_cycle(client, None)

        async def measured(m: Measurement) -> None:
            await server_cycle(client, m)

        warm = await run_cycles("server warm-up", warmup, 1, unmeasured)
        sequential = await run_cycles(f"sequential, {cycles} cycles", cycles, 1, measured)
        concurrent = await run_cycles(
            f"{concurrency} concurrent tasks, {cycles} cycles", cycles, concurrency, measured
        )
    return [warm, sequential, concurrent]


def load_seed_builder() -> Any:
    """Import `graph_builder` from examples/agent.py without making examples a package."""
    spec = importlib.util.spec_from_file_location("_bench_seed_agent", EXAMPLES / "agent.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot import {EXAMPLES / 'agent.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.graph_builder


async def bench_floor(cycles: int, warmup: int) -> Measurement:
    """Measure the seed graph in-process: the work any server has to do at minimum."""
    # Imported here so the server benchmark does not need the sqlite extra.
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
    from langgraph.types import Command

    builder = load_seed_builder()
    with tempfile.TemporaryDirectory(prefix="interlock-floor-") as tmp:
        async with AsyncSqliteSaver.from_conn_string(str(Path(tmp) / "floor.db")) as saver:
            graph = builder.compile(checkpointer=saver)

            async def floor_cycle(m: Measurement | None) -> None:
                # No server: a fresh thread is just a new id, so threads.create is not timed.
                t0 = time.perf_counter()
                config = {"configurable": {"thread_id": str(uuid.uuid4())}}
                result = await graph.ainvoke(SEED_INPUT, config)
                t1 = time.perf_counter()
                interrupts = result.get("__interrupt__") if isinstance(result, dict) else None
                if not interrupts or len(interrupts) != 1:
                    raise ContractError(f"expected exactly one __interrupt__, got {result!r}")
                if interrupts[0].value != INTERRUPT_VALUE:
                    raise ContractError(f"unexpected interrupt {interrupts[0]!r}")
                resumed = await graph.ainvoke(Command(resume=RESUME), config)
                t2 = time.perf_counter()
                check_resumed(resumed)
                if m is not None:
                    m.add_call(WAIT_INPUT, (t1 - t0) * 1000)
                    m.add_call(WAIT_RESUME, (t2 - t1) * 1000)
                    m.latencies[CYCLE].append((t2 - t0) * 1000)

            async def unmeasured(m: Measurement) -> None:
                await floor_cycle(None)

            async def measured(m: Measurement) -> None:
                await floor_cycle(m)

            warm = await run_cycles("floor warm-up", warmup, 1, unmeasured)
            floor = await run_cycles(
                f"in-process floor (AsyncSqliteSaver), {cycles} cycles", cycles, 1, measured
            )
            floor.failures[:0] = [f"warm-up: {f}" for f in warm.failures]
            return floor


def print_table(measurements: list[Measurement]) -> None:
    """Print one Markdown row per measurement, latencies as p50 / p95 / p99 ms."""
    print("\nLatencies in ms as p50 / p95 / p99 (nearest rank).\n")
    header = ["measurement", "ok", "wall s", "cycles/s", *COLUMNS]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for m in measurements:
        cells = [
            m.name,
            f"{m.ok}/{m.cycles}",
            f"{m.wall_s:.2f}",
            num(m.cycles_per_s),
            *(fmt_stats(m.latencies[c]) for c in COLUMNS),
        ]
        print("| " + " | ".join(cells) + " |")


def num(x: float) -> str:
    """Format a rate or ratio with three significant digits below 100."""
    return f"{x:.3g}" if abs(x) < 100 else f"{x:.0f}"


def ratio(a: float, b: float) -> str:
    """Format a / b, or n/a when it is undefined."""
    if b == 0 or math.isnan(a) or math.isnan(b):
        return "n/a"
    return f"{num(a / b)}x"


def print_comparisons(server: list[Measurement], floor: Measurement | None) -> None:
    """Print server/floor ratios and the comparison with the official dev server."""
    if server and floor is not None:
        print("\nServer / in-process floor (p50 latency ratio; cycles/s ratio):")
        for m in server:
            parts = [f"{c} {ratio(p50(m, c), p50(floor, c))}" for c in COLUMNS if c != CREATE]
            parts.append(f"cycles/s {ratio(m.cycles_per_s, floor.cycles_per_s)}")
            print(f"  {m.name}: " + ", ".join(parts))
    if server:
        sequential, concurrent = server
        waits = sequential.latencies[WAIT_INPUT] + sequential.latencies[WAIT_RESUME]
        wait_p50 = percentile(waits, 50)
        low, high = OFFICIAL_CONCURRENT_CPS
        print(
            "\nOfficial `langgraph dev` (recorded): sequential "
            f"{OFFICIAL_SEQUENTIAL_CPS} cycles/s with runs.wait p50 ~{OFFICIAL_WAIT_P50_MS:.0f} ms;"
            f" 16 concurrent {low}-{high} cycles/s."
        )
        print(
            f"This server: sequential {num(sequential.cycles_per_s)} cycles/s"
            f" (this/official {ratio(sequential.cycles_per_s, OFFICIAL_SEQUENTIAL_CPS)}),"
            f" runs.wait p50 {wait_p50:.2f} ms"
            f" (official/this {ratio(OFFICIAL_WAIT_P50_MS, wait_p50)});"
            f" concurrent {num(concurrent.cycles_per_s)} cycles/s"
            f" (this/official {ratio(concurrent.cycles_per_s, high)}"
            f" to {ratio(concurrent.cycles_per_s, low)})."
        )


def free_port() -> int:
    """Ask the OS for a free loopback port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def interlock_executable() -> str:
    """Find the `interlock` CLI next to this Python, else on PATH."""
    beside = Path(sys.executable).parent / "interlock"
    if beside.exists():
        return str(beside)
    found = shutil.which("interlock")
    if found is None:
        raise SystemExit("cannot find the `interlock` CLI; install the project or pass --url")
    return found


@contextlib.contextmanager
def started_server(timeout_s: float = 60.0) -> Iterator[str]:
    """Start `interlock dev` on a free port with a scratch database; yield its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="interlock-bench-") as tmp:
        log_path = Path(tmp) / "server.log"
        cmd = [
            interlock_executable(),
            "dev",
            "--config",
            str(EXAMPLES / "langgraph.json"),
            "--port",
            str(port),
            "--database",
            str(Path(tmp) / "bench.db"),
        ]
        with log_path.open("wb") as log:
            # Its own session, so stopping it also stops any workers it forked.
            proc = subprocess.Popen(
                cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            wait_ready(url, proc, log_path, timeout_s)
            print(f"started {' '.join(cmd)} (pid {proc.pid})")
            yield url
        finally:
            stop_group(proc)


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group: SIGTERM, then SIGKILL after 15 s."""
    for sig, grace in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def wait_ready(url: str, proc: subprocess.Popen[bytes], log_path: Path, timeout_s: float) -> None:
    """Poll GET /ok until it answers 200; stop with the server log if it never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(
                f"interlock dev exited with {proc.returncode}:\n{log_path.read_text()[-4000:]}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"interlock dev not ready after {timeout_s}s:\n{log_path.read_text()[-4000:]}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", help="server to measure; omitted: start `interlock dev`")
    parser.add_argument("--cycles", type=int, default=200, help="measured cycles per run")
    parser.add_argument("--concurrency", type=int, default=16, help="tasks in the concurrent run")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured server cycles first")
    parser.add_argument("--floor-cycles", type=int, help="floor cycles (default: --cycles)")
    parser.add_argument("--floor-warmup", type=int, default=20, help="unmeasured floor cycles")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--floor-only", action="store_true", help="only the in-process floor")
    group.add_argument("--skip-floor", action="store_true", help="no in-process floor")
    args = parser.parse_args(argv)
    if args.cycles < 1 or args.concurrency < 1:
        parser.error("--cycles and --concurrency must be at least 1")
    return args


async def main_async(args: argparse.Namespace, url: str | None) -> int:
    """Run the selected measurements, print the report, and return the exit code."""
    server: list[Measurement] = []
    warm_failures: list[str] = []
    floor: Measurement | None = None
    if url is not None:
        print(f"server: {url}")
        warm, *server = await bench_server(url, args.cycles, args.concurrency, args.warmup)
        warm_failures = warm.failures
    if not args.skip_floor:
        floor = await bench_floor(args.floor_cycles or args.cycles, args.floor_warmup)
    everything = [*server, *([floor] if floor else [])]
    print_table(everything)
    print_comparisons(server, floor)
    failures = [("server warm-up", f) for f in warm_failures]
    failures += [(m.name, f) for m in everything for f in m.failures]
    for name, failure in failures[:20]:
        print(f"MISMATCH in {name}: {failure}", file=sys.stderr)
    if failures:
        print(f"{len(failures)} cycle(s) did not match the seed contract", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point: pick or start the server, then benchmark."""
    args = parse_args(argv)
    if args.floor_only:
        return asyncio.run(main_async(args, None))
    if args.url:
        return asyncio.run(main_async(args, args.url.rstrip("/")))
    with started_server() as url:
        return asyncio.run(main_async(args, url))


if __name__ == "__main__":
    sys.exit(main())
