"""``kcbot bench --rest``: the REST channel against a bare Sanic echo app, same client, same load.

Both servers run as subprocesses on loopback; rounds alternate between them so that whatever
else the machine does falls on both. Each of ``concurrency`` workers keeps one connection and
sends citizens' messages; a sender sends at most 10 messages (kcbot's rate limit) and then the
worker continues as a new sender. ``python -m kcbot.bench_rest --echo --port P`` is the echo app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kcbot.bench import SCRIPTS, percentile_ms
from kcbot.channels.client import Client
from kcbot.channels.process import start_server

__all__ = ["RestBench", "print_rest", "print_rests", "run_rest_bench"]

WEBHOOK = "/webhooks/rest/webhook"
MESSAGES = [m for script in SCRIPTS for m in script]
PER_SENDER = 10


@dataclass
class Figures:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class RestBench:
    kcbot: Figures
    echo: Figures
    throughput_ratio: float
    concurrency: int
    requests: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def _round(port: int, tag: str, requests: int, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    per_worker = requests // concurrency

    async def worker(number: int) -> None:
        nonlocal errors
        client = Client("127.0.0.1", port)
        try:
            for i in range(per_worker):
                sender = f"{tag}-{number}-{i // PER_SENDER}"
                payload = {"sender": sender, "message": MESSAGES[(number + i) % len(MESSAGES)]}
                started = time.perf_counter()
                try:
                    response = await client.post_json(WEBHOOK, payload)
                    ok = response.status == 200
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok
        finally:
            await client.close()

    await asyncio.gather(*[worker(n) for n in range(concurrency)])
    return latencies, errors


def _figures(rounds: list[tuple[list[float], int, float]]) -> Figures:
    latencies = [x for lat, _, _ in rounds for x in lat]
    seconds = sum(elapsed for _, _, elapsed in rounds)
    return Figures(
        requests_per_s=round(len(latencies) / seconds, 1),
        p50_ms=percentile_ms(latencies, 0.5),
        p99_ms=percentile_ms(latencies, 0.99),
        errors=sum(err for _, err, _ in rounds),
    )


def run_rest_bench(concurrency: int = 100, requests: int = 2000, rounds: int = 3) -> RestBench:
    with tempfile.TemporaryDirectory(prefix="kcbot-bench-rest-") as name:
        folder = Path(name)
        # The bench is one client standing in for many citizens: the per-address limit (a
        # defence against one hostile client) would answer most of it with 429.
        env = {"KCBOT_DB": str(folder / "bench-rest.sqlite3"), "KCBOT_RATE_CLIENT": "1000000000"}
        servers = {
            "kcbot": start_server(["-m", "kcbot", "serve"], folder, "/health", env),
            "echo": start_server(["-m", "kcbot.bench_rest", "--echo"], folder, "/"),
        }
        ports = {name: server.port for name, server in servers.items()}
        results: dict[str, list[tuple[list[float], int, float]]] = {"kcbot": [], "echo": []}
        try:
            for number in range(rounds):
                for target in ("kcbot", "echo"):
                    started = time.perf_counter()
                    latencies, errors = asyncio.run(
                        _round(ports[target], f"r{number}", requests, concurrency))
                    results[target].append((latencies, errors, time.perf_counter() - started))
        finally:
            for server in servers.values():
                server.stop()
    kcbot, echo = _figures(results["kcbot"]), _figures(results["echo"])
    return RestBench(kcbot, echo, round(kcbot.requests_per_s / echo.requests_per_s, 3),
                     concurrency, requests * rounds)


def print_rests(results: list[RestBench], as_json: bool) -> None:
    """One block per concurrency: 1 sender shows a request's own cost, 100 the queueing."""
    if as_json:
        print(json.dumps([r.as_dict() for r in results] if len(results) > 1
                         else results[0].as_dict()))
        return
    for number, result in enumerate(results):
        if number:
            print()
        print_rest(result, False)


def print_rest(result: RestBench, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    print(f"{result.requests} forespørgsler pr. server, {result.concurrency} samtidige afsendere")
    for name, figures in (("kcbot", result.kcbot), ("Sanic-ekko", result.echo)):
        print(f"{name:<11} {figures.requests_per_s:8.0f} forespørgsler/s  p50 "
              f"{figures.p50_ms:6.2f} ms  p99 {figures.p99_ms:6.2f} ms  fejl {figures.errors}")
    print(f"kcbot i forhold til ekko: {result.throughput_ratio:.0%}")


def _echo(port: int) -> None:
    from sanic import Sanic
    from sanic.response import json as json_response

    app = Sanic("kcbot_echo")

    @app.get("/")
    async def ready(request):  # type: ignore[no-untyped-def]
        return json_response({"status": "ok"})

    @app.post(WEBHOOK)
    async def echo(request):  # type: ignore[no-untyped-def]
        payload = json.loads(request.body)
        return json_response([{"recipient_id": payload["sender"], "text": payload["message"]}])

    app.run(host="127.0.0.1", port=port, single_process=True, access_log=False, motd=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--echo", action="store_true")
    parser.add_argument("--port", type=int, required=True)
    _echo(parser.parse_args().port)
