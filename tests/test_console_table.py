"""The console's tables show a row's whole text even when it was painted before the table had
measured it (kcbot/console/widgets/table.py)."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from kcbot.console.widgets import MeasuredTable


class _OneTable(App):
    # a table of a fixed size, like a pane of a split: measuring its rows does not resize it
    CSS = "DataTable { height: 5; width: 1fr; }"

    def compose(self) -> ComposeResult:
        yield MeasuredTable()


async def test_a_row_painted_before_it_was_measured_shows_its_whole_text() -> None:
    app = _OneTable()
    async with app.run_test(size=(80, 10)) as pilot:
        table = app.query_one(DataTable)
        table.add_column("Sag")
        table.focus()
        await pilot.pause()
        table.add_row("KC-2026-000001")
        assert table.render_line(1).text.split() == ["KC-"]  # painted at the header's width
        await pilot.pause()
        await pilot.pause()
        assert table.render_line(1).text.split() == ["KC-2026-000001"]
