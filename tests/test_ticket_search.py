"""The Sager search on its index (migration 7: FTS5 trigrams in SQLite, a GIN index on trigrams
in PostgreSQL): the same tickets as the scan it replaced for the same words, kept in step when a
ticket's name or phone number changes or is erased, no CPR number in clear in the index, and a
clean fall-back to the scan where the SQLite library has no trigram tokenizer."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from kcbot.clock import TZ, FrozenClock
from kcbot.config import RetentionSettings
from kcbot.store import Store
from kcbot.store import db as sqlite_store
from kcbot.store.dialect import to_postgres
from kcbot.store.retention import purge
from kcbot.tickets import TicketService

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)
CITIZENS = [  # (category, name, phone, summary)
    ("kontakt_sagsbehandler", "Mette Hansen", "20 30 40 50", "vil tale om aktivering"),
    ("ydelse", "Sara Jensen", "31313131", "mangler udbetaling af kontanthjælp"),
    ("klage", "Ole Berg", "40404040", "klage over ventetid i Ørestad"),
    ("menneske", "Anna Holm", "50505050", "vil tale med en person om jobsamtale"),
    ("afbud", "Søren Ærø-Hansen", None, "afbud til samtale, syg; CPR 010190-1234 oplyst"),
    ("ydelse", "HANS HANSEN", "+45 60 70 80 90", "Spørger om \"boligstøtte\" 100% af tiden"),
    ("kontakt_sagsbehandler", None, None, "ønsker at tale med sin rådgiver om kursus"),
]
QUERIES = [
    "hansen", "HANSEN", "Hansen mette", "mette HANSEN aktivering", "2030", "20 30", "20304050",
    "6070", "KC-2026", "kc-2026-000003", "ørestad", "Ørestad", "ØRESTAD", "ærø", "Ærø",
    "tale", "tale om", "om", "ol", "o", "klage ventetid", "boligstøtte", '"boligstøtte"',
    "100%", "100", "%", "_", "\\", "a_e", "sara%", "jens_n", "udbetaling kontant", "xyz",
    "010190", "0101901234", "010190-1234", "1234", "rådgiver kursus", "ådg", "  spørger  ",
]


async def _seed(store: Store) -> TicketService:
    service = TicketService.open(store)
    for category, name, phone, summary in CITIZENS:
        conversation = await store.start_conversation("chat", f"borger-{category}-{name}")
        await service.create(conversation, category, summary, navn=name, telefon=phone)
    return service


async def _ids(service: TicketService, search: str, **filters: object) -> list[str]:
    page, total = await service.page(search=search, **filters)  # type: ignore[arg-type]
    assert total == len(page)
    return [t.id for t in page]


async def test_the_index_finds_what_the_scan_found(store_target: Path | str) -> None:
    async with Store.connect(store_target, FrozenClock(NOW)) as store:
        service = await _seed(store)
        assert store._search  # type: ignore[attr-defined]  # migration 7 is there
        indexed = {q: await _ids(service, q) for q in QUERIES}
        indexed_open = {q: await _ids(service, q, open_only=True, sort="navn") for q in QUERIES}
        store._search = False  # type: ignore[attr-defined]  # the scan, as before migration 7
        scanned = {q: await _ids(service, q) for q in QUERIES}
        scanned_open = {q: await _ids(service, q, open_only=True, sort="navn") for q in QUERIES}
    assert indexed == scanned
    assert indexed_open == scanned_open
    # and the searches find what an agent expects (so the equality above is not of nothing)
    assert len(indexed["hansen"]) == 3
    assert len(indexed["mette HANSEN aktivering"]) == 1
    assert len(indexed["20 30"]) == 1 and indexed["20 30"] == indexed["20304050"]
    assert len(indexed["KC-2026"]) == len(CITIZENS)
    assert indexed["xyz"] == []


async def test_the_index_narrows_the_rows_looked_at(store_target: Path | str) -> None:
    """The condition the store adds for a word selects by index; short words add none."""
    async with Store.connect(store_target, FrozenClock(NOW)) as store:
        await _seed(store)
        clause, params = store.ticket_search(["hansen", "ol"])
        assert clause and len(params) == 1
        rows = await store.fetchall(f"SELECT id FROM tickets WHERE {clause}", params)
        assert len(rows) == 3
        assert store.ticket_search(["ol", "o"]) == ("", [])


async def test_the_index_follows_changes_and_erasure(store_target: Path | str) -> None:
    async with Store.connect(store_target, FrozenClock(NOW)) as store:
        service = TicketService.open(store)
        conversation = await store.start_conversation("chat", "borger-krise")
        ticket, _ = await service.create(conversation, "krise", "har brug for hjælp nu")
        assert await _ids(service, "Kirsten") == []
        await service.add_contact(ticket.id, navn="Kirsten Lund", telefon="22 33 44 55")
        assert await _ids(service, "kirsten") == [ticket.id]
        assert await _ids(service, "22334455") == [ticket.id]
        await service.add_contact(ticket.id, navn="Kirstine Lund")
        assert await _ids(service, "kirsten") == []
        assert await _ids(service, "kirstine lund") == [ticket.id]
        await service.claim(ticket.id, "AB")  # a change of status keeps the entry
        assert await _ids(service, "kirstine") == [ticket.id]
        await service.close(ticket.id, "AB", "ringet op")
        await store.end_conversation(conversation, "overdraget")
        store.clock.set(NOW + timedelta(days=400))  # type: ignore[attr-defined]
        # the purge erases an old closed ticket's personal fields: the index forgets them too
        await purge(store, store.clock.now(), RetentionSettings())
        assert await _ids(service, "kirstine") == []
        assert await _ids(service, "22334455") == []
        assert await _ids(service, "hjælp") == []
        assert await _ids(service, ticket.id) == [ticket.id]


async def test_no_cpr_number_in_clear_in_the_index(tmp_path: Path) -> None:
    path = tmp_path / "search.sqlite3"
    async with Store.connect(path, FrozenClock(NOW)) as store:
        service = TicketService.open(store)
        ticket, _ = await service.create(None, "afbud", "borger oplyser 0101901234 i chatten",
                                         navn="Per 010190-1234", telefon="0101901234")
        assert await _ids(service, "0101901234") == []
        assert await _ids(service, "1234") == []
        assert await _ids(service, "010190") == [ticket.id]  # the masked form, as listed
    raw = sqlite3.connect(path)
    try:
        docs = [row[0] for row in raw.execute("SELECT doc FROM ticket_search")]
        # every trigram the index holds, read from its vocabulary
        raw.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, ticket_search, row)")
        terms = {row[0] for row in raw.execute("SELECT term FROM temp.vocab")}
    finally:
        raw.close()
    assert docs and not any(re.search(r"\d{6}-?\d{4}", doc) for doc in docs)
    assert "123" not in terms and "234" not in terms
    assert "xxx" in terms  # the masked number, ddmmyy-XXXX, is what is there


async def test_without_the_trigram_tokenizer_the_search_scans_as_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old-sqlite.sqlite3"
    monkeypatch.setattr(sqlite_store, "fts5_trigram_available", lambda: False)
    async with Store.connect(path, FrozenClock(NOW)) as store:
        service = await _seed(store)
        assert not store._search  # type: ignore[attr-defined]
        tables = await store.fetchall("SELECT name FROM sqlite_master WHERE name LIKE ?",
                                      ("ticket_search%",))
        assert tables == []
        scanned = {q: await _ids(service, q) for q in QUERIES}
        assert len(scanned["hansen"]) == 3
    # a later start on a library that has it builds the index from the tickets there
    monkeypatch.undo()
    async with Store.connect(path, FrozenClock(NOW)) as store:
        assert store._search  # type: ignore[attr-defined]
        service = TicketService.open(store)
        assert {q: await _ids(service, q) for q in QUERIES} == scanned
        ticket, _ = await service.create(None, "ydelse", "ny sag om børnetilskud", navn="Ib")
        assert await _ids(service, "børnetilskud") == [ticket.id]


@pytest.mark.postgres
async def test_postgres_answers_the_search_from_its_trigram_index(postgres_url: str) -> None:
    """The condition's expression is the index's, so the planner can use the GIN index (a
    small table is cheaper to scan, so the scan is ruled out to ask whether it could)."""
    async with Store.connect(postgres_url, FrozenClock(NOW)) as store:
        await _seed(store)
        clause, params = store.ticket_search(["hansen", "aktivering"])
        async with store.transaction() as db:
            await db.execute("SET LOCAL enable_seqscan = off")
            conn = db.conn  # type: ignore[attr-defined]
            plan = "\n".join(row[0] for row in await conn.fetch(
                "EXPLAIN " + to_postgres(f"SELECT id FROM tickets WHERE {clause}"), *params))
        assert "tickets_search" in plan, plan
