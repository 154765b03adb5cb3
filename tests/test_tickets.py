from __future__ import annotations

import json
from datetime import timedelta

import pytest

from kcbot.calendar import BusinessCalendar
from kcbot.store import Store
from kcbot.tickets import Routing, TicketError, TicketService
from tests.pg import where_args
from tests.test_cli import kcbot

CAL = BusinessCalendar.load()


@pytest.fixture
async def service(store_target, clock):
    # every ticket test runs on both stores: SQLite and a real PostgreSQL server
    async with Store.connect(store_target, clock) as store:
        yield TicketService(store, CAL, Routing.load())


async def test_creation_is_idempotent_per_conversation_and_category(service) -> None:
    conversation = await service.store.start_conversation("chat", "borger-1")
    first, created = await service.create(conversation, "kontakt_sagsbehandler", "ring op")
    again, created_again = await service.create(conversation, "kontakt_sagsbehandler", "igen")
    assert created and not created_again
    assert again.id == first.id == "KC-2026-000001"
    other, _ = await service.create(conversation, "klage", "klage over ventetid")
    assert other.id == "KC-2026-000002"
    assert len(await service.list()) == 2


async def test_a_created_ticket_is_the_one_stored(service) -> None:
    # the ticket create returns is built from what it wrote, not read back: it must be the row
    conversation = await service.store.start_conversation("chat", "borger-1")
    full, _ = await service.create(conversation, "menneske", "ring 240190-1234 op",
                                   borgergruppe="dagpenge", navn="Ida 240190-1234",
                                   telefon="12 34 56 78", cpr="240190-1234")
    bare, _ = await service.create(None, "klage", "utilfreds")
    for ticket in (full, bare):
        assert ticket == await service.get(ticket.id)
    assert (full.navn, full.cpr_maskeret, full.status) == ("Ida 240190-XXXX", "240190-XXXX",
                                                           "ny")


async def test_routing_and_deadlines(service) -> None:
    # the clock stands on Tuesday 24 November 2026 09:15
    payment, _ = await service.create(None, "ydelse", "mangler udbetaling")
    complaint, _ = await service.create(None, "klage", "utilfreds")
    callback, _ = await service.create(None, "menneske", "vil tale med en person")
    assert (payment.queue, complaint.queue, callback.queue) == ("ydelsesservice", "cdu",
                                                                "jobcenter")
    assert callback.due == "2026-11-26T16:00:00+01:00"
    assert complaint.due == "2026-12-22T16:00:00+01:00"


async def test_summary_masks_cpr_but_the_ticket_keeps_it(service) -> None:
    ticket, _ = await service.create(None, "menneske", "borger 240190-1234 vil ringes op",
                                     cpr="240190-1234")
    assert ticket.summary == "borger 240190-XXXX vil ringes op"
    assert ticket.cpr is not None and "1234" not in ticket.cpr  # encrypted at rest
    assert service.store.open_cpr(ticket.cpr) == "240190-1234"  # for the agent calling back
    assert ticket.cpr_maskeret == "240190-XXXX"
    assert "cpr" not in ticket.as_json()


async def test_life_cycle_with_history_and_sla(service, clock) -> None:
    ticket, _ = await service.create(None, "menneske", "ring op")
    await service.claim(ticket.id, "ab")
    await service.note(ticket.id, "ab", "ringede, ingen svar")
    clock.advance(timedelta(days=3))  # past the due time
    assert ticket.sla(clock.now()) == "overskredet"
    assert [t.id for t in await service.list(overdue=True)] == [ticket.id]
    closed = await service.close(ticket.id, "cd", "talt med borger")
    assert (closed.status, closed.agent, closed.closed_on_time) == ("afsluttet", "CD", False)
    reopened = await service.reopen(ticket.id, "ab")
    assert reopened.status == "genaabnet" and reopened.closed is None
    history = await service.history(ticket.id)
    assert [(h["agent"], h["action"]) for h in history] == [
        ("kcbot", "oprettet"), ("AB", "taget"), ("AB", "notat"), ("CD", "afsluttet"),
        ("AB", "genåbnet"),
    ]


async def test_illegal_transitions_change_nothing(service) -> None:
    ticket, _ = await service.create(None, "menneske", "ring op")
    with pytest.raises(TicketError):
        await service.reopen(ticket.id, "ab")  # not closed
    with pytest.raises(TicketError):
        await service.claim(ticket.id, "  ")  # no initials
    with pytest.raises(TicketError):
        await service.close(ticket.id, "ab", "")  # no resolution note
    await service.close(ticket.id, "ab", "klaret")
    with pytest.raises(TicketError):
        await service.close(ticket.id, "ab", "igen")
    with pytest.raises(TicketError):
        await service.claim("KC-2026-999999", "ab")
    assert len(await service.history(ticket.id)) == 2


async def test_reopen_refuses_when_a_newer_ticket_is_open(service) -> None:
    conversation = await service.store.start_conversation("chat", "borger-1")
    old, _ = await service.create(conversation, "klage", "første")
    await service.close(old.id, "ab", "besvaret")
    await service.create(conversation, "klage", "anden")
    with pytest.raises(TicketError, match="åben sag"):
        await service.reopen(old.id, "ab")


def test_agent_session_through_the_cli(store_target) -> None:
    import asyncio

    from kcbot.clock import FrozenClock, parse_local

    db = store_target

    async def seed() -> None:
        async with Store.connect(db, FrozenClock(parse_local("2026-11-24T09:15"))) as store:
            await TicketService(store, CAL, Routing.load()).create(None, "ydelse", "penge")

    asyncio.run(seed())
    where = where_args(db)
    now = [*where, "--now", "2026-11-24T10:00"]
    listed = kcbot("tickets", "list", "--json", *now)
    assert listed.returncode == 0, listed.stderr.decode()
    (ticket,) = json.loads(listed.stdout)
    assert set(ticket) == {"id", "conversation_id", "queue", "category", "status",
                           "borgergruppe", "navn", "telefon", "summary", "created", "due",
                           "closed", "agent", "cpr_maskeret"}
    assert kcbot("tickets", "claim", ticket["id"], "--agent", "ab", *now).returncode == 0
    assert kcbot("tickets", "close", ticket["id"], "--agent", "ab", "--note", "ok",
                 *now).returncode == 0
    refused = kcbot("tickets", "close", ticket["id"], "--agent", "ab", "--note", "ok", *now)
    assert refused.returncode == 2 and b"Traceback" not in refused.stderr
    shown = kcbot("tickets", "show", ticket["id"], *now).stdout.decode()
    assert "historik" in shown and "AB Afsluttet" in shown


async def test_staff_input_is_stripped_of_terminal_control_and_masked(service) -> None:
    ticket, _ = await service.create(None, "menneske", "ring op")
    osc = "\x1b]0;hacked\x07"
    await service.claim(ticket.id, "a\x07b\u200b")
    await service.note(ticket.id, "ab", f"ringede {osc}\x1b[2J borgeren\u202e cpr 2401901234")
    closed = await service.close(ticket.id, "ab", "klaret\x1b[31m, cpr 24.01.90-1234\x07")
    history = await service.history(ticket.id)
    stored = " ".join(str(v) for h in history for v in h.values()) + str(closed.resolution)
    assert "\x1b" not in stored and "\x07" not in stored and "\u202e" not in stored
    assert "1234" not in stored and "240190-XXXX" in stored
    assert [h["agent"] for h in history][1:] == ["AB", "AB", "AB"]


@pytest.mark.parametrize("initials", ["a", "abcdef", "a1", "ab cd", "\x1b]0;x\x07", "<b>"])
async def test_initials_are_two_to_five_letters(service, initials: str) -> None:
    ticket, _ = await service.create(None, "menneske", "ring op")
    with pytest.raises(TicketError, match="2 til 5 bogstaver"):
        await service.claim(ticket.id, initials)
    assert len(await service.history(ticket.id)) == 1
