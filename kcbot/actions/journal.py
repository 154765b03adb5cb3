"""The journal note every settled case leaves (the seeds' "makro", the duty to make notes):
what the citizen asked, the group, the decision, the rule and its source, what was sent where.

The engine runs it when a settling flow completes. A registering action before it sets
``afgoerelse``, ``regel``, ``kilde`` and ``sendt_til``; for guidance alone, the decision is the
guidance given, and the sources are the guidance texts' own ``metadata.source``.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import current
from kcbot.actions.registrering import facts
from kcbot.language import languages

__all__ = ["ActionJournal"]


class ActionJournal(Action):
    def name(self) -> str:
        return "action_journal"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slots = tracker.slots
        sag = str(slots.get("sag") or "ukendt")
        said = [str(n) for n in slots.get("vejledning") or []]
        responses = domain.get("responses") or {}
        sources = [slots.get("kilde")] + [_source(responses.get(name) or []) for name in said]
        decision = str(slots.get("afgoerelse") or "Vejledning givet")
        parts = [f"Borgeren henvendte sig om {sag.replace('_', ' ')}.", f"{decision.rstrip('.')}."]
        language = languages().get(slots.get("sprog"))
        if language.code != languages().standard:
            parts.append(f"Samtalen foregik på {language.name}.")
        if slots.get("rettelse"):
            parts.append("Rettelse: borgeren rettede oplysningerne efter registreringen.")
        if said:
            parts.append("Vejledning: " + ", ".join(said) + ".")
        if slots.get("sendt_til"):
            parts.append(f"Sendt til: {slots['sendt_til']}.")
        for slot in ("moedetype", "moededato", "afbud_kategori", "varighed", "afbud_grund"):
            if slots.get(slot):
                parts.append(f"{slot}: {slots[slot]}.")
        async with current() as context:
            # What the rule used, so a caseworker can check the decision; a registration sets
            # it with the citizen's confirmation, guidance alone has the group and dates.
            today = context.clock.today()
            parts.append(f"Fakta: {slots.get('fakta') or facts(dict(slots), today, False)}.")
            conversation_id = await context.conversation_for(tracker.sender_id)
            await context.store.add_journal(
                conversation_id, sag, decision, " ".join(parts),
                borgergruppe=slots.get("borgergruppe"),
                rule=str(slots.get("regel") or ", ".join(said) or "vejledning"),
                source="; ".join(dict.fromkeys(str(s) for s in sources if s)) or None,
            )
        return []


def _source(variants: list[dict[str, Any]]) -> str | None:
    """Where a guidance text's facts come from: its first variant without a condition (the
    standard language's text, which another language's variant translates)."""
    plain = next((v for v in variants if not v.get("condition")), variants[0] if variants else {})
    return (plain.get("metadata") or {}).get("source")
