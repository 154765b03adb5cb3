"""Sager: the agents' callback queue, through the ticket service that ``kcbot tickets`` uses.

Filters, search, sorting and paging are all one SQL query per page
(:meth:`TicketService.page`), so the queue stays instant at 100,000 tickets. Every change is
confirmed in a prompt that names the ticket, and the cursor stays on the ticket afterwards.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Label, Static

from kcbot.console.screens.base import Pane, when
from kcbot.console.widgets import MeasuredTable
from kcbot.labels import clock_time, label, short_when
from kcbot.tickets import QUEUES, STATUSES, Ticket, TicketError, TicketService

__all__ = ["COLUMNS", "Filters", "Sager"]

PAGE = 200
UNDO_SECONDS = 60  # how long the last change can be undone with `u`
OPEN = "aabne"  # every status but afsluttet
SLA_STYLE = {"rettidig": "green", "forfalder_i_dag": "yellow", "overskredet": "bold red"}
# (column key = sort key, header). What a call needs comes first, so the topic is whole in the
# 78 columns a list gets at 80×24 and at 120×40 beside the detail pane: case, deadline (its
# SLA state as colour and words, no column of its own), topic, citizen, then the rest.
COLUMNS = (("id", "Sag"), ("due", "Frist"), ("category", "Emne"), ("navn", "Borger"),
           ("status", "Status"), ("queue", "Kø"), ("agent", "Medarb."), ("summary", "Resumé"))


def deadline_cell(due: str, sla: str) -> Text:
    """The deadline as the list shows it, in its SLA state's colour: '26. nov. 16.00' on
    time, 'i dag 16.00' due today, '! 24. nov. 10.00' over the deadline."""
    if sla == "forfalder_i_dag":
        return Text(f"i dag {clock_time(due)}", style=SLA_STYLE[sla])
    prefix = "! " if sla == "overskredet" else ""
    return Text(prefix + short_when(due), style=SLA_STYLE[sla])


@dataclass(frozen=True)
class Filters:
    """What the queue shows; the Overblik cards open the list with one of these."""

    queue: str | None = None
    status: str | None = OPEN  # agents start with what is still to do
    overdue: bool = False
    due_today: bool = False
    mine: bool = False
    search: str = ""
    category: str | None = None


class TicketTable(MeasuredTable):
    """The queue: Home/End go to the first and last ticket of the whole list, not the page."""

    # Textual's own table keys, described in Danish for the keys panel.
    BINDINGS = [
        Binding("enter", "select_cursor", "Vis detaljer", show=False),
        Binding("up", "cursor_up", "Op", show=False),
        Binding("down", "cursor_down", "Ned", show=False),
        Binding("right", "cursor_right", "Højre", show=False),
        Binding("left", "cursor_left", "Venstre", show=False),
        Binding("pageup", "page_up", "Side op", show=False),
        Binding("pagedown", "page_down", "Side ned", show=False),
        Binding("ctrl+home", "scroll_top", "Øverst", show=False),
        Binding("ctrl+end", "scroll_bottom", "Nederst", show=False),
        Binding("ctrl+pageup", "page_left", "Side til venstre", show=False),
        Binding("ctrl+pagedown", "page_right", "Side til højre", show=False),
        Binding("home", "first", "Første sag", show=False),
        Binding("end", "last", "Sidste sag", show=False),
    ]

    def action_first(self) -> None:
        self.parent_pane().go_to_end(last=False)

    def action_last(self) -> None:
        self.parent_pane().go_to_end(last=True)

    def parent_pane(self) -> Sager:
        return self.query_ancestor(Sager)


class Detail(VerticalScroll, can_focus=True):
    """The ticket, its conversation and history; Tab reaches it, arrows scroll it."""

    BINDINGS = [Binding("escape", "back", "Til listen")]

    def action_back(self) -> None:
        self.screen.query_one("#tickets-table").focus()


class Sager(Pane):
    BINDINGS = [
        Binding("slash", "search", "Søg", tooltip="Søg på sagsnummer, navn, telefon, resumé"),
        Binding("k", "next_queue", "Kø", tooltip="Skift kø-filter"),
        Binding("s", "next_status", "Status", tooltip="Skift status-filter"),
        Binding("o", "toggle_overdue", "Over frist", show=False, tooltip="Kun sager over fristen"),
        Binding("m", "toggle_mine", "Mine", tooltip="Kun mine sager"),
        Binding("x", "next_sort", "Sortér", show=False, tooltip="Sortér efter næste kolonne"),
        Binding("X", "reverse_sort", "Vend", show=False, tooltip="Vend sorteringen"),
        Binding("t", "claim", "Tag", tooltip="Tag den valgte sag (eller overtag den)"),
        Binding("n", "note", "Notat", tooltip="Skriv et notat på sagen"),
        Binding("l", "close", "Luk", tooltip="Luk sagen med en løsning"),
        Binding("g", "reopen", "Genåbn", tooltip="Genåbn sagen med en begrundelse"),
        Binding("u", "undo", "Fortryd", show=False,
                tooltip=f"Fortryd din seneste ændring (inden for {UNDO_SECONDS} sekunder)"),
        Binding("d", "detail", "Detaljer", show=False, tooltip="Gå til sagens detaljer"),
        Binding("c", "open_conversation", "Samtale", show=False,
                tooltip="Åbn sagens samtale i Samtaler"),
        Binding("right_square_bracket", "page(1)", "Næste side", show=False),
        Binding("left_square_bracket", "page(-1)", "Forrige side", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filters = Filters()
        self.sort = "due"
        self.descending = False
        self.first_row = 0
        self.total = 0
        self.rows: list[Ticket] = []
        self.slas: list[str] = []
        self.shown_detail: Ticket | None = None  # what the detail pane shows: tests read it
        # the ticket as it was before this agent's last change, and when (monotonic seconds)
        self.undoable: tuple[Ticket, float] | None = None

    def compose(self) -> ComposeResult:
        yield Label("", id="ticket-filters", classes="filters")
        yield Input(placeholder="Søg: sagsnummer, navn, telefon eller ord i resuméet "
                                "(Enter søger, Escape rydder)", id="ticket-search")
        with Horizontal(classes="split"):
            yield TicketTable(id="tickets-table", cursor_type="row", zebra_stripes=True)
            with Detail(id="ticket-detail"):
                yield Static(id="ticket-text")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, header in COLUMNS:
            table.add_column(header, key=key)
        self.query_one("#ticket-search", Input).display = False

    @property
    def tickets(self) -> TicketService:
        assert self.kc.tickets is not None, "the console opens its ticket service on mount"
        return self.kc.tickets

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Sager: søg", "Søg på sagsnummer, navn, telefon eller resumé",
                            self.action_search)
        yield SystemCommand("Sager: tag sagen", "Tag den valgte sag", self.action_claim)
        yield SystemCommand("Sager: luk sagen", "Luk med en løsning", self.action_close)
        yield SystemCommand("Sager: notat", "Skriv et notat", self.action_note)
        yield SystemCommand("Sager: genåbn", "Genåbn den valgte sag", self.action_reopen)
        yield SystemCommand("Sager: mine sager", "Slå filteret til/fra", self.action_toggle_mine)
        yield SystemCommand("Sager: kun over fristen", "Slå filteret til/fra",
                            self.action_toggle_overdue)

    # -- data -------------------------------------------------------------------------------

    async def refresh_data(self) -> None:
        f = self.filters
        page, total = await self.tickets.page(
            queue=f.queue, status=None if f.status == OPEN else f.status,
            open_only=f.status == OPEN, overdue=f.overdue, due_today=f.due_today,
            agent=self.kc.agent if f.mine else None, search=f.search, category=f.category,
            sort=self.sort,
            descending=self.descending, offset=self.first_row, limit=PAGE)
        if not page and total and self.first_row:  # the page emptied under us
            self.first_row = max(0, total - 1) // PAGE * PAGE
            await self.refresh_data()
            return
        self.total = total
        now = self.kc.clock.now()
        table = self.query_one(DataTable)
        selected = self.selected_id()
        slas = [t.sla(now) for t in page]
        # a ticket's SLA moves with the clock (due today → overdue) though its row did not
        if page != self.rows or slas != self.slas:
            self.slas = slas
            table.clear()
            for t in page:
                table.add_row(
                    t.id, deadline_cell(t.due, t.sla(now)), label("topic", t.category),
                    Text(t.navn or "–"), label("status", t.status), label("queue", t.queue),
                    t.agent or "–", Text((t.summary or "")[:60]), key=t.id,
                )
            self.rows = page
            if selected and any(t.id == selected for t in page):
                table.move_cursor(row=table.get_row_index(selected))
        self._update_filter_line()
        await self.show_detail()

    def _update_filter_line(self) -> None:
        f = self.filters
        last = min(self.first_row + PAGE, self.total)
        header = dict(COLUMNS)[self.sort].lower()
        parts = [
            f"Kø: {label('queue', f.queue) if f.queue else 'alle'} (k)",
            f"status: {label('status', f.status) if f.status else 'alle'} (s)",
            f"over fristen: {'ja' if f.overdue else 'nej'} (o)",
            f"mine: {'ja' if f.mine else 'nej'} (m)",
        ]
        if f.due_today:
            parts.append("frist i dag")
        if f.category:
            parts.append(f"emne: {label('topic', f.category)}")
        if f.search:
            parts.append(f"søgning: »{f.search}« (/)")
        parts.append(f"sorteret: {header} {'↓' if self.descending else '↑'} (x)")
        parts.append(f"viser {self.first_row + 1 if self.total else 0}–{last} af "
                     f"{self.total}")
        self.query_one("#ticket-filters", Label).update(Text(" · ".join(parts)))

    def selected_id(self) -> str | None:
        return self.highlighted(self.query_one(DataTable))

    async def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        await self.show_detail()

    async def show_detail(self) -> None:
        ticket_id = self.selected_id()
        detail = self.query_one("#ticket-text", Static)
        if ticket_id is None:
            self.shown_detail = None
            detail.update("Ingen sager med dette filter.")
            return
        service, store = self.tickets, self.kc.store
        t = await service.get(ticket_id)
        self.shown_detail = t
        text = Text()
        text.append(f"{t.id}  {label('topic', t.category)}\n", style="bold")
        text.append(f"kø {label('queue', t.queue)} · status {label('status', t.status)} · "
                    f"{label('sla', t.sla(self.kc.clock.now()))}\n")
        text.append(f"frist {when(t.due)} · medarbejder {t.agent or '–'}\n")
        text.append("borger: ")
        text.append(f"{t.navn or '–'}  CPR {t.cpr_maskeret or '–'}  tlf {t.telefon or '–'}  "
                    f"gruppe {label('borgergruppe', t.borgergruppe)}\n")
        text.append("resumé: ", style="bold")
        text.append(f"{t.summary}\n")  # citizen words: appended as plain text, never markup
        if t.resolution:
            text.append(f"løsning: {t.resolution}\n")
        if t.conversation_id:
            text.append("\nsamtale\n", style="bold")
            for turn in await store.turns(t.conversation_id):
                who = "borger" if turn.speaker == "user" else "kcbot"
                text.append(f"{clock_time(turn.time)} {who}: ", style="dim")
                text.append(turn.text + "\n")
        text.append("\nhistorik\n", style="bold")
        for h in await service.history(t.id):
            text.append(f"{when(str(h['time']))} {h['agent'] or '-'} "
                        f"{label('action', str(h['action']))} ")
            text.append(f"{h['detail'] or ''}\n")
        detail.update(text)

    # -- filters, search, sorting -----------------------------------------------------------

    def apply(self, filters: Filters) -> None:
        """Show the queue with ``filters`` from the first row (the Overblik cards use this)."""
        self.filters = filters
        search = self.query_one("#ticket-search", Input)
        search.value = filters.search
        search.display = bool(filters.search)
        self._refilter()

    def _refilter(self) -> None:
        self.first_row = 0
        self.run_worker(self.refresh_data(), exclusive=True, group="sager")

    def action_next_queue(self) -> None:
        options = [None, *QUEUES]
        queue = options[(options.index(self.filters.queue) + 1) % len(options)]
        self.apply(replace(self.filters, queue=queue))

    def action_next_status(self) -> None:
        options = [OPEN, None, *STATUSES]
        status = options[(options.index(self.filters.status) + 1) % len(options)]
        self.apply(replace(self.filters, status=status))

    def action_toggle_overdue(self) -> None:
        self.apply(replace(self.filters, overdue=not self.filters.overdue, due_today=False))

    @work(exclusive=True, group="sag-filter")
    async def action_toggle_mine(self) -> None:
        if not self.filters.mine and not await self.kc.initials():
            self.notify("Skriv dine initialer for at se dine sager.", severity="warning")
            return
        self.apply(replace(self.filters, mine=not self.filters.mine))

    def action_search(self) -> None:
        search = self.query_one("#ticket-search", Input)
        search.display = True
        search.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "ticket-search":
            return
        event.stop()
        self.apply(replace(self.filters, search=event.value.strip()))
        self.query_one(DataTable).focus()

    def on_key(self, event) -> None:  # type: ignore[no-untyped-def]
        search = self.query_one("#ticket-search", Input)
        if event.key == "escape" and search.has_focus:
            event.stop()
            search.value = ""
            search.display = False
            self.apply(replace(self.filters, search=""))
            self.query_one(DataTable).focus()

    def sort_by(self, column: str) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        if column == self.sort:
            self.descending = not self.descending
        else:
            self.sort, self.descending = column, False
        self._refilter()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        self.sort_by(str(event.column_key.value))

    def action_next_sort(self) -> None:
        keys = [key for key, _ in COLUMNS]
        current = keys.index(self.sort) if self.sort in keys else -1
        self.sort, self.descending = keys[(current + 1) % len(keys)], False
        self._refilter()

    def action_reverse_sort(self) -> None:
        self.sort_by(self.sort)

    def action_page(self, step: int) -> None:
        self.first_row = max(0, min(self.first_row + step * PAGE, max(0, self.total - 1)))
        self.run_worker(self.refresh_data(), exclusive=True, group="sager")

    def go_to_end(self, last: bool) -> None:
        self.run_worker(self._go_to_end(last), exclusive=True, group="sager")

    async def _go_to_end(self, last: bool) -> None:
        self.first_row = max(0, self.total - 1) // PAGE * PAGE if last else 0
        await self.refresh_data()
        table = self.query_one(DataTable)
        if table.row_count:
            table.move_cursor(row=table.row_count - 1 if last else 0)

    async def action_open_conversation(self) -> None:
        ticket_id = self.selected_id()
        if ticket_id is None:
            return
        ticket = await self.tickets.get(ticket_id)
        if not ticket.conversation_id:
            self.notify(f"Sag {ticket.id} har ingen samtale.", severity="warning")
            return
        self.kc.open_conversation(ticket.conversation_id)

    def action_detail(self) -> None:
        self.query_one(Detail).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.query_one(Detail).focus()

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
            t = await service.get(ticket_id)
            name = f"sag {t.id} ({t.navn or label('topic', t.category)})"
            if operation == "claim":
                if t.status == "i_gang" and t.agent != agent:
                    if not await self.kc.confirm(
                            f"Overtag {name} fra {t.agent or '–'}?",
                            "Overtagelsen står i sagens historik."):
                        return
                    ticket = await service.take_over(ticket_id, agent)
                else:
                    ticket = await service.claim(ticket_id, agent)
            elif operation == "note":
                text = await self.kc.ask(f"Notat til {name}:")
                if not text:
                    return
                ticket = await service.note(ticket_id, agent, text)
            elif operation == "close":
                if t.status == "afsluttet":
                    raise TicketError(f"Sag {t.id} er allerede afsluttet.")
                text = await self.kc.ask(f"Luk {name}: hvad blev der gjort?")
                if not text or not await self.kc.confirm(
                        f"Luk {name}?", f"Løsning: {text}"):
                    return
                ticket = await service.close(ticket_id, agent, text)
            else:
                if t.status != "afsluttet":
                    raise TicketError(f"Sag {t.id} er ikke afsluttet og kan ikke genåbnes.")
                reason = await self.kc.ask(f"Genåbn {name}: hvorfor?")
                if not reason:
                    return
                due = service.calendar.callback_due(self.kc.clock.now())
                if not await self.kc.confirm(
                        f"Genåbn {name}?",
                        f"Begrundelse: {reason}\nNy frist: {when(due.isoformat())} "
                        "(2 arbejdsdage)"):
                    return
                ticket = await service.reopen(ticket_id, agent, reason)
        except TicketError as exc:
            self.notify(str(exc), severity="error")
            return
        undo = ""
        if operation != "note":
            self.undoable = (t, time.monotonic())
            undo = f" · u fortryder ({UNDO_SECONDS} s)"
        self.notify(f"Sag {ticket.id}: {label('status', ticket.status)}, {ticket.agent}{undo}")
        await self.refresh_data()
        self._keep_cursor(ticket.id)

    @work(exclusive=True, group="sag-handling")
    async def action_undo(self) -> None:
        if self.undoable is None or time.monotonic() - self.undoable[1] > UNDO_SECONDS:
            self.undoable = None
            self.notify("Der er ingen ændring at fortryde.", severity="warning")
            return
        before, _ = self.undoable
        self.undoable = None
        try:
            ticket = await self.tickets.undo(before, self.kc.agent or "")
        except TicketError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"Sag {ticket.id} er sat tilbage: {label('status', ticket.status)}.")
        await self.refresh_data()
        self._keep_cursor(ticket.id)

    def _keep_cursor(self, ticket_id: str) -> None:
        table = self.query_one(DataTable)
        if any(t.id == ticket_id for t in self.rows):
            table.move_cursor(row=table.get_row_index(ticket_id))
