"""The handoff: a callback ticket for a person, with the deadline told in Danish."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.context import current
from kcbot.actions.registrering import GROUP_LABELS
from kcbot.clock import TZ
from kcbot.language import languages

__all__ = ["ActionGlemAndenPerson", "ActionMarkerKrise", "ActionOpretTilbagekald", "format_frist",
           "summary"]

KRISE = "krise"
# Slots that say what the matter is, in the order a reader wants them.
SUMMARY_SLOTS = (
    ("moedetype", "Møde"), ("moededato", "Dato"), ("afbud_grund", "Grund"),
    ("sygemeldt_fra", "Sygemeldt fra"), ("varighed", "Varighed"), ("beskrivelse", "Borgerens ord"),
)


def format_frist(due: datetime, language: str | None = None) -> str:
    """'onsdag den 25. november 2026 kl. 15.00' (Babel, Copenhagen time), in the conversation's
    language ('Wednesday 25 November 2026 at 15:00')."""
    return languages().get(language).moment(due.astimezone(TZ))


def _language_note(slots: dict[str, Any]) -> str:
    """For the agent who calls back: the language the citizen wrote in, when not Danish."""
    chosen = languages().get(slots.get("sprog"))
    if chosen.code == languages().standard:
        return ""
    return f"Borgeren skriver {chosen.name}. "


# Queues outside the jobcentre learn of the citizen's health by its category only ("sygdom"),
# never by the citizen's own words; the transcript keeps those (and is purged in time).
CATEGORY_ONLY_QUEUES = ("cdu", "ydelsesservice")


def summary(sag: str, slots: dict[str, Any], queue: str | None = None) -> str:
    """One line a person reads at a glance: who, what, why, when."""
    who = slots.get("navn") or "Borger"
    group = GROUP_LABELS.get(str(slots.get("borgergruppe")), "ukendt ydelse")
    parts = [f"{_language_note(slots)}{who} ({group}): {sag.replace('_', ' ')}"]
    category_only = queue in CATEGORY_ONLY_QUEUES
    sick = slots.get("afbud_kategori") == "sygdom"
    for slot, label in SUMMARY_SLOTS:
        value = slots.get(slot)
        if value and category_only and slot == "afbud_grund":
            value = slots.get("afbud_kategori") or "oplyst i samtalen"
        elif value and category_only and slot == "beskrivelse" and sick:
            value = "sygdom (ordene står i samtalen)"
        if value:
            parts.append(f"{label}: {value}")
    return ". ".join(parts)


def _ticket_slots(ticket: Any, slots: dict[str, Any]) -> list[dict[str, Any]]:
    """The ticket's number and deadline, as the citizen is told them."""
    due = datetime.fromisoformat(ticket.due)
    return [SlotSet("ticket_id", ticket.id),
            SlotSet("frist", format_frist(due, slots.get("sprog")))]


class ActionOpretTilbagekald(Action):
    def name(self) -> str:
        return "action_opret_tilbagekald"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        async with current() as context:
            conversation_id = await context.conversation_for(tracker.sender_id)
            sag = tracker.get_slot("sag") or "menneske"
            slots = dict(tracker.slots)
            ticket, created = await context.tickets.create(
                conversation_id,
                sag,
                summary(sag, slots, context.tickets.routing.queue(sag)),
                borgergruppe=slots.get("borgergruppe"),
                navn=slots.get("navn"),
                telefon=slots.get("telefon"),
                cpr=slots.get("cpr"),
            )
            if not created:
                ticket = await context.tickets.add_contact(
                    ticket.id, navn=slots.get("navn"), telefon=slots.get("telefon"))
        return _ticket_slots(ticket, slots)


class ActionMarkerKrise(Action):
    """A citizen in crisis: a ticket for a supervisor at once, before any question, so the
    conversation is seen even if the citizen leaves. The flow's callback fills in the number."""

    def name(self) -> str:
        return "action_marker_krise"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        async with current() as context:
            conversation_id = await context.conversation_for(tracker.sender_id)
            slots = dict(tracker.slots)
            ticket, _ = await context.tickets.create(
                conversation_id, KRISE,
                f"{_language_note(slots)}KRISE: borgeren har skrevet om selvmord, selvskade, vold "
                "eller akut fare. Læs samtalen og kontakt borgeren hurtigst muligt.",
                borgergruppe=slots.get("borgergruppe"), navn=slots.get("navn"),
                telefon=slots.get("telefon"),
            )
        return [SlotSet("sag", KRISE), *_ticket_slots(ticket, slots)]


# What stays when a message about another person's case is set aside: the conversation's
# language and matter, and an identity the channel verified (the writer's own).
_KEPT_FOR_WRITER = ("sprog", "sprog_skift", "sag", "identitet")
_VERIFIED_IDENTITY = ("navn", "cpr", "cpr_maskeret")


class ActionGlemAndenPerson(Action):
    """Someone writes for another person: what the message said about that person's case (a
    meeting, a reason, a group, a name, a CPR number) is not kept, so no ticket or registration
    can carry it as the writer's. The transcript still holds the message, masked."""

    def name(self) -> str:
        return "action_glem_anden_person"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        kept = set(_KEPT_FOR_WRITER)
        if tracker.get_slot("identitet") == "verificeret":
            kept.update(_VERIFIED_IDENTITY)
        return [SlotSet(name, None) for name, value in tracker.slots.items()
                if value is not None and name not in kept]
