"""Slot validation, as Rasa's global ``action_validate_slot_mappings``.

The engine puts the candidate values for this turn after the user event (as Rasa's form loop
does), and each ``validate_<slot>`` either returns the value to keep, possibly cleaned, or
``None`` with a hint for the citizen. A rejected slot is asked again by the flow.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction
from rasa_sdk.types import DomainDict

from kcbot.actions.context import current
from kcbot.dialogue.answers import (
    UNKNOWN,
    domain_words,
    looks_like_name,
    read_polar,
    strip_name_intro,
)
from kcbot.language import languages
from kcbot.nlu.negation import words
from kcbot.nlu.normalise import fold
from kcbot.privacy import cpr_birth_date

__all__ = ["ValidateSlots"]

_DIGITS = re.compile(r"\D")
_CAUSAL = re.compile(r"\b(?:fordi|pga\.?|p\.g\.a\.?|grund af|because|since|due to|idet)\s*$",
                     re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
NAME_MAX = 80
TEXT_MAX = 1000
# Entities that state the request's own facts (who, which meeting, when), not why.
_FACT_ENTITIES = frozenset({"borgergruppe", "moedetype", "dato", "tid", "navn", "telefon",
                            "sygemeldt_fra", "cpr"})
# The words of the request itself: "kan ikke komme til mødet", "jeg melder afbud", "sorry I can't
# come to the meeting". A message of only these and the facts says no reason.
_REQUEST_WORDS = frozenset("""
kan kunne komme kommer kom ik ikk ike ikek dont afbud melde meld melder aflyse aflys aflyser
afmelde mode
modet moder moede moedet samtale samtalen samtaler jobsamtale jobsamtalen jobcenter jobcentret
desvere desverre desvaerre hej hejsa hallo tak kh mvh hilsen venlig venligst please sorry
undskyld dag morgen imorgen idag cant cannot come meeting appointment hi hello cancel attend
ikke not jeg mig min mit mine til pa i det den en et og at sa so a an the to my me for med af fra
hos ved kl you your we
har er skal have has is am far faar fa fik fet modtager get gets receive
""".split())


def _reject(dispatcher: CollectingDispatcher, slot: str) -> dict[str, Any]:
    dispatcher.utter_message(response=f"utter_hint_{slot}")
    return {slot: None}


class ValidateSlots(ValidationAction):
    # The domain the slot list below was computed for, and that list.
    _mapped: tuple[DomainDict, list[str]] | None = None

    def name(self) -> str:
        return "action_validate_slot_mappings"

    def domain_slots(self, domain: DomainDict) -> list[str]:
        # rasa-sdk scans every slot's mappings for a form condition, twice a call; the answer
        # depends on the domain alone, and the engine passes the same domain dict on every call
        # (the action server gets a new one with each request, and scans that one again).
        mapped = self._mapped
        if mapped is None or mapped[0] is not domain:
            mapped = self._mapped = (domain, super().domain_slots(domain))
        return list(mapped[1])

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        # Only this turn's candidates: rasa-sdk's default walks every slot of the domain for
        # every slot, which is most of a turn's time.
        return [name for name in tracker.slots_to_validate() if name in domain_slots]

    def validate_telefon(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        digits = _DIGITS.sub("", str(value or ""))
        if len(digits) == 10 and digits.startswith("45"):
            digits = digits[2:]
        elif len(digits) == 12 and digits.startswith("0045"):
            digits = digits[4:]
        # Danish subscriber numbers are 8 digits and do not start with 0 or 1.
        if len(digits) != 8 or digits[0] in "01":
            return _reject(dispatcher, "telefon")
        return {"telefon": digits}

    def validate_navn(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # "Jeg hedder Sara Jensen" is a name; "fra mit job" and "det ved jeg ikke" are not.
        name = strip_name_intro(" ".join(str(value or "").split()))
        letters = len(_LETTER.findall(name))
        asked = tracker.get_slot("requested_slot") == "navn"
        if letters < 2 or len(name) > NAME_MAX or not looks_like_name(name) or not asked and any(
                fold(w) in domain_words() and not w[:1].isupper() for w in name.split()):
            # read in passing ("hej det er …", "mvh …"): no hint for a question not asked, and a
            # domain word counts as a name only written as one ("Rask", not "afbud")
            if not asked:
                return {"navn": None}
            return _reject(dispatcher, "navn")
        return {"navn": name}

    async def validate_moededato(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return _reject(dispatcher, "moededato")
        async with current() as context:
            hours = context.calendar.day(day)
        # No meetings on a weekend or a public holiday: the date is misheard or mistyped, so it
        # is asked about, never registered.
        if day.weekday() >= 5 or (not hours.is_open and hours.name):
            label = languages().get(tracker.get_slot("sprog")).date(day, "dag")
            dag = f"{label} ({hours.name})" if hours.name else label
            dispatcher.utter_message(response="utter_hint_moededato_lukket",
                                     lukket_dag=dag[:1].upper() + dag[1:])
            return {"moededato": None}
        return {"moededato": day.isoformat()}

    def validate_cpr(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        digits = _DIGITS.sub("", str(value or ""))
        cpr = f"{digits[:6]}-{digits[6:]}"
        # The date part must be a real birth date, century from the serial number included.
        if len(digits) != 10 or cpr_birth_date(cpr) is None:
            return _reject(dispatcher, "cpr")
        return {"cpr": cpr}

    def validate_afbud_grund(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        entities = tracker.latest_message.get("entities", [])
        text = str(tracker.latest_message.get("text") or "")
        # "var syg i sidste uge, men kan ikke komme fordi jeg skal flytte": after "fordi" the
        # reason is that clause, and only what it names counts
        clause = next((e for e in entities if e.get("entity") == "grund"
                       and _CAUSAL.search(text[:e.get("start", 0)])), None)
        categories = [
            e.get("value") for e in entities if e.get("entity") == "afbud_kategori"
            and (clause is None or clause["start"] <= e.get("start", -1) < clause["end"])
        ]
        named_here = any(e.get("entity") == "afbud_kategori" for e in entities)
        grund = next((e for e in entities if e.get("entity") == "grund"), None)
        if value in categories or (grund is not None and clause is None
                                   and value == grund.get("value")):
            # filled from an entity, or from the clause after "kan ikke komme …," (which need
            # not be the reason): the citizen's whole message, so hedges in it are seen
            value = text or value
        # A category named in an earlier message (kept until the topic started) comes along.
        earlier = tracker.slots_to_validate().get("afbud_kategori")
        if earlier and not named_here and earlier not in categories:
            categories.append(earlier)
        elif earlier in categories and len(categories) > 1:
            # a correction chose among the reasons named ("det er ikke mig der er syg, det er
            # min søn"): its choice, not the first word, decides
            categories.insert(0, categories.pop(categories.index(earlier)))
        text = _free_text(value)
        if text is None:
            return _reject(dispatcher, "afbud_grund")
        if not categories and not _says_why(text, entities, str(value) == str(
                tracker.latest_message.get("text") or "")):
            # "kan ikke komme til jobsamtale i morgen. dagpenge" or "jobsamtale" as the answer:
            # the request and its facts, no reason, so the reason is asked (again), never
            # guessed to be "andet"
            if tracker.get_slot("requested_slot") == "afbud_grund":
                return _reject(dispatcher, "afbud_grund")
            return {"afbud_grund": None}
        # The first reason named decides; a reason the table does not know is 'andet', which a
        # person assesses: the bot never rejects an afbud on its own.
        return {"afbud_grund": text, "afbud_kategori": categories[0] if categories else "andet"}

    def validate_beskrivelse(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        # "ved ikke" tells the person calling back nothing: ask once more
        text = _free_text(value)
        if not text or read_polar(text) == UNKNOWN and len(text.split()) <= 4:
            return _reject(dispatcher, "beskrivelse")
        return {"beskrivelse": text}

    def validate_varighed(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = _free_text(value)
        return {"varighed": text} if text else _reject(dispatcher, "varighed")


def _says_why(text: str, entities: list[dict[str, Any]], whole_message: bool) -> bool:
    """Whether a reason says anything beyond the request and its facts. The facts' entity spans
    are left out when the reason is the whole message (their offsets point into it)."""
    if whole_message:
        for entity in sorted((e for e in entities if e.get("entity") in _FACT_ENTITIES),
                             key=lambda e: int(e.get("start", 0)), reverse=True):
            start, end = int(entity.get("start", 0)), int(entity.get("end", 0))
            text = text[:start] + " " + text[end:]
    # "har det ikke så godt" is a reason of function words: only the request's own are left out
    return any(w not in _REQUEST_WORDS and not w.isdigit() for w in words(fold(text)))


def _free_text(value: Any) -> str | None:
    text = " ".join(str(value or "").split())
    if len(_LETTER.findall(text)) < 2 and not any(c.isdigit() for c in text):
        return None
    return text[:TEXT_MAX]
