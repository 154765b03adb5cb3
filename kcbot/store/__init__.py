"""The store: the ``Store`` protocol and its two backends, SQLite (one file, the default) and
PostgreSQL (several workers), their schema migrations, and retention (``kcbot purge``)."""

from __future__ import annotations

from typing import Any

from kcbot.store.base import Store, is_database_url
from kcbot.store.db import SQLiteStore, Turn
from kcbot.store.migrations import MIGRATIONS

__all__ = ["MIGRATIONS", "PurgeReport", "SQLiteStore", "Store", "Turn",  # noqa: F822
           "is_database_url", "purge", "purge_due"]


def __getattr__(name: str) -> Any:
    """Retention (``kcbot purge``, and ``kcbot serve`` once a night) is imported on first use,
    not by every start."""
    if name in ("PurgeReport", "purge", "purge_due"):
        from kcbot.store import retention

        value = getattr(retention, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
