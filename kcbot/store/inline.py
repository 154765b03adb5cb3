"""A sqlite3 connection used on the event loop's own thread, behind aiosqlite's awaitable API.

Why: a turn's SQL (a read of the conversation, a handful of inserts, an update, the commit) costs
about 0.1 ms; sent one statement at a time to aiosqlite's thread it cost seven thread hops, a
third of the turn, and the store-wide lock had to be held across all of them, so concurrent
senders queued behind each other's hops. Run on the loop thread the statements never suspend
the task, so a write transaction opened with ``BEGIN IMMEDIATE`` runs to its ``COMMIT`` without
another task getting in between, and costs what its statements cost.

What would block the loop is kept off it: the connection has no busy timeout (a lock another
process holds is waited for with ``asyncio.sleep``, see ``Store.transaction``), and it never
checkpoints the write-ahead log on a commit (``Store`` runs passive checkpoints on a thread
of its own instead). Long reads (reports, the console's lists) stay on aiosqlite's thread and
connection; in WAL mode they read the last commit and never wait for a writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterable, Sequence
from typing import Any

__all__ = ["InlineConnection", "InlineCursor"]


class InlineCursor:
    """A finished statement: its rows, ``rowcount`` and ``lastrowid``, fetched without a hop."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()


class _Statement:
    """What ``execute`` returns: awaitable (``cur = await db.execute(...)``) and an async
    context manager (``async with db.execute(...) as cur``), as with aiosqlite. The statement
    runs when awaited or entered, on the calling thread; neither suspends the task."""

    def __init__(self, connection: sqlite3.Connection, sql: str,
                 parameters: Sequence[Any] | dict[str, Any]) -> None:
        self._connection = connection
        self._sql = sql
        self._parameters = parameters
        self._cursor: InlineCursor | None = None

    def _run(self) -> InlineCursor:
        if self._cursor is None:
            self._cursor = InlineCursor(self._connection.execute(self._sql, self._parameters))
        return self._cursor

    def __await__(self) -> Generator[Any, None, InlineCursor]:
        return self._run()
        yield  # a generator that returns at once: awaiting it never suspends

    async def __aenter__(self) -> InlineCursor:
        return self._run()

    async def __aexit__(self, *exc: object) -> None:
        if self._cursor is not None:
            self._cursor._cursor.close()


class InlineConnection:
    """The subset of ``aiosqlite.Connection`` the store, tickets and retention use."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.raw = connection

    @property
    def in_transaction(self) -> bool:
        return self.raw.in_transaction

    def execute(self, sql: str,
                parameters: Sequence[Any] | dict[str, Any] = ()) -> _Statement:
        return _Statement(self.raw, sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        return InlineCursor(self.raw.executemany(sql, parameters))

    async def execute_fetchall(self, sql: str,
                               parameters: Sequence[Any] | dict[str, Any] = ()) -> list[Any]:
        return self.raw.execute(sql, parameters).fetchall()
