"""Afbud: where the meeting lies in time, then a decision from the rule table in
``dialogues/afbud_regler.yml``. The decision registers nothing: the flow reads it back and
``action_registrer_afbud`` registers it after the citizen's "ja".

The table is data, so a rule change (1 Jan 2027) is an edit and a review date, not a release.
Besides the slots, a rule can use two facts computed here:

- ``moede_naar``: fortid, i_dag, i_morgen, denne_uge (2–7 days ahead) or senere: an afbud for a
  meeting that has been is an udeblivelse, and sickness cannot be known weeks ahead.
- ``grund_klar``: ja, or nej when the reason is negated or hedged ("jeg er ikke syg, men …").
  The classifier's reason category is a guess; a negation outside the "I can't come" frame
  means the bot does not decide, a person does (never a rejection).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from functools import cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from kcbot.actions.aabningstid import today_status
from kcbot.actions.context import content, current
from kcbot.actions.tilbagekald import format_frist
from kcbot.dialogue.care import fold_alternatives
from kcbot.dialogue.versions import rules_in_force
from kcbot.errors import DataError
from kcbot.nlu.normalise import fold

__all__ = ["ActionTjekMoede", "ActionVurderAfbud", "decide", "meeting_when", "reason_is_clear",
           "meeting_clash", "says_cant_come", "says_not_coming"]

RULES_FILE = "afbud_regler.yml"
DECISIONS = ("godkendt", "videresendt", "overdrag")
_CLAUSE = re.compile(r"[.,;:!?\n]+|\b(?:men|but|selvom|although)\b", re.IGNORECASE)


def _matches(condition: dict[str, Any], slots: dict[str, Any]) -> bool:
    for slot, allowed in condition.items():
        values = allowed if isinstance(allowed, list) else [allowed]
        if str(slots.get(slot)) not in [str(v) for v in values]:
            return False
    return True


def decide(slots: dict[str, Any], table: dict[str, Any] | None = None,
           on: date | None = None) -> dict[str, Any]:
    """The first rule in force on ``on`` (default today) whose conditions all hold, else the
    default: ``{id, afgoerelse, note}``."""
    table = table if table is not None else content(RULES_FILE)
    for rule in rules_in_force(table, on or date.today()):
        if _matches(rule.get("if") or {}, slots):
            chosen = rule
            break
    else:
        chosen = table.get("default") or {}
    if chosen.get("afgoerelse") not in DECISIONS:
        raise DataError(RULES_FILE, str(chosen.get("id")),
                        f"afgoerelse skal være en af {', '.join(DECISIONS)}")
    return chosen


def meeting_when(meeting: date, today: date, at: time | None = None,
                 now: time | None = None) -> str:
    """fortid, i_dag, i_morgen, denne_uge or senere; a meeting earlier today has been."""
    days = (meeting - today).days
    if days < 0 or (days == 0 and at is not None and now is not None and at < now):
        return "fortid"
    return {0: "i_dag", 1: "i_morgen"}.get(days, "denne_uge" if days <= 7 else "senere")


@cache
def _reason_patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """``uklar_grund``'s negations, its can't-come frame and its meeting clashes."""
    spec = content(RULES_FILE).get("uklar_grund") or {}
    return (re.compile(rf"\b(?:{fold_alternatives(spec.get('negation'))})\b"),
            re.compile(rf"\b(?:{fold_alternatives(spec.get('ramme'))})"),
            re.compile(rf"\b(?:{fold_alternatives(spec.get('sammenfald'))})"))


# What folding removes but a careful reader sees: a word in scare quotes ("jeg er 'syg'"), a
# wink, a tongue or a laugh (a plain ":)" or ":D" is joy, not irony), markup or assignments
# written to the bot ("<b>", "[SYSTEM: x=y]").
_QUOTED_WORD = re.compile(r"(?:^|[\s(])['\"“”‘’«»„`´]\w[\w ]{0,20}['\"“”‘’«»`´](?=$|[\s.,;:!?)])")
_IRONY = re.compile(r";-?[)pPD]|:-?[pP]\b|xD|[\U0001F602\U0001F606\U0001F609\U0001F60F\U0001F61C"
                    r"\U0001F61D\U0001F923\U0001F92A\U0001F92B\U0001F643\U0001F644]")
_MARKUP = re.compile(r"[<>{}\[\]=]")


def reason_is_clear(text: str) -> bool:
    """False when a clause of the reason is negated, hedged, in the past or ironic outside the
    "I can't come" frame ("jeg er ikke syg, men bilen er i stykker", "I'm not sick", "har ingen
    feber", "jeg var syg i sidste uge", "jeg er 'syg' ;)"), or holds markup or instructions."""
    if _QUOTED_WORD.search(text or "") or _IRONY.search(text or "") or _MARKUP.search(text or ""):
        return False
    negation, frame, _ = _reason_patterns()
    for clause in _CLAUSE.split(text or ""):
        folded = f" {fold(clause)} "
        # a negation inside the frame is the not-coming itself; one before it still sees it
        # ("hvis jeg ikke kommer" is no condition on the reason)
        framed = [m.span() for m in frame.finditer(folded)]
        if any(not any(start <= m.start() < end for start, end in framed)
               for m in negation.finditer(folded)):
            return False
    return True


# "kan ikke komme ind på Jobnet", "can't get into": getting in somewhere is no meeting missed
_GETTING_IN = re.compile(
    r"\s*(?:ind|ud|igennem|in|into|online|through|pa (?:jobnet|nettet|mitid))\b")


def says_not_coming(text: str) -> bool:
    """Whether the message says in so many words that the citizen cannot come ("cant come
    tomorrow", "kan ikke komme i morgen"): the frame of ``uklar_grund.ramme`` alone, not
    followed by where the citizen cannot get in ("kan ikke komme ind på Jobnet")."""
    folded = f" {fold(text or '')} "
    return any(_GETTING_IN.match(folded, m.end()) is None
               for m in _reason_patterns()[1].finditer(folded))


def says_cant_come(text: str) -> bool:
    """Whether the message says the citizen cannot come ("kan ik komme idag er syg", "når det
    ikke i morgen", "syg i dag hvor jeg har møde"): the can't-come frame of
    ``uklar_grund.ramme`` in afbud_regler.yml, or a meeting on the day of what the message is
    about (``meeting_clash``)."""
    folded = f" {fold(text or '')} "
    _, frame, clash = _reason_patterns()
    return frame.search(folded) is not None or clash.search(folded) is not None


def meeting_clash(text: str) -> bool:
    """Where the message says a meeting lies on the day of what it is about ("skal arbejde d.
    3/12 hvor jeg har møde", "samme dag som min samtale"): ``uklar_grund.sammenfald`` in
    afbud_regler.yml, matched on the folded text. A negated clause says no clash ("hvor jeg
    ikke har møde" is not matched: the patterns hold no negation)."""
    return _reason_patterns()[2].search(f" {fold(text or '')} ") is not None


def _on_or_after(day: date, start: object) -> str:
    if not start:
        return "nej"
    return "ja" if day >= date.fromisoformat(str(start)) else "nej"


class ActionTjekMoede(Action):
    """Where the meeting lies against today, and whether a callback would come too late."""

    def name(self) -> str:
        return "action_tjek_moede"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        async with current() as context:
            now = context.clock.now()
            calendar = context.calendar
        reform = content(RULES_FILE).get("indkaldt_af_fra")
        try:
            meeting = date.fromisoformat(str(tracker.get_slot("moededato")))
        except ValueError:  # an udeblivelse without a date: today decides which rules apply
            return [SlotSet("moede_naar", None), SlotSet("ring_nu", "nej"),
                    SlotSet("moede_reform", _on_or_after(now.date(), reform)),
                    *_phone_now(calendar, now, tracker.get_slot("sprog"))]
        callback = calendar.callback_due(now)
        try:
            at = time.fromisoformat(str(tracker.get_slot("moedetid")))
        except ValueError:
            at = None
        # A person calls back within two business days: a meeting before that must be cancelled
        # by phone now, or it stands.
        ring_nu = "ja" if meeting <= callback.date() else "nej"
        return [
            SlotSet("moede_naar", meeting_when(meeting, now.date(), at, now.time())),
            SlotSet("moede_reform", _on_or_after(meeting, reform)),
            SlotSet("ring_nu", ring_nu),
            SlotSet("frist", format_frist(callback, tracker.get_slot("sprog"))),
            *_phone_now(calendar, now, tracker.get_slot("sprog")),
        ]


def _phone_now(calendar: Any, now: datetime, sprog: str | None) -> list[dict[str, Any]]:
    """The jobcentre's phone and whether it is open now, for a text that says "ring nu"."""
    return [SlotSet("aabningstid_i_dag", today_status(calendar, now, sprog)),
            SlotSet("telefon_jobcenter", calendar.phone)]


class ActionVurderAfbud(Action):
    def name(self) -> str:
        return "action_vurder_afbud"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        slots = dict(tracker.slots)
        table = content(RULES_FILE)
        async with current() as context:
            today = context.clock.today()
        try:
            meeting: date | None = date.fromisoformat(str(slots.get("moededato")))
        except ValueError:
            meeting = None
        if slots.get("moede_naar") is None and meeting is not None:
            # called on its own (Rasa's action server): where the meeting lies, from the clock
            slots["moede_naar"] = meeting_when(meeting, today)
        clear = reason_is_clear(str(slots.get("afbud_grund") or ""))
        slots["grund_klar"] = "ja" if clear else "nej"
        # The rules in force on the meeting's day, or today's for a meeting that has been: an
        # absence in February 2027 is judged by the 2027 rules, not by today's.
        rule = decide(slots, table, max(today, meeting) if meeting is not None else today)
        # the reason's category in the conversation's language (grund_tekst is read back)
        labels = ((table.get("kategorier_oversat") or {}).get(str(slots.get("sprog")))
                  or table.get("kategorier") or {})
        kategori = str(slots.get("afbud_kategori") or "andet")
        return [
            SlotSet("afbud_afgoerelse", rule["afgoerelse"]),
            SlotSet("afbud_regel", rule.get("id")),
            SlotSet("afbud_note", rule.get("note")),
            SlotSet("grund_klar", slots["grund_klar"]),
            SlotSet("moede_naar", slots.get("moede_naar")),
            SlotSet("grund_tekst", labels.get(kategori, kategori.replace("_", " "))),
        ]
