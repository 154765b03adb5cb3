"""The console as staff meet it, driven by Textual's Pilot."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest
from babel.numbers import format_percent
from rich.text import Text
from textual.widgets import DataTable, Input, RichLog, Static, TabbedContent

from kcbot.clock import TZ, FrozenClock
from kcbot.config import Settings
from kcbot.console import KcbotConsole
from kcbot.console.screens.overblik import Overblik
from kcbot.dialogue import Engine
from tests.conftest import REPO

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=TZ)
MARKUP = "[bold red]x[/] [link=https://example.org]klik[/link] \x1b[31mrød\x1b[0m"
CITIZENS = {
    "a": ["hvornår har I åbent"],
    "b": ["jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, jeg er syg", "ja",
          "Mette Hansen", "150390-2468"],
    "c": ["må jeg holde ferie på dagpenge"],
    "d": ["jeg vil tale med min sagsbehandler", MARKUP, "Sara Jensen", "20304050",
          "dagpenge", "ja"],
    "e": ["jeg skal melde afbud"],
}


async def _fill(db: Path, nlu, citizens: dict[str, list[str]], at: datetime) -> None:
    clock = FrozenClock(at)
    engine = await Engine.open(Settings(db_path=db), clock, nlu=nlu)
    try:
        for sender, messages in citizens.items():
            for message in messages:
                await engine.turn(sender, message)
            await engine.end(sender)
    finally:
        await engine.close()


@pytest.fixture
async def db(tmp_path: Path, nlu) -> Path:
    path = tmp_path / "console.sqlite3"
    await _fill(path, nlu, CITIZENS, NOW.replace(hour=9))
    return path


def _app(db: Path) -> KcbotConsole:
    return KcbotConsole(Settings(db_path=db), FrozenClock(NOW))


def _pct(part: int, whole: int) -> str:
    return format_percent(part / whole, "#,##0.0 %", locale="da_DK")


async def test_the_dashboard_shows_the_stores_figures(db: Path) -> None:
    with sqlite3.connect(db) as con:
        outcomes = [o for (o,) in con.execute("SELECT outcome FROM conversations")]
        open_tickets = con.execute(
            "SELECT count(*) FROM tickets WHERE status != 'afsluttet'").fetchone()[0]
        # the afbud's message to the jobcentre could not be delivered
        assert con.execute("UPDATE outbox SET status = 'fejlet', attempts = 9").rowcount == 1
    settled, handed, left = (outcomes.count(o) for o in ("straksafklaret", "overdraget",
                                                          "afbrudt"))
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        shown = pilot.app.query_one(Overblik).shown
        assert shown["kpi"] == _pct(settled, settled + handed) == "75,0 %"
        assert shown["afbrudt"] == _pct(left, len(outcomes))
        assert shown["samtaler"] == str(len(outcomes))
        assert shown["aabne"] == str(open_tickets) == "1"
        assert shown["overskredet"] == "0"
        assert shown["ikke_sendt"] == "1"
        # the settled cases per rule, in the words of the rule's table, not its id
        rules = str(pilot.app.query_one("#rules").content)
        assert "Afgørelser pr. regel" in rules
        assert "Sygdom er gyldig grund for forsikrede ledige" in rules
        assert "Vejledning: Åbningstid" in rules and "Vejledning: Ferie" in rules
        assert "dagpenge_gyldig_grund_sygdom" not in rules and "utter_" not in rules
        await pilot.press("p")  # this week: the same five conversations
        await pilot.app.workers.wait_for_complete()
        label = str(pilot.app.query_one("#period-label").content)
        assert "denne uge (23.11.2026–29.11.2026)" in label
        assert pilot.app.query_one(Overblik).shown["samtaler"] == "5"


async def test_number_keys_switch_tabs(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        tabs = pilot.app.query_one(TabbedContent)
        for key, tab in (("2", "sager"), ("3", "samtaler"), ("4", "test"), ("f1", "overblik")):
            await pilot.press(key)  # in the test chat, digits are text: F1-F4 work everywhere
            assert tabs.active == tab
        titles = [c.title for c in pilot.app.get_system_commands(pilot.app.screen)]
        assert "Gå til Sager" in titles and "Sager: tag sagen" in titles


async def test_an_agent_claims_and_closes_a_ticket_from_the_queue(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        table = pilot.app.query_one("#tickets-table", DataTable)
        assert table.row_count == 1
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"mk", "enter")  # initials, asked once
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        await pilot.press(*"Ringet op", "enter")
        await pilot.pause()
        await pilot.press("j")  # confirmed
        await pilot.pause()
        assert pilot.app.agent == "MK"
    with sqlite3.connect(db) as con:
        status, agent, resolution = con.execute(
            "SELECT status, agent, resolution FROM tickets").fetchone()
        history = [a for (a,) in con.execute("SELECT agent FROM ticket_history ORDER BY id")]
    assert (status, agent, resolution) == ("afsluttet", "MK", "Ringet op")
    assert history == ["kcbot", "MK", "MK"]


async def test_queue_filters(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        table = pilot.app.query_one("#tickets-table", DataTable)
        await pilot.press("k", "k")  # jobcenter, then ydelsesservice
        await pilot.pause()
        assert table.row_count == 0
        await pilot.press("k", "k", "k")  # cdu, all, jobcenter
        await pilot.pause()
        assert table.row_count == 1
        await pilot.press("o")  # overdue only: not yet
        await pilot.pause()
        assert table.row_count == 0


async def test_conversations_filter_by_outcome_and_show_intents(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("3")
        await pilot.pause()
        table = pilot.app.query_one("#conversations-table", DataTable)
        assert table.row_count == 5
        await pilot.press("u")  # straksafklaret
        await pilot.pause()
        assert table.row_count == 3
        transcript = pilot.app.query_one("#conversation-text", Static).content
        assert "borger [" in str(transcript)


async def test_citizen_markup_and_escapes_show_literally(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        detail = pilot.app.query_one("#ticket-text", Static).content
        assert isinstance(detail, Text)
        plain = detail.plain
        assert "[bold red]x[/] [link=https://example.org]klik[/link]" in plain
        assert "\x1b" not in plain
        assert not any(span.style and "link" in str(span.style) for span in detail.spans)


async def test_the_test_chat_replies_and_shows_debug(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("4")
        pilot.app.query_one("#chat-input", Input).focus()
        await pilot.press(*"hvornår har I åbent", "enter")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        log = pilot.app.query_one("#chat-log", RichLog)
        assert any("82 56 56 82" in line.text for line in log.lines)
        assert "Åbningstid · aabningstid" in "\n".join(_screen_text(pilot.app))
    with sqlite3.connect(db) as con:  # testing never reaches the production figures
        assert con.execute("SELECT count(*) FROM conversations").fetchone()[0] == 5


async def test_the_test_tab_runs_a_dialogue_file(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("4")
        pilot.app.query_one("#test-file", Input).value = str(
            REPO / "tests" / "dialogues" / "engine.yml")
        pilot.app.query_one("#test-file", Input).focus()
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        lines = [line.text for line in pilot.app.query_one("#chat-log", RichLog).lines]
        assert any("passed, 0 failed" in line for line in lines)
        results = pilot.app.query_one("#test-results", DataTable)
        assert results.display and results.row_count > 1 and results.has_focus
        await pilot.press("down")
        await pilot.pause()
        debug = str(pilot.app.query_one("#debug", Static).content)
        assert "borger: " in debug and "kcbot: " in debug  # the dialogue's transcript


async def test_the_dashboard_refreshes_while_conversations_happen(
    db: Path, nlu, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("kcbot.console.app.REFRESH_SECONDS", 0.1)
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        overblik = pilot.app.query_one(Overblik)
        assert overblik.shown["samtaler"] == "5"
        await _fill(db, nlu, {"f": ["hvornår har I åbent"]}, NOW.replace(hour=10))
        for _ in range(50):
            await pilot.pause(0.05)
            if overblik.shown["samtaler"] == "6":
                break
        assert overblik.shown["samtaler"] == "6"


async def test_an_empty_store_opens_without_figures(tmp_path: Path) -> None:
    async with _app(tmp_path / "empty.sqlite3").run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert pilot.app.query_one(Overblik).shown["kpi"] == "–"
        await pilot.press("2", "3")
        await pilot.pause()
        assert pilot.app.query_one("#conversations-table", DataTable).row_count == 0


async def test_a_10000_ticket_queue_is_paged(tmp_path: Path, nlu) -> None:
    from kcbot.store import Store
    from kcbot.tickets import TicketService

    db = tmp_path / "big.sqlite3"
    async with Store.connect(db, FrozenClock(NOW)) as store:
        service = TicketService.open(store)
        async with store.transaction():
            for number in range(10_000):
                await service.create(None, "menneske", f"Borger {number}", navn=f"B {number}")
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        assert pilot.app.query_one("#tickets-table", DataTable).row_count == 200
        assert "af 10000" in str(pilot.app.query_one("#ticket-filters").content)
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert "201–400" in str(pilot.app.query_one("#ticket-filters").content)


async def test_the_weekly_report_from_the_console(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "rapporter"
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.app.workers.wait_for_complete()
        await pilot.press("r")  # a second report does not replace the first
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    first = folder / "kcbot-rapport-uge-2026-11-23.md"
    report = first.read_text(encoding="utf-8")
    assert report.startswith("# kcbot: rapport for uge 23.11.2026–29.11.2026")
    assert "| Straksafklaringsprocent (mål 65 %) | 75,0 % | – |" in report
    assert (folder / "kcbot-rapport-uge-2026-11-23 (2).md").exists()


async def test_a_slow_report_shows_a_work_bar_and_the_console_stays_usable(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from kcbot.console.widgets import WorkBar
    from kcbot.report_formats import write

    release = threading.Event()

    def slow_write(data, fmt):  # type: ignore[no-untyped-def]
        release.wait(timeout=30)  # stands in for drawing a big report
        return write(data, fmt)

    monkeypatch.setattr("kcbot.console.screens.overblik.write", slow_write)
    monkeypatch.setattr("kcbot.console.widgets.workbar.DELAY", 0.05)
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        bar = pilot.app.query_one(WorkBar)
        for _ in range(100):  # until the bar's short delay has passed
            await pilot.pause(0.02)
            if bar.display:
                break
        assert bar.display
        await pilot.pause()
        assert "Rapporten for uge (md) laves" in "\n".join(_screen_text(pilot.app))
        await pilot.press("2")  # the console answers while the report is drawn
        assert pilot.app.query_one(TabbedContent).active == "sager"
        release.set()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert not bar.display
        assert any("Rapporten er gemt i" in n.message for n in pilot.app._notifications)


async def test_the_dashboard_periods_and_the_updated_time(db: Path) -> None:
    from kcbot.console.screens.overblik import PERIODS

    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        overblik = pilot.app.query_one(Overblik)
        assert str(pilot.app.query_one("#updated").content) == "opdateret kl. 15.00"
        seen = {}
        for _ in PERIODS:
            seen[PERIODS[overblik.period][1]] = str(
                pilot.app.query_one("#period-label").content)
            await pilot.press("p")
            await pilot.app.workers.wait_for_complete()
        assert "(24.11.2026–24.11.2026)" in seen["i dag"]
        assert "(18.11.2026–24.11.2026)" in seen["sidste 7 dage"]
        assert "(26.10.2026–24.11.2026)" in seen["sidste 30 dage"]
        assert "(16.11.2026–22.11.2026)" in seen["forrige uge"]
        assert "(01.10.2026–31.10.2026)" in seen["forrige måned"]
        assert "perioden er ikke slut" in seen["denne uge"]
        assert "ikke slut" not in seen["forrige uge"]


async def test_the_chart_leaves_gaps_on_days_without_traffic(db: Path) -> None:
    from kcbot.console.widgets.charts import runs as _runs

    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        days = pilot.app.query_one(Overblik).days
        assert len(days) == 30 and days[-1][0].isoformat() == "2026-11-24"
        assert [share for _, _, share in days[:-1]] == [None] * 29  # no traffic: no point
        assert _runs(days) == [[(29, 75.0)]]
        chart = pilot.app.query_one("#trend-kpi")
        chart.render()
        plot = Text.from_ansi(chart.plt.build()).plain
        assert "65 %" in plot and "24.11" in plot  # the target tick and dates on the x-axis


async def test_cards_open_the_matching_tickets(db: Path) -> None:
    with sqlite3.connect(db) as con:  # one ticket overdue, one due later
        con.execute("UPDATE tickets SET due = '2026-11-24T12:00:00+01:00'")
        con.execute("INSERT INTO tickets (id, queue, category, summary, created, due, status)"
                    " VALUES ('KC-2026-000900', 'jobcenter', 'menneske', 'senere',"
                    " '2026-11-24T09:00:00+01:00', '2026-11-26T16:00:00+01:00', 'ny')")
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert pilot.app.query_one(Overblik).shown["overskredet"] == "1"
        card = pilot.app.query_one("#card-overskredet")
        assert card.has_class("bad")
        card.focus()
        await pilot.press("enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.query_one(TabbedContent).active == "sager"
        table = pilot.app.query_one("#tickets-table", DataTable)
        assert table.row_count == 1 and str(table.rows and next(iter(table.rows)).value) != (
            "KC-2026-000900")
        assert "over fristen: ja" in str(pilot.app.query_one("#ticket-filters").content)
        await pilot.press("1")
        await pilot.click("#card-aabne")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.query_one(TabbedContent).active == "sager"
        assert table.row_count == 2


async def test_80x24_keeps_the_target_and_the_card_labels(db: Path) -> None:
    async with _app(db).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        lines = _screen_text(pilot.app)
        text = "\n".join(lines)
        for words in ("Straksafklaringsprocent", "mål 65,0 %", "Afbrudt", "Samtaler",
                      "Tilbagemelding", "Åbne sager", "Frist i dag", "opdateret kl. 15.00"):
            assert words in text, words
        assert all(len(line) <= 80 for line in lines)
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        text = "\n".join(_screen_text(pilot.app))
        for words in ("Sag", "Frist", "Emne", "Kontakt til sagsbehandler", "Kø", "Status",
                      "Rettidig", "Jobcenter"):
            assert words in text, words
        assert "i_gang" not in text and "rettidig " not in text


def _screen_text(app) -> list[str]:
    return ["".join(segment.text for segment in strip)
            for strip in app.screen._compositor.render_strips()]


async def test_a_ticket_opens_its_conversation_and_back(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        ticket = pilot.app.query_one("#tickets-table", DataTable)
        (ticket_id,) = [str(row.value) for row in ticket.rows]
        await pilot.press("c")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.query_one(TabbedContent).active == "samtaler"
        conversations = pilot.app.query_one("#conversations-table", DataTable)
        assert conversations.row_count == 1
        assert "Sara Jensen" in str(pilot.app.query_one("#conversation-text", Static).content)
        await pilot.press("t")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert pilot.app.query_one(TabbedContent).active == "sager"
        assert [str(row.value) for row in ticket.rows] == [ticket_id]
        await pilot.press("3", "escape")  # all conversations again
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert conversations.row_count == 5


# codes that are not Danish words ("overdraget" is both, so it is not here)
CODES = ("i_gang", "genaabnet", "forfalder_i_dag", "overskredet", "kontakt_sagsbehandler",
         "ydelsesservice", "kontanthjaelp", "aabningstid", "nlu_fallback", "jobnet_kode")


async def test_no_internal_code_on_any_tab(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        for key in ("1", "2", "3"):
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()
            text = "\n".join(_screen_text(pilot.app))
            for code in CODES:
                assert code not in text, (key, code)
        assert "Kontakt til sagsbehandler" in text  # the words instead


async def test_escape_leaves_the_test_input_and_q_then_asks_to_quit(db: Path) -> None:
    from kcbot.console.widgets import Confirm

    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        chat = pilot.app.query_one("#chat-input", Input)
        chat.focus()
        await pilot.press("q")
        assert chat.value == "q"  # a letter while typing
        await pilot.press("escape", "q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, Confirm)
        await pilot.press("n")
        chat.focus()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(pilot.app.screen, Confirm)
        await pilot.press("n")


async def test_the_debug_view_marks_changed_slots(db: Path) -> None:
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("4")
        pilot.app.query_one("#chat-input", Input).focus()
        await pilot.press(*"jeg skal melde afbud", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        text = "\n".join(_screen_text(pilot.app))
        assert "Intent-rangering" in text and "Afbud til møde · afbud" in text
        assert "{" not in text  # a table, no raw JSON
        assert re.search(r"● +sag +afbud", text)
        await pilot.press(*"dagpenge", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        lines = _screen_text(pilot.app)
        changed = next(i for i, line in enumerate(lines) if re.search(r"● +borgergruppe", line))
        kept = next(i for i, line in enumerate(lines) if re.search(r"│ +sag +afbud", line))
        assert changed < kept  # what the turn changed comes first, marked; the rest unmarked
        assert re.search(r"Flows +afbud", "\n".join(lines))
        assert re.search(r"Venter på +moedetype", "\n".join(lines))


async def test_a_new_test_conversation_starts_clean(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.press("4")
        await pilot.press(*"jeg skal melde afbud", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert "● " in "\n".join(_screen_text(pilot.app))
        await pilot.press("ctrl+n")
        await pilot.pause()
        text = "\n".join(_screen_text(pilot.app))
        assert "jeg skal melde afbud" not in text and "Intent-rangering" not in text
        assert "Ny samtale · uret står på 24. nov. 2026 15.00" in text
        assert "^q Afslut" in text  # q is a letter here: the footer names the key that quits
        await pilot.press(*"hej", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        test = pilot.app.query_one("TestChat")
        rows = await test.engine.store.fetchall("SELECT sender FROM conversations")
        assert len(rows) == 2  # a new citizen, not the old conversation going on


async def test_demo_data_is_marked(db: Path) -> None:
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not pilot.app.query_one("#demo-badge").display
    with sqlite3.connect(db) as con:
        con.execute("UPDATE conversations SET channel = 'demo' WHERE rowid = 1")
    async with _app(db).run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert pilot.app.query_one(Overblik).demo
        assert pilot.app.query_one("#demo-badge").display
        assert "demodata" in "\n".join(_screen_text(pilot.app))


def test_the_volume_chart_counts_in_whole_numbers() -> None:
    from kcbot.console.widgets.charts import count_ticks

    assert count_ticks(5, 4) == [0, 2, 4, 6]
    assert count_ticks(0, 4) == [0, 1]
    assert count_ticks(63, 4) == [0, 20, 40, 60, 80]
    assert count_ticks(1283, 3) == [0, 500, 1000, 1500]


async def test_an_english_conversation_is_readable_to_a_danish_agent(tmp_path: Path, nlu) -> None:
    """The console stays Danish (its label table is Danish only); what a Danish agent needs from
    an English conversation is the ticket saying so and the citizen's own words as written."""
    db = tmp_path / "english.sqlite3"
    words = "I would like my caseworker to call me about my job plan"
    await _fill(db, nlu, {"en": ["I want to talk to a person", words, "Mette Hansen",
                                 "20 30 40 50", "1", "yes"]}, NOW.replace(hour=9))
    async with _app(db).run_test(size=(160, 50)) as pilot:
        await pilot.press("2")
        await pilot.pause()
        assert pilot.app.query_one("#tickets-table", DataTable).row_count == 1
        detail = pilot.app.query_one("#ticket-text", Static).content
        plain = detail.plain if isinstance(detail, Text) else str(detail)
        assert "Borgeren skriver engelsk." in plain
        assert "Vil tale med en medarbejder" in plain  # the topic in Danish words
        # the history's deadline is a time, not a masked CPR number
        assert "Oprettet kø Jobcenter, frist 26. nov. 2026 16.00" in plain
        assert "XXXX" not in plain
        await pilot.press("3")
        await pilot.pause()
        transcript = pilot.app.query_one("#conversation-text", Static).content
        plain = transcript.plain if isinstance(transcript, Text) else str(transcript)
        assert "I want to talk to a person" in plain and words in plain  # as written
        assert "borger [" in plain and "kcbot" in plain
