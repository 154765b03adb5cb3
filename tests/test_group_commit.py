"""Turns of different senders that end together share one COMMIT (``GroupCommit``), and still
each is stored completely or not at all, and none is answered before it is stored."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from kcbot.store import Store, inline


@pytest.fixture
def grouped(monkeypatch: pytest.MonkeyPatch) -> None:
    """Groups of up to 16, as with one process on the database (by default each transaction
    commits alone: ``GROUP_LIMIT``)."""
    monkeypatch.setattr(inline, "GROUP_LIMIT", 16)


def _senders(path: Path) -> set[str]:
    """What another process sees: only committed rows."""
    con = sqlite3.connect(path)
    try:
        return {row[0] for row in con.execute("SELECT sender FROM conversations")}
    finally:
        con.close()


async def test_concurrent_turns_share_commits_and_each_is_stored_before_it_returns(
        tmp_path: Path, clock, grouped) -> None:
    path = tmp_path / "kcbot.sqlite3"
    async with Store.connect(path, clock) as store:
        seen_after: dict[str, bool] = {}

        async def turn(sender: str) -> None:
            async with store.transaction():
                conversation = await store.start_conversation("rest", sender)
                await store.add_turn(conversation, "user", "hej")
            seen_after[sender] = sender in _senders(path)

        senders = [f"borger-{n}" for n in range(40)]
        await asyncio.gather(*[turn(s) for s in senders])
        assert seen_after == dict.fromkeys(senders, True)
        group = store._group
        assert group is not None
        assert group.transactions == 40
        assert group.commits < 40  # shared ...
        assert group.commits >= 40 / 16  # ... by at most GROUP_LIMIT each


async def test_a_failing_turn_is_undone_alone(tmp_path: Path, clock, grouped) -> None:
    path = tmp_path / "kcbot.sqlite3"
    async with Store.connect(path, clock) as store:

        async def turn(sender: str) -> None:
            async with store.transaction():
                conversation = await store.start_conversation("rest", sender)
                await store.add_turn(conversation, "user", "hej")
                if sender == "borger-2":
                    raise RuntimeError("a bug in this turn")

        results = await asyncio.gather(*[turn(f"borger-{n}") for n in range(5)],
                                       return_exceptions=True)
        assert [type(r).__name__ for r in results] == [
            "NoneType", "NoneType", "RuntimeError", "NoneType", "NoneType"]
        assert _senders(path) == {"borger-0", "borger-1", "borger-3", "borger-4"}
        turns = await store.fetchall("SELECT count(*) FROM turns")
        assert turns[0][0] == 4


async def test_a_failing_commit_fails_every_turn_of_its_group_and_stores_none(
        tmp_path: Path, clock, grouped) -> None:
    path = tmp_path / "kcbot.sqlite3"
    async with Store.connect(path, clock) as store:
        async with store.transaction() as db:  # a check SQLite makes only at COMMIT
            await db.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
            await db.execute("CREATE TABLE child (parent INTEGER REFERENCES parent (id) "
                             "DEFERRABLE INITIALLY DEFERRED)")

        async def turn(sender: str) -> None:
            async with store.transaction() as db:
                await store.start_conversation("rest", sender)
                if sender == "borger-1":
                    await db.execute("INSERT INTO child VALUES (42)")  # no parent 42

        results = await asyncio.gather(*[turn(f"borger-{n}") for n in range(3)],
                                       return_exceptions=True)
        assert all(isinstance(r, sqlite3.IntegrityError) for r in results)
        assert _senders(path) == set()
        await turn("borger-9")  # the store goes on
        assert _senders(path) == {"borger-9"}


async def test_a_caller_that_goes_away_does_not_cancel_the_others_commit(
        tmp_path: Path, clock, grouped) -> None:
    path = tmp_path / "kcbot.sqlite3"
    async with Store.connect(path, clock) as store:
        ended = asyncio.Event()

        async def turn(sender: str) -> None:
            async with store.transaction():
                await store.start_conversation("rest", sender)
            ended.set()

        first = asyncio.create_task(turn("borger-0"))
        second = asyncio.create_task(turn("borger-1"))
        await asyncio.sleep(0)  # both ran their transaction and wait for the COMMIT
        first.cancel()
        await second
        with pytest.raises(asyncio.CancelledError):
            await first
        assert _senders(path) == {"borger-0", "borger-1"}  # committed all the same


# A serve process that dies (SIGKILL) while a group of three turns is open: their savepoints
# are released, the shared COMMIT not yet run. The child replaces the flush by its own death.
_CRASH_CHILD = """
import asyncio, os, signal, sys
from pathlib import Path
from kcbot.clock import FrozenClock
from kcbot.config import Settings
from kcbot.dialogue.engine import Engine
from kcbot.store import inline

inline.GROUP_LIMIT = 16  # groups as with one process on the database

async def main(db):
    engine = await Engine.open(Settings(db_path=Path(db)), FrozenClock())
    await engine.turn("borger-a", "hej", channel="rest", message_id="a-0")
    print("answered a-0", flush=True)
    group = engine.store._group

    def die():
        print("open group", group._members, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

    group._flush = die
    results = await asyncio.gather(*[
        engine.turn(sender, "hvornår har I åbent", channel="rest", message_id=sender + "-1")
        for sender in ("borger-a", "borger-b", "borger-c")])
    print("answered", [r.replies for r in results], flush=True)

asyncio.run(main(sys.argv[1]))
"""


async def test_sigkill_in_an_open_group_keeps_what_was_committed_and_nothing_else(
        tmp_path: Path, clock, nlu) -> None:
    import subprocess
    import sys

    from kcbot.config import Settings
    from kcbot.dialogue.engine import Engine

    db = tmp_path / "crash.sqlite3"
    child = subprocess.run([sys.executable, "-c", _CRASH_CHILD, str(db)],
                           capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr
    # the group held three ended turns when the process died, and none was answered
    assert child.stdout.splitlines() == ["answered a-0", "open group 3"]

    con = sqlite3.connect(db)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        kept = con.execute("SELECT c.sender, t.text FROM turns t JOIN conversations c "
                           "ON c.id = t.conversation_id WHERE t.speaker = 'user'").fetchall()
        ids = {row[0] for row in con.execute("SELECT message_id FROM processed_messages")}
    finally:
        con.close()
    assert kept == [("borger-a", "hej")]  # the committed turn stays, the open group is gone
    assert ids == {"a-0"}

    # the clients send their messages again: the committed one is replayed, the lost ones
    # answered now, each stored once
    engine = await Engine.open(Settings(db_path=db), clock, nlu=nlu)
    try:
        again = await engine.turn("borger-a", "hej", channel="rest", message_id="a-0")
        assert again.replayed
        for sender in ("borger-a", "borger-b", "borger-c"):
            result = await engine.turn(sender, "hvornår har I åbent", channel="rest",
                                       message_id=sender + "-1")
            assert not result.replayed and result.replies
        rows = await engine.store.fetchall(
            "SELECT c.sender, t.text FROM turns t JOIN conversations c "
            "ON c.id = t.conversation_id WHERE t.speaker = 'user' ORDER BY c.sender, t.seq")
        assert [tuple(r) for r in rows] == [
            ("borger-a", "hej"), ("borger-a", "hvornår har I åbent"),
            ("borger-b", "hvornår har I åbent"), ("borger-c", "hvornår har I åbent")]
    finally:
        await engine.close()


async def test_another_process_can_write_as_soon_as_a_turn_has_ended(
        tmp_path: Path, clock) -> None:
    """No transaction stays open while the loop does other work: SQLite's write lock, held from
    a BEGIN to its COMMIT, would shut out the console, other commands and the heartbeat."""
    path = tmp_path / "kcbot.sqlite3"
    async with Store.connect(path, clock) as store:
        writable: list[bool] = []

        async def turn(sender: str) -> None:
            async with store.transaction():
                await store.start_conversation("rest", sender)

        async def other_process() -> None:  # runs after the turn's step, in the same pass
            con = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                con.execute("BEGIN IMMEDIATE")
                con.execute("ROLLBACK")
                writable.append(True)
            except sqlite3.OperationalError:  # database is locked
                writable.append(False)
            finally:
                con.close()

        for n in range(3):
            await asyncio.gather(turn(f"borger-{n}"), other_process())
        assert writable == [True, True, True]
        assert _senders(path) == {"borger-0", "borger-1", "borger-2"}


class _FullDiskAtCommit:
    """The loop connection, except that ``COMMIT`` fails as on a full disk (SQLite then leaves
    the transaction open; the store rolls it back)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.failing = True

    def execute(self, sql: str, *args):
        if self.failing and sql == "COMMIT":
            raise sqlite3.OperationalError("database or disk is full")
        return self.raw.execute(sql, *args)

    def __getattr__(self, name: str):
        return getattr(self.raw, name)


async def test_a_failing_commit_asks_the_citizen_to_try_again_and_stores_nothing(
        tmp_path: Path, clock, nlu) -> None:
    from kcbot.config import Settings
    from kcbot.dialogue.engine import Engine
    from kcbot.errors import StoreUnavailable

    db = tmp_path / "full.sqlite3"
    engine = await Engine.open(Settings(db_path=db), clock, nlu=nlu)
    try:
        engine.store_retry_seconds = 0.3
        group = engine.store._group
        assert group is not None
        disk = _FullDiskAtCommit(group._raw)
        group._raw = disk
        with pytest.raises(StoreUnavailable, match="Prøv igen om lidt"):
            await engine.turn("borger-1", "hvornår har I åbent", channel="rest",
                              message_id="m-1")
        assert _senders(db) == set()  # nothing of the turn, nor of its retries
        disk.failing = False  # space again: the client's retry is answered, once
        result = await engine.turn("borger-1", "hvornår har I åbent", channel="rest",
                                   message_id="m-1")
        assert not result.replayed and result.replies
        again = await engine.turn("borger-1", "hvornår har I åbent", channel="rest",
                                  message_id="m-1")
        assert again.replayed and [r.text for r in again.replies] == [
            r.text for r in result.replies]
        assert _senders(db) == {"borger-1"}
    finally:
        await engine.close()


@pytest.mark.parametrize("limit", [1, 16])
async def test_a_message_id_sent_twice_at_once_is_answered_once(
        tmp_path: Path, clock, nlu, monkeypatch: pytest.MonkeyPatch, limit: int) -> None:
    """Two copies of one message (a client's retry) in flight together, also inside one
    group: one turn is stored, the other copy gets the same replies, after the COMMIT."""
    from kcbot.config import Settings
    from kcbot.dialogue.engine import Engine

    monkeypatch.setattr(inline, "GROUP_LIMIT", limit)
    db = tmp_path / "retry.sqlite3"
    engine = await Engine.open(Settings(db_path=db), clock, nlu=nlu)
    try:
        async def send(sender: str, text: str, message_id: str):
            result = await engine.turn(sender, text, channel="rest", message_id=message_id)
            return result, sender in _senders(db)

        results = await asyncio.gather(
            send("borger-1", "hvornår har I åbent", "m-1"),
            send("borger-2", "hej", "m-2"),
            send("borger-1", "hvornår har I åbent", "m-1"))
        first, _, copy = (r for r, _ in results)
        assert all(stored for _, stored in results)  # none answered before it was stored
        assert [first.replayed, copy.replayed] == [False, True]
        assert [r.text for r in copy.replies] == [r.text for r in first.replies]
        rows = await engine.store.fetchall(
            "SELECT count(*) FROM turns t JOIN conversations c ON c.id = t.conversation_id "
            "WHERE c.sender = 'borger-1' AND t.speaker = 'user'")
        assert rows[0][0] == 1
    finally:
        await engine.close()
