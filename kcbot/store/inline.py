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

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Generator, Iterable, Sequence
from typing import Any

__all__ = ["GROUP_LIMIT", "GroupCommit", "InlineConnection", "InlineCursor"]

# At most this many transactions share a COMMIT. 1: each commits when it ends, as before group
# commit. A group holds SQLite's write lock from its BEGIN to its COMMIT, through the other
# tasks' work in between (parsing, HTTP), so under load the lock was almost never free: another
# process (the console, another kcbot command, the health check's heartbeat) waiting for it
# with a 10 s busy timeout waited 0.4-2.2 s at the median, some timed out, against 1.2 ms with
# one COMMIT a turn (`kcbot serve` under REST load, 50 senders; tests/test_group_commit.py).
# The COMMIT a group saves is about 40 µs of a request's 1.2 ms. The mechanism stays for a
# larger limit when only one process uses the database.
GROUP_LIMIT = 1


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
            await self._cursor.close()


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


class GroupCommit:
    """Write transactions that end in the same pass of the event loop share one ``COMMIT``.

    Why: the ``COMMIT`` writes each page the turn touched (the tables' and their indexes' leaf
    pages) to the write-ahead log; turns from different senders handled together touch mostly
    the same pages, so one ``COMMIT`` for all of them writes each page once. Each transaction
    runs in a savepoint of its own inside one ``BEGIN IMMEDIATE``, so a failing one is undone
    alone; when it ends, a flush is queued behind the tasks already ready to run, and
    whatever joined by then (at most ``GROUP_LIMIT``) is committed together. Nothing waits for a
    timer: a lone turn is committed on the next pass of the loop. A transaction's ``end``
    returns a future that its caller awaits before anything is answered, so no reply leaves
    before its turn is stored; if the ``COMMIT`` fails (a full disk), every transaction of the
    group gets the error and none is stored, as each would have failed on its own. A group
    that can hold one transaction only (``GROUP_LIMIT`` 1) is committed in ``end`` itself,
    which then returns ``None`` or raises what ``COMMIT`` raised.

    Used under the store's write lock: ``start`` and ``end`` (or ``undo``) are called with it
    held, and the flush commits only while nobody holds it, so a transaction never commits
    half-way.
    """

    def __init__(self, connection: InlineConnection, lock: asyncio.Lock,
                 committed: Callable[[], None]) -> None:
        self._raw = connection.raw
        self._lock = lock
        self._committed = committed
        # the open group's COMMIT; ``_ALONE`` for a group that holds one transaction only
        self._outcome: asyncio.Future[None] | None = None
        self._scheduled = False  # a flush is queued on the loop
        self._members = 0  # transactions in the open group
        self.transactions = 0
        self.commits = 0

    async def start(self, begin: Callable[[], Awaitable[None]]) -> None:
        """Join the open group, or open one with ``begin`` (``BEGIN IMMEDIATE``)."""
        if self._outcome is None:
            await begin()
            # A group that can only hold this transaction needs no savepoint: undoing the
            # transaction is rolling back the whole, two statements a turn fewer. Nor a future
            # to wait on: ``end`` commits it there and then.
            if GROUP_LIMIT <= 1:
                self._outcome = _ALONE
            else:
                self._outcome = asyncio.get_running_loop().create_future()
                # a group whose members were all cancelled must not warn about its error
                self._outcome.add_done_callback(_retrieve)
        if self._outcome is not _ALONE:
            self._raw.execute("SAVEPOINT kcbot_turn")

    def end(self) -> asyncio.Future[None] | None:
        """The transaction's work is done: it is committed with its group. Await the result;
        ``None``: committed already (a group of one commits here, and raises what COMMIT
        raised)."""
        outcome = self._outcome
        assert outcome is not None
        if outcome is _ALONE:
            self._outcome, self._members = None, 0
            self.transactions += 1
            try:
                self._raw.execute("COMMIT")
            except BaseException:
                if self._raw.in_transaction:
                    self._raw.execute("ROLLBACK")
                raise
            self.commits += 1
            self._committed()
            return None
        self._raw.execute("RELEASE kcbot_turn")
        self.transactions += 1
        self._members += 1
        if self._members >= GROUP_LIMIT:  # a full group is committed at once
            self._commit()
        else:
            self._flush_soon()
        return outcome

    def undo(self, error: BaseException) -> None:
        """Undo this transaction alone. If SQLite already rolled back the whole transaction
        (it does on some I/O errors and a full disk), the group fails with ``error``."""
        if self._outcome is None:
            return
        if self._raw.in_transaction and self._outcome is not _ALONE:
            try:
                self._raw.execute("ROLLBACK TO kcbot_turn")
                self._raw.execute("RELEASE kcbot_turn")
                self._flush_soon()  # the others of the group still wait for their COMMIT
                return
            except sqlite3.Error:
                if self._raw.in_transaction:
                    self._raw.execute("ROLLBACK")
        elif self._raw.in_transaction:  # alone in its group: the whole is this transaction
            self._raw.execute("ROLLBACK")
        outcome, self._outcome, self._members = self._outcome, None, 0
        if not outcome.done():
            outcome.set_exception(_copy(error))

    async def wait(self) -> None:
        """Commit the open group, if any, now (before the connection closes)."""
        async with self._lock:
            self._commit()

    def _flush_soon(self) -> None:
        # A callback, not a task: the loop runs it even while it cancels tasks at shutdown.
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        if self._lock.locked():  # a transaction is under way: it flushes when it ends
            return
        self._commit()

    def _commit(self) -> None:
        """COMMIT the open group, if any (with the lock held), and tell its members."""
        outcome, self._outcome, self._members = self._outcome, None, 0
        if outcome is None:  # failed and rolled back in ``undo``, or committed when full
            return
        try:
            self._raw.execute("COMMIT")
        except BaseException as exc:  # nothing of the group may stay half-open
            if self._raw.in_transaction:
                self._raw.execute("ROLLBACK")
            if not outcome.done():
                outcome.set_exception(_copy(exc))
            if not isinstance(exc, Exception):
                raise
            return
        self.commits += 1
        if not outcome.done():
            outcome.set_result(None)
        self._committed()


class _Alone:
    """The open group's outcome when it holds one transaction: nobody waits for it."""

    def done(self) -> bool:
        return True


_ALONE: Any = _Alone()


def _copy(error: BaseException) -> BaseException:
    """The same error for each waiting transaction: one exception object raised in several
    tasks would collect all their tracebacks."""
    try:
        copy = type(error)(*error.args)
    except Exception:
        return error
    copy.__cause__ = error.__cause__
    for name in ("sqlite_errorcode", "sqlite_errorname"):
        if hasattr(error, name):
            setattr(copy, name, getattr(error, name))
    return copy


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()
