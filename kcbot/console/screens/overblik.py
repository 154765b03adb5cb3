"""Overblik: the supervisor's dashboard.

Periods fit how the figures are read: today, this week, this month, the last 7 or 30 days,
the previous week or month. The charts are textual-plotext plots with dates on the x-axis and
the 65 % target as a line; a day without conversations is a gap, not 0 %. The ticket cards
open the tickets behind their number in Sager. Cards wrap to the width (an ``ItemGrid``), and
the tab scrolls, so 80×24 loses nothing."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, ItemGrid, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static

from kcbot.console.screens.base import Pane
from kcbot.console.screens.sager import Filters
from kcbot.console.widgets.charts import KpiChart, VolumeChart
from kcbot.errors import KcbotError
from kcbot.labels import label
from kcbot.report_formats import collect, write
from kcbot.reports import (
    BASELINE_2014,
    PERIOD_LABELS,
    TARGET,
    figures,
    num,
    open_tickets,
    pct,
    period_bounds,
    rule_text,
    trend,
)

__all__ = ["PERIODS", "Card", "Overblik", "dashboard_period"]

PERIODS = (("day", "i dag"), ("week", "denne uge"), ("month", "denne måned"),
           ("last7", "sidste 7 dage"), ("last30", "sidste 30 dage"),
           ("prev_week", "forrige uge"), ("prev_month", "forrige måned"))
# The cards that count tickets, and the list each opens in Sager.
CARD_FILTERS = {
    "aabne": Filters(),
    "i_dag": Filters(due_today=True),
    "overskredet": Filters(overdue=True),
    "ikke_sendt": Filters(category="udsendelse_fejlet"),
}


def dashboard_period(key: str, today: date) -> tuple[date, date]:
    """[first, last] local dates of a dashboard period ending no later than it must."""
    if key in ("day", "week", "month"):
        return period_bounds(key, today)
    if key == "last7":
        return today - timedelta(days=6), today
    if key == "last30":
        return today - timedelta(days=29), today
    if key == "prev_week":
        return period_bounds("week", today - timedelta(days=7))
    if key == "prev_month":
        return period_bounds("month", today.replace(day=1) - timedelta(days=1))
    raise ValueError(f"ukendt periode {key!r}")


class Card(Static, can_focus=True):
    """One figure: a label, the value, and a line of context. A card with a list behind it
    opens that list on Enter or a click."""

    BINDINGS = [Binding("enter", "open", "Åbn listen", show=False)]

    class Opened(Message):
        def __init__(self, card: Card) -> None:
            super().__init__()
            self.card = card

    def show(self, label: str, value: str, note: str = "", state: str | None = None) -> None:
        text = Text()
        text.append(label + "\n", style="dim")
        mark = {"good": "✓ ", "bad": "✗ "}.get(state or "", "")
        text.append(mark + value + "\n", style="bold")
        text.append(note, style="dim")
        self.update(text)
        self.set_class(state == "good", "good")
        self.set_class(state == "bad", "bad")

    def action_open(self) -> None:
        self.post_message(self.Opened(self))

    def on_click(self) -> None:
        self.post_message(self.Opened(self))


class Overblik(Pane, can_focus=True):
    BINDINGS = [
        Binding("p", "next_period", "Periode", tooltip="Skift periode"),
        Binding("P", "previous_period", "Forrige periode", show=False),
        Binding("r", "report('week')", "Ugerapport", tooltip="Skriv ugens rapport til en fil"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.period = 0
        self.shown: dict[str, str] = {}  # what each card shows: tests read it
        self.days: list[tuple[date, int, float | None]] = []  # what the charts show
        self.demo = False  # simulated conversations in the period

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="overblik-scroll"):
            with Horizontal(id="overblik-top"):
                yield Label("", id="period-label", classes="chart-label")
                yield Label("demodata", id="demo-badge")
                yield Label("", id="updated", classes="chart-label")
            with ItemGrid(id="figures", min_column_width=25):
                for name in ("kpi", "afbrudt", "samtaler", "rettidig", "aabne", "i_dag",
                             "overskredet", "fallback", "ikke_sendt"):
                    yield Card(id=f"card-{name}", classes="card")
            with Horizontal(id="charts"):
                yield KpiChart("Straksafklaringsprocent pr. dag (rød linje: mål 65 %)",
                               id="trend-kpi")
                yield VolumeChart("Samtaler pr. dag", id="trend-volume")
            with Horizontal(id="bottom"):
                yield Static(id="hours")
                yield Static(id="intents")
            yield Static(id="rules")

    def action_next_period(self) -> None:
        self._set_period((self.period + 1) % len(PERIODS))

    def action_previous_period(self) -> None:
        self._set_period((self.period - 1) % len(PERIODS))

    def on_card_opened(self, event: Card.Opened) -> None:
        name = (event.card.id or "").removeprefix("card-")
        filters = CARD_FILTERS.get(name)
        if filters is None:
            self.notify("Tallet har ingen liste bag sig; se ? for hvordan det regnes.")
            return
        self.kc.open_tickets(filters)

    @work(exclusive=True, group="rapport")
    async def action_report(self, period: str, fmt: str = "md") -> None:
        """The same report as ``kcbot report``, written to the reports folder (never over an
        earlier file); a worker, so the console stays responsive meanwhile."""
        import asyncio

        from kcbot.console.widgets import WorkBar

        now = self.kc.clock.now()
        bar = self.kc.query_one(WorkBar)
        bar.start(f"Rapporten for {PERIOD_LABELS[period]} ({fmt}) laves …")
        try:
            data = await collect(self.kc.store, period, now.date(), now)
            # drawing the charts and the workbook is CPU work: off the event loop
            path = await asyncio.to_thread(write, data, fmt)
        except KcbotError as exc:
            self.notify(str(exc), severity="error")
            return
        finally:
            bar.finish()
        self.notify(f"Rapporten er gemt i {path}")

    def commands(self) -> Iterable[SystemCommand]:
        for period in ("week", "month", "quarter"):
            for fmt, what in (("md", "Markdown"), ("html", "HTML med grafer"),
                              ("xlsx", "Excel")):
                yield SystemCommand(f"Rapport: {PERIOD_LABELS[period]} ({what})",
                                    "Gem rapporten i mappen kcbot-rapporter",
                                    lambda p=period, f=fmt: self.action_report(p, f))
        for index, (_, name) in enumerate(PERIODS):
            yield SystemCommand(f"Overblik: {name}", "Skift periode på overblikket",
                                lambda i=index: self._set_period(i))

    def _set_period(self, index: int) -> None:
        self.period = index
        self.run_worker(self.refresh_data(), exclusive=True)

    async def refresh_data(self) -> None:
        store, now = self.kc.store, self.kc.clock.now()
        key, name = PERIODS[self.period]
        first, last = dashboard_period(key, now.date())
        fig = await figures(store, first, last, now)
        tickets = await open_tickets(store, now)
        # the charts: the period's days up to today, at least the last 30 days
        chart_last = min(last, now.date())
        span = max(30, (chart_last - first).days + 1)
        self.days = await trend(store, chart_last, span)
        undelivered = await store.undelivered()
        failed = sum(row["status"] == "fejlet" for row in undelivered)
        incomplete = " · perioden er ikke slut" if last > now.date() else ""
        self.query_one("#period-label", Label).update(
            f"Periode: {name} ({first:%d.%m.%Y}–{last:%d.%m.%Y}){incomplete} · p skifter")
        self.query_one("#updated", Label).update(f"opdateret kl. {now:%H.%M}")
        # simulated conversations (kcbot simulate) carry the channel 'demo'
        demo = await store.fetchone(
            "SELECT 1 FROM conversations WHERE channel = 'demo' AND started >= ? AND "
            "started < ? LIMIT 1", (first.isoformat(), (last + timedelta(days=1)).isoformat()))
        self.demo = demo is not None
        self.query_one("#demo-badge", Label).display = self.demo
        kpi = fig.straksafklaringsprocent
        kpi_state = None if kpi is None else ("good" if kpi >= TARGET else "bad")
        cards = {
            "kpi": ("Straksafklaringsprocent", pct(kpi),
                    f"mål {pct(TARGET)}" + ({"good": " · nået", "bad": " · under mål"}
                                            .get(kpi_state or "", "")) +
                    f"\n2014: {pct(BASELINE_2014)}", kpi_state),
            "afbrudt": ("Afbrudt", pct(fig.afbrudt_share),
                        f"{num(fig.afbrudt)} {'samtale' if fig.afbrudt == 1 else 'samtaler'}\n"
                        "af de afsluttede", None),
            "samtaler": ("Samtaler", num(fig.conversations),
                         f"{num(fig.straksafklaret)} afklaret\n"
                         f"{num(fig.overdraget)} overdraget", None),
            "rettidig": ("Tilbagemelding rettidig", pct(fig.rettidig),
                         f"{num(fig.tickets_on_time)} af {num(fig.tickets_fell_due)} sager\n"
                         "lukket inden fristen", None),
            "aabne": ("Åbne sager", num(tickets["open"]), "alle køer\nEnter: vis sagerne", None),
            "i_dag": ("Frist i dag", num(tickets["due_today"]),
                      "ring op i dag\nEnter: vis sagerne", None),
            "overskredet": ("Over fristen", num(tickets["overdue"]),
                            "ring først til dem\nEnter: vis sagerne",
                            "bad" if tickets["overdue"] else "good"),
            "fallback": ("Forstod ikke", pct(fig.fallback_rate),
                         f"{num(fig.turns_to_settle, 1)} beskeder\npr. afklaring", None),
            # registrations the jobcentres have not received: failed ones are tickets in Sager
            "ikke_sendt": ("Ikke sendt til modtager", num(len(undelivered)),
                           f"{num(failed)} fejlet\n{num(len(undelivered) - failed)} prøves igen",
                           "bad" if undelivered else "good"),
        }
        for card, (title, value, note, state) in cards.items():
            self.query_one(f"#card-{card}", Card).show(title, value, note, state)
            self.shown[card] = value
        self._draw_charts()
        hours = Text("Samtaler pr. time\n", style="bold")
        peak = max(fig.per_hour) or 1
        for hour in range(7, 17):
            count = fig.per_hour[hour]
            hours.append(f"{hour:02d} {'█' * round(20 * count / peak):<20} {num(count)}\n")
        self.query_one("#hours", Static).update(hours)
        intents = Text("Hyppigste emner\n", style="bold")
        for intent, count in fig.intents.most_common(8):
            intents.append(f"{label('topic', intent)[:26]:<27} {num(count)}\n")
        self.query_one("#intents", Static).update(intents)
        # the settled cases per rule, in the rule table's own words (as in the report)
        rules = Text("Afgørelser pr. regel\n", style="bold", no_wrap=True, overflow="ellipsis")
        for rule in fig.ranked_rules()[:8]:
            rules.append(f"{num(fig.rules[rule]):>6}  {rule_text(rule, last)}\n")
        if not fig.rules:
            rules.append("Ingen afgørelser i perioden.\n", style="italic")
        self.query_one("#rules", Static).update(rules)

    def _draw_charts(self) -> None:
        self.query_one("#trend-kpi", KpiChart).show(self.days)
        self.query_one("#trend-volume", VolumeChart).show(self.days)
