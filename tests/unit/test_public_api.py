"""The curated public surface and the layering rules."""

from __future__ import annotations

import ast
from pathlib import Path

import interlock

SRC = Path(interlock.__file__).resolve().parent


def test_all_is_sorted_and_complete() -> None:
    """`interlock.__all__` is sorted and names exactly the public attributes."""
    assert interlock.__all__ == sorted(interlock.__all__)
    public = {n for n in vars(interlock) if not n.startswith("_")} - {
        "annotations", "api", "config", "errors", "execution", "models", "events", "graphs",
        "service", "storage", "serde", "cli", "testing", "backend", "runtime",
    }  # fmt: skip
    assert public <= set(interlock.__all__)


def test_core_never_imports_http() -> None:
    """service/, execution/, storage/, events/ and models.py never import starlette or fastapi."""
    offenders = []
    for folder in ("service", "execution", "storage", "events"):
        for path in (SRC / folder).rglob("*.py"):
            offenders += _http_imports(path)
    offenders += _http_imports(SRC / "models.py")
    assert offenders == []


def _http_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            if name.split(".")[0] in ("starlette", "fastapi"):
                found.append(f"{path.name}: {name}")
    return found
