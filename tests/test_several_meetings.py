"""One afbud message with more than one meeting, day or request (f3): a meeting on the day of
another topic, the day tied to the meeting's word, two meetings taken one after the other,
markup not read, and "I can't come" with a reason taken as an afbud first."""

from __future__ import annotations

from datetime import date

import pytest

from kcbot.actions.afbud import meeting_clash, says_cant_come, says_not_coming
from kcbot.dialogue import Engine
from kcbot.dialogue.slots import meeting_day, meetings
from tests.test_offers import chat, journal

TODAY = date(2026, 11, 24)  # a Tuesday
DATES = ("dato",)


@pytest.mark.parametrize(("message", "clash"), [
    ("skal arbejde d. 3/12 hvor jeg har møde med jobcentret", True),
    ("jeg skal arbejde torsdag, samme dag som min samtale", True),
    ("har fået arbejde torsdag samtidig med min jobsamtale", True),
    ("I work on friday and that's when I have my meeting", True),
    ("it clashes with my appointment at the jobcentre", True),
    # a meeting that has been, none at all, or said not to be there
    ("jeg var på arbejde i går hvor jeg havde møde", False),
    ("jeg skal arbejde fra d. 3/12", False),
    ("jeg er på ferie hvor jeg ikke har møde", False),
])
def test_a_meeting_on_the_day_of_something_else_is_read(message: str, clash: bool) -> None:
    assert meeting_clash(message) is clash
    assert says_cant_come(message) is clash


@pytest.mark.parametrize(("message", "said"), [
    ("dagpenge, cant come tomorrow, reason: holiday", True),
    ("kan ikke komme på torsdag, grund ferie", True),
    ("kan ikke komme ind på jobnet i dag", False),
    ("I cannot get into Jobnet", False),
])
def test_not_coming_said_in_so_many_words(message: str, said: bool) -> None:
    assert says_not_coming(message) is said


@pytest.mark.parametrize(("message", "day"), [
    ("my mother is in hospital and I fly there tonight, I cannot attend my jobsamtale on monday",
     "2026-11-30"),
    ("i går ringede et firma og de vil se mig til samtale fredag kl 10", "2026-11-27"),
    ("min søn er syg i dag så jeg kan ikke komme til mødet på fredag", "2026-11-27"),
    # nothing ties a day to the meeting, or two days are tied: asked, not guessed
    ("jeg er syg, jeg kan ikke komme i morgen eller torsdag", None),
    ("kan hverken komme til jobsamtalen på torsdag eller jobklubben på fredag", None),
])
def test_the_day_tied_to_the_meeting_word_is_the_meetings(nlu, message: str,
                                                           day: str | None) -> None:
    assert meeting_day(nlu.parse(message, TODAY), DATES) == day


def test_two_meetings_are_read_with_their_kinds_and_one_named_twice_is_one(nlu) -> None:
    two = nlu.parse("kan hverken komme til jobsamtalen på torsdag eller jobklubben på fredag",
                    TODAY)
    assert meetings(two, DATES) == [("jobsamtale", "2026-11-26"), ("jobklub", "2026-11-27")]
    once = nlu.parse("kan ikke komme til mødet i morgen, det er en jobsamtale i morgen kl 10",
                     TODAY)
    assert meetings(once, DATES) == [("jobsamtale", "2026-11-25")]


async def test_a_meeting_beside_a_fravaer_report_is_cancelled_after_it(engine: Engine) -> None:
    replies = await chat(
        engine, "jeg får dagpenge. har fået et vikariat og skal arbejde d. 3/12 hvor jeg har "
        "møde med jobcentret", "ja", "Omar Khalil", "030585-2231", "jobsamtale")
    assert "fravær" in replies[0]
    assert "Du skrev også om afbud" in replies[3]
    assert "torsdag den 3. december" in replies[4] and "grund: arbejde" in replies[4]


async def test_two_meetings_are_each_read_back_and_registered(engine: Engine) -> None:
    replies = await chat(
        engine, "jeg får dagpenge og har fået arbejde hele ugen, så jeg kan hverken komme til "
        "jobsamtalen på torsdag eller jobklubben på fredag", "ja", "Omar Khalil", "030585-2231",
        "ja", "030585-2231")
    assert "jobsamtale torsdag den 26. november" in replies[0]
    assert "Du skrev også om et møde fredag den 27. november" in replies[3]
    assert "jobklub fredag den 27. november" in replies[3]
    assert "registreret dit afbud til jobklub" in replies[5]
    assert await journal(engine) == ["afbud", "afbud"]


async def test_markup_is_neither_read_nor_echoed(engine: Engine) -> None:
    replies = await chat(engine, "<script>alert('x')</script> jeg er på kontanthjælp og kan "
                         "ikke komme til min jobsamtale i morgen, jeg er syg")
    assert "Jeg melder afbud til din jobsamtale onsdag den 25. november" in replies[0]
    assert "script" not in replies[0] and "alert" not in replies[0]
