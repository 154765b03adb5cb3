"""Retention (issue 15): ``kcbot purge`` and the nightly purge in ``kcbot serve`` delete or
anonymise what is older than its period, with a frozen clock; the reports' figures and a
12-month trend are the same after purging as before."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from kcbot.clock import TZ, FrozenClock
from kcbot.config import RetentionSettings, Settings
from kcbot.dialogue import Engine
from kcbot.reports import figures, trend
from kcbot.store import Store, purge, purge_due
from tests.test_cli import kcbot

OLD = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)  # some 8.5 months before NOW
RECENT = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
NOW = datetime(2026, 11, 24, 9, 15, tzinfo=TZ)
CITIZENS = {
    "old-a": ["hvornår har I åbent"],
    "old-b": ["jeg vil tale med min sagsbehandler", "om min plan", "Sara Jensen", "20304050",
              "dagpenge", "ja"],
    "old-c": ["jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, jeg er syg",
              "Mette Hansen", "150390-2468"],
    "old-d": ["blabla xyz", "hmm"],
}


async def fill(db: Path, nlu, citizens: dict[str, list[str]], at: datetime, prefix: str
               ) -> None:
    engine = await Engine.open(Settings(db_path=db), FrozenClock(at), nlu=nlu)
    try:
        for sender, messages in citizens.items():
            for n, message in enumerate(messages):
                await engine.turn(f"{prefix}{sender}", message, message_id=str(n))
            await engine.end(f"{prefix}{sender}")
    finally:
        await engine.close()


def dump(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as con:
        return con.execute(sql).fetchall()


async def test_purge_removes_old_personal_data_and_keeps_the_figures(tmp_path: Path,
                                                                     nlu) -> None:
    db = tmp_path / "retention.sqlite3"
    await fill(db, nlu, CITIZENS, OLD, "")
    await fill(db, nlu, CITIZENS, RECENT, "new-")
    async with Store.connect(db, FrozenClock(NOW)) as store:
        march = await figures(store, date(2026, 3, 1), date(2026, 3, 31), NOW)
        year = await trend(store, NOW.date(), days=365)
        report = await purge(store, NOW, RetentionSettings())
        assert await figures(store, date(2026, 3, 1), date(2026, 3, 31), NOW) == march
        assert await trend(store, NOW.date(), days=365) == year
        again = await purge(store, NOW, RetentionSettings())
        # journal notes and closed tickets keep their own, longer period (365 days)
        assert dump(db, "SELECT count(*) FROM journal WHERE time < '2026-04'")[0][0] >= 1
        cases = await purge(store, NOW, RetentionSettings(case_days=200))
    assert report.conversations == 4 and report.turns > 0 and report.events > 0
    assert report.message_ids > 0 and report.journal == 0
    assert again.conversations == again.turns == again.message_ids == 0  # idempotent
    assert cases.journal >= 1 and cases.conversations == 0
    old = "(SELECT id FROM conversations WHERE started < '2026-04-01')"
    assert dump(db, f"SELECT count(*) FROM turns WHERE conversation_id IN {old}") == [(0,)]
    assert dump(db, f"SELECT count(*) FROM events WHERE conversation_id IN {old}") == [(0,)]
    assert set(dump(db, "SELECT sender, state FROM conversations WHERE started < '2026-04'")
               ) == {("", "{}")}
    assert dump(db, "SELECT count(*) FROM processed_messages WHERE time < '2026-04'") == [(0,)]
    assert dump(db, "SELECT count(*) FROM journal WHERE time < '2026-04'") == [(0,)]
    # what is recent is untouched
    assert dump(db, "SELECT count(*) FROM conversations WHERE sender LIKE 'new-%'") == [(4,)]
    assert dump(db, "SELECT count(*) FROM journal WHERE time >= '2026-11'")[0][0] >= 1
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("retention.sqlite3*"))
    assert b"old-b" not in raw.replace(b"new-old-b", b"")


async def test_each_period_is_configurable(tmp_path: Path, nlu, monkeypatch) -> None:
    db = tmp_path / "periods.sqlite3"
    await fill(db, nlu, CITIZENS, RECENT, "")
    monkeypatch.setenv("KCBOT_RETENTION_TRANSCRIPT_DAYS", "2")
    monkeypatch.setenv("KCBOT_RETENTION_RETRY_DAYS", "1")
    monkeypatch.setenv("KCBOT_RETENTION_CASE_DAYS", "1000")
    settings = RetentionSettings.from_env()
    assert (settings.transcript_days, settings.retry_days, settings.case_days) == (2, 1, 1000)
    async with Store.connect(db, FrozenClock(NOW)) as store:
        report = await purge(store, NOW, settings)
    assert report.conversations == 4 and report.journal == 0


def test_the_nightly_purge_runs_once_a_night_after_its_hour() -> None:
    night = datetime(2026, 11, 24, 2, 59, tzinfo=TZ)
    assert not purge_due(night, "2026-11-23", 3)
    assert purge_due(night + timedelta(minutes=1), "2026-11-23", 3)
    assert not purge_due(night + timedelta(hours=5), "2026-11-24", 3)
    assert purge_due(night + timedelta(days=1, hours=1), "2026-11-24", 3)


async def test_kcbot_purge_prints_what_it_removed(tmp_path: Path, nlu) -> None:
    db = tmp_path / "cli.sqlite3"
    await fill(db, nlu, {"a": ["hvornår har I åbent"]}, OLD, "")
    result = kcbot("purge", "--db", str(db), "--now", "2026-11-24T09:15")
    assert result.returncode == 0, result.stderr.decode()
    assert "1 samtaler anonymiseret" in result.stdout.decode()
    bad = kcbot("purge", "--db", str(db), env={"KCBOT_RETENTION_TRANSCRIPT_DAYS": "nul"})
    assert bad.returncode == 2 and b"KCBOT_RETENTION_TRANSCRIPT_DAYS" in bad.stderr
    assert b"Traceback" not in bad.stderr


async def test_kcbot_serve_purges_once_the_night_has_come(tmp_path: Path, nlu) -> None:
    import asyncio

    from tests.servers import running

    db = tmp_path / "serve.sqlite3"
    await fill(db, nlu, {"a": ["hvornår har I åbent"]}, OLD, "")
    with running(["-m", "kcbot", "serve", "--db", str(db), "--now", "2026-11-24T09:15"],
                 tmp_path, "/health", env={"KCBOT_PURGE_HOUR": "3"}):
        for _ in range(100):  # the first round runs at start-up, past 03:00
            if dump(db, "SELECT sender FROM conversations") == [("",)]:
                break
            await asyncio.sleep(0.1)
    assert dump(db, "SELECT sender, state FROM conversations") == [("", "{}")]
    assert dump(db, "SELECT count(*) FROM turns") == [(0,)]
