"""What every tab shares: the app it belongs to, and the key of a table's highlighted row."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widget import Widget
from textual.widgets import DataTable

from kcbot.labels import when

if TYPE_CHECKING:
    from kcbot.console.app import KcbotConsole

__all__ = ["Pane", "when"]


class Pane(Widget):
    @property
    def kc(self) -> KcbotConsole:
        return self.app  # type: ignore[return-value]

    @staticmethod
    def highlighted(table: DataTable) -> str | None:
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
