"""Sager: the agents' callback queue, sorted by due time, through the ticket service that
``kcbot tickets`` uses. The list pages (200 a page), so a 10,000-ticket queue stays quick."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Label, Static

from kcbot.console.screens.base import Pane, when
from kcbot.tickets import QUEUES, STATUSES, Ticket, TicketError, TicketService

__all__ = ["Sager"]

PAGE = 200
OPEN = "åbne"  # every status but afsluttet
SLA_STYLE = {"rettidig": "green", "forfalder_i_dag": "yellow", "overskredet": "bold red"}


class Sager(Pane):
    BINDINGS = [
        Binding("k", "next_queue", "Kø", tooltip="Skift kø-filter"),
        Binding("s", "next_status", "Status", tooltip="Skift status-filter"),
        Binding("o", "toggle_overdue", "Over frist", tooltip="Kun sager over fristen"),
        Binding("t", "claim", "Tag", tooltip="Tag den valgte sag"),
        Binding("n", "note", "Notat", tooltip="Skriv et notat på sagen"),
        Binding("l", "close", "Luk", tooltip="Luk sagen med en løsning"),
        Binding("g", "reopen", "Genåbn", tooltip="Genåbn sagen"),
        Binding("right_square_bracket", "page(1)", "Næste side", show=False),
        Binding("left_square_bracket", "page(-1)", "Forrige side", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.queue: str | None = None
        self.status: str | None = OPEN  # agents start with what is still to do
        self.overdue = False
        self.first_row = 0
        self.total = 0
        self.rows: list[Ticket] = []

    def compose(self) -> ComposeResult:
        yield Label("", id="ticket-filters", classes="filters")
        with Horizontal(classes="split"):
            yield DataTable(id="tickets-table", cursor_type="row", zebra_stripes=True)
            with Vertical(id="ticket-detail"):
                yield Static(id="ticket-text")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Sag", "Frist", "SLA", "Kø", "Status", "Emne", "Borger", "Resumé")

    @property
    def tickets(self) -> TicketService:
        assert self.kc.tickets is not None, "the console opens its ticket service on mount"
        return self.kc.tickets

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Sager: tag sagen", "Tag den valgte sag", self.action_claim)
        yield SystemCommand("Sager: luk sagen", "Luk med en løsning", self.action_close)
        yield SystemCommand("Sager: notat", "Skriv et notat", self.action_note)
        yield SystemCommand("Sager: genåbn", "Genåbn den valgte sag", self.action_reopen)
        yield SystemCommand("Sager: kun over fristen", "Slå filteret til/fra",
                            self.action_toggle_overdue)

    # -- data -------------------------------------------------------------------------------

    async def refresh_data(self) -> None:
        service = self.tickets
        status = None if self.status == OPEN else self.status
        tickets = await service.list(queue=self.queue, status=status, overdue=self.overdue)
        if self.status == OPEN:
            tickets = [t for t in tickets if t.status != "afsluttet"]
        self.total = len(tickets)
        self.first_row = min(self.first_row, max(0, self.total - 1) // PAGE * PAGE)
        page = tickets[self.first_row:self.first_row + PAGE]
        now = self.kc.clock.now()
        table = self.query_one(DataTable)
        selected = self.selected_id()
        if [t.id for t in page] != [t.id for t in self.rows] or any(
            a.status != b.status or a.agent != b.agent for a, b in zip(page, self.rows,
                                                                      strict=False)):
            table.clear()
            for t in page:
                sla = t.sla(now)
                table.add_row(
                    t.id, when(t.due), Text(sla, style=SLA_STYLE[sla]),
                    t.queue, t.status, t.category, Text(t.navn or "–"),
                    Text((t.summary or "")[:60]), key=t.id,
                )
            self.rows = page
            if selected and any(t.id == selected for t in page):
                table.move_cursor(row=table.get_row_index(selected))
        last = min(self.first_row + PAGE, self.total)
        self.query_one("#ticket-filters", Label).update(
            f"Kø: {self.queue or 'alle'} (k) · status: {self.status or 'alle'} (s) · "
            f"over fristen: {'ja' if self.overdue else 'nej'} (o) · viser "
            f"{self.first_row + 1 if self.total else 0}–{last} af {self.total} ([ ])")
        await self.show_detail()

    def selected_id(self) -> str | None:
        return self.highlighted(self.query_one(DataTable))

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        await self.show_detail()

    async def show_detail(self) -> None:
        ticket_id = self.selected_id()
        detail = self.query_one("#ticket-text", Static)
        if ticket_id is None:
            detail.update("Ingen sager med dette filter.")
            return
        service, store = self.tickets, self.kc.store
        t = await service.get(ticket_id)
        text = Text()
        text.append(f"{t.id}  {t.category}  kø {t.queue}  status {t.status}\n", style="bold")
        text.append(f"frist {when(t.due)}  agent {t.agent or '–'}\n")
        text.append("borger: ")
        text.append(f"{t.navn or '–'}  CPR {t.cpr_maskeret or '–'}  tlf {t.telefon or '–'}  "
                    f"gruppe {t.borgergruppe or '–'}\n")
        text.append("resumé: ", style="bold")
        text.append(f"{t.summary}\n")  # citizen words: appended as plain text, never markup
        if t.resolution:
            text.append(f"løsning: {t.resolution}\n")
        if t.conversation_id:
            text.append("\nsamtale\n", style="bold")
            for turn in await store.turns(t.conversation_id):
                who = "borger" if turn.speaker == "user" else "kcbot"
                text.append(f"{turn.time[11:16]} {who}: ", style="dim")
                text.append(turn.text + "\n")
        text.append("\nhistorik\n", style="bold")
        for h in await service.history(t.id):
            text.append(f"{when(str(h['time']))} {h['agent'] or '-'} {h['action']} "
                        f"{h['detail'] or ''}\n")
        detail.update(text)

    # -- filters ----------------------------------------------------------------------------

    def _refilter(self) -> None:
        self.first_row = 0
        self.run_worker(self.refresh_data(), exclusive=True, group="sager")

    def action_next_queue(self) -> None:
        options = [None, *QUEUES]
        self.queue = options[(options.index(self.queue) + 1) % len(options)]
        self._refilter()

    def action_next_status(self) -> None:
        options = [OPEN, None, *STATUSES]
        self.status = options[(options.index(self.status) + 1) % len(options)]
        self._refilter()

    def action_toggle_overdue(self) -> None:
        self.overdue = not self.overdue
        self._refilter()

    def action_page(self, step: int) -> None:
        self.first_row = max(0, min(self.first_row + step * PAGE, max(0, self.total - 1)))
        self.run_worker(self.refresh_data(), exclusive=True, group="sager")

    # -- the agents' operations -------------------------------------------------------------

    @work(exclusive=True, group="sag-handling")
    async def action_claim(self) -> None:
        await self._change("claim")

    @work(exclusive=True, group="sag-handling")
    async def action_note(self) -> None:
        await self._change("note")

    @work(exclusive=True, group="sag-handling")
    async def action_close(self) -> None:
        await self._change("close")

    @work(exclusive=True, group="sag-handling")
    async def action_reopen(self) -> None:
        await self._change("reopen")

    async def _change(self, operation: str) -> None:
        ticket_id = self.selected_id()
        if ticket_id is None:
            self.notify("Vælg en sag først.", severity="warning")
            return
        agent = await self.kc.initials()
        if not agent:
            self.notify("Uden initialer kan sagen ikke ændres.", severity="warning")
            return
        service = self.tickets
        try:
            if operation == "claim":
                ticket = await service.claim(ticket_id, agent)
            elif operation == "reopen":
                ticket = await service.reopen(ticket_id, agent)
            else:
                question = "Notat:" if operation == "note" else "Hvad blev der gjort?"
                text = await self.kc.ask(question)
                if not text:
                    return
                ticket = await (service.note(ticket_id, agent, text) if operation == "note"
                                else service.close(ticket_id, agent, text))
        except TicketError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"{ticket.id}: {ticket.status}, {ticket.agent}")
        await self.refresh_data()
