"""The first run: demo traffic in a store of its own unless the user chooses the default one,
filled inside the console with a progress bar while the console stays usable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from textual.widgets import TabbedContent

from kcbot.clock import TZ, FrozenClock
from kcbot.config import Settings
from kcbot.console import KcbotConsole
from kcbot.console.screens.overblik import Overblik
from kcbot.console.widgets import WorkBar
from kcbot.firstrun import demo_path, fill_started, offer, unfinished, unfinished_fill

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)


def _answers(*replies: str):  # type: ignore[no-untyped-def]
    asked: list[str] = []
    pending: Iterator[str] = iter(replies)

    def ask(question: str) -> str:
        asked.append(question)
        try:
            return next(pending)
        except StopIteration:
            raise EOFError from None

    return ask, asked


def test_enter_fills_a_demo_store_of_its_own(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "kcbot.sqlite3")
    ask, asked = _answers("")
    start = offer(settings, 0, ask, print)
    assert start.fill and start.is_demo_store
    assert start.settings.db_path == tmp_path / "kcbot-demo.sqlite3"
    assert "din database forbliver tom" in asked[0]


def test_the_default_store_is_filled_only_when_chosen(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "kcbot.sqlite3")
    start = offer(settings, 0, _answers("2")[0], print)
    assert start.fill and start.settings.db_path == settings.db_path
    assert not start.is_demo_store
    for no in ("3", "nej", "n"):
        start = offer(settings, 0, _answers(no)[0], print)
        assert not start.fill and start.settings.db_path == settings.db_path


def test_an_unclear_answer_is_asked_again_and_end_of_input_opens_the_empty_store(
    tmp_path: Path,
) -> None:
    settings = Settings(db_path=tmp_path / "kcbot.sqlite3")
    said: list[str] = []
    ask, asked = _answers("måske", "1")
    start = offer(settings, 0, ask, said.append)
    assert start.fill and start.is_demo_store and len(asked) == 2
    assert said == ["Det forstod jeg ikke. Svar 1, 2 eller 3."]
    start = offer(settings, 0, _answers()[0], print)  # Ctrl+D
    assert not start.fill and start.settings.db_path == settings.db_path


def test_a_filled_demo_store_is_offered_again_not_filled_twice(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "kcbot.sqlite3")
    ask, asked = _answers("ja")
    start = offer(settings, 1283, ask, print)
    assert not start.fill and start.settings.db_path == demo_path(settings.db_path)
    assert "1283 simulerede samtaler" in asked[0]
    start = offer(settings, 1283, _answers("nej")[0], print)
    assert start.settings.db_path == settings.db_path


async def test_the_console_fills_demo_traffic_with_progress_and_stays_usable(
    tmp_path: Path, nlu
) -> None:
    db = tmp_path / "kcbot-demo.sqlite3"
    app = KcbotConsole(Settings(db_path=db), FrozenClock(NOW), fill=(3, 8), demo_store=True)
    seen: list[str] = []
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.query_one(WorkBar)
        original = bar.update

        def update(progress: float, text: str | None = None) -> None:
            seen.append(f"{bar.display} {text}")
            original(progress, text)

        bar.update = update  # type: ignore[method-assign]
        await pilot.press("2")  # the console answers keys while it fills
        assert app.query_one(TabbedContent).active == "sager"
        await app.workers.wait_for_complete()
        await pilot.press("1")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert seen and all(line.startswith("True Demotrafik: ") for line in seen)
        assert not bar.display  # gone when done
        assert "demodatabase" in app.sub_title
        assert app.query_one(Overblik).demo  # the badge
        assert any("simulerede samtaler er fyldt i kcbot-demo.sqlite3" in n.message
                   for n in app._notifications)
    with sqlite3.connect(db) as con:
        channels = {c for (c,) in con.execute("SELECT DISTINCT channel FROM conversations")}
        assert channels == {"demo"}
        assert con.execute("SELECT count(*) FROM conversations").fetchone()[0] >= 8


async def test_quitting_during_the_fill_leaves_a_store_the_next_start_fills_again(
    tmp_path: Path, nlu
) -> None:
    """Whole or nothing: a fill cut short by quitting is not offered as a filled demo store
    next time; the next start says so in Danish, deletes it and fills it from scratch."""
    settings = Settings(db_path=tmp_path / "kcbot.sqlite3")
    demo = demo_path(settings.db_path)
    app = KcbotConsole(settings.with_db(demo), FrozenClock(NOW), fill=(30, 100), demo_store=True)
    async with app.run_test(size=(120, 40)) as pilot:
        bar = app.query_one(WorkBar)
        for _ in range(600):  # until the first day is in, then quit mid-fill
            await pilot.pause(0.05)
            if bar.display and (bar.query_one("ProgressBar").progress or 0) >= 1:
                break
        await pilot.press("q")
        await pilot.press("j")
        await pilot.pause()
    assert unfinished(demo)
    with sqlite3.connect(demo) as con:
        partial = con.execute("SELECT count(*) FROM conversations").fetchone()[0]
    assert 1 <= partial < 30 * 100  # some of it got in, not all

    said: list[str] = []
    ask, asked = _answers("")
    start = offer(settings, partial, ask, said.append)
    assert said == [f"Demodatabasen {demo} blev ikke fyldt færdig sidste gang (konsollen blev "
                    "lukket undervejs), så den er slettet og kan fyldes forfra."]
    assert "simulerede samtaler" not in asked[0]  # the partial store is not offered as it is
    assert start.fill and start.settings.db_path == demo
    assert not demo.exists() and not unfinished(demo)

    app = KcbotConsole(start.settings, FrozenClock(NOW), fill=(2, 8), demo_store=True)
    async with app.run_test(size=(120, 40)):
        await app.workers.wait_for_complete()
    assert not unfinished(demo)  # finished this time
    with sqlite3.connect(demo) as con:
        assert con.execute("SELECT count(*) FROM conversations").fetchone()[0] >= 8


def test_an_interrupted_fill_of_the_default_store_is_redone_only_if_it_holds_demo_alone(
    tmp_path: Path,
) -> None:
    db = tmp_path / "kcbot.sqlite3"
    settings = Settings(db_path=db)
    assert unfinished_fill(settings) is None  # nothing was left unfinished

    def store(*channels: str) -> None:
        db.unlink(missing_ok=True)
        with sqlite3.connect(db) as con:
            con.execute("CREATE TABLE conversations (id TEXT, channel TEXT)")
            con.executemany("INSERT INTO conversations VALUES (?, ?)",
                            [(str(n), c) for n, c in enumerate(channels)])
        con.close()
        fill_started(db)

    store("demo", "demo")
    said: list[str] = []
    start = unfinished_fill(settings, said.append)
    assert start is not None and start.fill and start.settings.db_path == db
    assert not db.exists() and not unfinished(db)
    assert "blev ikke fyldt færdig sidste gang" in said[0] and "fyldes forfra" in said[0]

    store("demo", "web")  # a real conversation as well: never deleted
    said.clear()
    start = unfinished_fill(settings, said.append)
    assert start is not None and not start.fill and db.exists()
    assert "åbnes, som den er" in said[0]
    assert not unfinished(db)  # said once, not at every start
