"""`python -m interlock` runs the CLI."""

from __future__ import annotations

from interlock.cli import main

main()
