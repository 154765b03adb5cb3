"""What every tab shares: the app it belongs to, and the key of a table's highlighted row."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from babel.dates import format_datetime
from textual.widget import Widget
from textual.widgets import DataTable

if TYPE_CHECKING:
    from kcbot.console.app import KcbotConsole

__all__ = ["Pane", "when"]


def when(iso: str) -> str:
    """'26. nov. 2026 16.00': a stored time as staff read it (Babel, da_DK)."""
    return format_datetime(datetime.fromisoformat(iso), "d. MMM y HH.mm", locale="da_DK")


class Pane(Widget):
    @property
    def kc(self) -> KcbotConsole:
        return self.app  # type: ignore[return-value]

    @staticmethod
    def highlighted(table: DataTable) -> str | None:
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
