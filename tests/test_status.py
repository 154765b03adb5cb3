"""A status told beside a request is context, not a request of its own (kcbot.dialogue.status)."""

from __future__ import annotations

from datetime import date

import pytest

from kcbot.dialogue.status import is_status

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(("part", "message", "expected"), [
    ("jeg er sygemeldt", "jeg er sygemeldt. må jeg holde ferie?", True),
    ("jeg har et job som sosu", "jeg er rask fra mandag. jeg har et job som sosu", True),
    ("I am on sick leave", "I am on sick leave. Can I go on holiday?", True),
    ("har været sygemeldt siden august", "har været sygemeldt siden august. ferie?", True),
    ("jeg er syg med stress", "jeg er syg med stress og får sygedagpenge", True),
    # news, not a status
    ("jeg er syg", "jeg er syg og får dagpenge. må jeg holde ferie?", False),
    ("jeg er blevet syg i dag", "jeg er blevet syg i dag. må jeg holde ferie?", False),
    ("jeg har fået et nyt job", "jeg har fået et nyt job. hvad nu?", False),
    ("jeg er sygemeldt fra i morgen", "jeg er sygemeldt fra i morgen. ferie?", False),
    ("jeg er syg og kan ikke komme", "jeg er syg og kan ikke komme", False),
    ("er afmeldt som ledig", "er afmeldt som ledig og kan heller ikke logge på", False),
    ("jeg er ikke sygemeldt længere", "jeg er ikke sygemeldt længere. ferie?", False),
    ("min søn er syg", "min søn er syg. kan ikke komme", False),
])
def test_status_or_news(nlu, part: str, message: str, expected: bool) -> None:
    assert is_status(nlu.parse(part, TODAY), nlu.parse(message, TODAY)) is expected
