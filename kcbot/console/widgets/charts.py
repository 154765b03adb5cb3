"""Day charts on textual-plotext: dates on the x-axis, drawn at render time, so the ticks fit
the width the chart really has (80 or 200 columns alike)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from rich.console import RenderableType
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from kcbot.reports import TARGET

__all__ = ["KpiChart", "VolumeChart", "count_ticks", "runs", "ticks"]

Day = tuple[date, int, float | None]


def runs(days: list[Day]) -> list[list[tuple[int, float]]]:
    """Consecutive days that have a value, as (index, percent) runs: the gaps stay gaps."""
    found: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, (_, _, share) in enumerate(days):
        if share is None:
            if current:
                found.append(current)
            current = []
        else:
            current.append((index, share * 100))
    if current:
        found.append(current)
    return found


def ticks(days: list[Day], width: int) -> tuple[list[int], list[str]]:
    """Date ticks as many as fit, always ending on the last day (today, as a rule)."""
    if not days:
        return [], []
    step = max(1, len(days) // max(2, width // 8))
    last = len(days) - 1
    positions = [i for i in range(0, last, step) if last - i >= step] + [last]
    return positions, [f"{days[i][0].day}.{days[i][0].month}" for i in positions]


def _sort_ticks(plt: Plot) -> None:
    """plotext de-duplicates ticks through a set, so their order (and so which labels win a
    column) varied with Python's hash seed from run to run; put them back in order."""
    monitor = plt.monitor
    for ticks_, labels_ in (("xticks", "xlabels"), ("yticks", "ylabels")):
        all_ticks, all_labels = getattr(monitor, ticks_), getattr(monitor, labels_)
        for pos, values in enumerate(all_ticks):
            if values and all_labels[pos]:
                pairs = sorted(zip(values, all_labels[pos], strict=False))
                all_ticks[pos] = [t for t, _ in pairs]
                all_labels[pos] = [label for _, label in pairs]


class DayChart(PlotextPlot):
    def __init__(self, title: str, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.title = title
        self.days: list[Day] = []

    def show(self, days: list[Day]) -> None:
        self.days = days
        self.refresh()

    def draw(self) -> None:
        raise NotImplementedError

    def render(self) -> RenderableType:
        # A fresh figure every time: plotext keeps layout state between builds, which moved
        # tick labels by a column depending on how often the chart had been drawn.
        self._plot = Plot()
        plt = self.plt
        plt.plotsize(self.size.width, self.size.height)
        plt.title(self.title)
        self.draw()
        plt.xticks(*ticks(self.days, self.size.width))
        _sort_ticks(plt)
        return super().render()


class KpiChart(DayChart):
    """Straksafklaringsprocent per day, the 65 % target as a red line, gaps on empty days."""

    def draw(self) -> None:
        plt = self.plt
        for run in runs(self.days):
            xs, ys = [x for x, _ in run], [y for _, y in run]
            if len(run) == 1:
                plt.scatter(xs, ys, color="cyan", marker="●")
            else:
                plt.plot(xs, ys, color="cyan", marker="braille")
        plt.hline(TARGET * 100, "red")
        plt.ylim(0, 100)
        plt.xlim(-0.5, max(1, len(self.days) - 1) + 0.5)  # the end points inside the frame
        plt.yticks([0, 25, 50, 65, 75, 100], ["0 %", "25 %", "50 %", "65 %", "75 %", "100 %"])


class VolumeChart(DayChart):
    """Conversations per day, as bars, with whole numbers on the y-axis."""

    def draw(self) -> None:
        counts = [count for _, count, _ in self.days]
        self.plt.bar(list(range(len(self.days))), counts, color="blue", width=0.6)
        top = max(counts, default=0)
        values = count_ticks(top, max(2, self.size.height // 4))
        self.plt.ylim(0, max(1, values[-1]))
        self.plt.yticks(values, [f"{v:,}".replace(",", ".") for v in values])


def count_ticks(top: int, most: int) -> list[int]:
    """Whole, round tick values from 0 to at least ``top``, ``most`` steps at most (1, 2, 5,
    10, 20, 50 … apart): a count of conversations has no decimals."""
    step = next(s for s in _steps() if top <= s * most)
    last = max(step, -(-top // step) * step)
    return list(range(0, last + 1, step))


def _steps() -> Iterator[int]:
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            yield factor * magnitude
        magnitude *= 10
