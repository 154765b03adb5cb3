"""The REST channel under hostile or broken clients (issue 15): malformed input, sender ids,
reused message ids, rotating sender ids, a store another process has locked. A real
``kcbot serve`` on loopback; every test bounded in time."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kcbot.channels.client import Client, Response
from tests.servers import Server, running

WEBHOOK = "/webhooks/rest/webhook"
TOKEN = "hemmelig"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
CLIENT_LIMIT = 60


def serve(folder: Path, db: Path, env: dict[str, str] | None = None):
    return running(["-m", "kcbot", "serve", "--db", str(db), "--now", "2026-11-24T09:15"],
                   folder, "/health", env=env)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Path]]:
    folder = tmp_path_factory.mktemp("hardening")
    db = folder / "rest.sqlite3"
    env = {"KCBOT_TOKEN": TOKEN, "KCBOT_RATE_CLIENT": str(CLIENT_LIMIT),
           "KCBOT_RATE_CLIENT_SECONDS": "60"}
    with serve(folder, db, env) as server:
        yield server, db


def send(server: Server, *requests: tuple[bytes, dict[str, str]]) -> list[Response]:
    async def run() -> list[Response]:
        client = Client("127.0.0.1", server.port)
        try:
            return [await client.request("POST", WEBHOOK, body, headers)
                    for body, headers in requests]
        finally:
            await client.close()

    return asyncio.run(run())


def post(server: Server, payload: object, headers: dict[str, str] | None = None) -> Response:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return send(server, (body, {**AUTH, **(headers or {})}))[0]


def no_traceback(server: Server) -> None:
    log = server.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        # JavaScript cutting an emoji in half: a lone surrogate escape
        (b'{"sender": "s1", "message": "hej \\ud83d"}', AUTH, 400, "halvt tegn"),
        (b'{"sender": "s1\\udc00", "message": "hej"}', AUTH, 400, "halvt tegn"),
        (b'{"sender": "s1", "message": "hej", "metadata": ' + b"[" * 5000 + b"]" * 5000
         + b"}", AUTH, 400, "indlejret"),
        (b'{"sender": "s1", "message": "hej", "metadata": {"a": ' + b'{"a": ' * 40 + b"1"
         + b"}" * 40 + b"}}", AUTH, 400, "indlejret"),
        (b'{"sender": "s1", "message": "hej"}', {"Authorization": "Bearer \xff\xfe"}, 401,
         "Adgang"),
    ],
    ids=["surrogate-in-message", "surrogate-in-sender", "nested-5000", "nested-40",
         "non-utf8-authorization"],
)
def test_malformed_input_is_a_client_error_without_a_traceback(
        server, body: bytes, headers: dict[str, str], status: int, words: str) -> None:
    srv, _ = server
    if "\xff" in headers.get("Authorization", ""):
        response = asyncio.run(_raw_auth(srv, body))
    else:
        response = send(srv, (body, headers))[0]
    assert response.status == status
    assert words in response.json()["error"]
    no_traceback(srv)
    assert post(srv, {"sender": "after-malformed", "message": "hej"}).status == 200


async def _raw_auth(server: Server, body: bytes) -> Response:
    """A request whose Authorization header holds bytes that are not UTF-8."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"POST " + WEBHOOK.encode() + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Authorization: Bearer \xff\xfe\r\nContent-Length: "
                     + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
        raw = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    return Response(int(head.split()[1]), {}, payload)


@pytest.mark.parametrize("sender", [
    "borger\x1b]0;hacked\x07", "borger\u202egnp.exe", "a\nb", "zero\u200bwidth", "\ufeffbom",
    "240190-1234", "cpr 2401901234",
])
def test_a_sender_id_with_control_characters_bidi_or_a_cpr_is_refused(server,
                                                                      sender: str) -> None:
    srv, db = server
    response = post(srv, {"sender": sender, "message": "hej"})
    assert response.status == 400
    assert "'sender'" in response.json()["error"]
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT count(*) FROM conversations WHERE sender = ?",
                           (sender,)).fetchone()[0] == 0


@pytest.mark.parametrize("sender", ["3f2c9a1e-6b7d-4e1a-9f00-1c2d3e4f5a6b", "borger-17",
                                    "web:æøå@kk.dk", "sagsbehandler 12"])
def test_ordinary_sender_ids_are_accepted(server, sender: str) -> None:
    srv, _ = server
    assert post(srv, {"sender": sender, "message": "hej"}).status == 200


def test_a_reused_message_id_with_another_text_is_409_and_nothing_is_lost(server) -> None:
    srv, db = server
    first = {"sender": "replay-1", "message": "hvornår har I åbent",
             "metadata": {"message_id": "m-1"}}
    answered = post(srv, first)
    assert answered.status == 200
    again = post(srv, first)  # a retry: the same id and text
    assert again.status == 200 and again.json() == answered.json()
    other = post(srv, {**first, "message": "jeg skal melde afbud til jobsamtale"})
    assert other.status == 409
    assert "allerede brugt" in other.json()["error"]
    fresh = post(srv, {**first, "message": "jeg skal melde afbud til jobsamtale",
                       "metadata": {"message_id": "m-2"}})
    assert fresh.status == 200
    with sqlite3.connect(db) as con:
        texts = [t for (t,) in con.execute(
            "SELECT t.text FROM turns t JOIN conversations c ON c.id = t.conversation_id "
            "WHERE c.sender = 'replay-1' AND t.speaker = 'user' ORDER BY t.seq")]
    assert texts == ["hvornår har I åbent", "jeg skal melde afbud til jobsamtale"]


def test_rotating_sender_ids_meet_the_per_client_limit(server) -> None:
    """Runs last in this module: it spends the client's budget."""
    srv, _ = server
    bodies = [(json.dumps({"sender": f"rot-{n}", "message": "hej"}).encode(), AUTH)
              for n in range(CLIENT_LIMIT + 5)]
    statuses = [r.status for r in send(srv, *bodies)]
    assert 429 in statuses
    assert statuses.index(429) <= CLIENT_LIMIT  # every sender new, yet the client is limited
    refused = send(srv, bodies[-1])[0]
    assert refused.status == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "For mange beskeder" in refused.json()["error"]
    no_traceback(srv)


# -- a store another process holds locked ----------------------------------------------------

@pytest.mark.slow
def test_a_held_write_lock_gives_503_with_retry_after_and_the_conversation_continues(
        tmp_path: Path) -> None:
    db = tmp_path / "locked.sqlite3"
    env = {"KCBOT_BUSY_TIMEOUT_MS": "200", "KCBOT_STORE_RETRY_SECONDS": "1"}
    with serve(tmp_path, db, env) as srv:
        def say(text: str, message_id: str) -> Response:
            return post(srv, {"sender": "held", "message": text,
                              "metadata": {"message_id": message_id}})

        say("jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, jeg er syg", "h-0")
        asked = say("ja", "h-1")  # the read-back, then who the citizen is
        assert "fulde navn" in json.dumps(asked.json(), ensure_ascii=False)
        holder = sqlite3.connect(db, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            started = time.monotonic()
            busy = say("Mette Hansen", "h-2")
            waited = time.monotonic() - started
            health = asyncio.run(Client("127.0.0.1", srv.port).request("GET", "/health"))
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert busy.status == 503 and busy.headers["retry-after"] == "5"
        assert "samtalen fortsætter" in busy.json()["error"]
        assert waited < 5
        assert health.status == 503 and "retry-after" in health.headers
        retried = say("Mette Hansen", "h-2")  # the channel sends it again, same id
        assert retried.status == 200
        assert "CPR-nummer" in json.dumps(retried.json(), ensure_ascii=False)
        assert asyncio.run(Client("127.0.0.1", srv.port).request("GET", "/health")).status \
            == 200
        no_traceback(srv)
    with sqlite3.connect(db) as con:
        texts = [t for (t,) in con.execute(
            "SELECT t.text FROM turns t JOIN conversations c ON c.id = t.conversation_id "
            "WHERE c.sender = 'held' AND t.speaker = 'user' ORDER BY t.seq")]
        (state,) = con.execute("SELECT state FROM conversations WHERE sender = 'held'"
                               ).fetchone()
    assert texts[-1] == "Mette Hansen" and texts.count("Mette Hansen") == 1
    assert "Mette Hansen" in state


def test_health_is_503_when_the_database_is_damaged(tmp_path: Path) -> None:
    db = tmp_path / "damaged.sqlite3"
    with serve(tmp_path, db, {"KCBOT_QUICK_CHECK_SECONDS": "0"}) as srv:
        for n in range(30):
            post(srv, {"sender": f"fill-{n}", "message": "jeg vil gerne tale med en medarbejder"})
        with sqlite3.connect(db) as con:
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            page = con.execute("PRAGMA page_size").fetchone()[0]
            pages = con.execute("PRAGMA page_count").fetchone()[0]
        with db.open("r+b") as raw:  # scribble over the pages after the schema
            for n in range(2, pages):
                raw.seek(n * page + 8)
                raw.write(b"\xde\xad\xbe\xef" * 16)
        health = asyncio.run(Client("127.0.0.1", srv.port).request("GET", "/health"))
        assert health.status == 503
        assert health.json()["status"] == "fejl"
        no_traceback(srv)
