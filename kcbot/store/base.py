"""The ``Store`` protocol: what the engine, tickets, actions, reports, console and channels use
from storage, with two implementations behind it.

- ``SQLiteStore`` (``kcbot/store/db.py``): one file, the embedded default (``--db PATH``,
  ``KCBOT_DB``). One writer at a time, so one ``kcbot serve`` process.
- ``PostgresStore`` (``kcbot/store/postgres.py``): a PostgreSQL server through asyncpg, chosen by
  ``KCBOT_DATABASE_URL=postgresql://…`` (``--database-url``). Several workers on one or more
  machines share it; the order of a sender's turns is kept by the database
  (``lock_sender``: an advisory lock inside the turn's transaction), not by a process.

``Store.open(target, clock)`` picks the implementation from ``target``: a ``postgresql://`` URL
or a path. Both keep the same schema (``kcbot/store/migrations.py``, translated for PostgreSQL
by ``kcbot/store/dialect.py``), the same transaction per turn, and the same privacy boundary:
text is CPR-masked on the way in and a full CPR number is stored only encrypted.

Callers that need a query the protocol does not name write it once in the SQL both dialects
share (``?`` parameters, ISO-8601 text times, no SQLite-only functions except the few that
``dialect.py`` translates); ``fetchall`` and ``transaction()`` run it on either backend.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from kcbot.clock import Clock
from kcbot.datakey import DataKey

__all__ = ["Connection", "Result", "Row", "Store", "is_database_url", "sqlite_unavailable"]

# sqlite3.Row and asyncpg.Record both answer row["column"], row[0], row.keys() and dict(row).
Row = Any

_URL = re.compile(r"^postgres(?:ql)?://", re.IGNORECASE)


def is_database_url(target: object) -> bool:
    """Whether ``target`` names a PostgreSQL server rather than an SQLite file."""
    return isinstance(target, str) and bool(_URL.match(target))


class Result(Protocol):
    """What ``execute`` inside a transaction returns: how many rows the statement touched."""

    rowcount: int


class Connection(Protocol):
    """What ``Store.transaction()`` yields: statements in the shared SQL, ``?`` parameters."""

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Result: ...

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> Any: ...


class Store(Protocol):
    """Everything storage offers the rest of kcbot. Open with ``await Store.open(target,
    clock)`` or ``async with Store.connect(target, clock)``."""

    clock: Clock
    # The driver's exception classes: a failing statement raises one of these.
    errors: tuple[type[BaseException], ...]
    # A unique or foreign-key constraint refused a write (a concurrent retry got there first).
    integrity_error: tuple[type[BaseException], ...]

    # -- life cycle and raw SQL -------------------------------------------------------------
    @classmethod
    async def open(cls, target: str | Path, clock: Clock | None = None, **options: Any
                   ) -> Store:
        if is_database_url(target):
            from kcbot.store.postgres import PostgresStore

            return await PostgresStore.open(str(target), clock, **options)
        from kcbot.store.db import SQLiteStore

        return await SQLiteStore.open(target, clock, **options)

    @classmethod
    def connect(cls, target: str | Path, clock: Clock | None = None, **options: Any
                ) -> AbstractAsyncContextManager[Store]:
        if is_database_url(target):
            from kcbot.store.postgres import PostgresStore

            return PostgresStore.connect(str(target), clock, **options)
        from kcbot.store.db import SQLiteStore

        return SQLiteStore.connect(target, clock, **options)

    @property
    def location(self) -> str: ...
    async def close(self) -> None: ...
    async def schema_version(self) -> int: ...
    def transaction(self) -> AbstractAsyncContextManager[Connection]: ...
    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...
    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...
    def unavailable(self, exc: BaseException) -> bool: ...
    async def checkpoint(self) -> None: ...
    def checkpoint_soon(self) -> None: ...
    async def integrity_check(self) -> str: ...
    async def heartbeat(self, timeout: float = 2.0) -> None: ...
    async def quick_check(self) -> str: ...

    # -- ordering across workers ------------------------------------------------------------
    async def lock_sender(self, channel: str, sender: str) -> None: ...
    async def next_ticket_number(self, prefix: str) -> int: ...
    async def idle_conversations(self, cutoff: str) -> list[Row]: ...

    # -- search ---------------------------------------------------------------------------
    def ticket_search(self, words: Sequence[str]) -> tuple[str, list[Any]]: ...

    # -- privacy ----------------------------------------------------------------------------
    @property
    def data_key(self) -> DataKey: ...
    def seal_cpr(self, cpr: str | None) -> tuple[str | None, str | None]: ...
    def open_cpr(self, token: str | None) -> str | None: ...

    # -- conversations, turns, events -------------------------------------------------------
    async def start_conversation(self, channel: str, sender: str) -> str: ...
    async def conversation_count(self) -> int: ...
    async def active_conversation(self, channel: str, sender: str) -> str | None: ...
    async def conversation(self, conversation_id: str) -> Row | None: ...
    async def open_conversation(self, channel: str, sender: str) -> Row | None: ...
    async def save_state(self, conversation_id: str, state: dict[str, Any]) -> None: ...
    async def load_state(self, conversation_id: str) -> dict[str, Any]: ...
    async def end_conversation(self, conversation_id: str, outcome: str) -> None: ...
    async def record_turn(self, conversation_id: str, user: tuple[str, str | None, float | None],
                          bot: Sequence[str], events: Sequence[dict[str, Any]],
                          state: dict[str, Any]) -> None: ...
    async def add_turn(self, conversation_id: str, speaker: str, text: str,
                       intent: str | None = None, confidence: float | None = None) -> Any: ...
    async def turns(self, conversation_id: str) -> list[Any]: ...
    async def add_events(self, conversation_id: str,
                         events: Sequence[dict[str, Any]]) -> None: ...
    async def events(self, conversation_id: str) -> list[dict[str, Any]]: ...

    # -- journal, outbox, channel retries ---------------------------------------------------
    async def add_journal(self, conversation_id: str | None, sag: str, decision: str,
                          note: str, *, borgergruppe: str | None = None,
                          rule: str | None = None, source: str | None = None) -> int: ...
    async def add_outbox(self, conversation_id: str | None, recipient: str, subject: str,
                         body: str, *, navn: str | None = None, cpr: str | None = None,
                         identitet: str | None = None, regel: str | None = None) -> int: ...
    async def processed_replies(self, channel: str, sender: str, message_id: str,
                                text: str | None = None) -> list[dict[str, Any]] | None: ...
    async def remember_replies(self, channel: str, sender: str, message_id: str,
                               replies: Sequence[dict[str, Any]],
                               text: str | None = None) -> None: ...
    async def outbox_due(self, now: datetime, lease_cutoff: datetime,
                         recipients: list[str]) -> list[Row]: ...
    async def claim_outbox(self, row_id: int, now: datetime, lease_cutoff: datetime) -> bool: ...
    async def mark_outbox_sent(self, row_id: int, now: datetime) -> None: ...
    async def reschedule_outbox(self, row_id: int, next_attempt: datetime, error: str
                                ) -> None: ...
    async def release_outbox(self, row_id: int) -> None: ...
    async def fail_outbox(self, row_id: int, error: str, ticket_id: str | None) -> None: ...
    async def retry_outbox(self, row_id: int) -> Row: ...
    async def outbox_row(self, row_id: int) -> Row: ...
    async def outbox_list(self, status: str | None = None) -> list[Row]: ...
    async def undelivered(self) -> list[Row]: ...
    async def erase_identities(self, before: datetime) -> int: ...
    def outbox_dict(self, row: Row) -> dict[str, Any]: ...


_STORE_TROUBLE = re.compile(r"locked|busy|full|disk|i/o|readonly|read-only|unable to open|"
                            r"malformed|corrupt|interrupted", re.IGNORECASE)


def sqlite_unavailable(exc: BaseException) -> bool:
    """A lock held too long, a full disk, an I/O error or a damaged file: the store's
    trouble, not the turn's. A constraint or SQL error is a bug and handled as one."""
    if type(exc) in (sqlite3.DatabaseError, sqlite3.InternalError):
        return True
    return isinstance(exc, sqlite3.OperationalError) and bool(_STORE_TROUBLE.search(str(exc)))
