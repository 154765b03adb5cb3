"""Slowloris (issue 15): 1,100 connections from one address trickle header lines, with no
token, while the server runs under the common limit of 1,024 open files. Citizens from another
address must keep being served. Loopback only: the attacker binds 127.0.0.2."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from kcbot.channels.client import Client
from tests.servers import running

WEBHOOK = "/webhooks/rest/webhook"
ATTACKERS = 1100
CITIZENS = 8
MESSAGES = 5  # each: 40 requests in all
TOKEN = "hemmelig-token"  # the citizens' front end has it; the attacker needs none
# kcbot serve with the soft and hard limit on open files at 1,024, as on many hosts
LIMITED = ("import resource, sys; resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024)); "
           "from kcbot.cli import main; sys.exit(main(sys.argv[1:]))")


async def attacker(port: int, stop: asyncio.Event, held: list[int]) -> None:
    """One slow client: open, send a request line, then a header line a second, forever;
    when the server closes the connection, open another."""
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(
                "127.0.0.1", port, local_addr=("127.0.0.2", 0))
        except OSError:
            await asyncio.sleep(0.5)
            continue
        held[0] += 1
        try:
            writer.write(f"POST {WEBHOOK} HTTP/1.1\r\nHost: x\r\n".encode())
            n = 0
            while not stop.is_set() and not reader.at_eof():
                await writer.drain()
                try:
                    await asyncio.wait_for(reader.read(1), 1.0)  # closed by the server?
                    if reader.at_eof():
                        break
                except TimeoutError:
                    pass
                n += 1
                writer.write(f"X-Slow-{n}: {n}\r\n".encode())
        except OSError:
            pass
        finally:
            held[0] -= 1
            writer.close()
        await asyncio.sleep(0.5)


async def citizen(port: int, number: int, latencies: list[float | None]) -> None:
    client = Client("127.0.0.1", port, timeout=5)
    try:
        for _ in range(MESSAGES):
            started = time.monotonic()
            try:
                response = await client.post_json(
                    WEBHOOK, {"sender": f"borger-{number}", "message": "hvornår har I åbent"},
                    {"Authorization": f"Bearer {TOKEN}"})
                ok = response.status == 200
            except (TimeoutError, OSError, asyncio.IncompleteReadError):
                ok = False
                await client.close()
            elapsed = time.monotonic() - started
            latencies.append(elapsed if ok and elapsed < 5 else None)
            await asyncio.sleep(max(0.0, 1.0 - elapsed))
    finally:
        await client.close()


@pytest.mark.slow
def test_citizens_are_served_during_a_slowloris_attack(tmp_path: Path) -> None:
    db = tmp_path / "slowloris.sqlite3"
    env = {"KCBOT_TOKEN": TOKEN, "KCBOT_HEADER_TIMEOUT": "4",
           "KCBOT_RATE_CLIENT": "1000"}
    with running(["-c", LIMITED, "serve", "--db", str(db), "--now", "2026-11-24T09:15"],
                 tmp_path, "/health", env=env) as server:

        async def attack_and_serve() -> tuple[list[float | None], int]:
            stop = asyncio.Event()
            held = [0]
            attack = [asyncio.create_task(attacker(server.port, stop, held))
                      for _ in range(ATTACKERS)]
            await asyncio.sleep(3)  # the attack is under way
            latencies: list[float | None] = []
            await asyncio.gather(*[citizen(server.port, n, latencies)
                                   for n in range(CITIZENS)])
            stop.set()
            await asyncio.wait(attack, timeout=5)
            for task in attack:
                task.cancel()
            return latencies, held[0]

        latencies, _ = asyncio.run(attack_and_serve())
        served = sum(latency is not None for latency in latencies)
        print(f"slowloris: {served} of {len(latencies)} citizen requests served in < 5 s")
        assert served >= 0.95 * len(latencies)
        assert server.process.poll() is None
        log = server.log.read_text(errors="replace")
        assert "Traceback" not in log, log[-2000:]


def test_serve_raises_the_soft_open_file_limit_where_allowed(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = ("import resource; resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096)); "
              "from kcbot.channels.guard import raise_file_limit; print(raise_file_limit()); "
              "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=60, check=True).stdout.split("\n")
    assert out[0] == "(256, 4096)" and out[1] == "4096"
