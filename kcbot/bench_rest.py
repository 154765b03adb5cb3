"""``kcbot bench --rest``: the REST channel against a bare Sanic echo app, same client, same load.

Both servers run as subprocesses on loopback; rounds alternate between them so that whatever
else the machine does falls on both. The load is a closed loop without think time: each of
``concurrency`` workers keeps one keep-alive connection and sends its next citizen's message as
soon as the previous reply has arrived, so with N workers at most N requests are in flight and
(Little's law) the mean latency is N / throughput. A sender sends at most 10 messages (kcbot's
rate limit) and then the worker continues as a new sender. Every reply is checked: anything but
a 200 with a JSON list of replies to that sender, each with a text, counts as an error.

Wall-clock figures move with whatever else the machine runs (client and server share its cores),
so each server's CPU time per request and the client's are printed too, with the load average:
CPU per request is the cost, the rest is queueing and neighbours. ``python -m kcbot.bench_rest
--echo --port P`` is the echo app.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kcbot.bench import SCRIPTS, percentile_ms
from kcbot.channels.client import Client, Response
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
    # CPU time per request (ms) of the server process and of the benchmark's own client; None
    # where /proc cannot be read
    server_cpu_ms: float | None = None
    client_cpu_ms: float | None = None


@dataclass
class RestBench:
    kcbot: Figures
    echo: Figures
    throughput_ratio: float
    concurrency: int
    requests: int
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def answered(response: Response, sender: str) -> bool:
    """True if ``response`` is what a citizen's front end needs: 200 and a non-empty JSON list
    of replies addressed to ``sender``, each with a text."""
    if response.status != 200:
        return False
    try:
        replies = response.json()
    except ValueError:
        return False
    return (isinstance(replies, list) and bool(replies)
            and all(isinstance(r, dict) and r.get("recipient_id") == sender
                    and isinstance(r.get("text"), str) and r["text"].strip() for r in replies))


def process_cpu_s(pid: int) -> float | None:
    """User and system CPU seconds of process ``pid`` so far (Linux), or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _own_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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
                    ok = answered(await client.post_json(WEBHOOK, payload), sender)
                except (TimeoutError, OSError, asyncio.IncompleteReadError):
                    ok = False
                latencies.append(time.perf_counter() - started)
                errors += not ok
        finally:
            await client.close()

    await asyncio.gather(*[worker(n) for n in range(concurrency)])
    return latencies, errors


def _figures(rounds: list[tuple[list[float], int, float]],
             cpu: list[tuple[float | None, float]] | None = None) -> Figures:
    latencies = [x for lat, _, _ in rounds for x in lat]
    seconds = sum(elapsed for _, _, elapsed in rounds)
    server = client = None
    if cpu:
        per_request = 1000 / len(latencies)
        if all(s is not None for s, _ in cpu):
            server = round(sum(s for s, _ in cpu if s is not None) * per_request, 3)
        client = round(sum(c for _, c in cpu) * per_request, 3)
    return Figures(
        requests_per_s=round(len(latencies) / seconds, 1),
        p50_ms=percentile_ms(latencies, 0.5),
        p99_ms=percentile_ms(latencies, 0.99),
        errors=sum(err for _, err, _ in rounds),
        server_cpu_ms=server,
        client_cpu_ms=client,
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
        results: dict[str, list[tuple[list[float], int, float]]] = {"kcbot": [], "echo": []}
        cpu: dict[str, list[tuple[float | None, float]]] = {"kcbot": [], "echo": []}
        load_before = os.getloadavg()[0]
        try:
            for number in range(rounds):
                for target in ("kcbot", "echo"):
                    pid = servers[target].process.pid
                    server_cpu, own_cpu = process_cpu_s(pid), _own_cpu_s()
                    started = time.perf_counter()
                    latencies, errors = asyncio.run(
                        _round(servers[target].port, f"r{number}", requests, concurrency))
                    results[target].append((latencies, errors, time.perf_counter() - started))
                    server_after = process_cpu_s(pid)
                    cpu[target].append((
                        None if server_cpu is None or server_after is None
                        else server_after - server_cpu, _own_cpu_s() - own_cpu))
        finally:
            for server in servers.values():
                server.stop()
    kcbot = _figures(results["kcbot"], cpu["kcbot"])
    echo = _figures(results["echo"], cpu["echo"])
    return RestBench(kcbot, echo, round(kcbot.requests_per_s / echo.requests_per_s, 3),
                     concurrency, requests * rounds,
                     (round(load_before, 2), round(os.getloadavg()[0], 2)))


def print_rests(results: list[RestBench], as_json: bool) -> None:
    """One block per concurrency: 1 sender shows a request's own cost, 100 the queueing."""
    if as_json:
        print(json.dumps([r.as_dict() for r in results] if len(results) > 1
                         else results[0].as_dict()))
        return
    for number, result in enumerate(results):
        if number:
            print()
        print_rest(result)


def print_rest(result: RestBench) -> None:
    print(f"{result.requests} forespørgsler pr. server, {result.concurrency} samtidige afsendere "
          f"(lukket sløjfe, ingen tænketid); belastning {result.load[0]:.1f} → "
          f"{result.load[1]:.1f} på {os.cpu_count()} kerner")
    for name, figures in (("kcbot", result.kcbot), ("Sanic-ekko", result.echo)):
        print(f"{name:<11} {figures.requests_per_s:8.0f} forespørgsler/s  p50 "
              f"{figures.p50_ms:6.2f} ms  p99 {figures.p99_ms:6.2f} ms  fejl {figures.errors}")
    for name, figures in (("kcbot", result.kcbot), ("Sanic-ekko", result.echo)):
        if figures.client_cpu_ms is not None:
            server = "?" if figures.server_cpu_ms is None else f"{figures.server_cpu_ms:.3f}"
            print(f"{name:<11} CPU pr. forespørgsel: server {server} ms, "
                  f"klient {figures.client_cpu_ms:.3f} ms")
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
