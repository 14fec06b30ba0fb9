"""Wake-ups between the API and the workers: a run was queued, a run ended."""

from __future__ import annotations

from interlock.events.base import Notifier
from interlock.events.memory import InProcessNotifier

__all__ = ["InProcessNotifier", "Notifier"]
