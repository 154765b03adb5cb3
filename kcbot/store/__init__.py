"""The store: the ``Store`` protocol and its two backends, SQLite (one file, the default) and
PostgreSQL (several workers), their schema migrations, and retention (``kcbot purge``)."""

from __future__ import annotations

from kcbot import lazy
from kcbot.store.base import Store, is_database_url
from kcbot.store.db import SQLiteStore, Turn
from kcbot.store.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "PurgeReport", "SQLiteStore", "Store", "Turn",  # noqa: F822
           "is_database_url", "purge", "purge_due"]


# Retention (``kcbot purge``, and ``kcbot serve`` once a night) is imported on first use, not by
# every start.
__getattr__ = lazy.attributes(__name__, dict.fromkeys(("PurgeReport", "purge", "purge_due"),
                                                      "retention"))
