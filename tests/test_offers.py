"""Offers after a settled topic (flow key ``offer``) and the reading fixes of the third Danish
red-team: a sick report that says a meeting is missed offers the afbud, an afbud for one's own
sickness offers the sick report, neither offers the other back, and a question back about the
question is explained instead of read as a topic."""

from __future__ import annotations

from datetime import date

import pytest

from kcbot.dialogue import Engine, TurnResult
from kcbot.dialogue.answers import choice_number

OFFER_AFBUD = "Skal jeg også melde afbud til dit møde?"
OFFER_SYG = "Skal jeg også sygemelde dig"


def text(result: TurnResult) -> str:
    return "\n".join(reply.text for reply in result.replies)


async def chat(engine: Engine, *messages: str) -> list[str]:
    return [text(await engine.turn("borger", m)) for m in messages]


async def journal(engine: Engine) -> list[str]:
    rows = await engine.store.fetchall("SELECT sag FROM journal ORDER BY id")
    return [row["sag"] for row in rows]


async def tickets(engine: Engine) -> int:
    row = await engine.store.fetchone("SELECT count(*) AS n FROM tickets")
    return int(row["n"])


async def test_a_sick_report_that_says_a_meeting_is_missed_offers_the_afbud_after_it(
        engine: Engine) -> None:
    replies = await chat(engine, "kan ik komme idag er syg", "dagpenge")
    assert "Jobnet" in replies[1] and OFFER_AFBUD in replies[1]
    # the sick report is settled and noted before the offer: leaving now loses nothing
    assert await journal(engine) == ["sygemelding"]
    assert await engine.end("borger") == "straksafklaret"


async def test_yes_takes_the_afbud_with_the_day_and_the_reason_already_given(
        engine: Engine) -> None:
    replies = await chat(engine, "kan ik komme idag er syg", "dagpenge", "ja tak", "jobsamtale")
    assert "Hvilken slags møde" in replies[2]  # the kind of meeting, not the day or the reason
    assert "Hvilken dag" not in "".join(replies) and "Hvad er grunden" not in "".join(replies)
    assert "tirsdag den 24. november" in replies[3] and "grund: sygdom" in replies[3]


async def test_no_to_the_offer_ends_the_topic_without_an_afbud(engine: Engine) -> None:
    replies = await chat(engine, "er syg og kan ik komme i dag", "dagpenge", "nej tak")
    assert "Er der andet" in replies[2] and "Jeg melder afbud" not in replies[2]
    assert await journal(engine) == ["sygemelding"]


async def test_a_sick_report_without_the_cant_come_frame_offers_nothing(engine: Engine) -> None:
    replies = await chat(engine, "jeg er blevet syg med influenza", "dagpenge")
    assert OFFER_AFBUD not in replies[1] and "Er der andet" in replies[1]


async def test_a_hedged_reason_kept_for_the_offered_afbud_goes_to_a_person(
        engine: Engine) -> None:
    replies = await chat(engine, "er maaske ved at blive syg, kan nok ikke komme i morgen",
                         "dagpenge", "ja", "jobsamtale")
    assert "Jeg melder afbud" not in replies[3] and "medarbejder" in replies[3]


async def test_sygedagpenge_gets_one_callback_and_no_offer(engine: Engine) -> None:
    replies = await chat(engine, "er syg igen og kan ik komme i morgen, sygedagpenge",
                         "jobsamtale", "Fatima Ali", "20304050", "ja")
    assert "KC-2026-000001" in replies[-1]  # the callback, taken to its end
    everything = "".join(replies)
    assert OFFER_AFBUD not in everything and OFFER_SYG not in everything
    assert await tickets(engine) == 1


async def test_a_correction_of_the_sick_report_keeps_the_offer(engine: Engine) -> None:
    replies = await chat(engine, "er syg kan ik komme i dag", "kontanthjaelp", "en uge",
                         "nej undskyld, jeg har vaeret syg siden i gaar", "ja", "Anna Holm",
                         "150390-2468")
    assert "rettet det til mandag den 23. november" in replies[3]
    assert "registreret din sygemelding fra mandag" in replies[-1]
    assert OFFER_AFBUD in replies[-1]


async def test_the_offered_afbud_offers_no_sick_report_back(engine: Engine) -> None:
    replies = await chat(
        engine, "har influenza, kommer ikke paa torsdag. kontanthjaelp", "en uge", "ja",
        "Tomas Nowak", "050991-2753", "ja", "jobsamtale", "ja", "050991-2753")
    everything = "\n".join(replies)
    assert "registreret din sygemelding fra tirsdag den 24. november" in everything
    assert OFFER_AFBUD in everything and "registreret dit afbud" in replies[-1]
    assert OFFER_SYG not in everything and "Er der andet" in replies[-1]
    assert await journal(engine) == ["sygemelding", "afbud"]
    assert await tickets(engine) == 0


async def test_an_afbud_for_own_sickness_offers_the_sick_report(engine: Engine) -> None:
    replies = await chat(engine, "er syg kan ikke komme til jobsamtale i morgen, kontanthjaelp",
                         "ja", "Fatima Ali", "030794-1608")
    assert "registreret dit afbud" in replies[-1] and OFFER_SYG in replies[-1]


async def test_a_question_back_about_the_question_is_explained_not_a_new_topic(
        engine: Engine) -> None:
    replies = await chat(engine, "kan ik komme til min samtale",
                         "hvad er forskellen paa dagpenge og kontanthjaelp?",
                         "saa er det kontanthjaelp")
    assert "a-kasse" in replies[1] and "Hvilken ydelse får du?" in replies[1]
    assert "Ydelsesservice" not in "".join(replies) and "Hvilken dag" in replies[2]


async def test_why_do_you_need_it_is_answered_and_the_reason_asked_again(engine: Engine) -> None:
    replies = await chat(engine, "afbud, dagpenge", "jobsamtale", "torsdag",
                         "hvorfor skal du vide det?", "jeg skal til jobsamtale hos Novo")
    assert "Grunden afgør" in replies[3] and "Hvad er grunden" in replies[3]
    assert "ansættelsessamtale" in replies[4]


async def test_a_bare_new_date_at_the_read_back_corrects_it(engine: Engine) -> None:
    replies = await chat(engine, "vil raskmelde mig", "jeg er paa kontanthjaelp", "fra i morgen")
    assert "onsdag den 25. november" in replies[2] and "Hvilken slags møde" not in replies[2]


async def test_a_name_given_again_corrects_the_name(engine: Engine) -> None:
    await chat(engine, "er syg kan ik komme til jobsamtale i dag, kontanthjaelp", "ja",
               "Karin Hol")
    replies = await chat(engine, "nej undskyld det er Karin Holm")
    assert "rettet" in replies[0]
    await chat(engine, "ja")
    state = (await engine.turn("borger", "250768-1244")).state
    assert state.slots.get("navn") == "Karin Holm"


@pytest.mark.parametrize(("answer", "number"), [
    ("det er den første", 1), ("jeg tager nr 2 tak", 2), ("it is the second one", 2),
    ("den sidste", 4), ("det er en samtale", None), ("det er sådan", None),
])
def test_a_place_in_a_whole_sentence_picks_the_option(answer: str, number: int | None) -> None:
    assert choice_number(answer, 4) == number


@pytest.mark.parametrize(("message", "entity", "value"), [
    ("2-3 dage", "varighed", "2-3 dage"), ("3 til 4 uger", "varighed", "3 til 4 uger"),
    ("min søn er syg", "afbud_kategori", "barn_syg"),
    ("nej undskyld det er Karin Holm", "navn", "Karin Holm"),
])
def test_entities_of_the_red_team_messages(nlu, message: str, entity: str, value: str) -> None:
    parse = nlu.parse(message, date(2026, 11, 24))
    assert {e.value for e in parse.entities if e.entity == entity} == {value}  # one reason
    if entity == "varighed":
        assert not parse.values("dato")  # "2-3 dage" is not the 2nd of March
