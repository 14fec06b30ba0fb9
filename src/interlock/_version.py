"""The package version, read by the build backend and by `interlock --version`."""

from __future__ import annotations

__version__ = "0.1.0"
