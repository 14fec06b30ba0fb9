"""Settings, and the `langgraph.json` project file as `langgraph-cli` reads it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from interlock.errors import ConfigError

__all__ = [
    "DEFAULT_PORT",
    "ExpiryPolicy",
    "InterruptOptions",
    "ProjectConfig",
    "Settings",
    "WebhookSubscription",
    "load_project",
]

EXPIRY_ACTIONS = ("expire", "resume", "cancel")


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpiryPolicy:
    """When an interrupt expires and what happens then.

    `action` is `expire` (mark it expired), `resume` (answer it with `value`) or
    `cancel` (withdraw the thread's pending interrupts).
    """

    ttl: float | None = None
    action: str = "expire"
    value: Any = None


WEBHOOK_EVENTS = (
    "interrupt.created",
    "interrupt.resolved",
    "interrupt.expired",
    "run.completed",
    "run.failed",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSubscription:
    """Where to POST which events, and the secret their signature is made with."""

    url: str
    secret: str | None = None
    events: tuple[str, ...] = WEBHOOK_EVENTS

    def wants(self, event_type: str) -> bool:
        """Whether this subscriber receives `event_type`."""
        return event_type in self.events


@dataclass(frozen=True, slots=True, kw_only=True)
class InterruptOptions:
    """The `interlock` section of langgraph.json: how interrupts are answered and kept."""

    strict_resume: bool = True
    """Check every answer before queueing its run (4xx instead of a failed run)."""
    keep_decisions: bool = False
    """Keep a thread's decisions in the ledger after the thread is deleted."""
    expiry: dict[str, ExpiryPolicy] = field(default_factory=dict)
    """Expiry per graph id; the key `*` applies to graphs without their own."""
    webhooks: tuple[WebhookSubscription, ...] = ()
    """Subscribers to interrupt and run events."""
    webhook_max_attempts: int = 8
    """Deliveries tried per event and subscriber before it is marked failed."""
    webhook_retry_seconds: float = 1.0
    """Seconds before the first retry of a failed delivery; doubles after each failure."""

    def expiry_for(self, graph_id: str) -> ExpiryPolicy:
        """The expiry policy of a graph (no expiry unless configured)."""
        return self.expiry.get(graph_id) or self.expiry.get("*") or ExpiryPolicy()


DEFAULT_PORT = 2024
"""The port every LangGraph client expects by default."""

DEFAULT_POOL_SIZE = 8
"""PostgreSQL connections per process for Interlock's tables (and as many for checkpoints)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything a server or worker needs, built once at the edge and passed down.

    Precedence is defaults < `INTERLOCK_*` environment variables < command-line flags;
    the CLI applies it, this class only holds the result.
    """

    config: Path = Path("langgraph.json")
    """The `langgraph.json` project file."""
    host: str = "127.0.0.1"
    """The interface to listen on."""
    port: int = DEFAULT_PORT
    """The TCP port to listen on."""
    database: str | None = None
    """The SQLite file; defaults to `.interlock/interlock.db` next to the config."""
    n_jobs: int = 10
    """How many runs the in-process worker pool executes at once."""
    workers: int = 1
    """1: this process executes runs; 0: it only serves the API (other processes work)."""
    lease_seconds: float = 30.0
    """Seconds a claimed run stays its worker's without a heartbeat."""
    max_attempts: int = 3
    """Starts of a run whose workers keep stopping before it ends in error."""
    shutdown_grace: float = 10.0
    """Seconds running runs get to finish on SIGTERM before they go back to the queue."""
    poll_interval: float = 1.0
    """Seconds between queue polls when no wake-up arrives (wake-ups are only hints)."""
    wait_keepalive: float = 5.0
    """Seconds between the newline keep-alives `runs/wait` sends while a run goes on."""
    stream_keepalive: float = 5.0
    """Seconds of silence after which a stream sends a keep-alive comment."""
    event_retention: float = 24 * 3600.0
    """Seconds the events of an ended run stay replayable (the official default is 2 minutes)."""
    webhook_timeout: float = 10.0
    """Seconds a run-completion webhook POST may take."""
    pool_size: int = DEFAULT_POOL_SIZE
    """PostgreSQL: the most connections a process opens for its own tables (and as many
    again for checkpoints and the store); they open as load needs them."""
    migrate: bool = True
    """Apply pending migrations at start-up; when False, refuse a schema that is behind."""

    def database_path(self) -> Path:
        """Return the SQLite file path, resolving the default next to the config."""
        if self.database:
            return Path(self.database)
        return self.config.resolve().parent / ".interlock" / "interlock.db"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectConfig:
    """The parts of `langgraph.json` Interlock uses."""

    base_dir: Path
    """The folder holding langgraph.json; relative paths start here."""
    graphs: dict[str, str]
    """Graph id -> `./file.py:attr` or `module:attr`."""
    dependencies: list[Path] = field(default_factory=list)
    """Folders added to the import path before graphs are imported."""
    env: dict[str, str] = field(default_factory=dict)
    """Environment variables set before graphs are imported."""
    interrupts: InterruptOptions = field(default_factory=InterruptOptions)
    """Interlock's own options (the `interlock` section)."""


def load_project(path: Path) -> ProjectConfig:
    """Read and validate a `langgraph.json`.

    Raises:
        ConfigError: the file is missing, is not JSON, or a key has the wrong shape.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"Config file {path} not found. Pass --config with the path of your langgraph.json."
        raise ConfigError(msg) from exc
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Config file {path} is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"Config file {path} must hold a JSON object.")
    base = path.resolve().parent
    graphs = raw.get("graphs")
    if not isinstance(graphs, dict) or not graphs:
        msg = f'{path}: "graphs" must be an object mapping graph ids to "./file.py:attr".'
        raise ConfigError(msg)
    for graph_id, spec in graphs.items():
        if not isinstance(spec, str) or ":" not in spec:
            msg = (
                f'{path}: graph "{graph_id}" must be a string like "./file.py:graph", got {spec!r}.'
            )
            raise ConfigError(msg)
    deps = raw.get("dependencies", [])
    if not isinstance(deps, list) or not all(isinstance(d, str) for d in deps):
        raise ConfigError(f'{path}: "dependencies" must be a list of paths.')
    return ProjectConfig(
        base_dir=base,
        graphs={str(k): str(v) for k, v in graphs.items()},
        dependencies=[(base / d).resolve() for d in deps if not _is_package_name(d)],
        env=_load_env(path, base, raw.get("env")),
        interrupts=_interrupt_options(path, raw.get("interlock")),
    )


def _interrupt_options(path: Path, raw: Any) -> InterruptOptions:
    if raw is None:
        return InterruptOptions()
    if not isinstance(raw, dict):
        raise ConfigError(f'{path}: "interlock" must be an object.')
    strict = raw.get("strict_resume", True)
    keep = raw.get("keep_decisions", False)
    if not isinstance(strict, bool) or not isinstance(keep, bool):
        raise ConfigError(f'{path}: "interlock.strict_resume" and "keep_decisions" are booleans.')
    expiry_raw = raw.get("interrupt_expiry", {})
    if not isinstance(expiry_raw, dict):
        msg = f'{path}: "interlock.interrupt_expiry" maps graph ids (or "*") to policies.'
        raise ConfigError(msg)
    expiry = {
        str(graph_id): parse_expiry(policy, f"{path}: interlock.interrupt_expiry.{graph_id}")
        for graph_id, policy in expiry_raw.items()
    }
    webhooks = tuple(_webhook(path, n, w) for n, w in enumerate(raw.get("webhooks", [])))
    attempts = raw.get("webhook_max_attempts", 8)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ConfigError(f'{path}: "interlock.webhook_max_attempts" must be a positive integer.')
    retry = raw.get("webhook_retry_seconds", 1.0)
    if isinstance(retry, bool) or not isinstance(retry, int | float) or retry <= 0:
        raise ConfigError(f'{path}: "interlock.webhook_retry_seconds" must be a positive number.')
    return InterruptOptions(
        strict_resume=strict,
        keep_decisions=keep,
        expiry=expiry,
        webhooks=webhooks,
        webhook_max_attempts=attempts,
        webhook_retry_seconds=float(retry),
    )


def _webhook(path: Path, n: int, raw: Any) -> WebhookSubscription:
    where = f"{path}: interlock.webhooks[{n}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
        raise ConfigError(f'{where} must be an object with a "url".')
    url: str = raw["url"]
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: url must start with http:// or https://, got {url!r}.")
    secret = raw.get("secret")
    if secret is not None and not isinstance(secret, str):
        raise ConfigError(f"{where}: secret must be a string.")
    events = raw.get("events", list(WEBHOOK_EVENTS))
    unknown = [e for e in events if e not in WEBHOOK_EVENTS] if isinstance(events, list) else events
    if not isinstance(events, list) or unknown:
        raise ConfigError(f"{where}: events must be a list of {', '.join(WEBHOOK_EVENTS)}.")
    return WebhookSubscription(url=url, secret=secret, events=tuple(events))


def parse_expiry(raw: Any, where: str) -> ExpiryPolicy:
    """Read an expiry policy `{"ttl_seconds", "action", "value"}`.

    Raises:
        ConfigError: a key has the wrong type or the action is unknown.
    """
    if not isinstance(raw, dict):
        raise ConfigError(f'{where} must be an object like {{"ttl_seconds": 3600}}.')
    ttl = raw.get("ttl_seconds")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0):
        raise ConfigError(f"{where}: ttl_seconds must be a positive number, got {ttl!r}.")
    action = raw.get("action", "expire")
    if action not in EXPIRY_ACTIONS:
        raise ConfigError(f"{where}: action must be one of {', '.join(EXPIRY_ACTIONS)}.")
    return ExpiryPolicy(ttl=ttl, action=action, value=raw.get("value"))


def _is_package_name(dep: str) -> bool:
    # "langchain_openai" style entries name pip packages, not folders; they are expected
    # to be installed already.
    return not (dep.startswith(".") or dep.startswith("/"))


def _load_env(path: Path, base: Path, env: Any) -> dict[str, str]:
    if env is None:
        return {}
    if isinstance(env, str):
        env_file = base / env
        if not env_file.is_file():
            raise ConfigError(f'{path}: "env" names {env_file}, which does not exist.')
        return {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    if isinstance(env, Mapping):
        return {str(k): str(v) for k, v in env.items()}
    raise ConfigError(f'{path}: "env" must be a path to a .env file or an object.')


def apply_env(project: ProjectConfig) -> None:
    """Export the project's `env` without overriding variables already set."""
    for key, value in project.env.items():
        os.environ.setdefault(key, value)
