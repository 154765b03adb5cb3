"""``kcbot`` / ``kcbot console``: one Textual app for supervisors, agents and testers.

Four tabs over the same store the channels write to: Overblik (the figures, live), Sager (the
callback queue, through the same ticket service as ``kcbot tickets``), Samtaler (transcripts)
and Test (chat with the bot on a throw-away store). The store is polled every few seconds, so
the figures move while conversations happen in other processes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.command import CommandPalette
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane

from kcbot.clock import Clock
from kcbot.config import Settings
from kcbot.console.screens.overblik import Overblik
from kcbot.console.screens.sager import Filters, Sager
from kcbot.console.screens.samtaler import Samtaler
from kcbot.console.screens.test import TestChat
from kcbot.console.widgets import Confirm, HelpScreen, Prompt, WorkBar
from kcbot.errors import KcbotError
from kcbot.store import Store
from kcbot.tickets import TicketService

if TYPE_CHECKING:
    from kcbot.firstrun import FirstRun

__all__ = ["KcbotConsole", "Prompt"]  # Prompt: kept importable from here

REFRESH_SECONDS = 3.0
# The tabs that show the store; Test has its own.
POLLED = {"overblik": Overblik, "sager": Sager, "samtaler": Samtaler}


class KcbotScreen(Screen):
    """The default screen with Textual's own keys described in Danish (the keys panel)."""

    BINDINGS = [
        Binding("tab", "app.focus_next", "Næste felt", show=False),
        Binding("shift+tab", "app.focus_previous", "Forrige felt", show=False),
        Binding("ctrl+c,super+c", "screen.copy_text", "Kopiér markeret tekst", show=False),
    ]


class KcbotConsole(App[None]):
    TITLE = "kcbot"
    SUB_TITLE = "Jobcenter Københavns kontaktcenter"
    CSS_PATH = "app.tcss"
    COMMAND_PALETTE_DISPLAY = "ctrl+p"
    # Below 100 columns the list and its detail stack instead of sharing the width.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    # A tall terminal (200×60) gives the charts the room.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (55, "-tall")]
    BINDINGS = [
        Binding("ctrl+p", "command_palette", "Kommandoer", show=False, priority=True,
                tooltip="Åbn kommandopaletten"),
        # The tabs are on screen already: their keys stay out of the footer to leave it room.
        Binding("1,f1", "show('overblik')", "Overblik", show=False,
                tooltip="Nøgletal for perioden"),
        Binding("2,f2", "show('sager')", "Sager", show=False, tooltip="Tilbageringningskøen"),
        Binding("3,f3", "show('samtaler')", "Samtaler", show=False,
                tooltip="Samtaler og udskrifter"),
        Binding("4,f4", "show('test')", "Test", show=False, tooltip="Chat med botten"),
        Binding("ctrl+r", "refresh", "Opdater", show=False, tooltip="Hent tallene nu"),
        Binding("i", "change_initials", "Initialer", tooltip="Skift dine initialer"),
        Binding("question_mark", "help", "Hjælp", tooltip="Taster og hvordan tallene regnes"),
        Binding("q", "ask_quit", "Afslut", tooltip="Afslut konsollen (du bliver spurgt)"),
        # also from inside a text field, where q is a letter; it replaces Textual's own
        # ctrl+q, which would quit without asking. Not a priority binding, so the Test tab's
        # own ctrl+q (the same action) can show in the footer there.
        Binding("ctrl+q", "ask_quit", "Afslut", show=False),
    ]

    def __init__(self, settings: Settings, clock: Clock, store: Store | None = None, *,
                 fill: tuple[int, int] | None = None, demo_store: bool = False) -> None:
        """``fill``: (days, conversations a day) of demo traffic to simulate into the store
        once it is open (the first run); ``demo_store``: the store is a demo store of its own,
        which the header says."""
        super().__init__()
        self.settings = settings
        self.clock = clock
        self._store = store
        self.tickets: TicketService | None = None
        self.agent: str | None = None
        self.fill = fill
        self.demo_store = demo_store

    @property
    def store(self) -> Store:
        assert self._store is not None, "the store opens on mount"
        return self._store

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="overblik"):
            with TabPane("Overblik", id="overblik"):
                yield Overblik()
            with TabPane("Sager", id="sager"):
                yield Sager()
            with TabPane("Samtaler", id="samtaler"):
                yield Samtaler()
            with TabPane("Test", id="test"):
                yield TestChat()
        yield WorkBar(id="work")
        yield Footer()

    async def on_mount(self) -> None:
        if self._store is None:
            try:
                self._store = await Store.open(self.settings.store_target, self.clock)
            except KcbotError as exc:
                self.notify(str(exc), severity="error", timeout=30)
                return
        self.tickets = TicketService.open(self.store)
        self.set_agent(self.agent)  # the header names a demo store
        self._focus_pane("overblik")
        await self.action_refresh()
        self.set_interval(REFRESH_SECONDS, self.action_refresh)
        if self.fill is not None:
            self.fill_demo(*self.fill)

    @work(exclusive=True, group="demofyld")
    async def fill_demo(self, days: int, per_day: int) -> None:
        """Simulate demo traffic into the store (the first run) with a progress bar; an async
        worker between turns, so the console stays usable and the figures grow while it
        runs."""
        from kcbot.firstrun import fill_finished, fill_started
        from kcbot.simulate import simulate

        bar = self.query_one(WorkBar)
        end = self.clock.now()
        first = (end - timedelta(days=days)).date()
        bar.start(f"Demotrafik fyldes i {self.settings.db_path.name} …", total=days, delay=0)

        def progress(day, result) -> None:  # type: ignore[no-untyped-def]
            bar.update((day - first).days,
                       f"Demotrafik: {result.conversations} samtaler til og med "
                       f"{day:%d.%m.%Y}")

        # whole or nothing: the marker stays if the console is closed before the fill ends,
        # and the next start fills the store again (kcbot.firstrun)
        fill_started(self.settings.db_path)
        try:
            result = await simulate(self.settings, days, per_day, None, end, progress)
        except KcbotError as exc:
            self.notify(f"Demotrafikken kunne ikke fyldes i: {exc}", severity="error",
                        timeout=30)
            return
        finally:
            bar.finish()
        fill_finished(self.settings.db_path)
        self.notify(f"{result.conversations} simulerede samtaler er fyldt i "
                    f"{self.settings.db_path.name} (kanal demo).")
        await self.action_refresh()

    async def on_unmount(self) -> None:
        if self._store is not None:
            await self._store.close()

    async def action_refresh(self) -> None:
        await self._refresh(self.query_one(TabbedContent).active)

    async def _refresh(self, tab: str) -> None:
        """Poll the store for the tab on screen (the others catch up when shown); a busy or
        half-written store is tried again next time."""
        pane = POLLED.get(tab)
        if self._store is None or self.tickets is None or pane is None:
            return
        try:
            await self.query_one(pane).refresh_data()
        except Exception as exc:  # the console must outlive a store being written
            self.log.error(f"refresh failed: {exc!r}")

    def action_show(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        self._focus_pane(tab)

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._focus_pane(event.pane.id or "")
        await self._refresh(event.pane.id or "")

    def _focus_pane(self, tab: str) -> None:
        """Put the keyboard in the tab, so its keys (t, l, u …) work at once."""
        target = {"overblik": Overblik, "sager": "#tickets-table",
                  "samtaler": "#conversations-table", "test": "#chat-input"}.get(tab)
        for widget in self.query(target) if target is not None else ():  # type: ignore[arg-type]
            widget.focus()

    async def ask(self, question: str, placeholder: str = "") -> str | None:
        return await self.push_screen_wait(Prompt(question, placeholder))

    async def confirm(self, question: str, detail: str = "") -> bool:
        return bool(await self.push_screen_wait(Confirm(question, detail)))

    async def initials(self) -> str | None:
        """The agent's initials, asked once per session and put on every change."""
        if not self.agent:
            answer = await self.ask("Dine initialer (de står på hver ændring):", "fx MK")
            self.set_agent(answer)
        return self.agent

    def set_agent(self, initials: str | None) -> None:
        self.agent = initials.strip().upper()[:8] if initials and initials.strip() else None
        self.sub_title = " · ".join(
            [self.SUB_TITLE] + (["demodatabase"] if self.demo_store else []) +
            ([f"initialer {self.agent}"] if self.agent else []))

    @work(exclusive=True, group="initialer")
    async def action_change_initials(self) -> None:
        answer = await self.ask("Nye initialer (de står på hver ændring herfra):",
                                self.agent or "fx MK")
        if answer:
            self.set_agent(answer)
            self.notify(f"Du arbejder nu som {self.agent}.")
            await self._refresh(self.query_one(TabbedContent).active)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    @work(exclusive=True, group="afslut")
    async def action_ask_quit(self) -> None:
        if await self.confirm("Vil du afslutte kcbot-konsollen?"):
            self.exit()

    def action_command_palette(self) -> None:
        """Textual's palette, in Danish."""
        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(CommandPalette(placeholder="Søg efter kommandoer…",
                                            id="--command-palette"))

    def action_change_theme(self) -> None:
        from textual.theme import ThemeProvider

        self.push_screen(CommandPalette(providers=[ThemeProvider],
                                        placeholder="Søg efter tema…"))

    def open_tickets(self, filters: Filters) -> None:
        """Show Sager with ``filters`` (an Overblik card opens the tickets behind its figure)."""
        self.query_one(Sager).apply(filters)
        self.action_show("sager")

    def get_default_screen(self) -> Screen:
        return KcbotScreen(id="_default")

    def open_conversation(self, conversation_id: str) -> None:
        """Show Samtaler with just this conversation (a ticket opens its conversation)."""
        self.query_one(Samtaler).show_conversation(conversation_id)
        self.action_show("samtaler")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's system commands in Danish, then the tabs' own."""
        yield SystemCommand("Tema", "Skift farvetema", self.action_change_theme)
        yield SystemCommand("Afslut", "Luk konsollen", self.action_ask_quit)
        if screen.query("HelpPanel"):
            yield SystemCommand("Taster", "Skjul tastepanelet", self.action_hide_help_panel)
        else:
            yield SystemCommand("Taster", "Vis tasterne for det felt, du står i",
                                self.action_show_help_panel)
        yield SystemCommand("Hjælp", "Taster for hver fane og hvordan tallene regnes",
                            self.action_help)
        if screen.maximized is not None:
            yield SystemCommand("Normal størrelse", "Vis feltet i normal størrelse igen",
                                screen.action_minimize)
        elif screen.focused is not None and screen.focused.allow_maximize:
            yield SystemCommand("Maksimér", "Vis det valgte felt i hele vinduet",
                                screen.action_maximize)
        yield SystemCommand("Skærmbillede", "Gem et SVG-billede af skærmen",
                            lambda: self.set_timer(0.1, self.deliver_screenshot))
        yield SystemCommand("Skift initialer", "De står på hver ændring af en sag",
                            self.action_change_initials)
        for tab, title in (("overblik", "Overblik"), ("sager", "Sager"),
                           ("samtaler", "Samtaler"), ("test", "Test")):
            yield SystemCommand(f"Gå til {title}", f"Vis fanen {title}",
                                lambda tab=tab: self.action_show(tab))
        yield SystemCommand("Opdater", "Hent tallene fra databasen nu", self.action_refresh)
        yield from self.query_one(Overblik).commands()
        yield from self.query_one(Sager).commands()
        yield from self.query_one(Samtaler).commands()
        yield from self.query_one(TestChat).commands()


def run_console(start: FirstRun, clock: Clock) -> None:
    from kcbot.firstrun import FIRST_RUN_DAYS, FIRST_RUN_PER_DAY

    KcbotConsole(start.settings, clock,
                 fill=(FIRST_RUN_DAYS, FIRST_RUN_PER_DAY) if start.fill else None,
                 demo_store=start.is_demo_store).run()

