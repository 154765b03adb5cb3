"""Reliability of the REST channel under load, a crash and hostile input: a real ``kcbot serve``
subprocess on loopback, bounded in size so the suite stays within minutes."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kcbot.channels.client import Client
from tests.servers import Server, free_port, running

WEBHOOK = "/webhooks/rest/webhook"
CITIZENS = 200
# Ten messages each; a third of the citizens end with a callback ticket.
HANDOFF = ["jeg vil tale med en medarbejder", "om min sag", "Sara Jensen", "20304050",
           "dagpenge", "ja", "tak", "hvornår har I åbent", "tak igen", "ok"]
AFBUD = ["jeg skal melde afbud til jobsamtale i morgen", "hvornår har I åbent", "2",
         "jeg har influenza", "tak", "hej", "jeg er rask igen", "kontanthjælp", "tak", "ok"]
SMALL = ["hej", "hvornår har I åbent", "tak", "ferie", "1", "tak", "jobnet", "ja", "tak", "ok"]
SCRIPTS = [HANDOFF, AFBUD, SMALL]


def serve(folder: Path, db: Path, port: int | None = None, env: dict[str, str] | None = None):
    # 200 citizens share one address here: the per-client limits are lifted
    return running(["-m", "kcbot", "serve", "--db", str(db), "--now", "2026-11-24T09:15"],
                   folder, "/health", port=port,
                   env={"KCBOT_RATE_CLIENT": "100000", "KCBOT_CONNECTIONS_PER_IP": "10000",
                        **(env or {})})


async def citizen(port: int, number: int, answered: dict[str, list[int]],
                  errors: list[str], retry: bool) -> None:
    sender = f"borger-{number}"
    client = Client("127.0.0.1", port, timeout=60)
    answered[sender] = []
    try:
        for index, message in enumerate(SCRIPTS[number % len(SCRIPTS)]):
            payload = {"sender": sender, "message": message,
                       "metadata": {"message_id": f"{sender}-{index}"}}
            while True:
                try:
                    response = await client.post_json(WEBHOOK, payload)
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    if not retry:
                        errors.append(f"{sender}: no answer")
                        return
                    await client.close()
                    await asyncio.sleep(0.2)  # the server is restarting: try again
                    continue
                if response.status == 429 and retry:
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")))
                    continue
                break
            if response.status != 200:
                errors.append(f"{sender}: {response.status} {response.body[:100]!r}")
                return
            answered[sender].append(index)
    finally:
        await client.close()


def check_store(db: Path) -> None:
    """Every citizen's messages stored once each, in order, and one ticket per handoff."""
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        for number in range(CITIZENS):
            sender = f"borger-{number}"
            texts = [t for (t,) in con.execute(
                "SELECT t.text FROM turns t JOIN conversations c ON c.id = t.conversation_id "
                "WHERE c.sender = ? AND t.speaker = 'user' ORDER BY c.started, t.seq",
                (sender,))]
            assert texts == SCRIPTS[number % len(SCRIPTS)], sender
        tickets = con.execute("SELECT conversation_id, count(*) FROM tickets "
                              "GROUP BY conversation_id").fetchall()
    handoffs = len([n for n in range(CITIZENS) if n % len(SCRIPTS) == 0])
    assert len(tickets) == handoffs and all(count == 1 for _, count in tickets)


def test_200_citizens_times_10_turns_without_an_error(tmp_path: Path) -> None:
    db = tmp_path / "load.sqlite3"
    answered: dict[str, list[int]] = {}
    errors: list[str] = []
    with serve(tmp_path, db) as server:

        async def load() -> None:
            await asyncio.gather(*[citizen(server.port, n, answered, errors, retry=False)
                                   for n in range(CITIZENS)])

        asyncio.run(load())
    assert errors == []
    assert sum(len(v) for v in answered.values()) == CITIZENS * 10
    check_store(db)


def test_a_killed_server_loses_and_doubles_nothing(tmp_path: Path) -> None:
    db = tmp_path / "crash.sqlite3"
    port = free_port()
    answered: dict[str, list[int]] = {}
    errors: list[str] = []
    restarted: list[Server] = []

    async def load(server: Server) -> None:
        async def kill_and_restart() -> None:
            while sum(len(v) for v in answered.values()) < CITIZENS * 4:
                await asyncio.sleep(0.01)
            server.signal(signal.SIGKILL)  # in the middle of the load, mid-turn for some
            server.process.wait()
            restarted.append(await asyncio.to_thread(start_again))

        clients = [citizen(port, n, answered, errors, retry=True) for n in range(CITIZENS)]
        await asyncio.gather(kill_and_restart(), *clients)

    contexts = []

    def start_again() -> Server:
        context = serve(tmp_path, db, port=port)
        contexts.append(context)
        return context.__enter__()

    with serve(tmp_path, db, port=port) as server:
        asyncio.run(load(server))
    for context in contexts:
        context.__exit__(None, None, None)
    assert restarted and errors == []
    assert all(v == list(range(10)) for v in answered.values())
    check_store(db)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
HOSTILE = st.sampled_from([
    "", "\x00\x01\x02", "\x1b[31mrød\x1b[0m \x1b]0;titel\x07", "[bold red]x[/] [link=x]y[/link]",
    "'; DROP TABLE turns; --", "<script>alert(1)</script>", "ﷺ" * 50, "010190-1234",
    "\u202e", "x" * 2100,
]) | st.text(max_size=300)
SENDERS = (
    st.text(min_size=1, max_size=40)
    | st.sampled_from(["borger\x1b]0;x\x07", "a\u202eb", "\ud83d", "240190-1234", "x" * 129,
                       "ok-sender", " ", "a\u200bb"])
)
PAYLOADS = (
    st.builds(lambda s, m: {"sender": s, "message": m}, SENDERS, HOSTILE)
    | st.builds(lambda s, m, md: {"sender": s, "message": m, "metadata": md},
                st.text(max_size=130), JSON, JSON)
    | st.builds(lambda s, m, i: {"sender": s, "message": m, "metadata": {"message_id": i}},
                SENDERS, HOSTILE, st.sampled_from(["1", "2", 3, "", True, None, "x" * 200]))
    | JSON
)
BODIES = (
    PAYLOADS.map(lambda p: json.dumps(p).encode())
    | st.binary(max_size=300)
    | st.just(b'{"sender": "x", "message": "' + b"a" * 20000 + b'"}')
    | st.just(b'{"sender": "x", "message": "\xff\xfe"}')
    | st.just(b'{"sender": "x", "message": "\\ud83d"}')
    | st.integers(10, 3000).map(lambda n: b'{"sender": "x", "metadata": ' + b"[" * n
                                + b"]" * n + b', "message": "hej"}')
)
HEADER_NAMES = st.sampled_from([b"Authorization", b"Content-Type", b"X-Forwarded-For",
                                b"Transfer-Encoding", b"Cookie", b"X-\xff"])
HEADERS = st.lists(st.tuples(HEADER_NAMES, st.binary(max_size=40).map(
    lambda v: v.replace(b"\r", b"").replace(b"\n", b""))), max_size=3)


async def _raw_post(port: int, body: bytes, headers: list[tuple[bytes, bytes]]
                    ) -> tuple[int, bytes]:
    """POST with any header bytes (a friendly client would refuse them); (status, head)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = b"POST " + WEBHOOK.encode() + b" HTTP/1.1\r\nHost: x\r\n"
        head += b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        head += b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n"
        writer.write(head + body)
        raw = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
    status_head = raw.partition(b"\r\n\r\n")[0]
    return int(status_head.split()[1]), status_head.lower()


def test_hostile_input_gets_only_2xx_4xx_or_503_with_retry_after_and_the_store_stays_intact(
    tmp_path_factory,
) -> None:
    """A fuzz of the webhook's bodies, headers and sender ids: only 2xx, 4xx or 503 with
    Retry-After; no traceback in the log; the server up and its store intact."""
    folder = tmp_path_factory.mktemp("fuzz")
    db = folder / "fuzz.sqlite3"
    with serve(folder, db) as server:
        before = _snapshot(db)

        @settings(max_examples=200, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
        @given(BODIES, HEADERS)
        def post(body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
            status, head = asyncio.run(_raw_post(server.port, body, headers))
            assert 200 <= status < 500 or (status == 503 and b"retry-after" in head), (
                status, body[:200], headers)

        post()
        assert server.process.poll() is None  # still up
        health = asyncio.run(Client("127.0.0.1", server.port).request("GET", "/health"))
        assert health.status == 200
        log = server.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-3000:]
    after = _snapshot(db)
    assert after["integrity"] == "ok"
    assert all(after[k] >= before[k] for k in ("conversations", "turns"))


def _snapshot(db: Path) -> dict[str, object]:
    with sqlite3.connect(db) as con:
        return {
            "integrity": con.execute("PRAGMA integrity_check").fetchone()[0],
            "conversations": con.execute("SELECT count(*) FROM conversations").fetchone()[0],
            "turns": con.execute("SELECT count(*) FROM turns").fetchone()[0],
        }
