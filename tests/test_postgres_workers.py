"""Several workers on one PostgreSQL store: the order of a sender's turns, retries and a worker
killed mid-load, against a real server (the ``pgserver`` wheel) and real ``kcbot serve``
processes on loopback."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kcbot.channels.client import Client
from kcbot.clock import FrozenClock
from kcbot.config import Settings
from kcbot.dialogue import Engine
from kcbot.store import Store
from tests.pg import query
from tests.servers import Server, running

pytestmark = pytest.mark.postgres

WEBHOOK = "/webhooks/rest/webhook"
# the limits are per worker and per client address; every test client is 127.0.0.1
ENV = {"KCBOT_RATE_SENDER": "10000", "KCBOT_RATE_CLIENT": "1000000",
       "KCBOT_CONNECTIONS_PER_IP": "2000"}
QUESTIONS = ["hvad er jeres åbningstider i dag", "hvordan får jeg en ny adgangskode til jobnet",
             "hvornår har I åbent på fredag", "kan jeg holde ferie når jeg får dagpenge"]


def message(k: int) -> str:
    """The k-th message of a sender: numbered, so the stored order can be read back."""
    return f"{QUESTIONS[k % len(QUESTIONS)]} nr {k}"


@contextmanager
def workers(folder: Path, url: str, n: int) -> Iterator[Server]:
    with running(["-m", "kcbot", "serve", "--database-url", url, "--workers", str(n)], folder,
                 "/health", env=ENV) as server:
        yield server


def worker_pids(server: Server) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"arbejdere lytter på \S+ \(pid ([\d, ]+)\)",
                          server.log.read_text(errors="replace"))
        if found:
            return [int(p) for p in found.group(1).split(", ")]
        time.sleep(0.1)
    raise AssertionError(server.log.read_text(errors="replace"))


async def citizens(port: int, senders: int, turns: int, concurrency: int = 100,
                   during: asyncio.Event | None = None) -> int:
    """Each sender sends ``turns`` messages in order, each with its own message id; a lost
    connection or a 5xx is retried with the same id, as the web chat does. Returns the number
    of retries. ``during`` is set once a quarter of the messages are answered."""
    gate = asyncio.Semaphore(concurrency)
    answered = 0
    retries = 0

    async def citizen(s: int) -> None:
        nonlocal answered, retries
        client = Client("127.0.0.1", port, timeout=60)
        try:
            async with gate:
                for k in range(turns):
                    payload = {"sender": f"borger-{s}", "message": message(k),
                               "metadata": {"message_id": f"borger-{s}-{k}"}}
                    for _attempt in range(100):
                        try:
                            response = await client.post_json(WEBHOOK, payload)
                        except (OSError, asyncio.IncompleteReadError, TimeoutError):
                            response = None
                            await client.close()
                        if response is not None and response.status == 200:
                            assert response.json(), response.body
                            break
                        assert response is None or response.status >= 500, response.body
                        retries += 1
                        await asyncio.sleep(0.05)
                    else:
                        raise AssertionError(f"borger-{s} got no answer to message {k}")
                    answered += 1
                    if during is not None and answered >= senders * turns // 4:
                        during.set()
        finally:
            await client.close()

    await asyncio.gather(*(citizen(s) for s in range(senders)))
    return retries


def assert_every_turn_once_in_order(url: str, senders: int, turns: int) -> None:
    """Read back from the database: per sender, each message is one user turn, the turns
    are numbered without gaps, and the messages were handled in the order sent."""
    rows = query(url, "SELECT c.sender, e.event FROM events e JOIN conversations c ON "
                      "c.id = e.conversation_id ORDER BY e.id")
    seen: dict[str, list[str]] = {}
    for sender, raw in rows:
        event = json.loads(raw)
        if event.get("event") == "user":
            seen.setdefault(sender, []).append(event["text"])
    assert len(seen) == senders
    for sender, texts in seen.items():
        assert texts == [message(k) for k in range(turns)], sender
    counts = query(url, "SELECT c.sender, count(*) FROM turns t JOIN conversations c ON "
                        "c.id = t.conversation_id WHERE t.speaker = 'user' GROUP BY c.sender")
    assert {n for _, n in counts} == {turns} and len(counts) == senders
    seqs = query(url, "SELECT conversation_id, count(*), max(seq) FROM turns "
                      "GROUP BY conversation_id")
    assert all(n == last for _, n, last in seqs)  # 1..n, no gaps, no duplicates
    ((ids,),) = query(url, "SELECT count(*) FROM processed_messages")
    assert ids == senders * turns


def test_two_workers_store_every_turn_once_and_in_order(tmp_path: Path,
                                                        postgres_url: str) -> None:
    senders, turns = 200, 10
    with workers(tmp_path, postgres_url, 2) as server:
        retries = asyncio.run(citizens(server.port, senders, turns))
    assert retries == 0
    assert_every_turn_once_in_order(postgres_url, senders, turns)


def test_a_worker_killed_mid_load_loses_nothing_and_is_replaced(tmp_path: Path,
                                                               postgres_url: str) -> None:
    senders, turns = 60, 10
    with workers(tmp_path, postgres_url, 2) as server:
        victim, survivor = worker_pids(server)

        async def run() -> int:
            quarter = asyncio.Event()
            load = asyncio.create_task(citizens(server.port, senders, turns, during=quarter))
            await quarter.wait()
            os.kill(victim, signal.SIGKILL)  # mid-turn for some senders
            return await load

        asyncio.run(run())
        os.kill(survivor, 0)  # the other worker never stopped
        log = server.log.read_text(errors="replace")
        assert f"arbejder 0 (pid {victim}) stoppede" in log or \
            f"arbejder 1 (pid {victim}) stoppede" in log
    # a turn cut off by the kill was rolled back by the server and run again on retry
    assert_every_turn_once_in_order(postgres_url, senders, turns)


async def test_the_advisory_lock_orders_concurrent_retries(postgres_url: str, nlu,
                                                           clock: FrozenClock) -> None:
    """Two engines on two connection pools (as two workers): the same message id sent to
    both at once runs one turn, and both answers are that turn's replies."""
    settings = Settings(database_url=postgres_url)
    first = await Engine.open(settings, clock, nlu=nlu)
    second = await Engine.open(settings, clock, nlu=nlu)
    try:
        for k in range(8):
            results = await asyncio.gather(*(
                engine.turn("borger-1", message(k), channel="rest", message_id=f"m{k}")
                for engine in (first, second, first, second)))
            assert sum(not r.replayed for r in results) == 1
            texts = {tuple(reply.text for reply in r.replies) for r in results}
            assert len(texts) == 1
        # different messages from one sender through both at once: one after another
        await asyncio.gather(*(
            (first if k % 2 else second).turn("borger-2", message(k), channel="rest",
                                              message_id=f"n{k}")
            for k in range(8, 20)))
        rows = await first.store.fetchall(
            "SELECT c.sender, t.seq, t.speaker FROM turns t JOIN conversations c ON "
            "c.id = t.conversation_id ORDER BY c.sender, t.seq")
    finally:
        await first.close()
        await second.close()
    by_sender: dict[str, list[tuple[int, str]]] = {}
    for sender, seq, speaker in rows:
        by_sender.setdefault(sender, []).append((seq, speaker))
    assert sum(speaker == "user" for _, speaker in by_sender["borger-1"]) == 8
    turns2 = by_sender["borger-2"]
    assert [seq for seq, _ in turns2] == list(range(1, len(turns2) + 1))
    users = [i for i, (_, speaker) in enumerate(turns2) if speaker == "user"]
    assert len(users) == 12
    # every user turn is followed by its own replies before the next user turn
    assert all(turns2[i + 1][1] == "bot" for i in users)


async def test_a_sender_lock_holds_across_connections_and_only_for_that_sender(
        postgres_url: str, clock) -> None:
    one = await Store.open(postgres_url, clock)
    two = await Store.open(postgres_url, clock)
    try:
        order: list[str] = []
        held, other = asyncio.Event(), asyncio.Event()

        async def holder() -> None:
            async with one.transaction():
                await one.lock_sender("rest", "a")
                held.set()
                await other.wait()  # another sender got through while this one is held
                order.append("first done")

        async def waiter() -> None:
            await held.wait()
            async with two.transaction():
                await two.lock_sender("rest", "b")
                order.append("other sender")
            with pytest.raises(TimeoutError):  # held: not had in a second (nor ever)
                async with two.transaction():
                    await asyncio.wait_for(two.lock_sender("rest", "a"), 1.0)
            other.set()
            async with two.transaction():
                await two.lock_sender("rest", "a")  # waits for the holder's commit
                order.append("second got it")

        await asyncio.wait_for(asyncio.gather(holder(), waiter()), 30)
        assert order == ["other sender", "first done", "second got it"]
    finally:
        await one.close()
        await two.close()
