"""What a settled case leaves behind: one journal note with rule and source, and outbox
messages that carry no more than the receiver needs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from kcbot.clock import FrozenClock
from kcbot.config import Settings
from kcbot.dialogue import Engine


@pytest.fixture
async def engine(backend_settings: Settings, clock: FrozenClock, nlu) -> AsyncIterator[Engine]:
    engine = await Engine.open(backend_settings, clock, nlu=nlu)
    yield engine
    await engine.close()


WHO = ("Mette Hansen", "150390-2468")  # the answers to the name and CPR questions


async def _say(engine: Engine, *messages: str) -> str:
    result = None
    for message in messages:
        result = await engine.turn("borger", message)
    assert result is not None
    return result.conversation_id


async def test_an_accepted_afbud_leaves_one_note_with_rule_and_source(engine) -> None:
    conversation = await _say(
        engine, "jeg får dagpenge og kan ikke komme til min jobsamtale i morgen, "
                "jeg har fået konstateret lungebetændelse og er syg", "ja", *WHO)
    journal = await engine.store.fetchall("SELECT * FROM journal")
    assert len(journal) == 1
    note = journal[0]
    assert note["conversation_id"] == conversation
    assert (note["sag"], note["borgergruppe"], note["rule"]) == (
        "afbud", "dagpenge", "dagpenge_gyldig_grund_sygdom")
    assert "bilag 4" in note["source"]
    # the facts the rule used, so a caseworker can check it
    assert "mødedato: 2026-11-25 (i dag 2026-11-24, i morgen)" in note["note"]
    assert "grund: sygdom" in note["note"] and "bekræftet af borgeren: ja" in note["note"]
    outbox = await engine.store.fetchall("SELECT recipient, body, navn, regel FROM outbox")
    assert [(o["recipient"], o["navn"], o["regel"]) for o in outbox] == [
        ("jobcenter", "Mette Hansen", "dagpenge_gyldig_grund_sygdom")]
    assert "Grund: sygdom" in outbox[0]["body"]
    assert "lungebetændelse" not in outbox[0]["body"]  # health details stay out


async def test_guidance_alone_is_noted_with_the_texts_sources(engine) -> None:
    await _say(engine, "må jeg holde ferie på dagpenge")
    journal = await engine.store.fetchall("SELECT sag, decision, rule, source FROM journal")
    assert [tuple(row) for row in journal] == [(
        "ferie", "Vejledning givet", "utter_ferie_dagpenge",
        "fa-k.dk, ftfa.dk, foa.dk, f-f.dk (domain-facts.md, Ferie, M-H); "
        "fynjyllandsyd.dk (under 14 dage: ring, M)",
    )]
    assert await engine.store.fetchall("SELECT * FROM outbox") == []


async def test_a_sick_report_sends_the_period_not_the_illness(engine) -> None:
    await _say(engine, "jeg er syg og får kontanthjælp", "en uge, jeg har ondt i ryggen", "ja",
               *WHO)
    outbox = await engine.store.fetchall("SELECT recipient, subject, body FROM outbox")
    assert [(o["recipient"], o["subject"]) for o in outbox] == [("jobcenter", "Sygemelding")]
    assert "24. november 2026" in outbox[0]["body"] and "ryg" not in outbox[0]["body"]
    journal = await engine.store.fetchall("SELECT note FROM journal")
    assert len(journal) == 1 and "en uge" in journal[0]["note"]


async def test_a_handoff_writes_no_journal_note_but_a_ticket(engine) -> None:
    await _say(engine, "jeg vil klage over min sagsbehandler", "hun svarer aldrig",
               "Sara Jensen", "20304050", "dagpenge", "ja")
    assert await engine.store.fetchall("SELECT * FROM journal") == []
    tickets = await engine.store.fetchall("SELECT queue, category, summary FROM tickets")
    assert [(t["queue"], t["category"]) for t in tickets] == [("cdu", "klage")]
    assert tickets[0]["summary"] == (
        "Sara Jensen (dagpenge): klage. Borgerens ord: hun svarer aldrig")


@pytest.mark.parametrize("queue", ["cdu", "ydelsesservice"])
def test_a_ticket_outside_the_jobcentre_carries_the_health_category_not_the_words(
        queue: str) -> None:
    from kcbot.actions.tilbagekald import summary

    slots = {"navn": "Sara Jensen", "borgergruppe": "dagpenge", "afbud_kategori": "sygdom",
             "afbud_grund": "jeg har fået konstateret kræft",
             "beskrivelse": "min kemo gør at jeg ikke kan møde"}
    line = summary("ydelse", slots, queue)
    assert "kræft" not in line and "kemo" not in line
    assert "Grund: sygdom" in line
    # the jobcentre's own caseworker still reads the citizen's words
    assert "kræft" in summary("menneske", slots, "jobcenter")


def test_a_message_template_naming_the_citizens_words_gets_the_category() -> None:
    from datetime import date

    from kcbot.actions.registrering import fill

    slots = {"borgergruppe": "dagpenge", "afbud_kategori": "sygdom",
             "afbud_grund": "jeg har ondt i ryggen", "beskrivelse": "diskusprolaps"}
    text = fill("Grund: {afbud_grund}. Ord: {beskrivelse}.", slots, date(2026, 11, 24))
    assert text == "Grund: sygdom. Ord: sygdom."
