"""Safe decisions (issue 12), checked on the data rather than on examples: nothing that changes a
citizen's status is registered without a confirmation, and no combination of facts makes the
rule table approve an afbud a careful agent would not sign."""

from __future__ import annotations

import itertools

import pytest
from rasa_sdk.executor import ActionExecutor

from kcbot.actions.afbud import decide, meeting_when, reason_is_clear
from kcbot.actions.context import content
from kcbot.dialogue.domain import load_domain
from kcbot.dialogue.flows import load_flows
from tests.conftest import REPO

DIALOGUES = REPO / "dialogues"
STATUS_CHANGES = {"action_registrer_afbud", "action_registrer_sygemelding",
                  "action_registrer_raskmelding", "action_registrer_afmelding"}


def _flows():
    executor = ActionExecutor()
    executor.register_package("kcbot.actions")
    return load_flows(DIALOGUES / "flows", load_domain(DIALOGUES), executor.actions)


def test_every_status_change_has_a_confirmation_as_its_only_way_in() -> None:
    found = set()
    for flow in _flows().flows.values():
        for step in flow.steps:
            if step.kind != "action" or step.arg not in STATUS_CHANGES:
                continue
            found.add(step.arg)
            # who the citizen is (issue 13) may be asked between the "ja" and the registration
            entry = flow.steps[step.index - 1]
            if entry.kind == "call" and entry.arg == "identitet":
                assert not entry.next, flow.name  # it always goes on to the registration
            else:
                entry = step
            confirm = flow.steps[entry.index - 1]
            assert confirm.kind == "collect" and confirm.arg == "bekraeftelse", flow.name
            assert confirm.always, flow.name
            yes = confirm.next[0]
            assert yes.when == {"bekraeftelse": ("ja",)} and yes.target == entry.id, flow.name
            for other in flow.steps:
                if other is not confirm:
                    assert all(b.target not in {step.id, entry.id} for b in other.next), (
                        flow.name, other.id)
    assert found == STATUS_CHANGES


GROUPS = ["dagpenge", "kontanthjaelp", "sygedagpenge", "ledighedsydelse", "revalidering", None]
MEETINGS = ["jobsamtale", "tilbud", "opfoelgning", "jobklub", None]
REASONS = ["sygdom", "arbejde", "ansaettelsessamtale", "borgerligt_ombud", "ferie", "barn_syg",
           "doedsfald", "laege", "transport", "andet", None]
WHEN = ["fortid", "i_dag", "i_morgen", "denne_uge", "senere", None]


@pytest.mark.parametrize("group", GROUPS)
def test_the_rule_table_never_approves_what_a_careful_agent_would_not(group) -> None:
    table = content("afbud_regler.yml")
    for meeting, reason, when, clear in itertools.product(MEETINGS, REASONS, WHEN, ["ja", "nej"]):
        slots = {"borgergruppe": group, "moedetype": meeting, "afbud_kategori": reason,
                 "moede_naar": when, "grund_klar": clear}
        decision = decide(slots, table)["afgoerelse"]
        assert decision in ("godkendt", "videresendt", "overdrag")  # never a rejection
        if decision == "overdrag":
            continue
        facts = (group, meeting, reason, when, clear)
        assert clear == "ja", facts                          # negated reasons: a person
        assert when in ("i_dag", "i_morgen", "denne_uge", "senere"), facts  # not in the past
        assert group not in ("sygedagpenge", None) and meeting not in ("opfoelgning", None), facts
        if decision == "godkendt":
            if group == "dagpenge":  # bilag 4: the four valid reasons
                assert reason in ("sygdom", "arbejde", "ansaettelsessamtale", "borgerligt_ombud")
            else:  # bilag 2/3: sickness, to a jobsamtale
                assert (reason, meeting) == ("sygdom", "jobsamtale"), facts
        if reason == "sygdom" and decision == "godkendt":  # not known weeks ahead
            assert when != "senere", facts
        if decision == "videresendt" and group in ("ledighedsydelse", "revalidering"):
            assert reason == "sygdom", facts  # bilag 2 covers their sick reports only


@pytest.mark.parametrize(("text", "clear"), [
    ("jeg er syg", True),
    ("jeg kan ikke komme, jeg har feber", True),
    ("I can't come, I have the flu", True),
    ("jeg er ikke syg, men bilen er i stykker", False),
    ("I'm not sick", False),
    ("jeg har ingen feber men er træt", False),
    ("jeg er aldrig syg, men i dag orker jeg ikke", False),
    # the "I can't come" frame in other words, and a date taken back in a correction
    ("det er ik muligt for mig at komme på fredag pga arbejde", True),
    ("undskyld det var fredag ikke torsdag, jeg skal arbejde", True),
    ("jeg er ikke syg i dag", False),
])
def test_a_negated_reason_is_not_clear(text: str, clear: bool) -> None:
    assert reason_is_clear(text) is clear


def test_meeting_when() -> None:
    from datetime import date
    today = date(2026, 11, 24)
    assert [meeting_when(date(2026, 11, d), today) for d in (23, 24, 25, 27)] + [
        meeting_when(date(2026, 12, 2), today)] == [
        "fortid", "i_dag", "i_morgen", "denne_uge", "senere"]
