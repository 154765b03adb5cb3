from __future__ import annotations

from pathlib import Path

import pytest

from kcbot.errors import StoreError
from kcbot.store import MIGRATIONS, Store
from kcbot.store.db import OPEN_CONVERSATION_SQL
from tests.dump import dump_rows

CPR = "240190-1234"


async def test_fresh_store_is_migrated_with_wal_and_foreign_keys(tmp_path: Path, clock) -> None:
    async with Store.connect(tmp_path / "new" / "kcbot.sqlite3", clock) as store:
        assert await store.schema_version() == len(MIGRATIONS)
        assert (await store.fetchone("PRAGMA journal_mode"))[0] == "wal"
        assert (await store.fetchone("PRAGMA foreign_keys"))[0] == 1
        assert (await store.fetchone("PRAGMA busy_timeout"))[0] >= 1000
        tables = {r[0] for r in await store.fetchall("SELECT name FROM sqlite_master")}
        assert {"conversations", "turns", "events", "tickets", "ticket_history", "journal",
                "outbox", "processed_messages", "schema_version"} <= tables


async def test_upgrade_keeps_existing_data(tmp_path: Path, clock) -> None:
    path = tmp_path / "old.sqlite3"
    async with Store.connect(path, clock, migrations=MIGRATIONS[:1]) as old:
        assert await old.schema_version() == 1
        conversation = await old.start_conversation("chat", "borger-1")
        await old.add_turn(conversation, "user", "hej")
    async with Store.connect(path, clock) as new:
        assert await new.schema_version() == len(MIGRATIONS)
        assert [t.text for t in await new.turns(conversation)] == ["hej"]
        await new.fetchall("SELECT * FROM processed_messages")


async def test_reopening_applies_nothing_twice(store_target, clock) -> None:
    for _ in range(3):
        async with Store.connect(store_target, clock) as store:
            rows = await store.fetchall("SELECT version FROM schema_version")
    assert [r[0] for r in rows] == list(range(1, len(MIGRATIONS) + 1))


async def test_newer_database_gives_a_clear_error(store_target, clock) -> None:
    async with Store.connect(store_target, clock) as store:
        async with store.transaction() as db:
            await db.execute("INSERT INTO schema_version VALUES (99)")
    with pytest.raises(StoreError, match="nyere|Opdater kcbot"):
        await Store.open(store_target, clock)


async def test_failed_migration_rolls_back(tmp_path: Path, clock) -> None:
    path = tmp_path / "kcbot.sqlite3"
    broken = [*MIGRATIONS, "CREATE TABLE extra (x INTEGER); THIS IS NOT SQL;"]
    with pytest.raises(StoreError, match="Migrering"):
        await Store.open(path, clock, migrations=broken)
    async with Store.connect(path, clock) as store:
        assert await store.schema_version() == len(MIGRATIONS)
        names = {r[0] for r in await store.fetchall("SELECT name FROM sqlite_master")}
        assert "extra" not in names


async def test_not_a_database_is_a_store_error(tmp_path: Path, clock) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"this is not sqlite " * 100)
    with pytest.raises(StoreError):
        await Store.open(path, clock)
    with pytest.raises(StoreError, match="mappe"):
        await Store.open(tmp_path, clock)


async def test_cpr_never_reaches_turns_events_state_or_journal(store_target, clock) -> None:
    async with Store.connect(store_target, clock) as store:
        conversation = await store.start_conversation("chat", "borger-1")
        await store.add_turn(conversation, "user", f"mit cpr er {CPR}", "jobnet_kode", 0.9)
        await store.add_events(conversation, [{"event": "slot", "name": "cpr", "value": CPR}])
        await store.save_state(conversation, {"slots": {"cpr": "2401901234"}})
        await store.add_journal(conversation, "jobnet_kode", "ny kode", f"borger {CPR}")
        await store.add_outbox(conversation, "brev", "Ny adgangskode", f"til {CPR}", cpr=CPR)
        # every column of every row, as the database holds it
        for table in ("turns", "events", "conversations", "journal"):
            dump = dump_rows(await store.fetchall(f"SELECT * FROM {table}"))
            assert "1234" not in dump, table
            assert "240190-XXXX" in dump, table
        body, cpr, masked = await store.fetchone("SELECT body, cpr, cpr_maskeret FROM outbox")
    assert body == "til 240190-XXXX"
    assert masked == "240190-XXXX"
    assert cpr.startswith("gAAAAA") and CPR not in cpr  # the one field that holds it, encrypted


async def test_the_full_cpr_travels_encrypted_and_comes_back_for_delivery(
    store_target, clock
) -> None:
    async with Store.connect(store_target, clock) as store:
        row_id = await store.add_outbox(None, "jobcenter", "Sygemelding", "x", cpr=CPR,
                                        navn="Mette Hansen", identitet="oplyst")
        row = await store.outbox_row(row_id)
        assert store.open_cpr(row["cpr"]) == CPR
        masked_only = await store.add_outbox(None, "jobcenter", "x", "x", cpr="240190-XXXX")
        row = await store.outbox_row(masked_only)
        assert (row["cpr"], row["cpr_maskeret"]) == (None, "240190-XXXX")
        with pytest.raises(StoreError):
            await store.add_outbox(None, "Kommunen; DROP", "x", "x")
        with pytest.raises(StoreError):
            await store.add_outbox(None, "jobcenter", "x", "x", identitet="gaettet")


async def test_turns_are_numbered_in_order_and_times_come_from_the_clock(
    store_target, clock
) -> None:
    async with Store.connect(store_target, clock) as store:
        conversation = await store.start_conversation("chat", "borger-1")
        for text in ("hej", "jeg er syg", "tak"):
            await store.add_turn(conversation, "user", text)
        turns = await store.turns(conversation)
        assert [(t.seq, t.text) for t in turns] == [(1, "hej"), (2, "jeg er syg"), (3, "tak")]
        assert turns[0].time == "2026-11-24T09:15:00+01:00"
        assert await store.active_conversation("chat", "borger-1") == conversation
        await store.end_conversation(conversation, "afbrudt")
        assert await store.active_conversation("chat", "borger-1") is None
        with pytest.raises(StoreError):
            await store.end_conversation(conversation, "maybe")


async def test_a_turns_rows_follow_what_its_transaction_and_others_wrote(tmp_path: Path,
                                                                          clock) -> None:
    """A turn numbers its rows after the last one its own read of the conversation saw; what
    a failed turn wrote and what another process wrote in between are not miscounted."""
    path = tmp_path / "kcbot.sqlite3"
    async with Store.connect(path, clock) as store, Store.connect(path, clock) as other:
        conversation = await store.start_conversation("chat", "borger-1")
        async with store.transaction():
            assert (await store.open_conversation("chat", "borger-1"))["id"] == conversation
            await store.record_turn(conversation, ("hej", None, None), ["Hej!", "Hvad vil du?"],
                                    [], {})
            await store.add_turn(conversation, "user", "syg")
            await store.record_turn(conversation, ("i dag", None, None), ["Tak"], [], {})
        with pytest.raises(RuntimeError):
            async with store.transaction():
                await store.open_conversation("chat", "borger-1")
                await store.record_turn(conversation, ("rullet", None, None), ["væk"], [], {})
                raise RuntimeError("the turn fails after its rows")
        await other.add_turn(conversation, "user", "fra en anden proces")
        await store.record_turn(conversation, ("igen", None, None), ["Ja"], [], {})
        async with store.transaction():
            await store.open_conversation("chat", "borger-1")
            await store.record_turn(conversation, ("sidst", None, None), [], [], {})
        turns = await store.turns(conversation)
        assert [(t.seq, t.text) for t in turns] == [
            (1, "hej"), (2, "Hej!"), (3, "Hvad vil du?"), (4, "syg"), (5, "i dag"), (6, "Tak"),
            (7, "fra en anden proces"), (8, "igen"), (9, "Ja"), (10, "sidst")]


async def test_one_open_ticket_per_conversation_and_category(store_target, clock) -> None:
    async with Store.connect(store_target, clock) as store:
        conversation = await store.start_conversation("chat", "borger-1")
        insert = (
            "INSERT INTO tickets (id, conversation_id, queue, category, summary, created, due, "
            "status) VALUES (?, ?, 'jobcenter', 'klage', 's', 'c', 'd', ?)"
        )
        async with store.transaction() as db:
            await db.execute(insert, ("KC-2026-000001", conversation, "ny"))
        with pytest.raises(store.integrity_error):
            async with store.transaction() as db:
                await db.execute(insert, ("KC-2026-000002", conversation, "ny"))
        async with store.transaction() as db:
            await db.execute("UPDATE tickets SET status = 'afsluttet'")
            await db.execute(insert, ("KC-2026-000003", conversation, "ny"))


async def test_a_sender_id_with_a_cpr_is_stored_masked_and_stays_apart(store_target,
                                                                       clock) -> None:
    async with Store.connect(store_target, clock) as store:
        first = await store.start_conversation("chat", "borger 2401901234")
        second = await store.start_conversation("chat", "borger 2401905678")
        assert await store.active_conversation("chat", "borger 2401901234") == first
        assert await store.active_conversation("chat", "borger 2401905678") == second
        rows = await store.fetchall("SELECT sender FROM conversations")
    senders = [r["sender"] for r in rows]
    assert all(s.startswith("borger 240190-XXXX#") for s in senders)
    assert len(set(senders)) == 2 and not any("1234" in s or "5678" in s for s in senders)


def test_stored_json_is_what_json_dumps_writes() -> None:
    """The store's encoder (the C encoder built once) writes what ``json.dumps(value,
    ensure_ascii=False)`` writes: Danish letters, escapes, floats, nesting, non-string keys."""
    import json
    import random

    from kcbot.store.db import _to_json

    rng = random.Random(16)
    leaves = ["æøå", 'a "quoted"\n\\ line', "\u2028", "", 0, -7, 2.5, 0.1 + 0.2, 1e300, None,
              True, False, float("inf")]

    def value(depth: int) -> object:
        if depth > 3 or rng.random() < 0.4:
            return rng.choice(leaves)
        if rng.random() < 0.5:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return {rng.choice(["sag", "slots", "æ", 1, None]): value(depth + 1)
                for _ in range(rng.randint(0, 4))}

    for _ in range(500):
        data = value(0)
        assert _to_json(data) == json.dumps(data, ensure_ascii=False)
    with pytest.raises(TypeError):
        _to_json({"when": {1, 2}})


async def test_migration_8_keeps_the_fallback_counts_of_older_events(tmp_path: Path,
                                                                     clock) -> None:
    """Events written before migration 8 have their type read from the JSON once; events
    written after carry it, and the reports and the purge count fallbacks from it alone."""
    from datetime import timedelta

    from kcbot.reports import figures

    path = tmp_path / "kcbot.sqlite3"
    async with Store.connect(path, clock, migrations=MIGRATIONS[:7]) as old:
        conversation = await old.start_conversation("chat", "borger-1")
        async with old.transaction() as db:  # as a kcbot of schema 7 stored them
            await db.executemany(
                "INSERT INTO events (conversation_id, time, event) VALUES (?, '', ?)",
                [(conversation, '{"event": "fallback"}'), (conversation, '{"event": "user"}'),
                 (conversation, '{"event": "fallback", "text": "øh"}')])
    async with Store.connect(path, clock) as store:
        assert await store.schema_version() == len(MIGRATIONS)
        kinds = [r[0] for r in await store.fetchall("SELECT kind FROM events ORDER BY id")]
        assert kinds == ["fallback", "user", "fallback"]
        await store.record_turn(conversation, ("hmm", None, None), ["Hvad mener du?"],
                                [{"event": "user", "text": "hmm"}, {"event": "fallback"}], {})
        await store.add_events(conversation, [{"event": "fallback"}, {"event": "slot",
                                                                      "name": "x"}])
        today = clock.now().date()
        assert (await figures(store, today, today, clock.now())).fallback_turns == 4
        plan = [r["detail"] for r in await store.fetchall(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM events e WHERE e.conversation_id = ? "
            "AND e.kind = 'fallback'", (conversation,))]
        assert any("events_fallback" in line for line in plan), plan
        # the purge keeps the count in the conversation row before the events go
        from kcbot.config import RetentionSettings
        from kcbot.store import purge

        await purge(store, clock.now() + timedelta(days=400), RetentionSettings())
        row = await store.fetchone("SELECT fallbacks FROM conversations WHERE id = ?",
                                   (conversation,))
        assert row["fallbacks"] == 4
        assert await store.events(conversation) == []


async def test_a_turn_finds_its_open_conversation_without_a_sort(tmp_path: Path,
                                                                clock) -> None:
    """The read every turn starts with takes the sender's newest open conversation straight
    from the index (migration 8), and it is the newest."""
    async with Store.connect(tmp_path / "kcbot.sqlite3", clock) as store:
        from datetime import timedelta

        first = await store.start_conversation("chat", "borger-1")
        clock.advance(timedelta(minutes=5))
        second = await store.start_conversation("chat", "borger-1")
        await store.start_conversation("chat", "borger-2")
        assert (await store.open_conversation("chat", "borger-1"))["id"] == second
        await store.end_conversation(second, "afbrudt")
        assert (await store.open_conversation("chat", "borger-1"))["id"] == first
        plan = [r["detail"] for r in await store.fetchall(
            f"EXPLAIN QUERY PLAN {OPEN_CONVERSATION_SQL}", ("chat", "borger-1"))]
        assert any("conversations_sender" in line for line in plan), plan
        assert not any("TEMP B-TREE" in line for line in plan), plan


async def test_an_events_type_is_stored_masked_like_the_event(tmp_path: Path, clock) -> None:
    async with Store.connect(tmp_path / "kcbot.sqlite3", clock) as store:
        conversation = await store.start_conversation("chat", "borger-1")
        await store.add_events(conversation, [{"event": f"slot {CPR}"}, {"event": "slot"},
                                              {"event": 7}])
        rows = await store.fetchall("SELECT event, kind FROM events ORDER BY id")
        assert [r["kind"] for r in rows] == ["slot 240190-XXXX", "slot", None]
        assert all("1234" not in r["event"] for r in rows)


async def test_a_cpr_after_a_control_character_is_masked_in_stored_json(store_target,
                                                                        clock) -> None:
    """JSON writes a control character as ``\\u00XX``; its digits ran on into the number
    after it, so "cpr\\x012401901234" was stored in full in an event, the state and the
    remembered replies (what the citizen typed reaches them masked, but the store masks
    whatever its caller forgot)."""
    text = f"cpr\x01{CPR.replace('-', '')} og\x1f{CPR}"
    async with Store.connect(store_target, clock) as store:
        conversation = await store.start_conversation("chat", "borger-1")
        await store.add_events(conversation, [{"event": "user", "text": text}])
        await store.record_turn(conversation, (text, None, None), [text],
                                [{"event": "bot", "text": text}], {"slots": {"x": [text]}})
        await store.remember_replies("chat", "borger-1", "m1", [{"text": text}], text)
        for table in ("events", "conversations", "processed_messages", "turns"):
            dump = dump_rows(await store.fetchall(f"SELECT * FROM {table}"))
            assert "1234" not in dump, table
            assert dump.count("240190-XXXX") >= 2, table
        events = await store.events(conversation)
    assert events[0] == {"event": "user", "text": "cpr\x01240190-XXXX og\x1f240190-XXXX"}
