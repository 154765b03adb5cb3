"""The dialogue state as stored: ``for_storing`` (no copy, encoded at once) writes the JSON that
``dataclasses.asdict`` (a copy) gives, and reads back as the same state."""

from __future__ import annotations

import json
from dataclasses import asdict

from kcbot.dialogue.state import DialogueState, Frame


def _state() -> DialogueState:
    return DialogueState(
        slots={"sag": "afbud", "moededato": "2026-11-25", "vejledning": ["utter_syg_dagpenge"],
               "sprog_skift": 0, "bekraeftelse": None, "adresse": {"by": "København", "nr": 4}},
        stack=[Frame("afbud", 3), Frame("aabningstid")], requested_slot="navn",
        ask="utter_ask_navn", tries=1, choices=["ferie"], outcome="straksafklaret",
        asked=["moedetype", "navn"], facts={"borgergruppe": "dagpenge"}, pending=["ferie"],
        pending_facts={"ferie": {"dato": "2026-12-01"}})


def test_stored_state_is_as_dict_and_reads_back() -> None:
    for state in (DialogueState(), _state()):
        stored = json.dumps(state.for_storing(), ensure_ascii=False)
        assert stored == json.dumps(asdict(state), ensure_ascii=False)
        assert DialogueState.from_dict(json.loads(stored)) == state
