"""Sager as an agent works it: search, sorting, confirmed changes, reopening with a reason
and a new deadline, the detail pane by keyboard, initials, the Danish palette and help."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from kcbot.clock import TZ, FrozenClock
from kcbot.console import KcbotConsole
from kcbot.console.screens.sager import Detail, Sager
from kcbot.console.widgets import Confirm, HelpScreen, Prompt
from kcbot.store import Store
from kcbot.tickets import TicketService
from tests.pg import settings_for
from tests.test_console import _screen_text

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)
CITIZENS = [  # (category, name, phone, summary)
    ("kontakt_sagsbehandler", "Mette Hansen", "20 30 40 50", "vil tale om aktivering"),
    ("ydelse", "Sara Jensen", "31313131", "mangler udbetaling af kontanthjælp"),
    ("klage", "Ole Berg", "40404040", "klage over ventetid"),
    ("menneske", "Anna Holm", "50505050", "vil tale med en person om jobsamtale"),
]


async def _seed(target: Path | str) -> Path | str:
    async with Store.connect(target, FrozenClock(NOW.replace(hour=9))) as store:
        service = TicketService.open(store)
        for category, name, phone, summary in CITIZENS:
            await service.create(None, category, summary, navn=name, telefon=phone)
    return target


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    return await _seed(tmp_path / "sager.sqlite3")  # type: ignore[return-value]


@pytest.fixture
async def both_db(store_target: Path | str) -> Path | str:
    """The same queue on SQLite and on PostgreSQL."""
    return await _seed(store_target)


def _app(db: Path | str) -> KcbotConsole:
    return KcbotConsole(settings_for(db), FrozenClock(NOW))


async def _sager(pilot) -> tuple[Sager, DataTable]:
    await pilot.press("2")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return pilot.app.query_one(Sager), pilot.app.query_one("#tickets-table", DataTable)


def _ids(table: DataTable) -> list[str]:
    return [str(row.value) for row in table.rows]


async def _settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_search_by_name_phone_case_number_and_summary(both_db: Path | str) -> None:
    db = both_db
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        assert table.row_count == 4
        for query, expected in (("mette", ["KC-2026-000001"]),
                                ("20304050", ["KC-2026-000001"]),
                                ("000003", ["KC-2026-000003"]),
                                ("tale jobsamtale", ["KC-2026-000004"]),
                                ("udbetaling kontanthjælp", ["KC-2026-000002"])):
            await pilot.press("slash")
            search = pilot.app.query_one("#ticket-search", Input)
            assert search.has_focus
            search.value = ""
            await pilot.press(*query, "enter")
            await _settle(pilot)
            assert _ids(table) == expected, query
            assert table.has_focus
        await pilot.press("slash", "escape")  # Escape clears the search
        await _settle(pilot)
        assert table.row_count == 4 and sager.filters.search == ""


async def test_headers_and_x_sort_the_queue(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        sager.sort_by("navn")
        await _settle(pilot)
        names = [str(table.get_cell(key, "navn")) for key in _ids(table)]
        assert names == sorted(names) == ["Anna Holm", "Mette Hansen", "Ole Berg", "Sara Jensen"]
        sager.sort_by("navn")  # the same header again: reversed
        await _settle(pilot)
        assert [str(table.get_cell(key, "navn")) for key in _ids(table)] == names[::-1]
        await pilot.click("#tickets-table", offset=(2, 0))  # the first header: case number
        await _settle(pilot)
        assert sager.sort == "id" and _ids(table)[0] == "KC-2026-000001"
        await pilot.press("x")  # next column: deadline
        await _settle(pilot)
        assert sager.sort == "due"
        assert "sorteret: frist" in str(pilot.app.query_one("#ticket-filters").content)


async def test_home_and_end_go_to_the_first_and_last_ticket(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        await pilot.press("end")
        await _settle(pilot)
        assert table.cursor_row == 3
        await pilot.press("home")
        await _settle(pilot)
        assert table.cursor_row == 0


async def test_closing_is_confirmed_and_no_keeps_the_ticket_open(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        pilot.app.set_agent("mk")
        table.move_cursor(row=1)
        await pilot.pause()
        ticket = sager.selected_id()
        await pilot.press("l")
        await pilot.pause()
        prompt = pilot.app.screen
        assert isinstance(prompt, Prompt) and ticket in prompt.question  # names the ticket
        assert prompt.styles.background.a < 1  # the queue stays visible behind it
        await pilot.press(*"Ringet op", "enter")
        await pilot.pause()
        assert isinstance(pilot.app.screen, Confirm)
        assert pilot.app.screen.question.startswith(f"Luk sag {ticket}")
        await pilot.press("n")
        await _settle(pilot)
        assert (await pilot.app.tickets.get(ticket)).status == "ny"
        await pilot.press("l", *"Ringet op", "enter", "j")
        await _settle(pilot)
        assert (await pilot.app.tickets.get(ticket)).status == "afsluttet"


async def test_reopen_asks_a_reason_and_sets_a_new_deadline(db: Path) -> None:
    with sqlite3.connect(db) as con:
        con.execute("UPDATE tickets SET status = 'afsluttet', closed = '2026-11-24T10:00:00+01:00',"
                    " resolution = 'ok', agent = 'AB' WHERE id = 'KC-2026-000002'")
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        pilot.app.set_agent("mk")
        await pilot.press("s", "s", "s", "s")  # status: Afsluttet
        await _settle(pilot)
        assert _ids(table) == ["KC-2026-000002"]
        await pilot.press("g")
        await pilot.pause()
        assert "KC-2026-000002" in pilot.app.screen.question
        await pilot.press(*"Borgeren ringede igen", "enter")
        await pilot.pause()
        confirm = pilot.app.screen
        assert isinstance(confirm, Confirm)
        # Tuesday 15.00: two business days later is Thursday at closing time
        assert "Ny frist: 26. nov. 2026" in confirm.detail
        await pilot.press("j")
        await _settle(pilot)
        ticket = await pilot.app.tickets.get("KC-2026-000002")
        assert ticket.status == "genaabnet" and ticket.due.startswith("2026-11-26T")
        history = await pilot.app.tickets.history(ticket.id)
        assert history[-1]["action"] == "genåbnet"
        assert history[-1]["detail"].startswith("Borgeren ringede igen; ny frist 26. nov. 2026")
        await pilot.press("s")  # status: Genåbnet
        await _settle(pilot)
        detail = str(pilot.app.query_one("#ticket-text").content)
        assert "Genåbnet" in detail and "Borgeren ringede igen" in detail


async def test_the_cursor_stays_on_the_ticket_after_a_change(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        pilot.app.set_agent("mk")
        table.move_cursor(row=2)
        await pilot.pause()
        ticket = sager.selected_id()
        await pilot.press("t")
        await _settle(pilot)
        assert sager.selected_id() == ticket
        assert (await pilot.app.tickets.get(ticket)).agent == "MK"


async def test_taking_over_a_colleagues_ticket_is_confirmed_and_recorded(db: Path) -> None:
    with sqlite3.connect(db) as con:
        con.execute("UPDATE tickets SET status = 'i_gang', agent = 'AB' "
                    "WHERE id = 'KC-2026-000001'")
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        pilot.app.set_agent("mk")
        table.move_cursor(row=table.get_row_index("KC-2026-000001"))
        await pilot.press("t")
        await pilot.pause()
        assert "fra AB" in pilot.app.screen.question
        await pilot.press("j")
        await _settle(pilot)
        history = await pilot.app.tickets.history("KC-2026-000001")
        assert (history[-1]["agent"], history[-1]["action"], history[-1]["detail"]) == (
            "MK", "overtaget", "fra AB")


async def test_mine_shows_the_agents_own_tickets(db: Path) -> None:
    with sqlite3.connect(db) as con:
        con.execute("UPDATE tickets SET status = 'i_gang', agent = 'MK' "
                    "WHERE id = 'KC-2026-000004'")
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"mk", "enter")  # initials asked the first time
        await _settle(pilot)
        assert _ids(table) == ["KC-2026-000004"]
        assert "mine: ja" in str(pilot.app.query_one("#ticket-filters").content)


async def test_the_detail_pane_is_reached_and_scrolled_by_keyboard(tmp_path: Path) -> None:
    path = tmp_path / "lang.sqlite3"
    async with Store.connect(path, FrozenClock(NOW.replace(hour=9))) as store:
        service = TicketService.open(store)
        ticket, _ = await service.create(None, "menneske", "lang sag", navn="Bo")
        for number in range(60):
            await service.note(ticket.id, "AB", f"notat {number}")
    async with _app(path).run_test(size=(120, 40)) as pilot:
        await _sager(pilot)
        await pilot.press("enter")
        detail = pilot.app.query_one(Detail)
        assert detail.has_focus
        assert "notat 59" in str(pilot.app.query_one("#ticket-text").content)
        await pilot.press("end")
        await pilot.pause()
        assert detail.scroll_y > 0
        await pilot.press("escape")
        assert pilot.app.query_one("#tickets-table").has_focus


async def test_initials_in_the_header_and_changed_with_i(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await _sager(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(pilot.app.screen, Prompt)
        await pilot.press(*"lk", "enter")
        await pilot.pause()
        assert pilot.app.agent == "LK"
        assert "initialer LK" in pilot.app.sub_title


async def test_palette_quit_prompt_and_help_are_danish(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        titles = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        for danish in ("Tema", "Afslut", "Taster", "Hjælp", "Skærmbillede"):
            assert danish in titles
        assert not {"Theme", "Quit", "Keys", "Screenshot", "Maximize"} & set(titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = pilot.app.screen
        assert isinstance(palette, CommandPalette)
        assert palette.query_one(Input).placeholder == "Søg efter kommandoer…"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(pilot.app.screen, HelpScreen)
        from kcbot.console.widgets.dialogs import HELP
        for words in ("Straksafklaringsprocent", "Afbrudt", "Tilbagemelding rettidig",
                      "Overblik", "Sager", "Samtaler", "Test"):
            assert words in HELP
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, Confirm)
        await pilot.press("n")  # stays
        await pilot.pause()
        assert pilot.app.is_running


async def test_the_queue_is_paged_in_sql(store_target) -> None:
    # on both stores: the search, count and page are one query each, in either dialect
    async with Store.connect(store_target, FrozenClock(NOW.replace(hour=9))) as store:
        service = TicketService.open(store)
        async with store.transaction():
            for number in range(1000):
                await service.create(None, "menneske", f"Borger {number}", navn=f"B {number}")
        page, total = await service.page(sort="navn", descending=True, offset=1, limit=4)
        found, hits = await service.page(search="999")
    assert total == 1000
    assert [t.navn for t in page] == ["B 998", "B 997", "B 996", "B 995"]
    assert hits == 2 and {t.navn for t in found} == {"B 999", "B 998"}  # name or case no.


async def test_the_last_change_can_be_undone(both_db: Path | str) -> None:
    db = both_db
    async with _app(db).run_test(size=(120, 40)) as pilot:
        sager, table = await _sager(pilot)
        pilot.app.set_agent("mk")
        ticket = sager.selected_id()
        await pilot.press("l", *"Ringet op", "enter", "j")
        await _settle(pilot)
        assert (await pilot.app.tickets.get(ticket)).status == "afsluttet"
        await pilot.press("u")
        await _settle(pilot)
        restored = await pilot.app.tickets.get(ticket)
        assert (restored.status, restored.agent, restored.closed) == ("ny", None, None)
        history = await pilot.app.tickets.history(ticket)
        assert [h["action"] for h in history] == ["oprettet", "afsluttet", "fortrudt"]
        assert sager.selected_id() == ticket
        await pilot.press("u")  # nothing left to undo
        await _settle(pilot)
        assert (await pilot.app.tickets.get(ticket)).status == "ny"


async def test_the_keys_panel_is_danish(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await _sager(pilot)
        pilot.app.action_show_help_panel()
        await pilot.pause()
        descriptions = {b.binding.description for b in pilot.app.screen.active_bindings.values()}
        assert {"Næste felt", "Første sag", "Side ned", "Søg", "Genåbn"} <= descriptions
        assert not {"Focus Next", "Page Left", "Home", "Cursor up"} & descriptions


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_topic_is_readable_beside_the_detail_pane_and_at_80_columns(
        db: Path, size: tuple[int, int]) -> None:
    """Every ticket's whole topic is on the screen, with its deadline, citizen and status; the
    deadline carries the SLA state in words where it is not on time."""
    from kcbot.labels import label

    with sqlite3.connect(db) as con:  # one due today, one over its deadline
        con.execute("UPDATE tickets SET due = '2026-11-24T16:00:00+01:00' WHERE navn = ?",
                    ("Ole Berg",))
        con.execute("UPDATE tickets SET due = '2026-11-23T12:00:00+01:00' WHERE navn = ?",
                    ("Anna Holm",))
    async with _app(db).run_test(size=size) as pilot:
        await _sager(pilot)
        await _settle(pilot)
        lines = _screen_text(pilot.app)
    for category, name, _, _ in CITIZENS:
        row = next((line for line in lines if name in line), None)
        assert row is not None, (name, lines)
        assert label("topic", category) in row, row  # e.g. "Vil tale med en medarbejder"
        assert "Ny" in row.split(name, 1)[1]  # the status after the citizen
    assert "i dag 16.00" in next(line for line in lines if "Ole Berg" in line)
    assert "! 23. nov. 12.00" in next(line for line in lines if "Anna Holm" in line)
