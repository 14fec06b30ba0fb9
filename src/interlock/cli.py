"""The `interlock` command: `dev` and `serve` run the API with its in-process worker pool."""

from __future__ import annotations

import errno
import logging
import re
import socket
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click
import uvicorn

from interlock._version import __version__
from interlock.backend import is_postgres
from interlock.config import DEFAULT_POOL_SIZE, DEFAULT_PORT, Settings, load_project
from interlock.errors import ConfigError, InterlockError, PortInUseError

__all__ = ["main"]


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves, so a taken port fails loudly instead of moving.

    Raises:
        PortInUseError: something already listens there.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            msg = (
                f"Port {port} on {host} is already in use. Stop the process holding it "
                f"or choose another port with --port."
            )
            raise PortInUseError(msg) from exc
        raise PortInUseError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc
    sock.set_inheritable(True)
    return sock


def _serve(settings: Settings, log_level: str) -> None:
    from interlock.api.app import create_app  # imported late: `--help` stays fast

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    try:
        sock = bind_socket(settings.host, settings.port)
        app = create_app(settings)
    except (ConfigError, PortInUseError) as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    config = uvicorn.Config(
        app, log_level=log_level, access_log=False, timeout_graceful_shutdown=15
    )
    server = uvicorn.Server(config)
    database = settings.database if is_postgres(settings.database) else settings.database_path()
    click.echo(
        f"Interlock {__version__} listening on http://{settings.host}:{settings.port} "
        f"(database {_safe(str(database))})",
        err=True,
    )
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(3)


def _safe(database: str) -> str:
    # Never print a password that a connection URL carries.
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", database)


_HTTP_ONLY = ("--host", "--port", "--workers", "--stream-keepalive")
"""Flags of the HTTP server that mean nothing to `interlock worker`."""


def _worker_options(fn: click.decorators.FC) -> click.decorators.FC:
    return _options(fn, http=False)


def _options(fn: click.decorators.FC, *, http: bool = True) -> click.decorators.FC:
    options: list[tuple[str, Callable[[click.decorators.FC], click.decorators.FC]]] = [
        _option(
            "--config",
            type=click.Path(path_type=Path, dir_okay=False),
            default=Path("langgraph.json"),
            show_default=True,
            help="The langgraph.json of the project.",
        ),
        _option("--host", default="127.0.0.1", show_default=True, help="Interface to bind."),
        _option("--port", type=int, default=DEFAULT_PORT, show_default=True, help="Port."),
        _option(
            "--database",
            default=None,
            help=(
                "A SQLite file (default: .interlock/interlock.db next to the config) or a "
                "postgresql:// URL."
            ),
        ),
        _option("--n-jobs", type=int, default=10, show_default=True, help="Runs executed at once."),
        _option(
            "--workers",
            type=click.IntRange(0, 1),
            default=1,
            show_default=True,
            help="1: this process executes runs; 0: it serves the API only.",
        ),
        _option(
            "--lease-seconds",
            type=float,
            default=30.0,
            show_default=True,
            help="Seconds a claimed run stays its worker's without a heartbeat.",
        ),
        _option(
            "--max-attempts",
            type=int,
            default=3,
            show_default=True,
            help="Starts of a run whose workers keep stopping before it ends in error.",
        ),
        _option(
            "--shutdown-grace",
            type=click.FloatRange(0),
            default=10.0,
            show_default=True,
            help="Seconds running runs get to finish on SIGTERM before going back to the queue.",
        ),
        _option(
            "--pool-size",
            type=click.IntRange(1, 1000),
            default=DEFAULT_POOL_SIZE,
            show_default=True,
            help="PostgreSQL: connections per process (as many again for checkpoints).",
        ),
        _option(
            "--migrate/--no-migrate",
            default=True,
            show_default=True,
            help="Apply pending schema migrations at start-up, or refuse a schema that is behind.",
        ),
        _option(
            "--stream-keepalive",
            type=float,
            default=5.0,
            show_default=True,
            help="Seconds of silence before a stream or a wait sends a keep-alive.",
        ),
        _option(
            "--event-retention",
            type=float,
            default=24 * 3600.0,
            show_default=True,
            help="Seconds the stream events of an ended run stay replayable.",
        ),
        _option(
            "--log-level",
            type=click.Choice(["debug", "info", "warning", "error"]),
            default="info",
            show_default=True,
        ),
    ]
    for flag, option in reversed(options):
        if http or flag not in _HTTP_ONLY:
            fn = option(fn)
    return fn


def _option(
    *decls: str, **attrs: Any
) -> tuple[str, Callable[[click.decorators.FC], click.decorators.FC]]:
    # The flag's first name, to tell the HTTP-only ones apart.
    return decls[0].split("/")[0], click.option(*decls, **attrs)


@click.group(context_settings={"auto_envvar_prefix": "INTERLOCK"})
@click.version_option(__version__, prog_name="interlock")
def main() -> None:
    """Interlock: a LangGraph Server API with durable human-in-the-loop."""


@main.command()
@_options
def dev(log_level: str, **options: Any) -> None:
    """Run the server on one SQLite file, with its worker pool, for development."""
    _serve(_settings(options), log_level)


@main.command()
@_options
def serve(log_level: str, **options: Any) -> None:
    """Run the server (API and in-process workers)."""
    _serve(_settings(options), log_level)


def _settings(options: dict[str, Any]) -> Settings:
    # Flags map one to one onto Settings fields.
    keepalive = options.pop("stream_keepalive", Settings().stream_keepalive)
    return Settings(**options, stream_keepalive=keepalive, wait_keepalive=keepalive)


@main.command()
@_worker_options
def worker(log_level: str, **options: Any) -> None:
    """Execute runs from the database's queue, without serving HTTP (PostgreSQL)."""
    import asyncio
    import signal

    from interlock.graphs import GraphRegistry
    from interlock.runtime import running

    logging.basicConfig(level=log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    settings = replace(_settings(options), workers=1)
    if not is_postgres(settings.database):
        click.echo(
            "Error: interlock worker needs a shared database: pass --database postgresql://... "
            "On a SQLite file, `interlock dev` (or `serve`) executes the runs itself.",
            err=True,
        )
        sys.exit(1)
    try:
        project = load_project(settings.config)
        registry = GraphRegistry()
        registry.load_project(project)
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        async with running(settings, registry, project.interrupts):
            click.echo(f"Interlock {__version__} worker started.", err=True)
            await stop.wait()
            click.echo("Stopping: finishing running runs, then handing the rest back.", err=True)

    try:
        asyncio.run(work())
    except InterlockError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)


@main.group()
def db() -> None:
    """Database maintenance."""


@db.command()
@click.option(
    "--config", type=click.Path(path_type=Path, dir_okay=False), default=Path("langgraph.json")
)
@click.option("--database", default=None, help="A SQLite file or a postgresql:// URL.")
def upgrade(config: Path, database: str | None) -> None:
    """Apply the schema migrations the database has not seen yet, then exit.

    Covers Interlock's tables, the checkpoints and the store, so processes started with
    --no-migrate find everything in place.
    """
    import asyncio
    import contextlib

    from interlock.backend import open_backend

    settings = Settings(config=config, database=database, pool_size=1)

    async def migrate() -> None:
        async with contextlib.AsyncExitStack() as stack:
            await open_backend(settings, stack)

    try:
        asyncio.run(migrate())
    except InterlockError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Database {_safe(str(database or settings.database_path()))} is up to date.")
