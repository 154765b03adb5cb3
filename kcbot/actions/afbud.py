"""Afbud: decide from the rule table in ``dialogues/afbud_regler.yml``, then register it.

The table is data, so a rule change (1 Jan 2027) is an edit and a review date, not a release.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import content, current
from kcbot.actions.registrering import fill, identity, meeting
from kcbot.clock import TZ
from kcbot.errors import DataError

__all__ = ["ActionVurderAfbud", "decide"]

RULES_FILE = "afbud_regler.yml"
DECISIONS = ("godkendt", "videresendt", "overdrag")
OUTBOX_TEXT = "Borger på {gruppe} melder afbud til {moede}. Grund: {afbud_kategori}."


def _matches(condition: dict[str, Any], slots: dict[str, Any]) -> bool:
    for slot, allowed in condition.items():
        values = allowed if isinstance(allowed, list) else [allowed]
        if str(slots.get(slot)) not in [str(v) for v in values]:
            return False
    return True


def decide(slots: dict[str, Any], table: dict[str, Any] | None = None) -> dict[str, Any]:
    """The first rule whose conditions all hold, else the default: ``{id, afgoerelse, note}``."""
    table = table if table is not None else content(RULES_FILE)
    for rule in table.get("rules") or []:
        if _matches(rule.get("if") or {}, slots):
            chosen = rule
            break
    else:
        chosen = table.get("default") or {}
    if chosen.get("afgoerelse") not in DECISIONS:
        raise DataError(RULES_FILE, str(chosen.get("id")),
                        f"afgoerelse skal være en af {', '.join(DECISIONS)}")
    return chosen


class ActionVurderAfbud(Action):
    def name(self) -> str:
        return "action_vurder_afbud"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slots = dict(tracker.slots)
        rule = decide(slots)
        decision = rule["afgoerelse"]
        events = [SlotSet("afbud_afgoerelse", decision), SlotSet("afbud_regel", rule.get("id"))]
        if decision == "overdrag":
            return events
        async with current() as context:
            conversation_id = await context.conversation_for(tracker.sender_id)
            today = context.clock.now().astimezone(TZ).date()
            # Only the category goes to the jobcentre; the citizen's own words can hold health
            # details the receiver does not need.
            await context.store.add_outbox(
                conversation_id, "jobcenter", f"Afbud til {meeting(slots)}",
                fill(OUTBOX_TEXT, slots, today) + f" Afgørelse: {decision} (regel {rule['id']}).",
                regel=rule["id"], **identity(slots),
            )
        return events + [
            SlotSet("afgoerelse", f"Afbud {decision}: {rule.get('note', '')}".strip()),
            SlotSet("regel", rule.get("id")),
            SlotSet("kilde", content(RULES_FILE).get("source")),
            SlotSet("sendt_til", "jobcenter"),
        ]
