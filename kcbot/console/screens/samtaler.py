"""Samtaler: the conversations, newest first, with the transcript and the intent and confidence
of every citizen message. Filters: outcome (u) and topic (e)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Label, Static

from kcbot.console.screens.base import Pane, when
from kcbot.console.widgets import MeasuredTable
from kcbot.labels import clock_time, label
from kcbot.nlu.data import INTENTS
from kcbot.reports import SMALL_TALK, TOPIC_SQL

__all__ = ["Samtaler"]

PAGE = 200
OUTCOMES = (None, "straksafklaret", "overdraget", "afbrudt", "i_gang")
OUTCOME_STYLE = {"straksafklaret": "green", "overdraget": "yellow", "afbrudt": "red"}


class Samtaler(Pane):
    BINDINGS = [
        Binding("u", "next_outcome", "Udfald", tooltip="Skift filter på udfald"),
        Binding("e", "next_intent", "Emne", tooltip="Skift filter på emne"),
        Binding("t", "open_ticket", "Sag", tooltip="Åbn samtalens sag i Sager"),
        Binding("escape", "show_all", "Alle", show=False, tooltip="Vis alle samtaler igen"),
        Binding("right_square_bracket", "page(1)", "Næste side", show=False),
        Binding("left_square_bracket", "page(-1)", "Forrige side", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.outcome_index = 0
        self.intent: str | None = None
        self.only: str | None = None  # one conversation, opened from its ticket
        self.first_row = 0
        self.ids: list[str] = []

    def compose(self) -> ComposeResult:
        yield Label("", id="conversation-filters", classes="filters")
        with Horizontal(classes="split"):
            yield MeasuredTable(id="conversations-table", cursor_type="row", zebra_stripes=True)
            with VerticalScroll(id="conversation-detail"):
                yield Static(id="conversation-text")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("Start", "Kanal", "Udfald", "Emne", "Beskeder")

    def commands(self) -> Iterable[SystemCommand]:
        for outcome in OUTCOMES[1:]:
            yield SystemCommand(f"Samtaler: kun {label('outcome', outcome).lower()}",
                                "Filtrér samtalerne på udfald",
                                lambda o=outcome: self._set_outcome(o))
        yield SystemCommand("Samtaler: alle", "Fjern filtrene", self._clear)

    def _set_outcome(self, outcome: str | None) -> None:
        self.outcome_index = OUTCOMES.index(outcome)
        self._refilter()

    def _clear(self) -> None:
        self.outcome_index, self.intent, self.only = 0, None, None
        self._refilter()

    def show_conversation(self, conversation_id: str) -> None:
        """Show just this conversation (a ticket opens its conversation); Escape shows all."""
        self.outcome_index, self.intent, self.only = 0, None, conversation_id
        self._refilter()

    def action_show_all(self) -> None:
        if self.only:
            self._clear()

    async def action_open_ticket(self) -> None:
        conversation_id = self.highlighted(self.query_one(DataTable))
        if conversation_id is None:
            return
        row = await self.kc.store.fetchone(
            "SELECT id FROM tickets WHERE conversation_id = ? ORDER BY created DESC LIMIT 1",
            (conversation_id,))
        if row is None:
            self.notify("Samtalen har ingen sag.", severity="warning")
            return
        from kcbot.console.screens.sager import Filters

        self.kc.open_tickets(Filters(status=None, search=row["id"]))

    def _refilter(self) -> None:
        self.first_row = 0
        self.run_worker(self.refresh_data(), exclusive=True, group="samtaler")

    def action_next_outcome(self) -> None:
        self.outcome_index = (self.outcome_index + 1) % len(OUTCOMES)
        self._refilter()

    def action_next_intent(self) -> None:
        options = [None, *INTENTS]
        self.intent = options[(options.index(self.intent) + 1) % len(options)]
        self._refilter()

    def action_page(self, step: int) -> None:
        self.first_row = max(0, self.first_row + step * PAGE)
        self.run_worker(self.refresh_data(), exclusive=True, group="samtaler")

    async def refresh_data(self) -> None:
        outcome = OUTCOMES[self.outcome_index]
        where, params = [], []
        if self.only:
            where.append("c.id = ?")
            params.append(self.only)
        if outcome == "i_gang":
            where.append("c.ended IS NULL")
        elif outcome:
            where.append("c.outcome = ?")
            params.append(outcome)
        if self.intent:
            where.append("EXISTS (SELECT 1 FROM turns t WHERE t.conversation_id = c.id AND "
                         "t.speaker = 'user' AND t.intent = ?)")
            params.append(self.intent)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        rows = await self.kc.store.fetchall(
            f"SELECT c.id, c.started, c.channel, c.outcome, {TOPIC_SQL} AS intent, "
            "(SELECT count(*) FROM turns t WHERE t.conversation_id = c.id AND "
            "t.speaker = 'user') AS users "
            f"FROM conversations c {clause} ORDER BY c.started DESC LIMIT ? OFFSET ?",
            (*SMALL_TALK, *params, PAGE, self.first_row),
        )
        ids = [row["id"] for row in rows]
        if ids != self.ids:
            table = self.query_one(DataTable)
            table.clear()
            for row in rows:
                shown = row["outcome"] or "i_gang"
                table.add_row(when(row["started"]), row["channel"],
                              Text(label("outcome", shown), style=OUTCOME_STYLE.get(shown, "")),
                              label("topic", row["intent"]), str(row["users"]), key=row["id"])
            self.ids = ids
        self.query_one("#conversation-filters", Label).update(
            ("Samtale fra en sag (Escape viser alle) · " if self.only else "") +
            f"Udfald: {label('outcome', outcome) if outcome else 'alle'} (u) · "
            f"emne: {label('topic', self.intent) if self.intent else 'alle'} (e) · "
            f"viser {self.first_row + 1 if ids else 0}–{self.first_row + len(ids)} ([ ])")
        if ids:
            await self.show_transcript()

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        await self.show_transcript()

    async def show_transcript(self) -> None:
        conversation_id = self.highlighted(self.query_one(DataTable))
        if conversation_id is None:
            return
        text = Text()
        for turn in await self.kc.store.turns(conversation_id):
            if turn.speaker == "user":
                text.append(f"{clock_time(turn.time)} borger ", style="bold")
                text.append(f"[{label('topic', turn.intent or 'ukendt')} "
                            f"{turn.confidence or 0:.2f}]\n".replace(".", ","), style="dim")
            else:
                text.append(f"{clock_time(turn.time)} kcbot\n", style="bold cyan")
            text.append(turn.text + "\n\n")  # plain text: citizen words are never markup
        self.query_one("#conversation-text", Static).update(text)
