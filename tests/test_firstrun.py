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
from kcbot.firstrun import demo_path, offer

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
