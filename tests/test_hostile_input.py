"""Hostile or broken input where a tester who did not build kcbot would try it first: the
console's Test tab and the engine every channel shares. (The REST channel, the web chat and
the action server have their own files with a real server.)"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from textual.widgets import Input, RichLog

from kcbot.clock import TZ, FrozenClock
from kcbot.config import Settings
from kcbot.console import KcbotConsole
from kcbot.dialogue import Engine

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)


async def test_half_an_emoji_in_the_test_tab_is_a_message_the_bot_cannot_read(
        tmp_path: Path) -> None:
    """A lone surrogate (half an emoji, as a paste can leave it) crashed the console: the turn
    failed, and so did recording the failure, since SQLite cannot store it."""
    db = tmp_path / "console.sqlite3"
    async with KcbotConsole(Settings(db_path=db), FrozenClock(NOW)).run_test(
            size=(160, 50)) as pilot:
        await pilot.press("4")
        for text in ("hej \ud83d", "\udc00", "hvornår har I åbent"):
            chat = pilot.app.query_one("#chat-input", Input)
            chat.focus()
            chat.value = text
            await pilot.press("enter")
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
        lines = [line.text for line in pilot.app.query_one("#chat-log", RichLog).lines]
        assert any("82 56 56 82" in line for line in lines), lines  # still answering
        assert not any("fejl hos os" in line for line in lines), lines


async def test_every_channel_may_hand_the_engine_a_lone_surrogate(tmp_path: Path, nlu) -> None:
    engine = await Engine.open(Settings(db_path=tmp_path / "e.sqlite3"), FrozenClock(NOW),
                               nlu=nlu)
    try:
        result = await engine.turn("s1", "jeg er syg \ud83d", channel="terminal")
        assert result.replies and "fejl hos os" not in result.replies[0].text
        with sqlite3.connect(tmp_path / "e.sqlite3") as con:
            texts = [t for (t,) in con.execute("SELECT text FROM turns WHERE speaker = 'user'")]
        assert texts == ["jeg er syg \ufffd"]
    finally:
        await engine.close()


async def test_an_unreadable_dialogue_file_name_in_the_test_tab_is_a_notice(
        tmp_path: Path) -> None:
    """A file name longer than the file system allows ended the console with a traceback."""
    db = tmp_path / "console.sqlite3"
    (tmp_path / "bad.yml").write_text("dialogues: [x\n")
    (tmp_path / "empty").mkdir()
    async with KcbotConsole(Settings(db_path=db), FrozenClock(NOW)).run_test(
            size=(160, 50)) as pilot:
        await pilot.press("4")
        for name in (str(tmp_path / ("a" * 5000)), str(tmp_path / "bad.yml"),
                     str(tmp_path / "empty")):
            field = pilot.app.query_one("#test-file", Input)
            field.value = name
            field.focus()
            await pilot.press("enter")
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
        notices = [str(n.message) for n in pilot.app._notifications]
        assert any("kan ikke læses" in n for n in notices), notices
        assert any("ugyldig YAML" in n for n in notices), notices
        assert any("Ingen dialogfiler" in n for n in notices), notices
