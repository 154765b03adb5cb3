"""The store: the ``Store`` protocol and its two backends, SQLite (one file, the default) and
PostgreSQL (several workers), their schema migrations, and retention (``kcbot purge``)."""

from __future__ import annotations

from kcbot.store.base import Store, is_database_url
from kcbot.store.db import SQLiteStore, Turn
from kcbot.store.migrations import MIGRATIONS
from kcbot.store.retention import PurgeReport, purge, purge_due

__all__ = ["MIGRATIONS", "PurgeReport", "SQLiteStore", "Store", "Turn", "is_database_url",
           "purge", "purge_due"]
