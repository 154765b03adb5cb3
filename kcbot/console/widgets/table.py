"""A ``DataTable`` whose rows show their whole text once the table has measured them.

Textual's ``DataTable`` measures new rows on its next idle tick, but it caches every cell it
paints, and the cache does not know the column's width. A paint that falls between adding the
rows and that tick (a load that awaits after ``add_row``) caches the cells at the header's
width, and a table whose size does not change (a pane of a split) kept showing "KC-" for
"KC-2026-000001" until the next change of its rows. This table drops its painted cells when
the measuring widened a column."""

from __future__ import annotations

from textual import events
from textual.widgets import DataTable

__all__ = ["MeasuredTable"]


class MeasuredTable(DataTable):
    async def _on_idle(self, event: events.Idle) -> None:
        before = [column.content_width for column in self.columns.values()]
        await super()._on_idle(event)
        if [column.content_width for column in self.columns.values()] != before:
            self._clear_caches()  # Textual clears them itself only on a resize
            self.refresh()
