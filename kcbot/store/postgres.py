"""The PostgreSQL store, through asyncpg: the store several ``kcbot serve`` workers share.

The same schema as the SQLite store (its migrations, translated by ``kcbot/store/dialect.py``),
the same transaction per turn and the same privacy boundary (text masked on the way in, a full
CPR number only as a Fernet token). What the database does here that one process did before:

- **One turn at a time per sender, across workers**: ``lock_sender`` takes
  ``pg_advisory_xact_lock`` on a hash of (channel, sender) as the turn's first statement, so a
  second worker with the same sender waits until the first commits, then reads its state and
  the replies it remembered for a retried message id (``processed_messages``' primary key keeps
  one row per id). The lock ends with the transaction; a worker killed mid-turn loses its
  connection, the server rolls the turn back and frees the lock.
- **Ticket numbers** come from the sequence ``ticket_numbers`` (never waits, never repeats;
  numbers are not gap-free and do not restart each year).
- **The idle sweep and the delivery loop** take rows ``FOR UPDATE SKIP LOCKED``: two workers
  never end the same conversation or claim the same mail, and neither waits for the other.
- A lock wait longer than ``busy_timeout_ms`` fails the statement (``lock_timeout``), which the
  engine treats like SQLite's busy database: retried with backoff, then 503.

Times stay ISO-8601 text, as in SQLite, so every query is written once for both.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from kcbot.clock import Clock, SystemClock
from kcbot.datakey import DataKey
from kcbot.errors import ReplayConflict, StoreError
from kcbot.privacy import mask_cpr
from kcbot.store.db import (
    _RECIPIENT,
    BUSY_TIMEOUT_MS,
    IDENTITIES,
    OUTCOMES,
    SQLiteStore,
    Turn,
    _iso,
    event_rows,
    masked_json,
    message_digest,
    stored_sender,
)
from kcbot.store.dialect import postgres_migrations, to_postgres
from kcbot.store.migrations import MIGRATIONS, SEARCH_DOC, SEARCH_MIGRATION
from kcbot.store.outbox import OutboxMethods

__all__ = ["PostgresStore", "safe_url"]

POOL_SIZE = 10
# The key of the advisory lock that lets one process at a time migrate the schema.
_MIGRATION_LOCK = 0x6B63626F74  # "kcbot"
# SQLSTATE classes that mean the database, not the turn, is in trouble: connection (08),
# transaction rollback such as a deadlock or serialisation failure (40), insufficient
# resources (53), operator intervention (57), system error (58); and a lock not obtained in
# time (55P03).
_UNAVAILABLE_CLASSES = ("08", "40", "53", "57", "58")


def safe_url(url: str) -> str:
    """The URL without its password, for messages and ``kcbot db``."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc[-1]}"))


async def _insert_events(conn: asyncpg.Connection, conversation_id: str, now: str,
                         events: Sequence[dict[str, Any]]) -> None:
    """The turn's rasa-style events, masked, in one statement (none: no statement)."""
    if events:
        await conn.executemany(
            "INSERT INTO events (conversation_id, time, event, kind) VALUES ($1, $2, $3, $4)",
            event_rows(conversation_id, now, events))


def _number(text: str) -> int | float:
    """numeric results (sum, avg) as Python numbers, as SQLite gives them."""
    return int(text) if re.fullmatch(r"-?\d+", text) else float(text)


@dataclass
class _Result:
    rowcount: int


def _rowcount(status: str) -> int:
    """asyncpg's command tag ('UPDATE 3', 'INSERT 0 1') as a row count."""
    tail = status.rsplit(" ", 1)[-1]
    return int(tail) if tail.isdigit() else 0


class _Connection:
    """A connection inside a transaction, taking the shared SQL (``?`` parameters)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> _Result:
        return _Result(_rowcount(await self.conn.execute(to_postgres(sql), *params)))

    async def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        await self.conn.executemany(to_postgres(sql), [tuple(r) for r in rows])


class PostgresStore(OutboxMethods):
    """Open with ``await PostgresStore.open(url, clock)`` or ``Store.open(url, clock)``."""

    errors: tuple[type[BaseException], ...] = (asyncpg.PostgresError, asyncpg.InterfaceError,
                                               OSError)
    integrity_error: tuple[type[BaseException], ...] = (
        asyncpg.IntegrityConstraintViolationError,)

    def __init__(self, pool: asyncpg.Pool, url: str, clock: Clock,
                 busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self._pool = pool
        self.url = url
        self.clock = clock
        self.busy_timeout_ms = busy_timeout_ms
        self._key: DataKey | None = None
        self._search = False  # migration 7's trigram index (and ``kcbot_trigrams``) is there
        # the connection of the transaction the current task is inside, if any
        self._tx: ContextVar[asyncpg.Connection | None] = ContextVar(
            f"kcbot_pg_tx_{id(self)}", default=None)

    @property
    def location(self) -> str:
        return safe_url(self.url)

    # -- privacy: the same code as the SQLite store's (masking happens in each method) -------

    data_key = SQLiteStore.data_key
    seal_cpr = SQLiteStore.seal_cpr
    open_cpr = SQLiteStore.open_cpr

    # -- life cycle -------------------------------------------------------------------------

    @classmethod
    async def open(cls, url: str, clock: Clock | None = None,
                   migrations: Sequence[str] = MIGRATIONS,
                   busy_timeout_ms: int = BUSY_TIMEOUT_MS, pool_size: int = POOL_SIZE
                   ) -> PostgresStore:
        settings = {"lock_timeout": str(int(busy_timeout_ms)), "application_name": "kcbot",
                    "timezone": "Europe/Copenhagen"}
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_size,
                                             init=_init_connection, server_settings=settings,
                                             timeout=10)
        except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                ValueError) as exc:
            raise StoreError(f"Kan ikke forbinde til PostgreSQL på {safe_url(url)}: "
                             f"{exc or type(exc).__name__}.") from None
        store = cls(pool, url, clock or SystemClock(), busy_timeout_ms)
        try:
            await store._migrate(migrations)
            store._search = SEARCH_MIGRATION in migrations[:await store.schema_version()]
        except BaseException:
            await pool.close()
            raise
        return store

    @classmethod
    @asynccontextmanager
    async def connect(cls, url: str, clock: Clock | None = None,
                      migrations: Sequence[str] = MIGRATIONS, **options: Any
                      ) -> AsyncIterator[PostgresStore]:
        store = await cls.open(url, clock, migrations, **options)
        try:
            yield store
        finally:
            await store.close()

    async def close(self) -> None:
        await self._pool.close()

    async def schema_version(self) -> int:
        async with self._pool.acquire() as conn:
            return await _schema_version(conn)

    async def _migrate(self, migrations: Sequence[str]) -> None:
        scripts = postgres_migrations(migrations)
        async with self._pool.acquire() as conn:
            for version, script in enumerate(scripts, start=1):
                try:
                    async with conn.transaction():
                        # workers starting together: one migrates, the others wait and skip
                        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK)
                        current = await _schema_version(conn)
                        if current > len(scripts):
                            raise StoreError(
                                f"Databasen {self.location} har skema-version {current}, men "
                                f"denne kcbot kender kun op til version {len(scripts)}. "
                                "Opdater kcbot, eller brug en anden database.")
                        if version <= current:
                            continue
                        await conn.execute(script)
                        await conn.execute("INSERT INTO schema_version (version) VALUES ($1)",
                                           version)
                except asyncpg.PostgresError as exc:
                    raise StoreError(
                        f"Migrering {version} af {self.location} fejlede: {exc}.") from None

    def ticket_search(self, words: Sequence[str]) -> tuple[str, list[Any]]:
        """A condition on ``tickets`` that keeps the tickets whose search text holds all the
        trigrams of every word of three letters or more, lower-cased (the GIN index of
        migration 7); ``("", [])`` when there is no such word. The caller still applies its
        exact ILIKE: this only narrows the rows it looks at."""
        usable = [w for w in words if len(w) >= 3]
        if not self._search or not usable:
            return "", []
        doc = f"kcbot_trigrams({SEARCH_DOC.format(t='')})"
        return " AND ".join(f"{doc} @> kcbot_trigrams(?)" for _ in usable), usable

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Connection]:
        """One transaction on one pooled connection. Inside an open one (the engine wraps a
        whole turn), an inner ``transaction()`` is a savepoint of it: a failing inner part
        (a ticket a concurrent retry created first) is undone without losing the turn."""
        conn = self._tx.get()
        if conn is not None:
            async with conn.transaction():
                yield _Connection(conn)
            return
        async with self._pool.acquire() as conn:
            token = self._tx.set(conn)
            try:
                async with conn.transaction():
                    yield _Connection(conn)
            finally:
                self._tx.reset(token)

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[asyncpg.Record]:
        conn = self._tx.get()
        if conn is not None:
            return list(await conn.fetch(to_postgres(sql), *params))
        return list(await self._pool.fetch(to_postgres(sql), *params))

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> asyncpg.Record | None:
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def _fetch(self, sql: str, *params: Any) -> list[asyncpg.Record]:
        """Native PostgreSQL SQL ($n parameters), in the current transaction if any."""
        conn = self._tx.get()
        if conn is not None:
            return list(await conn.fetch(sql, *params))
        return list(await self._pool.fetch(sql, *params))

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[asyncpg.Connection]:
        """The connection of the open transaction (no savepoint: the store's own writes are
        single statements or all-or-nothing with the turn), or a transaction of their own."""
        conn = self._tx.get()
        if conn is not None:
            yield conn
            return
        async with self.transaction() as tx:
            yield tx.conn

    async def _execute(self, sql: str, *params: Any) -> int:
        async with self._writing() as conn:
            return _rowcount(await conn.execute(sql, *params))

    def unavailable(self, exc: BaseException) -> bool:
        """A lost connection, a lock not had in time, a full disk, a server shutting down:
        the database's trouble, not the turn's."""
        if isinstance(exc, OSError | asyncpg.InterfaceError):
            return True
        state = str(getattr(exc, "sqlstate", "") or "")
        return state[:2] in _UNAVAILABLE_CLASSES or state == "55P03"

    async def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL recycles its write-ahead log itself."""

    def checkpoint_soon(self) -> None:
        """Nothing to do (see ``checkpoint``)."""

    async def integrity_check(self) -> str:
        row = await self._fetch("SELECT count(*) FROM schema_version")
        return "ok" if row else "?"

    async def heartbeat(self, timeout: float = 2.0) -> None:
        """Commit a tiny write within ``timeout`` seconds: proof a turn could be stored now."""
        async def write() -> None:
            await self._execute(
                "INSERT INTO heartbeat (id, time) VALUES (1, $1) ON CONFLICT (id) DO UPDATE "
                "SET time = excluded.time", _iso(self.clock.now()))

        await asyncio.wait_for(write(), timeout)

    async def quick_check(self) -> str:
        await self._fetch("SELECT 1")
        return "ok"

    # -- ordering across workers ------------------------------------------------------------

    async def lock_sender(self, channel: str, sender: str) -> None:
        """Wait until no other transaction holds this sender; held until this one ends."""
        if self._tx.get() is None:
            raise StoreError("lock_sender kræver en åben transaktion.")
        await self._fetch("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                          f"{channel}\x1f{stored_sender(sender)}")

    async def next_ticket_number(self, prefix: str) -> int:
        rows = await self._fetch("SELECT nextval('ticket_numbers') AS n")
        return int(rows[0]["n"])

    async def idle_conversations(self, cutoff: str) -> list[asyncpg.Record]:
        """Open conversations quiet since before ``cutoff``, locked for this transaction; a
        conversation another worker's turn or sweep holds is skipped, not waited for."""
        return await self._fetch(
            "SELECT id, state FROM conversations WHERE ended IS NULL AND last_activity < $1 "
            "FOR UPDATE SKIP LOCKED", cutoff)

    async def claim_outbox(self, row_id: int, now: datetime, lease_cutoff: datetime) -> bool:
        rows = await self._fetch_in_transaction(
            "UPDATE outbox SET status = 'sender', claimed = $1, attempts = attempts + 1, "
            "first_attempt = coalesce(first_attempt, $1) WHERE id = (SELECT id FROM outbox "
            "WHERE id = $2 AND ((status = 'afventer' AND (next_attempt IS NULL OR "
            "next_attempt <= $1)) OR (status = 'sender' AND claimed < $3)) "
            "FOR UPDATE SKIP LOCKED) RETURNING id",
            _iso(now), row_id, _iso(lease_cutoff))
        return len(rows) == 1

    async def _fetch_in_transaction(self, sql: str, *params: Any) -> list[asyncpg.Record]:
        async with self._writing() as conn:
            return list(await conn.fetch(sql, *params))

    # -- conversations ----------------------------------------------------------------------

    async def start_conversation(self, channel: str, sender: str) -> str:
        conversation_id = uuid.uuid4().hex[:16]
        now = _iso(self.clock.now())
        await self._execute(
            "INSERT INTO conversations (id, channel, sender, started, last_activity) "
            "VALUES ($1, $2, $3, $4, $4)", conversation_id, channel, stored_sender(sender), now)
        return conversation_id

    async def conversation_count(self) -> int:
        rows = await self._fetch("SELECT count(*) AS n FROM conversations")
        return int(rows[0]["n"])

    async def active_conversation(self, channel: str, sender: str) -> str | None:
        row = await self.open_conversation(channel, sender)
        return row["id"] if row else None

    async def conversation(self, conversation_id: str) -> asyncpg.Record | None:
        rows = await self._fetch("SELECT * FROM conversations WHERE id = $1", conversation_id)
        return rows[0] if rows else None

    async def open_conversation(self, channel: str, sender: str) -> asyncpg.Record | None:
        """The sender's open conversation, locked until the transaction ends (so the idle
        sweep of another worker skips it while this turn runs)."""
        rows = await self._fetch(
            "SELECT id, last_activity, state FROM conversations WHERE channel = $1 AND "
            "sender = $2 AND ended IS NULL ORDER BY started DESC LIMIT 1 FOR UPDATE",
            channel, stored_sender(sender))
        return rows[0] if rows else None

    async def save_state(self, conversation_id: str, state: dict[str, Any]) -> None:
        await self._execute(
            "UPDATE conversations SET state = $1, last_activity = $2 WHERE id = $3",
            masked_json(state), _iso(self.clock.now()),
            conversation_id)

    async def load_state(self, conversation_id: str) -> dict[str, Any]:
        rows = await self._fetch("SELECT state FROM conversations WHERE id = $1",
                                 conversation_id)
        return json.loads(rows[0]["state"]) if rows else {}

    async def end_conversation(self, conversation_id: str, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise StoreError(f"Ukendt udfald '{outcome}'; gyldige: {', '.join(OUTCOMES)}.")
        await self._execute(
            "UPDATE conversations SET ended = $1, outcome = $2 WHERE id = $3 AND ended IS NULL",
            _iso(self.clock.now()), outcome, conversation_id)

    # -- turns and events -------------------------------------------------------------------

    async def record_turn(self, conversation_id: str,
                          user: tuple[str, str | None, float | None], bot: Sequence[str],
                          events: Sequence[dict[str, Any]], state: dict[str, Any]) -> None:
        now = _iso(self.clock.now())
        async with self._writing() as conn:
            last = await conn.fetchval(
                "SELECT coalesce(max(seq), 0) FROM turns WHERE conversation_id = $1",
                conversation_id)
            rows = [(conversation_id, last + 1, "user", mask_cpr(user[0]), user[1], user[2],
                     now)]
            rows += [(conversation_id, last + 2 + i, "bot", mask_cpr(text), None, None, now)
                     for i, text in enumerate(bot)]
            await conn.executemany(
                "INSERT INTO turns (conversation_id, seq, speaker, text, intent, confidence, "
                "time) VALUES ($1, $2, $3, $4, $5, $6, $7)", rows)
            await _insert_events(conn, conversation_id, now, events)
            await conn.execute(
                "UPDATE conversations SET state = $1, last_activity = $2 WHERE id = $3",
                masked_json(state), now, conversation_id)

    async def add_turn(self, conversation_id: str, speaker: str, text: str,
                       intent: str | None = None, confidence: float | None = None) -> Turn:
        now = _iso(self.clock.now())
        masked = mask_cpr(text)
        async with self._writing() as conn:
            seq = await conn.fetchval(
                "INSERT INTO turns (conversation_id, seq, speaker, text, intent, confidence, "
                "time) SELECT $1, coalesce(max(seq), 0) + 1, $2, $3, $4, $5::float8, $6 "
                "FROM turns WHERE conversation_id = $1 RETURNING seq",
                conversation_id, speaker, masked, intent, confidence, now)
            await conn.execute("UPDATE conversations SET last_activity = $1 WHERE id = $2",
                               now, conversation_id)
        return Turn(conversation_id, seq, speaker, masked, intent, confidence, now)

    async def turns(self, conversation_id: str) -> list[Turn]:
        rows = await self._fetch(
            "SELECT conversation_id, seq, speaker, text, intent, confidence, time FROM turns "
            "WHERE conversation_id = $1 ORDER BY seq", conversation_id)
        return [Turn(*row) for row in rows]

    async def add_events(self, conversation_id: str, events: Sequence[dict[str, Any]]) -> None:
        if not events:
            return
        now = _iso(self.clock.now())
        async with self._writing() as conn:
            await _insert_events(conn, conversation_id, now, events)

    async def events(self, conversation_id: str) -> list[dict[str, Any]]:
        rows = await self._fetch(
            "SELECT event FROM events WHERE conversation_id = $1 ORDER BY id", conversation_id)
        return [json.loads(row["event"]) for row in rows]

    # -- journal and outbox -----------------------------------------------------------------

    async def add_journal(self, conversation_id: str | None, sag: str, decision: str,
                          note: str, *, borgergruppe: str | None = None,
                          rule: str | None = None, source: str | None = None) -> int:
        rows = await self._fetch_in_transaction(
            "INSERT INTO journal (conversation_id, time, sag, borgergruppe, decision, rule, "
            "source, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            conversation_id, _iso(self.clock.now()), sag, borgergruppe, mask_cpr(decision),
            rule, source, mask_cpr(note))
        return int(rows[0]["id"])

    async def add_outbox(self, conversation_id: str | None, recipient: str, subject: str,
                         body: str, *, navn: str | None = None, cpr: str | None = None,
                         identitet: str | None = None, regel: str | None = None) -> int:
        if not _RECIPIENT.match(recipient or ""):
            raise StoreError(f"Ugyldig modtager '{recipient}'.")
        if identitet is not None and identitet not in IDENTITIES:
            raise StoreError(f"Ukendt identitet '{identitet}'; gyldige: {', '.join(IDENTITIES)}.")
        sealed, masked = self.seal_cpr(cpr)
        rows = await self._fetch_in_transaction(
            "INSERT INTO outbox (conversation_id, time, recipient, subject, body, regel, navn, "
            "cpr, cpr_maskeret, identitet) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
            "RETURNING id",
            conversation_id, _iso(self.clock.now()), recipient, mask_cpr(subject),
            mask_cpr(body), regel, mask_cpr(navn) if navn else None, sealed, masked, identitet)
        return int(rows[0]["id"])

    # -- channel retries --------------------------------------------------------------------

    async def processed_replies(self, channel: str, sender: str, message_id: str,
                                text: str | None = None) -> list[dict[str, Any]] | None:
        rows = await self._fetch(
            "SELECT replies, digest FROM processed_messages WHERE channel = $1 AND sender = $2 "
            "AND message_id = $3", channel, stored_sender(sender), message_id)
        if not rows:
            return None
        row = rows[0]
        if text is not None and row["digest"] and row["digest"] != message_digest(sender, text):
            raise ReplayConflict(
                f"Besked-id'et '{message_id}' er allerede brugt til en anden besked. Send den "
                "nye besked med et nyt id; intet er gået tabt.")
        return json.loads(row["replies"])

    async def remember_replies(self, channel: str, sender: str, message_id: str,
                               replies: Sequence[dict[str, Any]], text: str | None = None
                               ) -> None:
        await self._execute(
            "INSERT INTO processed_messages (channel, sender, message_id, replies, time, digest)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            channel, stored_sender(sender), message_id,
            masked_json(list(replies)), _iso(self.clock.now()),
            message_digest(sender, text) if text is not None else None)


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", encoder=str, decoder=_number, schema="pg_catalog",
                              format="text")


async def _schema_version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
    if not exists:
        await conn.execute("CREATE TABLE IF NOT EXISTS schema_version "
                           "(version INTEGER NOT NULL)")
        return 0
    return int(await conn.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))
