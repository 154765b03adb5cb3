"""Each tab at 120×40 and 80×24, as SVG snapshots (pytest-textual-snapshot). The pictures
were reviewed by eye before they were committed; `pytest --snapshot-update` redraws them
after a deliberate change, and the diff shows what moved."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from kcbot.clock import FrozenClock
from kcbot.config import Settings
from kcbot.console import KcbotConsole
from tests.test_console import CITIZENS, NOW, _fill

TABS = {"overblik": "f1", "sager": "f2", "samtaler": "f3", "test": "f4"}


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until the screen stops changing: a table sizes its columns, and a scroll view
    its scrollbar, on an idle tick that a busy machine can leave for later. A blinking cursor
    would make the picture depend on the moment it is taken, so it is held still."""
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.app.workers.wait_for_complete()
    await pilot.wait_for_scheduled_animations()
    before = None
    for _ in range(40):
        await pilot.pause()
        pending = any(table._require_update_dimensions or table._updated_cells
                      for table in pilot.app.screen.query(DataTable))
        now = pilot.app.export_screenshot()
        if now == before and not pending:
            return
        before = now


@pytest.fixture
def store(tmp_path: Path, nlu) -> Path:
    path = tmp_path / "snapshot.sqlite3"
    asyncio.run(_fill(path, nlu, CITIZENS, NOW.replace(hour=9)))
    return path


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
@pytest.mark.parametrize("tab", list(TABS))
def test_each_tab(snap_compare, store: Path, tab: str, size: tuple[int, int]) -> None:
    async def open_tab(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.press(TABS[tab])
        await settle(pilot)

    app = KcbotConsole(Settings(db_path=store), FrozenClock(NOW))
    assert snap_compare(app, terminal_size=size, run_before=open_tab)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])
def test_the_test_tab_after_a_turn(snap_compare, store: Path, size: tuple[int, int]) -> None:
    """The debug view's tables after two turns (the changed slot marked, its old value)."""

    async def chat(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.pause()
        await pilot.press("f4")
        for message in ("jeg skal melde afbud til min jobsamtale i morgen", "kontanthjælp"):
            await pilot.press(*message, "enter")
            await pilot.app.workers.wait_for_complete()
        await settle(pilot)

    app = KcbotConsole(Settings(db_path=store), FrozenClock(NOW))
    assert snap_compare(app, terminal_size=size, run_before=chat)
