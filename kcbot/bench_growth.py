"""``kcbot bench --growth``: what reports, the queue and the console's poll cost as the store grows.

A report for a month should cost what a month holds, whatever the store holds besides; a query
that scans a whole table shows up here as a cost that grows with the store instead of staying
flat. Stores of 7, 30 and 120 days of simulated traffic (``kcbot simulate``, through the real
engine) are built once into the cache folder and reused; ``--db`` measures given stores instead.
Each figure is the median of a few runs, in milliseconds.

What is timed, with the clock frozen at the store's last day:
- ``report week|month|quarter``: the whole report (``kcbot.reports.report``), both periods and
  every queue;
- ``Sager``: the queue's first page of open tickets by deadline, with the count (what the Sager
  tab polls), and the same filtered to one queue;
- ``Sager, søgning``: the search an agent types for a citizen who calls back: the surname of
  the newest ticket with a name, over every ticket whatever its status (migration 7's index;
  before it, a scan of every ticket);
- ``Overblik``: what the Overblik tab polls: today's figures, the open tickets, the 30-day trend
  and the undelivered outbox.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from kcbot.clock import TZ, FrozenClock
from kcbot.config import Settings

__all__ = ["GrowthRow", "print_growth", "run_growth"]

DAYS = (7, 30, 120)
PER_DAY = 300
SEED = 16
REPEAT = 3
# The simulated traffic ends here, so a store built today measures like one built last week.
END = datetime(2026, 11, 30, 18, 0, tzinfo=TZ)


@dataclass
class GrowthRow:
    store: str
    conversations: int
    tickets: int
    size_mb: float
    timings_ms: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


async def _median_ms(work: Callable[[], Awaitable[object]], repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await work()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)


async def measure(path: Path, now: datetime | None = None) -> GrowthRow:
    from kcbot.reports import figures, open_tickets, report, trend
    from kcbot.store import Store
    from kcbot.tickets import TicketService

    async with Store.connect(path, FrozenClock(now or END)) as store:
        if now is None:  # a given store: its own last day
            row = await store.fetchone("SELECT max(started) FROM conversations")
            last = row[0] if row and row[0] else None
            now = datetime.fromisoformat(last) if last else END
            store.clock.set(now)  # type: ignore[attr-defined]
        tickets = TicketService.open(store)
        counts = await store.fetchone(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM tickets)")
        assert counts is not None
        today = now.date()

        async def overblik() -> None:
            await figures(store, today, today, now)
            await open_tickets(store, now)
            await trend(store, today, 30)
            await store.undelivered()

        timings = {}
        for period in ("week", "month", "quarter"):
            timings[f"report {period}"] = await _median_ms(
                lambda p=period: report(store, p, today, now))
        timings["Sager"] = await _median_ms(lambda: tickets.page(open_only=True))
        timings["Sager, én kø"] = await _median_ms(
            lambda: tickets.page(open_only=True, queue="ydelsesservice"))
        row = await store.fetchone("SELECT navn FROM tickets WHERE navn IS NOT NULL "
                                   "ORDER BY created DESC, id DESC LIMIT 1")
        surname = str(row[0]).split()[-1] if row and str(row[0]).split() else "klage"
        timings["Sager, søgning"] = await _median_ms(lambda: tickets.page(search=surname))
        timings["Overblik"] = await _median_ms(overblik)
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return GrowthRow(path.name, int(counts[0]), int(counts[1]), round(size / 1e6, 1), timings)


async def build(path: Path, days: int, per_day: int) -> None:
    """A store of ``days`` days of simulated traffic, unless it is there already."""
    from kcbot.simulate import simulate

    if path.exists():
        return
    partial = path.with_name(path.name + ".bygges")
    for old in partial.parent.glob(partial.name + "*"):
        old.unlink()
    await simulate(Settings.from_env(None).with_db(partial), days, per_day, SEED, END)
    for suffix in ("-wal", "-shm"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    partial.rename(path)


def run_growth(settings: Settings, days: tuple[int, ...] = DAYS, per_day: int = PER_DAY,
               stores: list[Path] | None = None,
               progress: Callable[[str], None] | None = None) -> list[GrowthRow]:
    async def main() -> list[GrowthRow]:
        rows = []
        if stores:
            for path in stores:
                rows.append(await measure(path))
            return rows
        folder = settings.cache_dir / "bench-growth"
        folder.mkdir(parents=True, exist_ok=True)
        for count in days:
            path = folder / f"{count}d-{per_day}.sqlite3"
            if progress and not path.exists():
                progress(f"bygger {path} ({count} dage à {per_day} samtaler) …")
            await build(path, count, per_day)
            rows.append(await measure(path, END))
        return rows

    return asyncio.run(main())


def print_growth(rows: list[GrowthRow], as_json: bool) -> None:
    if as_json:
        print(json.dumps([row.as_dict() for row in rows]))
        return
    names = list(rows[0].timings_ms) if rows else []
    print("millisekunder, median af " f"{REPEAT} kørsler")
    header = ["database", "samtaler", "sager", "MB", *names]
    table = [[row.store, str(row.conversations), str(row.tickets), f"{row.size_mb:.0f}",
              *(f"{row.timings_ms[n]:.1f}" for n in names)] for row in rows]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    for line in [header, *table]:
        print("  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
