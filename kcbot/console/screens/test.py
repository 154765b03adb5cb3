"""Test: chat with the bot at a chosen frozen time, with the debug view beside it, and run a
dialogue test file. It works on a throw-away store, so testing never shows up in the figures."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Input, Label, RichLog, Static

from kcbot.clock import FrozenClock, parse_local
from kcbot.console.screens.base import Pane, when
from kcbot.console.widgets import MeasuredTable
from kcbot.errors import KcbotError
from kcbot.labels import label
from kcbot.privacy import mask_cpr

if TYPE_CHECKING:
    from kcbot.dialogue import Engine, TurnResult
    from kcbot.dialogue.scripted import DialogueResult

__all__ = ["TestChat"]

DEBUG_EMPTY = "Debug: intent-rangering, slots og flows for hver tur vises her."


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


class TestChat(Pane, can_focus=True):
    BINDINGS = [Binding("ctrl+n", "new_conversation", "Ny samtale",
                        tooltip="Start forfra med en ny borger"),
                Binding("escape", "leave_input", "Forlad feltet",
                        tooltip="Gå ud af feltet, så tasterne (q, 1–4, ?) virker igen"),
                # q is a letter in the text fields: the footer names the key that always quits
                Binding("ctrl+q", "app.ask_quit", "Afslut", tooltip="Afslut konsollen")]

    def __init__(self) -> None:
        super().__init__()
        self.engine: Engine | None = None
        self.clock = FrozenClock()
        self.number = 0
        self.last_slots: dict[str, object] = {}  # to mark what a turn changed
        self.results: dict[str, DialogueResult] = {}  # the last dialogue file's, by row
        self._folder = tempfile.TemporaryDirectory(prefix="kcbot-console-test-")

    def compose(self) -> ComposeResult:
        with Horizontal(classes="split"):
            with Vertical():
                yield RichLog(id="chat-log", wrap=True, markup=False, min_width=20)
                yield MeasuredTable(id="test-results", cursor_type="row", zebra_stripes=True)
                yield Input(placeholder="Skriv som en borger og tryk Enter", id="chat-input")
                yield Input(placeholder="Frossen tid, fx 2026-11-24T09:15 (tom: nu)",
                            id="test-time")
                yield Input(placeholder="Dialogtest-fil, fx tests/dialogues/afbud.yml",
                            id="test-file")
            with VerticalScroll(id="debug-pane"):  # Tab reaches it; arrows scroll it
                yield Static(DEBUG_EMPTY, id="debug")
        yield Label("Escape forlader feltet · ctrl+q afslutter · ctrl+n ny samtale",
                    classes="filters", id="test-hint")

    def on_mount(self) -> None:
        results = self.query_one("#test-results", DataTable)
        results.add_columns("Resultat", "Dialog", "Fejl")
        results.display = False

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand("Test: ny samtale", "Start en ny testborger",
                            self.action_new_conversation)

    async def _engine(self) -> Engine:
        if self.engine is None:
            from kcbot.dialogue import Engine

            self.clock.set(self.kc.clock.now())
            self.engine = await Engine.open(
                self.kc.settings.with_db(Path(self._folder.name) / "test.sqlite3"), self.clock)
        return self.engine

    async def on_unmount(self) -> None:
        if self.engine is not None:
            await self.engine.close()
        self._folder.cleanup()

    def action_leave_input(self) -> None:
        self.focus()

    def action_new_conversation(self) -> None:
        """A clean start: a new citizen, an empty transcript and debug view; the frozen time
        the tester chose stays, and says so."""
        self.number += 1
        self.last_slots = {}
        log = self.query_one(RichLog)
        log.clear()
        log.write(Text(f"Ny samtale · uret står på {when(self.clock.now())}", style="dim"))
        self.query_one("#debug", Static).update(DEBUG_EMPTY)

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "chat-input":
            message = event.value
            event.input.value = ""
            await self.send(message)
        elif event.input.id == "test-time":
            try:
                self.clock.set(parse_local(event.value) if event.value.strip()
                               else self.kc.clock.now())
                self.notify(f"Uret står på {when(self.clock.now())}")
            except KcbotError as exc:
                self.notify(str(exc), severity="error")
        elif event.input.id == "test-file":
            self.run_file(event.value.strip())

    async def send(self, message: str) -> TurnResult:
        engine = await self._engine()
        log = self.query_one(RichLog)
        log.write(Text("borger: ", style="bold") + Text(mask_cpr(message)))
        result = await engine.turn(f"konsol-{self.number}", message, channel="konsol")
        for reply in result.replies:
            log.write(Text("kcbot: ", style="bold cyan") + Text(reply.text))
        await self.show_debug(result)
        if result.ended:  # the transcript stays on screen; the next message is a new citizen
            self.number += 1
            self.last_slots = {}
            log.write(Text("— samtalen er slut; næste besked starter en ny —", style="dim"))
        return result

    async def show_debug(self, result: TurnResult) -> None:
        """The turn as tables a tester reads at a glance: the intent ranking, the slots (the
        ones this turn changed first, with what they were), the flow stack, and what the turn
        wrote to the journal and the outbox. Values can be citizen words: plain text, CPR
        masked."""
        engine = await self._engine()
        parts: list[RenderableType] = []
        if result.parse and result.parse.ranking:
            ranking = Table(title="Intent-rangering", title_justify="left", box=box.SIMPLE_HEAD,
                            expand=True, pad_edge=False)
            ranking.add_column("Intent", ratio=2, no_wrap=True, overflow="ellipsis")
            ranking.add_column("Sikkerhed", justify="right", no_wrap=True)
            ranking.add_column("", ratio=1, no_wrap=True)
            for index, (name, confidence) in enumerate(result.parse.ranking[:5]):
                words = Text(label("topic", name), style="bold" if index == 0 else "")
                ranking.add_row(words + Text(f" · {name}", style="dim"),
                                _decimal(confidence),
                                Text("█" * max(0, round(confidence * 12)), style="cyan"))
            parts.append(ranking)
        state = result.state
        slots = {k: v for k, v in state.slots.items() if v is not None}
        changed = {name for name in set(slots) | set(self.last_slots)
                   if self.last_slots.get(name) != slots.get(name)}
        table = Table(title="Slots (ændret i denne tur øverst)", title_justify="left",
                      box=box.SIMPLE_HEAD, expand=True, pad_edge=False)
        table.add_column("", width=1, no_wrap=True)
        table.add_column("Slot", no_wrap=True, overflow="ellipsis")
        table.add_column("Værdi", ratio=1, overflow="fold")
        for name in sorted(changed | set(slots), key=lambda n: (n not in changed, n)):
            now = slots.get(name)
            value = Text(mask_cpr(str(now)) if now is not None else "(fjernet)")
            if name in changed:
                before = self.last_slots.get(name)
                if before is not None:
                    value = Text(f"{mask_cpr(str(before))} → ", style="dim") + value
                table.add_row(Text("●", style="bold yellow"), Text(name, style="bold yellow"),
                              value)
            else:
                table.add_row("", name, value)
        if not changed | set(slots):
            table.add_row("", Text("ingen endnu", style="dim"), "")
        self.last_slots = slots
        parts.append(table)
        flow = Table.grid(padding=(0, 1))
        flow.add_column(style="bold", no_wrap=True)
        flow.add_column(ratio=1)
        flow.add_row("Flows", " › ".join(f.flow for f in state.stack) or "–")
        flow.add_row("Venter på", state.requested_slot or "–")
        flow.add_row("Udfald", label("outcome", state.outcome) if state.outcome else "–")
        parts.append(flow)
        store = engine.store
        journal = await store.fetchall(
            "SELECT sag, decision, rule FROM journal WHERE conversation_id = ?",
            (result.conversation_id,))
        outbox = await store.fetchall(
            "SELECT recipient, subject FROM outbox WHERE conversation_id = ?",
            (result.conversation_id,))
        written = Table(title="Skrevet af samtalen", title_justify="left", box=box.SIMPLE_HEAD,
                        expand=True, pad_edge=False)
        written.add_column("Hvor", no_wrap=True)
        written.add_column("Hvad", ratio=1, overflow="fold")
        for row in journal:
            written.add_row("journal", f"{row['sag']}: {row['decision']} ({row['rule']})")
        for row in outbox:
            written.add_row("udbakke", f"{row['recipient']}: {row['subject']}")
        if not journal and not outbox:
            written.add_row(Text("–", style="dim"), Text("intet i journal eller udbakke endnu",
                                                         style="dim"))
        parts.append(written)
        self.query_one("#debug", Static).update(Group(*parts))

    @work(exclusive=True, group="dialogtest")
    async def run_file(self, name: str) -> None:
        from kcbot.dialogue.scripted import collect_files, run_files

        log = self.query_one(RichLog)
        try:
            files = collect_files([Path(name)])
            results = await run_files(files, self.kc.settings)
        except KcbotError as exc:
            self.notify(str(exc), severity="error")
            return
        failed = 0
        table = self.query_one("#test-results", DataTable)
        table.clear()
        self.results = {}
        for index, result in enumerate(results):
            key = f"{index}"
            self.results[key] = result
            table.add_row(Text("ok", style="green") if result.passed
                          else Text("FEJL", style="bold red"),
                          Text(result.name), Text("; ".join(result.failures)[:80]), key=key)
            failed += not result.passed
        table.display = bool(results)
        log.write(Text(f"{len(results) - failed} passed, {failed} failed "
                       "(vælg en dialog i listen for at se dens udskrift)", style="bold"))
        if results:
            table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """A dialogue's transcript and failures in the debug pane."""
        result = self.results.get(str(event.row_key.value))
        if result is None:
            return
        text = Text(f"{result.name}\n", style="bold")
        for failure in result.failures:
            text.append(f"✗ {failure}\n", style="red")
        for turn in result.transcript:
            who = "borger" if turn.get("from") == "user" else "kcbot"
            text.append(f"{who}: ", style="bold" if who == "borger" else "bold cyan")
            text.append(f"{turn.get('text', '')}\n")  # plain text, never markup
        self.query_one("#debug", Static).update(text)
