"""Telling a lost database from a failing graph."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg_pool

from interlock.errors import (
    CommitOutcomeUnknown,
    DatabaseUnavailable,
    StorageError,
    is_database_outage,
)


def test_lost_connections_are_outages() -> None:
    """Connection errors of psycopg, the pool's timeout and our own 'unreachable' count."""
    assert is_database_outage(psycopg.OperationalError("server closed the connection"))
    assert is_database_outage(psycopg.errors.AdminShutdown("terminating connection"))
    assert is_database_outage(psycopg_pool.PoolTimeout("couldn't get a connection"))
    assert is_database_outage(DatabaseUnavailable("down"))


def test_an_outage_is_found_behind_the_error_it_caused() -> None:
    """A graph error raised while handling a lost connection still counts as the outage."""
    wrapped = RuntimeError("checkpoint write failed")
    wrapped.__cause__ = psycopg.OperationalError("lost")
    assert is_database_outage(wrapped)
    context = RuntimeError("while handling")
    context.__context__ = wrapped
    assert is_database_outage(context)


def test_graph_and_query_errors_are_not_outages() -> None:
    """A refused query, a SQLite error or the graph's own exception end the run as usual."""
    assert not is_database_outage(ValueError("boom"))
    assert not is_database_outage(StorageError("refused"))
    # Cut during a commit: maybe applied, so not something to retry blindly.
    assert not is_database_outage(CommitOutcomeUnknown("unknown"))
    assert not is_database_outage(psycopg.errors.UniqueViolation("duplicate"))
    assert not is_database_outage(sqlite3.OperationalError("database is locked"))
    assert not is_database_outage(psycopg.errors.QueryCanceled("statement timeout"))
    assert not is_database_outage(psycopg.errors.DeadlockDetected("deadlock"))


def test_a_suppressed_context_is_not_followed() -> None:
    """`raise ... from None` hides the lost connection the graph chose to handle."""
    handled = RuntimeError("handled it")
    handled.__context__ = psycopg.OperationalError("lost")
    handled.__suppress_context__ = True
    assert not is_database_outage(handled)
