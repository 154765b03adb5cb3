"""``kcbot bench``: the whole pipeline (NLU, flows, actions, store writes) under a stopwatch.

Cold start is measured in a fresh interpreter, from process start to the first reply, with the
NLU model cache warm (as after installation). Throughput and latency come from N simulated
conversations driven in-process through ``Engine.turn`` on a throw-away store, one after the
other; peak RSS is the process's high-water mark after them, with all N stored.
"""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kcbot.clock import FrozenClock
from kcbot.config import Settings

__all__ = ["BenchResult", "percentile_ms", "run_bench"]

# Citizens as the seeds describe them: afbud, sickness, opening hours, a person, small talk.
SCRIPTS: tuple[tuple[str, ...], ...] = (
    ("jeg kan ikke komme til min jobsamtale i morgen", "dagpenge", "jeg er syg"),
    ("hej", "hvornår har I åbent?", "tak", "farvel"),
    ("jeg vil tale med min sagsbehandler", "om min plan", "Sara Jensen", "20304050", "1", "ja"),
    ("afbud til tilbud på torsdag", "2", "min søn er syg", "farvel"),
    ("jeg får dagpenge og skal til ansættelsessamtale, så jeg kan ikke komme i morgen til "
     "jobsamtalen",),
    ("jeg ved ikke", "hvad med noget andet", "nej"),
    ("jeg skal melde afbud", "hvornår har I åbent", "kontanthjælp", "jobsamtale", "fredag",
     "jeg har influenza"),
    ("kan jeg få fat i et menneske", "det handler om min ydelse", "Ali Hassan", "31 22 33 44",
     "kontanthjælp", "ja", "farvel"),
)


@dataclass
class BenchResult:
    cold_start_s: float
    turns_per_s: float
    p50_ms: float
    p99_ms: float
    peak_rss_mb: float
    conversations: int
    turns: int
    # CPU time of the whole process (every thread) per turn: on a shared machine a process that
    # never sleeps gets only its fair share of a core, so wall-clock figures move with the
    # neighbours' load while this one does not.
    cpu_ms_per_turn: float = 0.0
    # Whether kcbot's modules had bytecode for the cold start (as after ``pip install .``).
    bytecode: bool = True
    # The share of messages read from the NLU's kept readings of common messages (the bench's
    # citizens write the same few scripts: a real day repeats less, see the CHANGELOG).
    kept_readings: float = 0.0

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def percentile_ms(seconds: list[float], share: float) -> float:
    """The ``share`` percentile of latencies in seconds, in milliseconds (p50 is the median)."""
    ordered = sorted(seconds)
    if share == 0.5:
        return round(statistics.median(ordered) * 1000, 2)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000, 2)


_FIRST_REPLY = """
import asyncio, sys, time
start = float(sys.argv[1])
from pathlib import Path
from kcbot.clock import FrozenClock
from kcbot.config import Settings
from kcbot.dialogue import Engine
async def main():
    engine = await Engine.open(Settings(db_path=Path(sys.argv[2])), FrozenClock())
    result = await engine.turn("bench", "hvornår har I åbent?")
    assert result.replies
    print(time.time() - start)
    await engine.close()
asyncio.run(main())
"""


def bytecode_compiled() -> bool:
    """Whether kcbot's modules have current bytecode beside them, as after ``pip install .``.
    An editable install under PYTHONDONTWRITEBYTECODE has none, and every start compiles
    kcbot's ~400 KB of source again (about 0.08 s of a cold start on this machine)."""
    import importlib.util

    from kcbot.dialogue import engine

    source = Path(engine.__file__)
    compiled = Path(importlib.util.cache_from_source(str(source)))
    return compiled.is_file() and compiled.stat().st_mtime >= source.stat().st_mtime


def cold_start(folder: Path) -> float:
    """Seconds from starting a new interpreter to its first reply."""
    started = time.time()
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_REPLY, str(started), str(folder / "cold.sqlite3")],
        capture_output=True, text=True, check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


async def _drive(settings: Settings, conversations: int) -> tuple[list[float], float]:
    from kcbot.dialogue import Engine

    clock = FrozenClock()
    engine = await Engine.open(settings, clock)
    latencies: list[float] = []
    nlu = engine.nlu
    hits, misses = nlu.hits, nlu.misses
    try:
        for number in range(conversations):
            sender = f"bench-{number}"
            for message in SCRIPTS[number % len(SCRIPTS)]:
                started = time.perf_counter()
                result = await engine.turn(sender, message)
                latencies.append(time.perf_counter() - started)
                if result.ended:
                    break
            await engine.end(sender)
    finally:
        await engine.close()
    hits, misses = nlu.hits - hits, nlu.misses - misses
    return latencies, hits / max(1, hits + misses)


def run_bench(conversations: int, settings: Settings) -> BenchResult:
    from kcbot.nlu import NLU

    NLU.load(settings)  # the model cache is warm before anything is timed
    with tempfile.TemporaryDirectory(prefix="kcbot-bench-") as folder:
        cold = cold_start(Path(folder))
        bench_settings = settings.with_db(Path(folder) / "bench.sqlite3")
        started, cpu = time.perf_counter(), time.process_time()
        latencies, kept = asyncio.run(_drive(bench_settings, conversations))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return BenchResult(
        cold_start_s=round(cold, 3),
        turns_per_s=round(len(latencies) / elapsed, 1),
        p50_ms=percentile_ms(latencies, 0.5),
        p99_ms=percentile_ms(latencies, 0.99),
        peak_rss_mb=round(peak_kb / 1024, 1),
        conversations=conversations,
        turns=len(latencies),
        cpu_ms_per_turn=round(cpu / len(latencies) * 1000, 3),
        bytecode=bytecode_compiled(),
        kept_readings=round(kept, 3),
    )


def print_result(result: BenchResult, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result.as_dict()))
        return
    print(f"kold start til første svar: {result.cold_start_s:.2f} s")
    if not result.bytecode:
        print("  (kcbots moduler har ingen bytekode: hver start oversætter dem igen, som efter "
              "en redigerbar installation med PYTHONDONTWRITEBYTECODE; `pip install .` eller "
              "`python -m compileall kcbot` giver tallet fra drift)")
    print(f"samtaler: {result.conversations}, ture: {result.turns}")
    print(f"ture pr. sekund: {result.turns_per_s:.0f}")
    print(f"svartid pr. tur: p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms")
    print(f"CPU-tid pr. tur: {result.cpu_ms_per_turn:.2f} ms (hele processen)")
    print(f"beskeder læst fra gemte læsninger af almindelige beskeder: "
          f"{result.kept_readings * 100:.0f} %")
    print(f"højeste RSS: {result.peak_rss_mb:.0f} MB")
