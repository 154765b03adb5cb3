"""The citizens' REST channel, a real ``kcbot serve`` on loopback, as a front end meets it."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from kcbot.channels.client import Client, Response
from kcbot.channels.rest import RateLimiter
from tests.conftest import BACKENDS
from tests.pg import query, where_args
from tests.servers import Server, running

WEBHOOK = "/webhooks/rest/webhook"
NOW = ["--now", "2026-11-24T09:15"]


def serve(folder: Path, db: Path | str, env: dict[str, str] | None = None):
    return running(["-m", "kcbot", "serve", *where_args(db), *NOW], folder, "/health", env=env)


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[Server, Path | str]]:
    """One ``kcbot serve`` per backend: on an SQLite file and on a real PostgreSQL server."""
    folder = tmp_path_factory.mktemp("rest")
    if request.param == "postgres":
        db: Path | str = request.getfixturevalue("postgres_server").fresh_database()
    else:
        db = folder / "rest.sqlite3"
    with serve(folder, db) as server:
        yield server, db


def call(server: Server, *requests: tuple[str, str, bytes, dict[str, str]]) -> list[Response]:
    async def run() -> list[Response]:
        client = Client("127.0.0.1", server.port)
        try:
            return [await client.request(*r) for r in requests]
        finally:
            await client.close()

    return asyncio.run(run())


def post(server: Server, payload: object | bytes, headers: dict[str, str] | None = None
         ) -> Response:
    import json

    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return call(server, ("POST", WEBHOOK, body, headers or {}))[0]


def test_status_and_health(server) -> None:
    srv, _ = server
    status, health = call(srv, ("GET", "/webhooks/rest/", b"", {}), ("GET", "/health", b"", {}))
    assert status.json() == {"status": "ok"}
    assert health.json()["store"] == "ok"


def test_a_message_gets_rasa_style_replies_with_numbered_buttons(server) -> None:
    srv, _ = server
    response = post(srv, {"sender": "web-1", "message": "jeg skal melde afbud til jobsamtale"})
    assert response.status == 200
    replies = response.json()
    assert all(r["recipient_id"] == "web-1" for r in replies)
    assert "automatisk" in replies[0]["text"]
    assert replies[-1]["buttons"][0] == {"title": "Dagpenge", "payload": "1"}
    answer = post(srv, {"sender": "web-1", "message": replies[-1]["buttons"][0]["payload"]})
    assert "Hvilken dag" in answer.json()[-1]["text"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"ikke json", 400, "gyldig JSON"),
        (b"\xff\xfe{}", 400, "UTF-8"),
        (b"[1, 2]", 400, "JSON-objekt"),
        (b'{"message": "hej"}', 400, "sender"),
        (b'{"sender": 42, "message": "hej"}', 400, "sender"),
        (b'{"sender": "x", "message": null}', 400, "message"),
        (b'{"sender": "' + b"s" * 129 + b'", "message": "hej"}', 400, "128"),
        (b'{"sender": "x", "message": "hej", "metadata": []}', 400, "metadata"),
        (b'{"sender": "x", "message": "' + b"a" * 2001 + b'"}', 400, "for lang"),
        (b'{"sender": "x", "message": "' + b"a" * 17000 + b'"}', 413, "for stor"),
    ],
)
def test_bad_requests_get_a_danish_json_error(server, body: bytes, status: int,
                                             words: str) -> None:
    srv, _ = server
    response = post(srv, body)
    assert response.status == status
    assert words in response.json()["error"]


def test_more_than_ten_messages_in_ten_seconds_is_429_with_retry_after(server) -> None:
    srv, _ = server
    payload = b'{"sender": "eager", "message": "hej"}'
    responses = call(srv, *[("POST", WEBHOOK, payload, {})] * 11)
    assert [r.status for r in responses] == [200] * 10 + [429]
    assert 1 <= int(responses[-1].headers["retry-after"]) <= 10
    assert post(srv, {"sender": "patient", "message": "hej"}).status == 200


def test_a_citizen_who_writes_english_is_refused_in_english(server) -> None:
    """Before, the refusals a citizen can meet (too long, too many) were Danish even when the
    message was English, though the bot answers such a citizen in English."""
    srv, _ = server
    english = "I am sick and cannot come to my meeting tomorrow, what should I do? "
    long = post(srv, {"sender": "en-long", "message": english * 40})
    assert long.status == 400 and "too long" in long.json()["error"]
    danish = post(srv, {"sender": "da-long", "message": "jeg er syg og kan ikke komme " * 100})
    assert danish.status == 400 and "for lang" in danish.json()["error"]
    payload = json.dumps({"sender": "en-eager", "message": english}).encode()
    responses = call(srv, *[("POST", WEBHOOK, payload, {})] * 11)
    assert responses[-1].status == 429
    assert "Too many messages" in responses[-1].json()["error"]


def test_rate_limiter_window_slides() -> None:
    limiter = RateLimiter(2, 10)
    assert [limiter.retry_after("a", t) for t in (0, 1, 2)] == [0, 0, 8]
    assert limiter.retry_after("a", 10.5) == 0


def test_a_retried_message_id_is_answered_from_the_store(server) -> None:
    srv, db = server
    post(srv, {"sender": "retry-1", "message": "jeg får dagpenge og kan ikke komme til min "
               "jobsamtale i morgen, jeg er syg", "metadata": {"message_id": "abc-0"}})
    message = {"sender": "retry-1", "message": "ja", "metadata": {"message_id": "abc-1"}}
    first, second = post(srv, message), post(srv, message)
    assert first.json() == second.json()
    for answer in ("Mette Hansen", "150390-2468"):  # who the citizen is, then it registers
        post(srv, {"sender": "retry-1", "message": answer})
    ((conversation,),) = query(db, "SELECT id FROM conversations WHERE sender = 'retry-1'")
    ((users,),) = query(db, "SELECT count(*) FROM turns WHERE conversation_id = ? AND "
                        "speaker = 'user'", (conversation,))
    ((notes,),) = query(db, "SELECT count(*) FROM journal WHERE conversation_id = ?",
                        (conversation,))
    assert (users, notes) == (4, 1)  # the retry ran no turn of its own


def test_a_sender_reaches_only_its_own_conversation(server) -> None:
    srv, _ = server
    post(srv, {"sender": "alice", "message": "jeg skal melde afbud til jobsamtale"})
    other = post(srv, {"sender": "bob", "message": "1"})
    assert "automatisk" in other.json()[0]["text"]  # a new conversation, not Alice's question


def test_two_messages_from_one_sender_at_once_are_processed_in_turn(server) -> None:
    srv, db = server

    async def both() -> None:
        clients = [Client("127.0.0.1", srv.port) for _ in range(2)]
        messages = ["jeg skal melde afbud til jobsamtale", "dagpenge"]
        await asyncio.gather(*[c.post_json(WEBHOOK, {"sender": "twice", "message": m})
                               for c, m in zip(clients, messages, strict=True)])
        for c in clients:
            await c.close()

    asyncio.run(both())
    rows = query(db, "SELECT t.seq, t.speaker FROM turns t JOIN conversations c ON c.id = "
                 "t.conversation_id WHERE c.sender = 'twice' ORDER BY t.seq")
    seqs = [seq for seq, _ in rows]
    assert seqs == list(range(1, len(rows) + 1))  # no gaps, no interleaving
    users = [i for i, (_, speaker) in enumerate(rows) if speaker == "user"]
    assert len(users) == 2 and users[0] == 0 and rows[users[1] - 1][1] == "bot"


def test_the_token_is_required_when_configured(tmp_path: Path) -> None:
    with serve(tmp_path, tmp_path / "t.sqlite3", env={"KCBOT_TOKEN": "hemmelig"}) as srv:
        message = {"sender": "t", "message": "hej"}
        assert post(srv, message).status == 401
        wrong = post(srv, message, {"Authorization": "Bearer forkert"})
        assert wrong.status == 401 and "Adgang nægtet" in wrong.json()["error"]
        assert post(srv, message, {"Authorization": "Bearer hemmelig"}).status == 200


def test_an_address_it_cannot_listen_on_is_a_danish_error(tmp_path: Path) -> None:
    from tests.test_cli import kcbot

    foreign = kcbot("serve", "--db", str(tmp_path / "a.sqlite3"), "--host", "192.0.2.1")
    err = foreign.stderr.decode()
    assert foreign.returncode == 2
    assert "ADVARSEL" in err and "KCBOT_TOKEN" in err  # not loopback, no token
    assert "Kan ikke lytte på 192.0.2.1:5005" in err and "Traceback" not in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        busy = kcbot("serve", "--db", str(tmp_path / "b.sqlite3"), "--port", port)
    assert busy.returncode == 2 and f"127.0.0.1:{port}" in busy.stderr.decode()


def test_sigterm_finishes_the_turns_in_flight(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite3"
    with serve(tmp_path, db) as srv:

        async def load() -> list[Response | Exception]:
            clients = [Client("127.0.0.1", srv.port) for _ in range(20)]
            tasks = [asyncio.create_task(c.post_json(WEBHOOK, {
                "sender": f"s{i}", "message": "jeg skal melde afbud til jobsamtale"}))
                for i, c in enumerate(clients)]
            await asyncio.sleep(0.05)
            srv.signal(signal.SIGTERM)
            return await asyncio.gather(*tasks, return_exceptions=True)

        results = asyncio.run(load())
        assert srv.process.wait(timeout=30) == 0
    answered = {f"s{i}" for i, r in enumerate(results) if isinstance(r, Response)}
    assert answered and all(r.status == 200 for r in results if isinstance(r, Response))
    with sqlite3.connect(db) as con:
        stored = {s for (s,) in con.execute("SELECT sender FROM conversations")}
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert answered <= stored


def _post_whole_body_then_read(port: int, path: str, body: bytes) -> tuple[int, dict]:
    """As curl and most HTTP clients do: write the whole request, then read the answer. A
    server that closes while the body still arrives resets the connection, and the client never
    reads the answer that was already sent."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        try:
            sock.sendall(head + body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may stop reading once it has refused: its answer still counts
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head_end = data.index(b"\r\n\r\n") + 4
                length = next((int(line.split(b":")[1]) for line in data[:head_end].split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), None)
                if length is not None and len(data) >= head_end + length:
                    break
    status = int(data.split(b" ", 2)[1])
    return status, json.loads(data[data.index(b"\r\n\r\n") + 4:])


@pytest.mark.parametrize("size", [17 * 1024, 200 * 1024, 20 * 1024 * 1024])
def test_a_body_far_over_the_limit_gets_a_clean_413(server, size: int) -> None:
    """Every oversized body gets the Danish 413, not a connection reset: Sanic answered and
    closed while the body still arrived, the kernel then reset the connection, and a client
    still writing (kcbot's own, most HTTP libraries) never read the answer."""
    srv, _ = server
    body = b'{"sender": "x", "message": "' + b"a" * size + b'"}'
    status, answer = _post_whole_body_then_read(srv.port, WEBHOOK, body)
    assert status == 413 and "for stor" in answer["error"]
    response = post(srv, body)
    assert response.status == 413
    assert "for stor" in response.json()["error"]
