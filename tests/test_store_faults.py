"""Faults in the store (issue 15): another process holding the SQLite write lock must never
cost a citizen the conversation. Bounded in time: busy timeouts of a few hundred ms."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from kcbot.config import Settings
from kcbot.dialogue import Engine, TurnResult
from kcbot.errors import StoreUnavailable
from kcbot.store import Store

FIRST = "jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, jeg er syg"


@pytest.fixture
async def engine(tmp_path: Path, clock, nlu) -> AsyncIterator[Engine]:
    db = tmp_path / "faults.sqlite3"
    store = await Store.open(db, clock, busy_timeout_ms=200)
    engine = await Engine.open(Settings(db_path=db), clock, store=store, nlu=nlu)
    engine.store_retry_seconds = 3.0
    yield engine
    await engine.close()


def text(result: TurnResult) -> str:
    return "\n".join(r.text for r in result.replies)


def hold_lock(db: Path, seconds: float) -> threading.Event:
    """Another process's write transaction, held for ``seconds``; set once it holds."""
    holding = threading.Event()

    def hold() -> None:
        con = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        con.execute("BEGIN IMMEDIATE")
        holding.set()
        threading.Event().wait(seconds)
        con.execute("ROLLBACK")
        con.close()

    threading.Thread(target=hold, daemon=True).start()
    assert holding.wait(5)
    return holding


async def test_a_lock_held_past_the_busy_timeout_keeps_the_dialogue_state(engine) -> None:
    await engine.turn("a", FIRST)
    asked = await engine.turn("a", "ja")  # the read-back, then who the citizen is
    assert "fulde navn" in text(asked)
    hold_lock(engine.store.path, 0.35)  # longer than the 200 ms busy timeout
    answered = await engine.turn("a", "Mette Hansen")
    assert "CPR-nummer" in text(answered)  # the next question, not "Beklager" and a restart
    state = await engine.store.load_state(answered.conversation_id)
    assert state["slots"]["navn"] == "Mette Hansen"
    assert answered.conversation_id == asked.conversation_id


async def test_a_lock_held_too_long_changes_nothing_and_the_retry_continues(engine) -> None:
    await engine.turn("a", FIRST, message_id="0")
    asked = await engine.turn("a", "ja", message_id="1")
    before = await engine.store.load_state(asked.conversation_id)
    engine.store_retry_seconds = 0.5
    hold_lock(engine.store.path, 1.5)
    with pytest.raises(StoreUnavailable, match="samtalen fortsætter"):
        await engine.turn("a", "Mette Hansen", message_id="2")
    assert await engine.store.load_state(asked.conversation_id) == before
    turns = await engine.store.turns(asked.conversation_id)
    assert [t.text for t in turns if t.speaker == "user"] == [FIRST, "ja"]
    import asyncio

    await asyncio.sleep(1.2)  # the other process lets go
    again = await engine.turn("a", "Mette Hansen", message_id="2")
    assert "CPR-nummer" in text(again)


async def test_kcbot_chat_says_so_and_goes_on_when_the_store_stays_locked(engine) -> None:
    import io

    from kcbot.channels.terminal import chat

    await engine.turn("t", FIRST, channel="chat")
    await engine.turn("t", "ja", channel="chat")
    engine.store_retry_seconds = 0.3
    hold_lock(engine.store.path, 0.6)
    out = io.StringIO()
    assert await chat(engine, sender="t", stdin=io.StringIO("Mette Hansen\n"), stdout=out) == 0
    assert "samtalen fortsætter" in out.getvalue()


def test_only_the_stores_own_trouble_counts_as_infrastructure() -> None:
    from kcbot.store.base import sqlite_unavailable as _infrastructure

    assert _infrastructure(sqlite3.OperationalError("database is locked"))
    assert _infrastructure(sqlite3.OperationalError("database or disk is full"))
    assert _infrastructure(sqlite3.DatabaseError("database disk image is malformed"))
    assert not _infrastructure(sqlite3.OperationalError("no such column: x"))  # a bug
    assert not _infrastructure(sqlite3.IntegrityError("UNIQUE constraint failed"))


def test_on_postgresql_too_only_the_databases_trouble_counts() -> None:
    import asyncpg

    from kcbot.store.postgres import PostgresStore

    def unavailable(exc: BaseException) -> bool:
        return PostgresStore.unavailable(None, exc)  # type: ignore[arg-type]

    assert unavailable(asyncpg.exceptions.LockNotAvailableError("lock timeout"))
    assert unavailable(asyncpg.exceptions.DiskFullError("no space"))
    assert unavailable(asyncpg.exceptions.DeadlockDetectedError("deadlock"))
    assert unavailable(asyncpg.exceptions.AdminShutdownError("shutting down"))
    assert unavailable(asyncpg.exceptions.ConnectionDoesNotExistError("gone"))
    assert unavailable(ConnectionRefusedError())
    assert not unavailable(asyncpg.exceptions.UniqueViolationError("duplicate"))  # a bug
    assert not unavailable(asyncpg.exceptions.UndefinedColumnError("no such column"))
