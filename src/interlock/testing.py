"""Test helpers: run a real Interlock server in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

__all__ = ["LiveServer", "free_port", "start_worker"]

START_TIMEOUT = 60.0  # seconds a server may take to answer /ok


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """`interlock dev` in a subprocess, for tests that talk to it over HTTP.

    Args:
        config: the langgraph.json to serve.
        log_base: a file path; the server's output goes next to it, as `<name>.log`
            (and it is the SQLite database unless `database` says otherwise).
        database: a SQLite file or a `postgresql://` URL (kept across restarts).
        port: the port; a free one when omitted.
        extra_args: more command-line flags.
    """

    def __init__(
        self,
        config: Path,
        log_base: Path,
        *,
        database: str | None = None,
        port: int | None = None,
        extra_args: list[str] | None = None,
    ) -> None:
        self.config = config
        self.database = database or str(log_base)
        self.port = port or free_port()
        self.extra_args = extra_args or []
        self.log_path = log_base.with_suffix(".log")
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The base URL, like `http://127.0.0.1:54321`."""
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The command line that starts the server."""
        return [
            sys.executable,
            "-m",
            "interlock",
            "dev",
            "--config",
            str(self.config),
            "--port",
            str(self.port),
            "--database",
            str(self.database),
            *self.extra_args,
        ]

    def start(self) -> Self:
        """Start the server and wait until it answers `/ok`."""
        self._log = self.log_path.open("ab")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self._proc = subprocess.Popen(self.command(), stdout=self._log, stderr=self._log, env=env)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"The server exited with {self._proc.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/ok", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"The server did not answer /ok within {START_TIMEOUT} s:\n{self.log()}")

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def log(self) -> str:
        """What the server printed so far."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 20) -> None:
        """Stop the server gracefully (SIGTERM), as Ctrl-C would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._closed()

    def kill(self) -> None:
        """Kill the server at once (SIGKILL), as a crash would."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._closed()

    def _closed(self) -> None:
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_worker(
    config: Path, database: str, log_path: Path, *extra_args: str
) -> subprocess.Popen[bytes]:
    """Start `interlock worker` in a subprocess and wait until it says it has started.

    Ready means its signal handlers are installed, so a SIGTERM sent afterwards drains it.

    Raises:
        RuntimeError: it exited, or did not start within `START_TIMEOUT` seconds.
    """
    with log_path.open("ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "interlock", "worker", "--config", str(config),
             "--database", database, *extra_args],
            stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT
    while "worker started" not in log_path.read_text(errors="replace"):
        if proc.poll() is not None:
            raise RuntimeError(f"The worker exited with {proc.returncode}:\n{log_path.read_text()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"The worker did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return proc
