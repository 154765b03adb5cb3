"""Whose illness a message names, when the person stands beside the illness word without a
verb or a possessive (kcbot/nlu/someone_ill.py), and reasons that read too narrowly before:
the not-coming spelt as phones spell it, a transport that does not run, "I work"."""

from __future__ import annotations

from datetime import date

import pytest

from kcbot.actions.afbud import reason_is_clear

TODAY = date(2026, 12, 2)


@pytest.mark.parametrize(("text", "category"), [
    # a child beside the illness, before or after it, in Danish and English
    ("syg barn kan ik komme til jobsamtale imorgen dagpenge", "barn_syg"),
    ("sygt barn, kan ikke komme i morgen", "barn_syg"),
    ("skal passe syg søn, kan ikke komme", "barn_syg"),
    ("barnet syg kan ik komme", "barn_syg"),
    ("i dag er barnet syg så jeg kan ikke komme", "barn_syg"),
    ("datteren har høj feber, kan ikke komme", "barn_syg"),
    ("syg lille pige derhjemme, kan ikke komme", "barn_syg"),
    ("kid sick cant come tomorrow", "barn_syg"),
    ("baby very sick cant come", "barn_syg"),
    # a partner, a parent, a pet
    ("kæresten syg kan ikke komme", "paaroerende"),
    ("syg mor kan ikke komme", "paaroerende"),
    ("min mor syg, kan ikke komme", "paaroerende"),
    ("syg far kan ikke komme", "paaroerende"),
    ("my wife sick, i must stay home", "paaroerende"),
    ("hunden har feber, kan ikke komme", "paaroerende"),
    ("kids have flu cant come", "barn_syg"),
    ("my kid's sick, cant come", "barn_syg"),
    ("family member sick cant come", "paaroerende"),
    # the citizen's own illness
    ("syg i dag kan ik komme til jobsamtale imorgen", "sygdom"),
    ("jeg er syg med feber kan ikke komme", "sygdom"),
    ("jeg er syg. barnet er hos sin far", "sygdom"),
    ("barnet og jeg er syge", "sygdom"),
    ("sick kid? no, I am sick", "sygdom"),
    ("syg søn? nej, det er mig der er syg", "sygdom"),
    ("er syg far kontanthjælp", "sygdom"),  # "får" without its å
    ("jeg er syg, får ikke sovet", "sygdom"),
    ("I am on sick leave", "sygdom"),
])
def test_whose_illness(nlu, text: str, category: str) -> None:
    assert set(nlu.parse(text, TODAY).values("afbud_kategori")) == {category}


@pytest.mark.parametrize(("text", "day"), [
    ("kan ik komme i praktik imorn", "2026-12-03"),
    ("kan ikke komme i mårn", "2026-12-03"),
])
def test_spoken_spellings_of_tomorrow(nlu, text: str, day: str) -> None:
    assert nlu.parse(text, TODAY).values("dato") == [day]


@pytest.mark.parametrize(("text", "category"), [
    ("I can not come to jobsamtale tomorrow, I work. dagpenge", "arbejde"),
    ("cant come on friday, i have work", "arbejde"),
])
def test_i_work_is_work(nlu, text: str, category: str) -> None:
    assert nlu.parse(text, TODAY).values("afbud_kategori") == [category]


@pytest.mark.parametrize(("text", "clear"), [
    ("jeg har arbejd imorgen kan ikke kome mode jobcenter dagpenge", True),
    ("skal arbejde imorgen kan ikk kome til mode dagpenge", True),
    ("bus is not driving today, strike, so i can not come to my aktivering today", True),
    ("toget kører ikke pga strejke, så jeg kan ikke komme", True),
    ("bilen vil ikke starte, kan ikke nå min praktik i dag", True),
    ("my car won't start so i cannot come", True),
    ("skal arbejde i morgen og kan ikke få fri", True),
    ("I work tomorrow, my boss will not give me the day off", True),
    ("I have work and can't get time off", True),
    ("jeg har feber og har ikke sovet i nat", True),
    ("I am sick and can not stop coughing", True),
    # still a reason negated, hedged or not the reason
    ("jeg er ikke syg men kan ikke få fri", False),
    ("jeg er ikke syg men kan ikke kome i morgen", False),
    ("bussen er ikke forsinket men jeg kan ikke komme", False),
    ("the bus is not late but i cannot come", False),
    ("min vagt starter ikke før kl 14, kan ikke komme", False),
])
def test_reason_clear(text: str, clear: bool) -> None:
    assert reason_is_clear(text) is clear
