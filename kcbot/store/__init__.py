"""The SQLite store: schema migrations, conversations, turns, events, journal and outbox."""

from __future__ import annotations

from kcbot.store.db import Store, Turn
from kcbot.store.migrations import MIGRATIONS
from kcbot.store.retention import PurgeReport, purge, purge_due

__all__ = ["MIGRATIONS", "PurgeReport", "Store", "Turn", "purge", "purge_due"]
