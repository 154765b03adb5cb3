"""A line above the footer for long work (the first-run demo fill, a report): what is being
done and how far it has come, while the rest of the console stays usable.

Work with a known size gets a progress bar that fills; work without one an indeterminate
bar (Textual's pulsing bar). The line appears only when work lasts longer than
``DELAY`` seconds, so a report that is ready at once does not flash a bar."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import Label, ProgressBar

__all__ = ["WorkBar"]

DELAY = 0.3


class WorkBar(Horizontal):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.jobs = 0  # how many pieces of work are running
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="work-label", markup=False)
        yield ProgressBar(id="work-progress", show_eta=False, show_percentage=False)

    def on_mount(self) -> None:
        self.display = False

    def start(self, text: str, total: float | None = None, delay: float | None = None) -> None:
        delay = DELAY if delay is None else delay
        self.jobs += 1
        self.query_one("#work-label", Label).update(text)
        bar = self.query_one(ProgressBar)
        bar.update(total=total, progress=0)
        if delay <= 0:
            self.display = True
        elif self._timer is None:
            self._timer = self.set_timer(delay, self._show)

    def _show(self) -> None:
        self._timer = None
        if self.jobs:
            self.display = True

    def update(self, progress: float, text: str | None = None) -> None:
        self.query_one(ProgressBar).update(progress=progress)
        if text is not None:
            self.query_one("#work-label", Label).update(text)

    def finish(self) -> None:
        self.jobs = max(0, self.jobs - 1)
        if not self.jobs:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            self.display = False
