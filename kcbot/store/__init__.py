"""The SQLite store: schema migrations, conversations, turns, events, journal and outbox."""

from __future__ import annotations

from kcbot.store.db import Store, Turn
from kcbot.store.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "Store", "Turn"]
