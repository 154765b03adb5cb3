"""The answer reader: yes/no from whole sentences, options by meaning, names, negation and
corrections, each as a citizen on a phone writes them."""

from __future__ import annotations

from datetime import date

import pytest

from kcbot.config import data_path
from kcbot.dialogue.answers import (
    NO,
    UNKNOWN,
    YES,
    correction,
    looks_like_name,
    read_polar,
    strip_name_intro,
)
from kcbot.dialogue.domain import load_domain
from kcbot.dialogue.reading import corrections, only_facts, only_when
from kcbot.dialogue.slots import answer_value

MITID = "Logger du ind på Jobnet med MitID?"
LOGIN = "Kan du logge ind på Jobnet?"
TODAY = date(2026, 11, 24)


@pytest.fixture(scope="module")
def domain():
    return load_domain(data_path("dialogues"))


@pytest.mark.parametrize(("text", "question", "expected"), [
    ("ja", MITID, YES),
    ("ja jeg bruger mitid", MITID, YES),
    ("Jaaa det gør jeg", MITID, YES),
    ("det gør jeg", MITID, YES),
    ("jo da", MITID, YES),
    ("yes I do", MITID, YES),
    ("jeg bruger mit id", MITID, YES),
    ("jeg bruger mitid hver dag", MITID, YES),
    ("nej", MITID, NO),
    ("nej jeg har ikke mitid", MITID, NO),
    ("nej tak", MITID, NO),
    ("har ikke", MITID, NO),
    ("det gør jeg ikke", MITID, NO),
    ("jeg har ikk mitid", MITID, NO),
    ("no I don't have MitID", MITID, NO),
    ("I don't have it", MITID, NO),
    ("jeg kan ikke logge ind", LOGIN, NO),
    ("jeg kan godt logge ind", LOGIN, YES),
    ("det ved jeg ikke", MITID, UNKNOWN),
    ("aner det ik", MITID, UNKNOWN),
    ("I don't know", MITID, UNKNOWN),
    ("måske", MITID, UNKNOWN),
    ("hvornår har I åbent", MITID, None),
    # English negation written out reads as the contraction; a long answer is negated in the
    # clause that names what was asked
    ("I do not", "Do you log in with MitID?", "nej"),
    ("no, I do not use MitID, I never had it", "Do you log in with MitID?", "nej"),
    ("it does not", "Does it work?", "nej"),
    ("I have the MitID app but it does not work on my new phone", "Do you log in with MitID?",
     "ja"),
    ("jeg har mitid men den virker ikke", "Logger du ind med MitID?", "ja"),
    # an opening word the sentence contradicts agreed to something else: no answer
    ("ja, men jeg har ikke fået mitid endnu", MITID, None),
    ("yes but I don't have MitID yet", "Do you log in with MitID?", None),
    ("nej, jeg er syg", "Kan du komme til mødet?", NO),
    ("ja jeg har mitid men den virker ikke", MITID, YES),
])
def test_yes_no_from_whole_sentences(text: str, question: str, expected: str | None) -> None:
    assert read_polar(text, question) == expected


def _answer(domain, nlu, slot: str, text: str):
    return answer_value(domain, slot, None, nlu.parse(text, TODAY), text)


@pytest.mark.parametrize(("slot", "text", "expected"), [
    ("borgergruppe", "kontanthjalp", "kontanthjaelp"),
    ("borgergruppe", "kontant hjælp", "kontanthjaelp"),
    ("borgergruppe", "dagpenne", "dagpenge"),
    ("borgergruppe", "jeg er på a-kassen", "dagpenge"),
    ("borgergruppe", "jeg får sygedagpenge", "sygedagpenge"),
    ("borgergruppe", "jeg får ikke dagpenge, men kontanthjælp", "kontanthjaelp"),
    ("borgergruppe", "social assistance", "kontanthjaelp"),
    ("borgergruppe", "2", "kontanthjaelp"),
    ("borgergruppe", "ved ikke", None),
    ("sygemeldt_fra", "fra mit arbejde", "job"),
    ("sygemeldt_fra", "arbejde", "job"),
    ("sygemeldt_fra", "jeg er ledig", "ledighed"),
    ("sygemeldt_fra", "har eget firma", "selvstaendig"),
    ("moedetype", "a normal meeting with my caseworker", "jobsamtale"),
    ("moedetype", "kurset", "tilbud"),
    ("moedetype", "jobklubben", "jobklub"),
    ("mitid", "ja jeg bruger mitid", "ja"),
    ("mitid", "nej har ikke mitid", "nej"),
    # the way in without MitID names "nej"; against an opening "ja" it is asked again
    ("mitid", "jeg logger ind med brugernavn og adgangskode", "nej"),
    ("mitid", "jeg får koden med posten", "nej"),
    ("mitid", "ja send den med brev", None),
    ("mitid", "nej jeg bruger kodeviser", None),
    ("mitid", "ja jeg bruger kodeviseren", "ja"),
])
def test_options_by_meaning(domain, nlu, slot: str, text: str, expected: str | None) -> None:
    assert _answer(domain, nlu, slot, text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Mette Hansen", True),
    ("ali", True),
    ("Jean-Luc Ørsted Nielsen", True),
    ("jeg hedder Sara Jensen", True),
    ("fra mit job", False),
    ("det ved jeg ikke", False),
    ("jeg er syg", False),
    ("20 30 40 50", False),
    ("hvorfor skal I vide det", False),
    # domain words are no name on their own, but a surname may be one ("Rask", "Post")
    ("kommunen", False),
    ("jobcentret", False),
    ("sygedagpenge", False),
    ("a-kassen", False),
    ("borgerservice", False),
    ("Mikkel Rask", True),
    ("Lone Post", True),
    ("Bo Rask", True),
])
def test_names_look_like_names(text: str, expected: bool) -> None:
    assert looks_like_name(text) is expected


def test_name_introduction_is_dropped() -> None:
    assert strip_name_intro("Jeg hedder Ali Hassan") == "Ali Hassan"
    assert strip_name_intro("my name is John Smith.") == "John Smith"


def _entities(nlu, text: str) -> set[tuple[str, str]]:
    return {(e.entity, e.value) for e in nlu.parse(text, TODAY).entities}


def test_negated_reason_names_no_illness(nlu) -> None:
    found = _entities(nlu, "jeg er ikke syg, men bilen er i stykker")
    assert ("afbud_kategori", "sygdom") not in found
    assert ("afbud_kategori", "transport") in found
    assert ("afbud_kategori", "sygdom") in _entities(nlu, "jeg kan ikke komme, jeg er syg")
    assert ("afbud_kategori", "sygdom") not in _entities(nlu, "jeg er ikke længere syg")
    assert ("borgergruppe", "dagpenge") not in _entities(nlu, "jeg får ikke dagpenge")


@pytest.mark.parametrize("illness", [
    "lungebetændelse", "influenza", "feber", "migræne", "depression", "en operation",
    "mavesyge", "rygsmerter", "blærebetændelse", "hovedpine",
])
def test_illnesses_are_sygdom(nlu, illness: str) -> None:
    assert ("afbud_kategori", "sygdom") in _entities(nlu, f"jeg har {illness}")


def test_reason_given_in_passing(nlu) -> None:
    found = dict(_entities(nlu, "kan ikke komme i morgen, min bil er gået i stykker"))
    assert found["grund"] == "min bil er gået i stykker"
    assert dict(_entities(nlu, "I cant come because my son is sick"))["grund"] == "my son is sick"


@pytest.mark.parametrize(("text", "expected"), [
    ("nej undskyld, det er torsdag", True),
    ("undskyld jeg mente kontanthjælp", True),
    ("forkert dato", True),
    ("sorry I meant thursday", True),
    ("nej, torsdag", True),
    ("nej jeg er syg i dag og har ondt i hovedet og feber", False),
    ("jeg er syg", False),
])
def test_corrections_are_recognised(text: str, expected: bool) -> None:
    assert correction(text) is expected


def test_correction_changes_the_named_slot_only(domain, nlu) -> None:
    slots = {"borgergruppe": "dagpenge", "moededato": "2026-11-25", "moedetype": "jobsamtale"}
    parse = nlu.parse("nej undskyld, det er torsdag", TODAY)
    assert corrections(domain, parse, slots, "afbud_grund") == {"moededato": "2026-11-26"}
    parse = nlu.parse("undskyld, jeg mente kontanthjælp", TODAY)
    assert corrections(domain, parse, slots, "afbud_grund") == {"borgergruppe": "kontanthjaelp"}
    parse = nlu.parse("forkert dato", TODAY)
    assert corrections(domain, parse, slots, "afbud_grund") == {"moededato": None}
    # The slot being asked is answered, not corrected.
    parse = nlu.parse("nej, torsdag", TODAY)
    assert corrections(domain, parse, slots, "moededato") == {}


def test_a_group_alone_is_a_fact_not_a_topic(nlu) -> None:
    assert only_facts(nlu.parse("sygedagpenge", TODAY))
    assert only_facts(nlu.parse("jeg får dagpenge", TODAY))
    assert not only_facts(nlu.parse("ferie", TODAY))
    assert not only_facts(nlu.parse("jeg får dagpenge og vil holde ferie", TODAY))


@pytest.mark.parametrize(("text", "expected"), [
    ("det med i morgen", True),
    ("på fredag kl 10", True),
    ("jeg kan ikke komme i morgen", False),
    ("syg i dag", False),
    ("I didn't show up to my meeting on monday", False),
    ("ferie", False),
])
def test_a_day_alone_names_no_topic(nlu, text: str, expected: bool) -> None:
    assert only_when(nlu.parse(text, TODAY)) is expected
