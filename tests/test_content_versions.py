"""Dated versions and conditional variants of a response: the text in force on the
conversation's date, for the conversation's slots, and a version set with a gap, an overlap or
no source is refused at load."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from kcbot.dialogue import load_domain
from kcbot.errors import DataError
from tests.conftest import REPO

DIALOGUES = REPO / "dialogues"

_VERSIONS = """
  utter_test_version:
    - text: "Gammel tekst"
      metadata: {source: "a", reviewed: 2026-11-24, valid_to: 2026-12-31}
    - text: "Old text"
      condition: [{type: slot, name: sprog, value: en}]
      metadata: {source: "a", reviewed: 2026-11-24, valid_to: 2026-12-31}
    - text: "Ny tekst"
      metadata: {source: "b", reviewed: 2026-11-30, valid_from: 2027-01-01}
"""


@pytest.fixture
def dialogues(tmp_path: Path) -> Path:
    copy = tmp_path / "dialogues"
    shutil.copytree(DIALOGUES, copy)
    return copy


def _with(dialogues: Path, responses: str) -> Path:
    domain = dialogues / "domain.yml"
    text = domain.read_text(encoding="utf-8")
    if "  sprog:" not in text:  # the language slot the condition names
        text = text.replace("slots:\n", "slots:\n  sprog:\n    type: text\n"
                            "    mappings: [{type: custom}]\n", 1)
    domain.write_text(text.replace("responses:\n", "responses:" + responses, 1),
                      encoding="utf-8")
    return dialogues


def test_the_version_in_force_on_the_conversations_date_is_used(dialogues: Path) -> None:
    domain = load_domain(_with(dialogues, _VERSIONS))
    with domain.selecting(date(2026, 12, 31), {}):
        assert domain.render("utter_test_version", {}).text == "Gammel tekst"
        assert domain.metadata("utter_test_version")["source"] == "a"
    with domain.selecting(date(2027, 1, 1), {}):
        assert domain.render("utter_test_version", {}).text == "Ny tekst"
        assert domain.metadata("utter_test_version")["source"] == "b"


def test_a_matching_condition_wins_and_slots_can_be_given_later(dialogues: Path) -> None:
    domain = load_domain(_with(dialogues, _VERSIONS))
    with domain.selecting(date(2026, 12, 15)):
        slots: dict[str, str] = {}
        domain.choose_for(slots)
        assert domain.text("utter_test_version") == "Gammel tekst"
        slots["sprog"] = "en"  # set during the turn
        assert domain.text("utter_test_version") == "Old text"
    # no conditional version in force on the new date: the unconditional one
    with domain.selecting(date(2027, 2, 1), {"sprog": "en"}):
        assert domain.text("utter_test_version") == "Ny tekst"


def _v(text: str, meta: str, condition: str = "") -> str:
    cond = f"      condition: {condition}\n" if condition else ""
    return f'    - text: "{text}"\n{cond}      metadata: {{{meta}}}\n'


_OLD = "source: a, reviewed: 2026-11-24"


@pytest.mark.parametrize(
    ("versions", "problem"),
    [
        (_v("A", f"{_OLD}, valid_to: 2026-12-31") + _v("B", f"{_OLD}, valid_from: 2026-12-31"),
         "begge den 2026-12-31"),
        (_v("A", f"{_OLD}, valid_to: 2026-12-30") + _v("B", f"{_OLD}, valid_from: 2027-01-01"),
         "dagen efter 2026-12-30"),
        (_v("A", f"{_OLD}, valid_from: 2027-01-01"), "dække alle datoer"),
        (_v("A", "valid_to: 2026-12-31") + _v("B", f"{_OLD}, valid_from: 2027-01-01"),
         "'source' og 'reviewed'"),
        (_v("A", f'{_OLD}, valid_from: "snart"'), "valid_from.*dato"),
        (_v("A", _OLD, "[{type: slot, name: ukendt, value: en}]") + _v("B", _OLD),
         "'ukendt' er ikke en slot"),
    ],
)
def test_a_broken_version_set_is_refused_at_load(dialogues: Path, versions: str,
                                                 problem: str) -> None:
    _with(dialogues, "\n  utter_test_version:\n" + versions)
    with pytest.raises(DataError, match=problem) as error:
        load_domain(dialogues)
    assert "utter_test_version" in str(error.value)
