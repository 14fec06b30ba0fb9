"""Shared fixtures: the example project and live servers on free ports."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from interlock.testing import LiveServer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "langgraph.json"


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _database(request: pytest.FixtureRequest, folder: Path) -> str:
    # A SQLite file in the test's folder, or a fresh PostgreSQL database.
    if request.param == "sqlite":
        return str(folder / "interlock.db")
    admin: str = request.getfixturevalue("postgres_admin")
    return _fresh_database(request, admin)


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """One server on the example graphs (SQLite, then PostgreSQL), shared by many tests."""
    folder = tmp_path_factory.mktemp("live")
    with LiveServer(EXAMPLES, folder / "interlock.db", database=_database(request, folder)) as srv:
        yield srv


@pytest.fixture(params=BACKENDS)
def fresh_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveServer]:
    """A server of its own (not started), for tests that stop, kill or restart it."""
    # On PostgreSQL a killed server's runs wait for their lease: keep it short here.
    extra = ["--lease-seconds", "3"] if request.param == "postgres" else []
    server = LiveServer(
        EXAMPLES, tmp_path / "interlock.db", database=_database(request, tmp_path), extra_args=extra
    )
    try:
        yield server
    finally:
        server.kill()


POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def postgres_admin() -> str:
    """A DSN of a PostgreSQL server the tests may create databases on.

    Outside CI, tests that need it skip with the reason when none is reachable; in CI
    (`CI=true`) an unreachable server fails them instead.
    """
    import psycopg

    dsn = os.environ.get("INTERLOCK_TEST_POSTGRES", POSTGRES_DEFAULT)
    try:
        with psycopg.connect(dsn, connect_timeout=3):
            pass
    except psycopg.Error as exc:
        reason = f"PostgreSQL is not reachable at {dsn} ({exc}); set INTERLOCK_TEST_POSTGRES"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    return dsn


def _with_database(dsn: str, name: str) -> str:
    base, _, _ = dsn.rpartition("/")
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: str) -> Iterator[str]:
    """A database migrated once, cloned for each test (CREATE DATABASE ... TEMPLATE)."""
    import psycopg

    from interlock.storage._dialect import PostgresDialect
    from interlock.storage._ops import SqlOps

    name = f"interlock_tpl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    ops = SqlOps(PostgresDialect(_with_database(postgres_admin, name)))
    ops.migrate()
    ops.close()
    yield name
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_dsn(postgres_admin: str, postgres_template: str) -> Iterator[str]:
    """A fresh, migrated database of its own for one test."""
    import psycopg

    name = f"interlock_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield _with_database(postgres_admin, name)
    with psycopg.connect(postgres_admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh_database(request: pytest.FixtureRequest, admin: str) -> str:
    import psycopg

    name = f"interlock_srv_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    return _with_database(admin, name)


@pytest.fixture
def new_postgres_database(request: pytest.FixtureRequest, postgres_admin: str) -> Callable[[], str]:
    """Make empty PostgreSQL databases, dropped after the test; returns their DSNs."""
    return lambda: _fresh_database(request, postgres_admin)


@pytest.fixture
def end_sessions(postgres_admin: str) -> Callable[[str], int]:
    """End every session on a database, as a server restart would; returns how many."""

    def end(dsn: str) -> int:
        import psycopg

        with psycopg.connect(postgres_admin, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                (dsn.rpartition("/")[2],),
            ).fetchall()
        return len(ended)

    return end
