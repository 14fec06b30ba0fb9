"""Named SQL queries, kept in `.sql` files per back end and loaded by name."""

from __future__ import annotations

import re
from importlib import resources

__all__ = ["load_migrations", "load_queries", "load_schema"]

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def load_queries(backend: str) -> dict[str, str]:
    """Return the queries of `<backend>/queries.sql`, keyed by their `-- name:` line."""
    text = resources.files(__package__).joinpath(backend, "queries.sql").read_text("utf-8")
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
