"""Overblik: the supervisor's dashboard, for today, this week or this month."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline, Static

from kcbot.console.screens.base import Pane
from kcbot.reports import (
    BASELINE_2014,
    PERIOD_LABELS,
    TARGET,
    figures,
    num,
    open_tickets,
    pct,
    period_bounds,
    render,
    report,
    trend,
)

__all__ = ["Overblik"]

PERIODS = (("day", "i dag"), ("week", "denne uge"), ("month", "denne måned"))


class Card(Static):
    """One figure: a label, the value, and a line of context."""

    def show(self, label: str, value: str, note: str = "", state: str | None = None) -> None:
        text = Text()
        text.append(label + "\n", style="dim")
        text.append(value + "\n", style="bold")
        text.append(note, style="dim")
        self.update(text)
        self.set_class(state == "good", "good")
        self.set_class(state == "bad", "bad")


class Overblik(Pane, can_focus=True):
    BINDINGS = [
        Binding("p", "next_period", "Periode", tooltip="I dag, uge eller måned"),
        Binding("r", "report('week')", "Ugerapport", tooltip="Skriv ugens rapport til en fil"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.period = 0
        self.shown: dict[str, str] = {}  # what each card shows: tests read it

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("", id="period-label", classes="chart-label")
            with Horizontal(id="figures"):
                for name in ("kpi", "afbrudt", "samtaler", "rettidig", "aabne", "i_dag",
                             "overskredet", "fallback", "ikke_sendt"):
                    yield Card(id=f"card-{name}", classes="card")
            yield Label("Straksafklaringsprocent de sidste 30 dage", classes="chart-label")
            yield Sparkline([], id="trend-kpi")
            yield Label("Samtaler pr. dag de sidste 30 dage", classes="chart-label")
            yield Sparkline([], id="trend-volume")
            with Horizontal(id="bottom"):
                yield Static(id="hours")
                yield Static(id="intents")

    def action_next_period(self) -> None:
        self.period = (self.period + 1) % len(PERIODS)
        self.run_worker(self.refresh_data(), exclusive=True)

    async def action_report(self, period: str) -> None:
        """The same report as ``kcbot report``, written to a Markdown file in the folder the
        console was started from."""
        now = self.kc.clock.now()
        text = render(await report(self.kc.store, period, now.date(), now), "md")
        path = Path.cwd() / f"kcbot-rapport-{PERIOD_LABELS[period]}-{now:%Y-%m-%d}.md"
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            self.notify(f"Rapporten kunne ikke gemmes: {exc}", severity="error")
            return
        self.notify(f"Rapporten er gemt i {path}")

    def commands(self) -> Iterable[SystemCommand]:
        for period in ("week", "month", "quarter"):
            yield SystemCommand(f"Rapport: {PERIOD_LABELS[period]}",
                                "Skriv rapporten for perioden til en Markdown-fil",
                                lambda p=period: self.run_worker(self.action_report(p)))
        for index, (_, label) in enumerate(PERIODS):
            yield SystemCommand(f"Overblik: {label}", "Skift periode på overblikket",
                                lambda i=index: self._set_period(i))

    def _set_period(self, index: int) -> None:
        self.period = index
        self.run_worker(self.refresh_data(), exclusive=True)

    async def refresh_data(self) -> None:
        store, now = self.kc.store, self.kc.clock.now()
        key, label = PERIODS[self.period]
        first, last = period_bounds(key, now.date())
        fig = await figures(store, first, last, now)
        tickets = await open_tickets(store, now)
        days = await trend(store, now.date())
        undelivered = await store.undelivered()
        failed = sum(row["status"] == "fejlet" for row in undelivered)
        self.query_one("#period-label", Label).update(
            f"Periode: {label} ({first:%d.%m.%Y}–{last:%d.%m.%Y})  ·  tryk p for at skifte")
        kpi = fig.straksafklaringsprocent
        cards = {
            "kpi": ("Straksafklaringsprocent", pct(kpi),
                    f"mål {pct(TARGET)} · 2014: {pct(BASELINE_2014)}",
                    None if kpi is None else ("good" if kpi >= TARGET else "bad")),
            "afbrudt": ("Afbrudt", pct(fig.afbrudt_share), f"{num(fig.afbrudt)} samtaler", None),
            "samtaler": ("Samtaler", num(fig.conversations),
                         f"{num(fig.straksafklaret)} afklaret · "
                         f"{num(fig.overdraget)} overdraget", None),
            "rettidig": ("Tilbagemelding rettidig", pct(fig.rettidig),
                         f"{num(fig.tickets_on_time)} af {num(fig.tickets_fell_due)} sager", None),
            "aabne": ("Åbne sager", num(tickets["open"]), "alle køer", None),
            "i_dag": ("Frist i dag", num(tickets["due_today"]), "skal ringes op i dag", None),
            "overskredet": ("Over fristen", num(tickets["overdue"]), "ring først til dem",
                            "bad" if tickets["overdue"] else "good"),
            "fallback": ("Forstod ikke", pct(fig.fallback_rate),
                         f"{num(fig.turns_to_settle, 1)} beskeder pr. straksafklaring", None),
            # registrations the jobcentre has not received: failed ones are tickets in Sager
            "ikke_sendt": ("Ikke sendt til modtager", num(len(undelivered)),
                           f"{num(failed)} fejlet (sag i Sager) · "
                           f"{num(len(undelivered) - failed)} prøves igen",
                           "bad" if undelivered else "good"),
        }
        for name, (title, value, note, state) in cards.items():
            self.query_one(f"#card-{name}", Card).show(title, value, note, state)
            self.shown[name] = value
        self.query_one("#trend-kpi", Sparkline).data = [
            (share or 0.0) * 100 for _, _, share in days]
        self.query_one("#trend-volume", Sparkline).data = [count for _, count, _ in days]
        hours = Text("Samtaler pr. time\n", style="bold")
        peak = max(fig.per_hour) or 1
        for hour in range(7, 17):
            count = fig.per_hour[hour]
            hours.append(f"{hour:02d} {'█' * round(20 * count / peak):<20} {num(count)}\n")
        self.query_one("#hours", Static).update(hours)
        intents = Text("Hyppigste emner\n", style="bold")
        for intent, count in fig.intents.most_common(8):
            intents.append(f"{intent:<24} {num(count)}\n")
        self.query_one("#intents", Static).update(intents)
