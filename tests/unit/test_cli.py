"""The command line: version, loud port conflicts, clear config errors."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from interlock import __version__
from interlock.cli import main
from interlock.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "langgraph.json"


def test_version() -> None:
    """`interlock --version` prints the package version."""
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_taken_port_is_a_loud_error(tmp_path: Path) -> None:
    """A port something else listens on makes the server exit non-zero, naming the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "interlock", "dev", "--config", str(EXAMPLES),
             "--port", str(port), "--database", str(tmp_path / "db.sqlite")],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode != 0
    assert f"Port {port}" in done.stderr
    assert "--port" in done.stderr


def _run_dev(config: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "interlock", "dev", "--config", str(config),
         "--port", str(free_port()), "--database", str(tmp_path / "db.sqlite")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_missing_config_is_a_clear_error(tmp_path: Path) -> None:
    """A missing langgraph.json is reported with the path and the flag to fix it."""
    done = _run_dev(tmp_path / "nope.json", tmp_path)
    assert done.returncode == 1
    assert "nope.json not found" in done.stderr
    assert "--config" in done.stderr


def test_broken_graph_names_the_graph_and_cause(tmp_path: Path) -> None:
    """A graph whose module raises on import is reported by graph id with the exception."""
    (tmp_path / "bad.py").write_text("raise RuntimeError('no model key')\n")
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"broken": "./bad.py:graph"}}))
    done = _run_dev(config, tmp_path)
    assert done.returncode == 1
    assert 'Graph "broken"' in done.stderr
    assert "RuntimeError: no model key" in done.stderr


def test_missing_attribute_is_a_clear_error(tmp_path: Path) -> None:
    """A graph spec naming a missing attribute says which one."""
    (tmp_path / "g.py").write_text("x = 1\n")
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": {"g": "./g.py:graph", "h": "./g.py:x"}}))
    done = _run_dev(config, tmp_path)
    assert done.returncode == 1
    assert 'has no attribute "graph"' in done.stderr


def test_malformed_config_is_a_clear_error(tmp_path: Path) -> None:
    """A langgraph.json without graphs says what the key must hold."""
    config = tmp_path / "langgraph.json"
    config.write_text(json.dumps({"graphs": []}))
    done = _run_dev(config, tmp_path)
    assert done.returncode == 1
    assert '"graphs" must be an object' in done.stderr


def test_db_upgrade_migrates_and_is_idempotent(tmp_path: Path) -> None:
    """`interlock db upgrade` creates the schema, and a second run changes nothing."""
    db = tmp_path / "up.db"
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "upgrade", "--database", str(db)])
        assert result.exit_code == 0, result.output
        assert "up to date" in result.output
    assert db.exists()


def test_no_migrate_refuses_a_database_nobody_upgraded(tmp_path: Path) -> None:
    """`--no-migrate` on a fresh file: the server does not start and says what to run."""
    done = subprocess.run(
        [sys.executable, "-m", "interlock", "dev", "--config", str(EXAMPLES),
         "--port", str(free_port()), "--database", str(tmp_path / "db.sqlite"), "--no-migrate"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert "missing migrations" in done.stderr
    assert "interlock db upgrade" in done.stderr


@pytest.mark.postgres
def test_db_upgrade_prepares_checkpoints_and_store_too(
    new_postgres_database: Callable[[], str],
) -> None:
    """After `db upgrade`, processes started with --no-migrate find every table in place."""
    import psycopg

    dsn = new_postgres_database()
    result = CliRunner().invoke(main, ["db", "upgrade", "--database", dsn])
    assert result.exit_code == 0, result.output
    with psycopg.connect(dsn) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        }
    assert {"runs", "threads", "interrupts", "checkpoints", "checkpoint_writes", "store"} <= tables


def test_worker_refuses_a_sqlite_file(tmp_path: Path) -> None:
    """A worker on a SQLite file would fight the server that owns it: a clear error instead."""
    result = CliRunner().invoke(
        main, ["worker", "--config", str(EXAMPLES), "--database", str(tmp_path / "db.sqlite")]
    )
    assert result.exit_code == 1
    assert "postgresql://" in result.output
    assert not (tmp_path / "db.sqlite").exists()


def test_worker_has_no_http_flags() -> None:
    """`interlock worker --help` lists what a worker uses, not --host or --port."""
    result = CliRunner().invoke(main, ["worker", "--help"])
    assert result.exit_code == 0
    assert "--pool-size" in result.output
    assert "--port" not in result.output
    assert "--host" not in result.output
