"""``kcbot bench --rest --database-url URL [--workers N]``: does a second worker help?

The same client and load as ``kcbot bench --rest`` (``concurrency`` connections, 10 messages a
sender, the citizens' scripts), against three servers on loopback: ``kcbot serve`` on SQLite,
and ``kcbot serve --workers 1`` and ``--workers N`` on the PostgreSQL server named by the URL.
Rounds alternate between them, so whatever else the machine does falls on all three. The
PostgreSQL runs use a schema of their own (``kcbot_bench_<pid>``), dropped afterwards: nothing
is left in the municipality's database. The rate limits are raised for the run (every request
comes from 127.0.0.1); the figures are the servers' capacity, not the limits'.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from kcbot.bench_rest import Figures, _figures, _round
from kcbot.channels.process import ServerProcess, start_server

__all__ = ["ScaleBench", "print_scale", "run_scale_bench"]

LIMITS = {"KCBOT_RATE_SENDER": "10000", "KCBOT_RATE_CLIENT": "10000000",
          "KCBOT_CONNECTIONS_PER_IP": "5000"}


@dataclass
class ScaleBench:
    sqlite: Figures
    postgres: dict[int, Figures]  # workers → figures
    concurrency: int
    requests: int

    @property
    def scaling(self) -> float | None:
        """Throughput with the most workers over one worker, on PostgreSQL."""
        most = max(self.postgres)
        if most == 1:
            return None
        return round(self.postgres[most].requests_per_s / self.postgres[1].requests_per_s, 2)

    def as_dict(self) -> dict[str, object]:
        return {"sqlite_1": asdict(self.sqlite),
                **{f"postgres_{n}": asdict(f) for n, f in self.postgres.items()},
                "scaling": self.scaling, "concurrency": self.concurrency,
                "requests": self.requests}


def _with_schema(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "search_path"]
    return parts._replace(query=urlencode([*query, ("search_path", schema)])).geturl()


async def _schema(url: str, sql: str) -> None:
    import asyncpg

    con = await asyncpg.connect(url)
    try:
        await con.execute(sql)
    finally:
        await con.close()


def run_scale_bench(database_url: str, workers: int = 2, concurrency: int = 100,
                    requests: int = 2000, rounds: int = 3) -> ScaleBench:
    schema = f"kcbot_bench_{os.getpid()}"
    asyncio.run(_schema(database_url, f"CREATE SCHEMA {schema}"))
    url = _with_schema(database_url, schema)
    counts = sorted({1, workers})
    servers: dict[str, ServerProcess] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="kcbot-bench-scale-") as name:
            folder = Path(name)
            servers["sqlite"] = start_server(
                ["-m", "kcbot", "serve"], folder, "/health",
                {**LIMITS, "KCBOT_DB": str(folder / "bench.sqlite3"), "KCBOT_DATABASE_URL": ""})
            for n in counts:
                servers[f"pg{n}"] = start_server(
                    ["-m", "kcbot", "serve", "--workers", str(n)], folder, "/health",
                    {**LIMITS, "KCBOT_DATABASE_URL": url})
            results: dict[str, list[tuple[list[float], int, float]]] = {k: [] for k in servers}
            for number in range(rounds):
                for key, server in servers.items():
                    started = time.perf_counter()
                    latencies, errors = asyncio.run(
                        _round(server.port, f"{key}r{number}", requests, concurrency))
                    results[key].append((latencies, errors, time.perf_counter() - started))
    finally:
        for server in servers.values():
            server.stop()
        asyncio.run(_schema(database_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    return ScaleBench(_figures(results["sqlite"]),
                      {n: _figures(results[f"pg{n}"]) for n in counts},
                      concurrency, requests * rounds)


def print_scale(result: ScaleBench, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    print(f"{result.requests} forespørgsler pr. opsætning, {result.concurrency} samtidige "
          "afsendere")
    rows = [("SQLite, 1 arbejder", result.sqlite)]
    rows += [(f"PostgreSQL, {n} arbejder{'e' if n > 1 else ''}", f)
             for n, f in result.postgres.items()]
    for name, figures in rows:
        print(f"{name:<24} {figures.requests_per_s:8.0f} forespørgsler/s  p50 "
              f"{figures.p50_ms:7.2f} ms  p99 {figures.p99_ms:7.2f} ms  fejl {figures.errors}")
    if result.scaling is not None:
        print(f"{max(result.postgres)} arbejdere i forhold til 1 på PostgreSQL: "
              f"{result.scaling:.2f}×")
