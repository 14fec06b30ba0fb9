"""Named SQL queries, kept in `.sql` files per back end and loaded by name."""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["load_migrations", "load_queries", "load_schema"]

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def load_queries(backend: str) -> dict[str, str]:
    """Return the queries of a back end, keyed by their `-- name:` line.

    Most live in `common/queries.sql`; `<backend>/queries.sql` adds the few that differ
    (and may replace a common one of the same name).
    """
    return {**_read_queries("common"), **_read_queries(backend)}


def _read_queries(folder: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath(folder, "queries.sql").read_text("utf-8")
    parts = _NAME.split(text)
    # parts = [preamble, name1, body1, name2, body2, ...]
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2], strict=True)}


def load_schema(backend: str) -> str:
    """Return the `schema.sql` snapshot of a back end."""
    return resources.files(__package__).joinpath(backend, "schema.sql").read_text("utf-8")


def load_migrations(backend: str) -> list[tuple[int, str, str]]:
    """Return `(number, name, sql)` for every migration of a back end, in order."""
    folder = resources.files(__package__).joinpath(backend, "migrations")
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            found.append((number, entry.name, entry.read_text("utf-8")))
    return sorted(found)
