"""The queries a report, the console's poll, the queue and the idle sweep run must find their rows
through an index: a full table scan costs what the whole store holds, so a 120-day store would
report ten times slower than a 12-day one (issue 16). The queries are captured as the code runs
them, so a rewritten query is checked too, and each one's ``EXPLAIN QUERY PLAN`` is read."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from kcbot.clock import TZ, FrozenClock
from kcbot.config import Settings
from kcbot.dialogue import Engine
from kcbot.reports import open_tickets, report, trend
from kcbot.store import Store
from kcbot.tickets import TicketService

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)
# "SCAN t" reads every row of table t; "SCAN t USING ... INDEX" or "SEARCH" does not, nor does
# an FTS5 table's "SCAN t VIRTUAL TABLE INDEX n:M…" (its idxStr names a MATCH constraint)
_FULL_SCAN = re.compile(
    r"^SCAN (\w+)\b(?! USING (?:COVERING )?INDEX| VIRTUAL TABLE INDEX \d+:M)")


class Recorder:
    """The store's reads outside a transaction, as (sql, params)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries: list[tuple[str, tuple]] = []
        self._fetchall = store.fetchall

        async def fetchall(sql: str, params=()):  # type: ignore[no-untyped-def]
            self.queries.append((sql, tuple(params)))
            return await self._fetchall(sql, params)

        store.fetchall = fetchall  # type: ignore[method-assign]

    async def scans(self) -> list[tuple[str, str]]:
        """(query, plan line) for every full table scan among the recorded queries."""
        found = []
        for sql, params in self.queries:
            for row in await self._fetchall(f"EXPLAIN QUERY PLAN {sql}", params):
                if _FULL_SCAN.match(row["detail"]):
                    found.append((sql, row["detail"]))
        return found


async def _store(path: Path) -> Store:
    store = await Store.open(path, FrozenClock(NOW))
    tickets = TicketService.open(store)
    for number in range(3):
        conversation = await store.start_conversation("chat", f"borger-{number}")
        await store.record_turn(conversation, ("jeg vil klage", "klage", 0.9), ["Ok"],
                                [{"event": "fallback"}], {})
        await store.end_conversation(conversation, "overdraget")
        await tickets.create(conversation, "klage", "Klage over sagsbehandling")
    return store


async def test_the_reports_read_only_the_period(tmp_path: Path) -> None:
    store = await _store(tmp_path / "plans.sqlite3")
    recorder = Recorder(store)
    try:
        for period in ("week", "month", "quarter"):
            await report(store, period, NOW.date(), NOW)
        await trend(store, NOW.date(), 30)
        await open_tickets(store, NOW)
        assert len(recorder.queries) >= 10  # the report's queries were all seen
        assert await recorder.scans() == []
    finally:
        await store.close()


async def test_the_queue_pages_by_index(tmp_path: Path) -> None:
    store = await _store(tmp_path / "plans.sqlite3")
    recorder = Recorder(store)
    tickets = TicketService.open(store)
    try:
        # what the Sager tab polls: open tickets by deadline, per queue, overdue, due today
        await tickets.page(open_only=True)
        await tickets.page(open_only=True, queue="jobcenter")
        await tickets.page(overdue=True)
        await tickets.page(due_today=True)
        await tickets.page(status="ny", sort="due")
        assert len(recorder.queries) == 10  # a count and a page each
        assert await recorder.scans() == []
    finally:
        await store.close()


async def test_the_sager_search_reads_the_index_not_every_ticket(tmp_path: Path) -> None:
    """A search reads the FTS5 trigram index (migration 7) and then the matching tickets by
    their key, whatever the filters; before migration 7 it read every ticket (issue 16: 0.45 s
    at 100,000 tickets)."""
    store = await _store(tmp_path / "plans.sqlite3")
    recorder = Recorder(store)
    tickets = TicketService.open(store)
    try:
        found = []
        for search in ("sagsbehandling", "klage over", "KC-2026 klage"):
            found.append((await tickets.page(search=search))[1])
            await tickets.page(search=search, open_only=True)
            await tickets.page(search=search, queue="cdu", sort="navn")
        assert found == [3, 3, 3]
        assert len(recorder.queries) == 18
        assert await recorder.scans() == []
        for sql, params in recorder.queries:
            plan = [row["detail"] for row in
                    await recorder._fetchall(f"EXPLAIN QUERY PLAN {sql}", params)]
            assert any(line.startswith("SCAN ticket_search VIRTUAL TABLE INDEX 0:M")
                       for line in plan), plan
        # the same check fails on the scan the index replaced
        store._search = False  # type: ignore[attr-defined]
        recorder.queries.clear()
        await tickets.page(search="sagsbehandling")
        assert "SCAN tickets" in [line for _, line in await recorder.scans()]
    finally:
        await store.close()


async def test_the_idle_sweep_reads_only_open_conversations(tmp_path: Path, nlu) -> None:
    path = tmp_path / "plans.sqlite3"
    store = await _store(path)
    engine = await Engine.open(Settings(db_path=path), store.clock, store=store, nlu=nlu)
    recorder = Recorder(store)
    try:
        store.clock.set(NOW + timedelta(hours=2))  # type: ignore[attr-defined]
        await engine.expire_idle()
        assert recorder.queries
        assert await recorder.scans() == []
        # not the index on last activity, which holds every conversation ever ended as well
        (sql, params), = recorder.queries
        plan = [row["detail"] for row in await store.fetchall(f"EXPLAIN QUERY PLAN {sql}",
                                                               params)]
        assert any("conversations_open" in line for line in plan), plan
    finally:
        await engine.close()


async def test_the_purge_finds_its_conversations_by_index(tmp_path: Path) -> None:
    """The nightly purge's statements on conversations read the two indexes on last activity
    (open, and ended but not purged: migration 9), not every conversation the store holds."""
    from kcbot.config import RetentionSettings
    from kcbot.store import purge

    store = await _store(tmp_path / "plans.sqlite3")
    still_open = await store.start_conversation("chat", "borger-9")
    statements: list[str] = []
    store._inline.raw.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    try:
        report = await purge(store, NOW + timedelta(days=400), RetentionSettings())
        assert report.conversations == 4  # three ended and the one left open
        on_conversations = [sql for sql in statements
                            if re.search(r"\bconversations\b", sql) and "EXPLAIN" not in sql]
        assert len(on_conversations) == 4
        store._inline.raw.set_trace_callback(None)  # type: ignore[attr-defined]
        for sql in on_conversations:
            plan = [row["detail"] for row in await store.fetchall(f"EXPLAIN QUERY PLAN {sql}")]
            assert not [line for line in plan if _FULL_SCAN.match(line)], (sql, plan)
            assert any("conversations_open" in line for line in plan), plan
            assert any("conversations_unpurged" in line for line in plan), plan
        row = await store.fetchone("SELECT purged, ended FROM conversations WHERE id = ?",
                                   (still_open,))
        assert row["purged"] and row["ended"]
    finally:
        await store.close()
