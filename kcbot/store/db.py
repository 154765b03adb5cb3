"""The SQLite store, through aiosqlite: one file, WAL mode, a busy timeout, foreign keys on.

The store is the privacy boundary: text bound for ``turns``, ``events`` and ``journal`` is
CPR-masked here, whatever the caller forgot. A full CPR number is kept only where it is
delivered (``outbox.cpr``, ``tickets.cpr``), and only encrypted with the data key
(``kcbot.datakey``); ``secure_delete`` zeroes what SQLite frees, so an erased number does not
linger in free pages.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sqlite3
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import aiosqlite

from kcbot.clock import Clock, SystemClock
from kcbot.datakey import DataKey
from kcbot.errors import ReplayConflict, StoreError
from kcbot.privacy import find_cprs, is_full_cpr, mask_cpr
from kcbot.store.base import sqlite_unavailable
from kcbot.store.inline import GroupCommit, InlineConnection
from kcbot.store.migrations import MIGRATIONS, SEARCH_MIGRATION, fts5_trigram_available
from kcbot.store.outbox import OutboxMethods

__all__ = ["SQLiteStore", "Turn", "event_rows", "masked_json"]

BUSY_TIMEOUT_MS = 5000
OUTCOMES = ("straksafklaret", "overdraget", "afbrudt")
_RECIPIENT = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
IDENTITIES = ("verificeret", "oplyst")
_MASKED = re.compile(r"^\d{6}-XXXX$")
# The write-ahead log is copied into the database by a passive checkpoint on a thread of its own
# after this many write transactions (and by the REST channel's idle sweep), never on a commit
# on the loop; the inline connection's own auto-checkpoint is only a backstop for a log that
# nothing else empties (pages of 4 KiB: about 80 MB). A turn's commit appends about ten pages
# (43 KB, `kcbot bench`), mostly the same leaf pages of the tables and indexes as the turn
# before; a checkpoint copies each page once however often the log holds it, so fewer, larger
# checkpoints copy less, and each one's two fsyncs (the log before, the database after) stall
# the commits that land beside them less often: 500 commits make a log of about 22 MB, under
# ``WAL_SIZE_LIMIT``. The backstop stays well above what 500 commits of heavier turns write
# (a turn that opens a ticket writes about 30 pages), so it never checkpoints on the loop.
CHECKPOINT_EVERY = 500
AUTOCHECKPOINT_BACKSTOP = 20_000
WAL_SIZE_LIMIT = 32 * 1024 * 1024  # a log that grew once is cut back to this when it restarts


def _json_encoder() -> Callable[[Any], str]:
    """``json.dumps(value, ensure_ascii=False)``, for the several values a turn stores.

    ``JSONEncoder.encode`` builds the C encoder on every call; that costs as much as encoding
    an event, so the C encoder is built once here. It is built without the check for circular
    references (a stored value is plain data the engine built; a circular one would fail with
    ``RecursionError`` instead of ``ValueError``)."""
    encoder = json.JSONEncoder(ensure_ascii=False)
    if c_make_encoder is None:  # a Python without the C accelerator
        return encoder.encode
    encode = c_make_encoder(None, encoder.default, encode_basestring, None, ": ", ", ",
                            False, False, True)

    def to_json(value: Any) -> str:
        return "".join(encode(value, 0))

    return to_json


_to_json = _json_encoder()


def masked_json(value: Any) -> str:
    """``value`` as the JSON the store keeps: every CPR number in it masked.

    The JSON text is masked as a whole (one search for an event or a state). JSON writes a
    control character in a string as ``\\u00XX``, whose digits run on into a number right
    after it (``"cpr\\u00012401901234"`` reads as fourteen digits, no CPR number), so a value
    with such a character has its strings masked one by one before it is encoded."""
    text = _to_json(value)
    if "\\u00" in text:
        text = _to_json(_mask_strings(value))
    return mask_cpr(text)


def _mask_strings(value: Any) -> Any:
    if isinstance(value, str):
        return mask_cpr(value)
    if isinstance(value, dict):
        return {_mask_strings(k): _mask_strings(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_strings(v) for v in value]
    return value


async def _last_seq(db: Any, conversation_id: str) -> int:
    """The number of the conversation's last turn row (0 before the first)."""
    async with db.execute("SELECT coalesce(max(seq), 0) FROM turns WHERE conversation_id = ?",
                          (conversation_id,)) as cur:
        (last,) = await cur.fetchone()
    return int(last)


def event_rows(conversation_id: str, now: str, events: Sequence[dict[str, Any]]
               ) -> list[tuple[str, str, str, str | None]]:
    """``events`` rows: the event as masked JSON and its type (``kind``, migration 8), which
    the fallback index and the fallback counts read instead of parsing the JSON."""
    rows = []
    for event in events:
        kind = event.get("event")
        if isinstance(kind, str):
            # a name of letters and underscores ("slot", "flow_started") holds no digit, so
            # no CPR number: masked only if it is something else
            kind = kind if kind.replace("_", "").isalpha() else mask_cpr(kind)
        else:
            kind = None
        rows.append((conversation_id, now, masked_json(event), kind))
    return rows


class _InlineTransaction:
    """``SQLiteStore.transaction()`` on the inline connection, as a class rather than an
    ``asynccontextmanager`` generator (every turn opens one; the generator's machinery cost
    more than the bookkeeping). Under the store's write lock the transaction joins a
    ``GroupCommit``; the task is marked as its owner, so the store's calls inside join it.
    ``__aexit__`` ends or undoes it, lets the lock go, and then waits for its ``COMMIT``:
    outside the lock, so turns of other senders may join the same ``COMMIT``, and shielded,
    so a caller that goes away does not cancel the others' ``COMMIT``. A group of one (the
    default) has committed by the time ``end`` returns; nothing is left to wait for."""

    __slots__ = ("_store", "_token")

    def __init__(self, store: SQLiteStore) -> None:
        self._store = store
        self._token: Any = None

    async def __aenter__(self) -> InlineConnection:
        store = self._store
        inline, group, lock = store._inline, store._group, store._write_lock
        assert inline is not None and group is not None
        self._token = store._owner.set(store)
        try:
            await lock.acquire()
            try:
                await group.start(lambda: store._begin(inline.raw))
                store._last_seqs.clear()
            except BaseException as exc:
                group.undo(exc)
                lock.release()
                raise
        except BaseException:
            store._owner.reset(self._token)
            raise
        return inline

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: object) -> None:
        store = self._store
        group = store._group
        assert group is not None
        try:
            if exc is not None:
                group.undo(exc)
                return
            try:
                committed = group.end()
            except BaseException as error:
                group.undo(error)
                raise
        finally:
            store._write_lock.release()
            store._owner.reset(self._token)
        if committed is not None:  # a group's COMMIT, still to come
            await asyncio.shield(committed)


class _Joined:
    """``transaction()`` inside the task's open transaction: its connection, nothing to do."""

    __slots__ = ("connection",)

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def __aenter__(self) -> Any:
        return self.connection

    async def __aexit__(self, *exc: object) -> None:
        return None


@dataclass(frozen=True)
class Turn:
    conversation_id: str
    seq: int
    speaker: str
    text: str
    intent: str | None
    confidence: float | None
    time: str


def _store_error(path: Path, exc: sqlite3.DatabaseError) -> StoreError:
    """Say what is wrong with a store that cannot be used: read-only, full, locked, damaged,
    or no kcbot database at all."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return StoreError(f"Databasen {path} er skrivebeskyttet: kcbot skal kunne skrive i "
                          "filen og i mappen ved siden af (til -wal og -shm).")
    if "disk is full" in text:
        return StoreError(f"Disken med databasen {path} er fuld.")
    if "locked" in text or "busy" in text:
        return StoreError(f"Databasen {path} er låst af et andet program. Prøv igen om lidt.")
    if "malformed" in text or "corrupt" in text:
        return StoreError(f"Databasen {path} er beskadiget ({exc}). Gendan den fra en "
                          "sikkerhedskopi, eller brug en anden med --db.")
    if "unable to open" in text:
        return StoreError(f"Databasen {path} kan ikke åbnes ({exc}).")
    return StoreError(f"{path} er ikke en kcbot-database ({exc}).")


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF == sqlite3.SQLITE_BUSY
    return "locked" in str(exc) or "busy" in str(exc)


def stored_sender(sender: str) -> str:
    """A sender id as the store keeps it: one with a CPR number in it is kept masked, with a
    hash of the whole id so that two citizens born the same day stay apart."""
    if not find_cprs(sender):
        return sender
    digest = hashlib.sha256(sender.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"{mask_cpr(sender)}#{digest}"


def message_digest(sender: str, text: str) -> str:
    """What binds a message id to its message (a hash: the text itself is not kept)."""
    return hashlib.sha256(f"{sender}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()[:32]


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


# The sender's newest conversation that has not ended, off the sender index (migration 8),
# with the number of its last turn row (off the turns' key), which the turn's ``record_turn``
# numbers its rows after: one statement where a turn read the two separately.
OPEN_CONVERSATION_SQL = (
    "SELECT id, last_activity, state, (SELECT coalesce(max(seq), 0) FROM turns "
    "WHERE conversation_id = c.id) AS last_seq FROM conversations AS c WHERE channel = ? "
    "AND sender = ? AND ended IS NULL ORDER BY started DESC LIMIT 1")


class SQLiteStore(OutboxMethods):
    """Open with ``await Store.open(path, clock)`` or ``async with Store.connect(...)``
    (``kcbot.store.Store``, the protocol, picks this class for a path).

    Two connections to one file: write transactions (a turn, a ticket change, a purge) and the
    reads inside them run on the event loop's thread (``kcbot.store.inline``: no thread hop,
    nothing suspends between ``BEGIN IMMEDIATE`` and ``COMMIT``); reads outside a transaction
    (reports, the console, lists) run on aiosqlite's thread, see the last commit, and hold no
    lock a turn would wait for. An in-memory store has one connection, aiosqlite's, and writes
    through it under the lock as before.
    """

    # The store whose transaction the current task is inside, if any (see ``transaction``).
    _owner: ContextVar[SQLiteStore | None] = ContextVar("kcbot_store_transaction",
                                                        default=None)
    errors: tuple[type[BaseException], ...] = (sqlite3.Error,)
    integrity_error: tuple[type[BaseException], ...] = (sqlite3.IntegrityError,)

    def __init__(self, db: aiosqlite.Connection, path: Path, clock: Clock,
                 busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self._db = db
        self.path = path
        self.clock = clock
        self.busy_timeout_ms = busy_timeout_ms
        self._lock = asyncio.Lock()  # aiosqlite's connection: one task's statements at a time
        self._write_lock = asyncio.Lock()  # the inline connection's transactions
        self._inline: InlineConnection | None = None
        self._group: GroupCommit | None = None  # the inline connection's shared COMMITs
        self._commits = 0
        self._checkpointer: ThreadPoolExecutor | None = None
        self._checkpointing: Future[None] | None = None
        # the checkpoint thread's own connection, opened on its first checkpoint and kept:
        # opening one reads the whole schema (triggers, the FTS5 tables) again
        self._checkpoint_db: sqlite3.Connection | None = None
        self._key: DataKey | None = None
        self._search = False  # the FTS5 index of migration 7 is there (``ticket_search``)
        # The last turn row of each conversation the open transaction has read or written
        # (``open_conversation``, ``start_conversation``, ``record_turn``): what the next
        # ``record_turn`` of the same transaction numbers after instead of reading it again.
        # Emptied when a transaction begins, so it only ever holds what that one saw.
        self._last_seqs: dict[str, int] = {}

    @property
    def data_key(self) -> DataKey:
        """The key full CPR numbers are encrypted with, loaded on first use."""
        if self._key is None:
            self._key = DataKey.load()
        return self._key

    @data_key.setter
    def data_key(self, key: DataKey) -> None:
        self._key = key

    def seal_cpr(self, cpr: str | None) -> tuple[str | None, str | None]:
        """``(encrypted, masked)`` for a CPR value: a full number is encrypted, a masked one
        is kept masked, anything else is dropped."""
        if not cpr:
            return None, None
        if is_full_cpr(cpr):
            return self.data_key.encrypt(cpr), mask_cpr(cpr)
        masked = mask_cpr(str(cpr).strip())
        return None, (masked if _MASKED.match(masked) else None)

    def open_cpr(self, token: str | None) -> str | None:
        """The full CPR number from ``outbox.cpr`` or ``tickets.cpr``, for delivery only."""
        return self.data_key.decrypt(token) if token else None

    # -- life cycle -------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: str | Path,
        clock: Clock | None = None,
        migrations: Sequence[str] = MIGRATIONS,
        busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    ) -> SQLiteStore:
        path = Path(path)
        if str(path) != ":memory:":
            if path.is_dir():
                raise StoreError(f"Databasen {path} er en mappe, ikke en fil.")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(
                    f"Mappen til databasen kan ikke oprettes: {exc.strerror}."
                ) from None
        try:
            db = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"Databasen {path} kan ikke åbnes: {exc}.") from None
        store = cls(db, path, clock or SystemClock(), busy_timeout_ms)
        try:
            await store._configure()
            await store._migrate(migrations)
            await store._search_index(migrations)
            store._open_inline()
            await store._seal_legacy()
        except sqlite3.DatabaseError as exc:
            await db.close()
            raise _store_error(path, exc) from None
        except BaseException:
            await db.close()
            raise
        return store

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, path: str | Path, clock: Clock | None = None, migrations: Sequence[str] = MIGRATIONS
    ) -> AsyncIterator[SQLiteStore]:
        store = await cls.open(path, clock, migrations)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.submit(self._close_checkpoint_db)
            await asyncio.to_thread(self._checkpointer.shutdown)
            self._checkpointer = None
        if self._group is not None:
            await self._group.wait()
        if self._inline is not None:
            # closed first, so aiosqlite's connection is the last and checkpoints on its thread
            self._inline.raw.close()
            self._inline = None
        await self._db.close()

    def _open_inline(self) -> None:
        """The connection write transactions use, on the loop's thread (not for ``:memory:``,
        which would be a second, empty database)."""
        if str(self.path) == ":memory:":
            return
        try:
            raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False,
                                  timeout=0)
            raw.execute("PRAGMA busy_timeout = 0")  # waited for in ``transaction``, off the loop
            raw.execute("PRAGMA synchronous = NORMAL")
            raw.execute("PRAGMA foreign_keys = ON")
            raw.execute("PRAGMA secure_delete = ON")
            raw.execute(f"PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_BACKSTOP}")
            raw.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
            # each turn is a savepoint in a shared COMMIT (GroupCommit): the pages it changes
            # are copied to a sub-journal, in memory rather than in a temporary file
            raw.execute("PRAGMA temp_store = MEMORY")
            raw.row_factory = sqlite3.Row
        except sqlite3.DatabaseError as exc:
            raise _store_error(self.path, exc) from None
        self._inline = InlineConnection(raw)
        self._group = GroupCommit(self._inline, self._write_lock, self._committed)

    async def _configure(self) -> None:
        try:
            await self._db.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            await self._db.execute("PRAGMA journal_mode = WAL")
            await self._db.execute("PRAGMA synchronous = NORMAL")
            await self._db.execute("PRAGMA foreign_keys = ON")
            await self._db.execute("PRAGMA secure_delete = ON")
            self._db.row_factory = sqlite3.Row
        except sqlite3.DatabaseError as exc:
            raise _store_error(self.path, exc) from None

    async def schema_version(self) -> int:
        await self._db.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
        )
        async with self._db.execute("SELECT max(version) FROM schema_version") as cur:
            row = await cur.fetchone()
        return int(row[0] or 0)

    async def _migrate(self, migrations: Sequence[str]) -> None:
        try:
            current = await self.schema_version()
        except sqlite3.DatabaseError as exc:
            raise _store_error(self.path, exc) from None
        if current > len(migrations):
            raise StoreError(
                f"Databasen {self.path} har skema-version {current}, men denne kcbot kender kun "
                f"op til version {len(migrations)}. Opdater kcbot, eller brug en anden database "
                "med --db."
            )
        steps = [(version, self._step(version, script))
                 for version, script in enumerate(migrations[current:], start=current + 1)]
        if current == 0 and len(steps) > 1:
            # A new store: its whole schema in one script and one transaction, instead of a
            # thread hop and a commit per migration (about a third of opening a new file). If
            # it fails, nothing was written, and the migrations run one by one below to name
            # the one that fails.
            try:
                await self._db.executescript(
                    "BEGIN IMMEDIATE;\n" + "".join(step for _, step in steps) + "COMMIT;")
                return
            except sqlite3.Error:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
        for version, step in steps:
            try:
                await self._db.executescript(f"BEGIN IMMEDIATE;\n{step}COMMIT;")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise StoreError(f"Migrering {version} af {self.path} fejlede: {exc}.") from None

    @staticmethod
    def _step(version: int, script: str) -> str:
        """Migration ``version``'s SQL and the row that records it."""
        if script == SEARCH_MIGRATION and not fts5_trigram_available():
            script = ""  # recorded; the search scans until a later start can build it
        return f"{script}\nINSERT INTO schema_version (version) VALUES ({version});\n"

    async def _search_index(self, migrations: Sequence[str]) -> None:
        """Whether the Sager search has its FTS5 index; built now if migration 7 ran on an
        SQLite library without the trigram tokenizer and this one has it."""
        if SEARCH_MIGRATION not in migrations[:await self.schema_version()]:
            return
        rows = await self._fetchall(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'ticket_search'", ())
        if not rows and fts5_trigram_available():
            try:
                await self._db.executescript(f"BEGIN IMMEDIATE;\n{SEARCH_MIGRATION}\nCOMMIT;")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    await self._db.execute("ROLLBACK")
                raise StoreError(f"Søgeindekset i {self.path} kan ikke bygges: {exc}.") from None
            rows = [1]
        self._search = bool(rows)

    def ticket_search(self, words: Sequence[str]) -> tuple[str, list[Any]]:
        """A condition on ``tickets`` that keeps the tickets whose search text (migrations'
        ``SEARCH_DOC``) holds every word of three letters or more, case folded, found in the
        FTS5 trigram index; ``("", [])`` when there is no such word or no index. The caller
        still applies its exact match: this only narrows the rows it looks at."""
        usable = [w for w in words if len(w) >= 3]
        if not self._search or not usable:
            return "", []
        match = " AND ".join('"' + w.replace('"', '""') + '"' for w in usable)
        return ("id IN (SELECT k.ticket_id FROM ticket_search JOIN ticket_search_key AS k "
                "ON k.key = ticket_search.rowid WHERE ticket_search MATCH ?)", [match])

    async def _seal_legacy(self) -> None:
        """Encrypt the plain CPR numbers an older kcbot left in ``outbox.cpr`` or
        ``tickets.cpr`` (once; a database without any never loads the key)."""
        tables = [t for t in ("outbox", "tickets") if await self._has_column(t, "cpr_maskeret")]
        for table in tables:
            rows = await self._fetchall(
                f"SELECT rowid AS rid, cpr FROM {table} WHERE cpr IS NOT NULL AND cpr NOT LIKE ?",
                ("gAAAAA%",),
            )
            if not rows:
                continue
            async with self.transaction() as db:
                for row in rows:
                    sealed, masked = self.seal_cpr(str(row["cpr"]))
                    await db.execute(
                        f"UPDATE {table} SET cpr = ?, cpr_maskeret = ? WHERE rowid = ?",
                        (sealed, masked, row["rid"]),
                    )
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def _has_column(self, table: str, column: str) -> bool:
        rows = await self._fetchall(f"PRAGMA table_info({table})", ())
        return any(row["name"] == column for row in rows)

    def transaction(self) -> AbstractAsyncContextManager[Any]:
        """A write transaction; taken IMMEDIATE so two writers queue instead of deadlocking.

        Transactions nest: inside an open one (the engine wraps a whole turn, actions included,
        in one), an inner ``transaction()`` joins it, so a turn is stored completely or not at
        all. Tasks sharing this store queue on a lock, so one task's statements never land in
        another task's transaction; on the inline connection a transaction whose body awaits
        only the store never suspends, so the lock is never waited for. There each transaction
        is a savepoint in a ``GroupCommit`` (groups of ``GROUP_LIMIT``, 1: each commits when it
        ends), whose ``COMMIT`` returning from here waits for.
        """
        if self._owner.get() is self:
            # a turn joins its transaction five times or so: a plain object, not a generator
            return _Joined(self._inline or self._db)
        if self._inline is None:
            return self._memory_transaction()
        return _InlineTransaction(self)

    @asynccontextmanager
    async def _memory_transaction(self) -> AsyncIterator[Any]:
        """An in-memory store's transaction, on aiosqlite's one connection under the lock."""
        token = self._owner.set(self)
        try:
            async with self._lock:
                await self._db.execute("BEGIN IMMEDIATE")
                self._last_seqs.clear()
                try:
                    yield self._db
                except BaseException:
                    await self._db.execute("ROLLBACK")
                    raise
                else:
                    await self._db.execute("COMMIT")
        finally:
            self._owner.reset(token)

    async def _begin(self, raw: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE`` on the inline connection. Another process's write lock is waited
        for up to the busy timeout with ``asyncio.sleep`` (SQLite's own busy handler would
        sleep on the loop thread and stall every other sender), then the error is raised."""
        deadline = 0.0
        delay = 0.001
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not _busy(exc):
                    raise
                now = time.monotonic()
                deadline = deadline or now + self.busy_timeout_ms / 1000
                if now >= deadline:
                    raise
                await asyncio.sleep(min(delay, deadline - now))
                delay = min(delay * 2, 0.05)

    def _committed(self) -> None:
        self._commits += 1
        if self._commits % CHECKPOINT_EVERY == 0:
            self.checkpoint_soon()

    def checkpoint_soon(self) -> None:
        """Start a passive checkpoint on a thread of its own, unless one is running: it copies
        what it can of the write-ahead log without waiting for readers or writers. Submitted at
        once, so it runs even while turns keep the loop busy."""
        if str(self.path) == ":memory:":
            return
        if self._checkpointing is not None and not self._checkpointing.done():
            return
        if self._checkpointer is None:
            self._checkpointer = ThreadPoolExecutor(1, thread_name_prefix="kcbot-checkpoint")
        self._checkpointing = self._checkpointer.submit(self._passive_checkpoint)

    def _passive_checkpoint(self) -> None:
        """On the checkpoint thread, the only one that uses ``_checkpoint_db``."""
        try:
            if self._checkpoint_db is None:
                self._checkpoint_db = sqlite3.connect(self.path, isolation_level=None,
                                                      timeout=0, check_same_thread=False)
            self._checkpoint_db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # busy or gone: the next one copies it, on a new connection
            self._close_checkpoint_db()

    def _close_checkpoint_db(self) -> None:
        con, self._checkpoint_db = self._checkpoint_db, None
        if con is not None:
            try:
                con.close()
            except sqlite3.Error:
                pass

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        if self._owner.get() is self:
            if self._inline is not None:
                return self._inline.raw.execute(sql, params).fetchall()
            return await self._fetchall(sql, params)
        if self._inline is not None:  # aiosqlite's connection never holds uncommitted rows
            return await self._fetchall(sql, params)
        async with self._lock:  # never read another task's uncommitted rows
            return await self._fetchall(sql, params)

    async def _fetchall(self, sql: str, params: Sequence[Any]) -> list[sqlite3.Row]:
        return list(await self._db.execute_fetchall(sql, params))  # one hop to the db thread

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def checkpoint(self) -> None:
        """Copy the write-ahead log into the database and empty it."""
        async with self._lock:
            await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def integrity_check(self) -> str:
        row = await self.fetchone("PRAGMA integrity_check")
        return str(row[0]) if row else "?"

    # -- conversations ----------------------------------------------------------------------

    async def start_conversation(self, channel: str, sender: str) -> str:
        conversation_id = uuid.uuid4().hex[:16]
        now = _iso(self.clock.now())
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO conversations (id, channel, sender, started, last_activity) "
                "VALUES (?, ?, ?, ?, ?)",
                (conversation_id, channel, stored_sender(sender), now, now),
            )
            self._last_seqs[conversation_id] = 0
        return conversation_id

    async def conversation_count(self) -> int:
        row = await self.fetchone("SELECT count(*) AS n FROM conversations")
        return int(row["n"]) if row else 0

    async def active_conversation(self, channel: str, sender: str) -> str | None:
        row = await self.open_conversation(channel, sender)
        return row["id"] if row else None

    async def conversation(self, conversation_id: str) -> sqlite3.Row | None:
        return await self.fetchone("SELECT * FROM conversations WHERE id = ?", (conversation_id,))

    async def save_state(self, conversation_id: str, state: dict[str, Any]) -> None:
        async with self.transaction() as db:
            await db.execute(
                "UPDATE conversations SET state = ?, last_activity = ? WHERE id = ?",
                (masked_json(state), _iso(self.clock.now()),
                 conversation_id),
            )

    async def load_state(self, conversation_id: str) -> dict[str, Any]:
        row = await self.fetchone(
            "SELECT state FROM conversations WHERE id = ?", (conversation_id,)
        )
        return json.loads(row["state"]) if row else {}

    async def end_conversation(self, conversation_id: str, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise StoreError(f"Ukendt udfald '{outcome}'; gyldige: {', '.join(OUTCOMES)}.")
        async with self.transaction() as db:
            await db.execute(
                "UPDATE conversations SET ended = ?, outcome = ? WHERE id = ? AND ended IS NULL",
                (_iso(self.clock.now()), outcome, conversation_id),
            )

    # -- turns and events -------------------------------------------------------------------

    async def open_conversation(self, channel: str, sender: str) -> sqlite3.Row | None:
        """The sender's conversation that has not ended: id, last_activity and state, in one
        read (the engine asks for it on every turn). Inside a transaction its last turn row's
        number is kept for the transaction's ``record_turn``."""
        row = await self.fetchone(OPEN_CONVERSATION_SQL, (channel, stored_sender(sender)))
        if row is not None and self._owner.get() is self:
            self._last_seqs[row["id"]] = row["last_seq"]
        return row

    async def _seen_seq(self, db: Any, conversation_id: str) -> int:
        """The number of the conversation's last turn row (0 before the first), as this
        transaction last saw it, or read now."""
        last = self._last_seqs.get(conversation_id)
        return await _last_seq(db, conversation_id) if last is None else last

    async def record_turn(
        self,
        conversation_id: str,
        user: tuple[str, str | None, float | None],
        bot: Sequence[str],
        events: Sequence[dict[str, Any]],
        state: dict[str, Any],
    ) -> None:
        """Everything one turn adds, in a few statements: the citizen's message
        ``(text, intent, confidence)``, the bot's replies, the events and the new state."""
        now = _iso(self.clock.now())
        async with self.transaction() as db:
            # The turn's rows are numbered after the conversation's last one, read once (an
            # ``INSERT … SELECT max(seq)`` per row built a temporary table for each row), or
            # already read by this transaction's ``open_conversation``.
            last = await self._seen_seq(db, conversation_id)
            rows = [(conversation_id, last + 1, "user", mask_cpr(user[0]), user[1], user[2],
                     now)]
            rows += [(conversation_id, last + 2 + i, "bot", mask_cpr(text), None, None, now)
                     for i, text in enumerate(bot)]
            await db.executemany(
                "INSERT INTO turns (conversation_id, seq, speaker, text, intent, confidence, time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._last_seqs[conversation_id] = last + len(rows)
            if events:
                await db.executemany(
                    "INSERT INTO events (conversation_id, time, event, kind) VALUES (?, ?, ?, ?)",
                    event_rows(conversation_id, now, events),
                )
            await db.execute(
                "UPDATE conversations SET state = ?, last_activity = ? WHERE id = ?",
                (masked_json(state), now, conversation_id),
            )

    async def add_turn(
        self,
        conversation_id: str,
        speaker: str,
        text: str,
        intent: str | None = None,
        confidence: float | None = None,
    ) -> Turn:
        now = _iso(self.clock.now())
        masked = mask_cpr(text)
        async with self.transaction() as db:
            seq = await self._seen_seq(db, conversation_id) + 1
            await db.execute(
                "INSERT INTO turns (conversation_id, seq, speaker, text, intent, confidence, time)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, seq, speaker, masked, intent, confidence, now),
            )
            self._last_seqs[conversation_id] = seq
            await db.execute(
                "UPDATE conversations SET last_activity = ? WHERE id = ?", (now, conversation_id)
            )
        return Turn(conversation_id, seq, speaker, masked, intent, confidence, now)

    async def turns(self, conversation_id: str) -> list[Turn]:
        rows = await self.fetchall(
            "SELECT conversation_id, seq, speaker, text, intent, confidence, time FROM turns "
            "WHERE conversation_id = ? ORDER BY seq",
            (conversation_id,),
        )
        return [Turn(*row) for row in rows]

    async def add_events(self, conversation_id: str, events: Sequence[dict[str, Any]]) -> None:
        """Store rasa-style event dicts (``{"event": "slot", "name": ..., "value": ...}``)."""
        if not events:
            return
        now = _iso(self.clock.now())
        async with self.transaction() as db:
            await db.executemany(
                "INSERT INTO events (conversation_id, time, event, kind) VALUES (?, ?, ?, ?)",
                event_rows(conversation_id, now, events),
            )

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        rows = await self.fetchall(
            "SELECT event FROM events WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        )
        return [json.loads(row["event"]) for row in rows]

    # -- journal and outbox -----------------------------------------------------------------

    async def add_journal(
        self,
        conversation_id: str | None,
        sag: str,
        decision: str,
        note: str,
        *,
        borgergruppe: str | None = None,
        rule: str | None = None,
        source: str | None = None,
    ) -> int:
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO journal (conversation_id, time, sag, borgergruppe, decision, rule, "
                "source, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, _iso(self.clock.now()), sag, borgergruppe, mask_cpr(decision),
                 rule, source, mask_cpr(note)),
            )
            return int(cur.lastrowid or 0)

    async def add_outbox(
        self,
        conversation_id: str | None,
        recipient: str,
        subject: str,
        body: str,
        *,
        navn: str | None = None,
        cpr: str | None = None,
        identitet: str | None = None,
        regel: str | None = None,
    ) -> int:
        """A message for delivery. ``cpr`` is encrypted here; subject and body are masked."""
        if not _RECIPIENT.match(recipient or ""):
            raise StoreError(f"Ugyldig modtager '{recipient}'.")
        if identitet is not None and identitet not in IDENTITIES:
            raise StoreError(f"Ukendt identitet '{identitet}'; gyldige: {', '.join(IDENTITIES)}.")
        sealed, masked = self.seal_cpr(cpr)
        async with self.transaction() as db:
            cur = await db.execute(
                "INSERT INTO outbox (conversation_id, time, recipient, subject, body, regel, navn,"
                " cpr, cpr_maskeret, identitet) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, _iso(self.clock.now()), recipient, mask_cpr(subject),
                 mask_cpr(body), regel, mask_cpr(navn) if navn else None, sealed, masked,
                 identitet),
            )
            return int(cur.lastrowid or 0)

    # -- channel retries --------------------------------------------------------------------

    async def processed_replies(
        self, channel: str, sender: str, message_id: str, text: str | None = None
    ) -> list[dict[str, Any]] | None:
        """The replies already given to this message id, or None when it is new.

        With ``text``, the id must have been used for that same message: another message
        under a used id raises ``ReplayConflict`` (a client bug; answering it with the old
        replies would drop the new message silently)."""
        row = await self.fetchone(
            "SELECT replies, digest FROM processed_messages WHERE channel = ? AND sender = ? "
            "AND message_id = ?",
            (channel, stored_sender(sender), message_id),
        )
        if row is None:
            return None
        if text is not None and row["digest"] and row["digest"] != message_digest(sender,
                                                                                    text):
            raise ReplayConflict(
                f"Besked-id'et '{message_id}' er allerede brugt til en anden besked. Send den "
                "nye besked med et nyt id; intet er gået tabt.")
        return json.loads(row["replies"])

    async def remember_replies(
        self, channel: str, sender: str, message_id: str, replies: Sequence[dict[str, Any]],
        text: str | None = None,
    ) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT OR IGNORE INTO processed_messages (channel, sender, message_id, replies, "
                "time, digest) VALUES (?, ?, ?, ?, ?, ?)",
                (channel, stored_sender(sender), message_id,
                 masked_json(list(replies)),
                 _iso(self.clock.now()),
                 message_digest(sender, text) if text is not None else None),
            )

    async def heartbeat(self, timeout: float = 2.0) -> None:
        """Commit a tiny write on a connection of its own, waiting at most ``timeout``
        seconds for the lock: proof that a turn could be stored now (a full disk, a held lock
        or a read-only file fail it). Raises ``sqlite3.Error``."""
        if str(self.path) == ":memory:":
            return
        now = _iso(self.clock.now())

        def write() -> None:
            con = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("INSERT OR REPLACE INTO heartbeat (id, time) VALUES (1, ?)", (now,))
                con.execute("COMMIT")
            finally:
                con.close()

        await asyncio.wait_for(asyncio.to_thread(write), timeout + 1)

    async def quick_check(self) -> str:
        """``PRAGMA quick_check`` on a connection of its own: 'ok' or the first problem."""
        if str(self.path) == ":memory:":
            return "ok"

        def check() -> str:
            con = sqlite3.connect(self.path, timeout=2)
            try:
                row = con.execute("PRAGMA quick_check(1)").fetchone()
                return str(row[0]) if row else "?"
            finally:
                con.close()

        return await asyncio.to_thread(check)

    # -- what the protocol adds for several workers (one process needs none of it) ----------

    @property
    def location(self) -> str:
        return str(self.path)

    def unavailable(self, exc: BaseException) -> bool:
        return sqlite_unavailable(exc)

    async def lock_sender(self, channel: str, sender: str) -> None:
        """Nothing to take: a transaction here already holds the one write lock there is."""

    async def next_ticket_number(self, prefix: str) -> int:
        """The year's highest number plus one, found on the primary key without a scan (only
        one writer at a time, so no two turns get the same)."""
        row = await self.fetchone("SELECT max(id) FROM tickets WHERE id >= ? AND id < ?",
                                  (prefix, prefix + "~"))
        last = row[0] if row else None
        return int(last[len(prefix):]) + 1 if last else 1

    async def idle_conversations(self, cutoff: str) -> list[sqlite3.Row]:
        return await self.fetchall(
            "SELECT id, state FROM conversations WHERE ended IS NULL AND last_activity < ?",
            (cutoff,))
