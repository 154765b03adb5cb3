"""Reading slot values out of a citizen's message.

An answer to the question the bot asked is read, in order, as an option's number, an option's
words, an intent the slot maps (``ja``/``nej``), an entity, or free text. Other slots the
active flows use are filled from entities in any message ("jeg får dagpenge og kan ikke komme
i morgen" fills the group and the date at once). A CPR number is read from the raw message,
never from stored text, and never filled in passing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import Any

from kcbot.dialogue.answers import (
    UNKNOWN,
    choice_number,
    correction,
    is_question,
    match_option,
    named_option,
    polar_conflict,
    read_polar,
)
from kcbot.dialogue.domain import Domain, SlotSpec
from kcbot.dialogue.flows import Flow, Flows
from kcbot.nlu import ParseResult
from kcbot.nlu.entities import value_now
from kcbot.nlu.normalise import fold
from kcbot.privacy import find_cpr

__all__ = [
    "answer_value", "entity_candidates", "flow_uses", "is_unknown", "meeting_day",
    "meetings", "message_facts",
]

CPR_SLOT = "cpr"
# Slots a second, different date in the same message makes ambiguous.
DATE_SLOTS = frozenset({"moededato", "afmeldingsdato", "fra_dato"})
# A first message that asks for a person and goes on to say what about ("…, vi kan ikke
# samarbejde", "… om min jobplan") is the description; "jeg vil tale med min sagsbehandler" is not.
DESCRIBES = 6
PLANS = 256  # sets of wanted slots whose reading plan is kept (per domain)
_ABOUT = re.compile(r"[,;:.!?]\s*\w|\b(?:om|fordi|angående|vedr|vedrørende|about|because)\b",
                    re.IGNORECASE)


# The meeting's date, and the words that name a meeting, to tie a date to it when a message
# names two ("my mother is ill, I fly there tonight, I cannot attend my jobsamtale on monday").
MEETING_DATE = "moededato"
# the benefit group: of two named in sequence, the one held now may be told ("… så nu får jeg
# sygedagpenge", "I was on dagpenge, then … on sygedagpenge")
GROUP_SLOT = "borgergruppe"
MEETING_ENTITY = "moedetype"
_MEETING_WORD = re.compile(r"\b(?:job)?(?:møde|moede|mode|samtale|klub)\w{0,3}\b"
                           r"|\b(?:meeting|appointment)s?\b", re.IGNORECASE)
# What may stand between a meeting word and its date: a few words ("jobsamtale on monday",
# "samtale fredag kl 10", "mødet i jobcentret på fredag", "på fredag har jeg møde"), not a new
# clause or a second thing ("i dag, så jeg kan ikke komme til mødet", "torsdag eller jobklubben").
_TIE_GAP_WORDS = 4
_TIE_BREAK = re.compile(r"[,.;:!?()]|\b(?:og|men|eller|så|saa|fordi|da|hvor|and|but|or|so|"
                        r"because|when|then|og så)\b", re.IGNORECASE)


def _tied(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    start, end = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
    if start > end:
        return True  # overlapping spans
    gap = text[start:end]
    return len(gap.split()) <= _TIE_GAP_WORDS and _TIE_BREAK.search(gap) is None


def meetings(parse: ParseResult, entities: Iterable[str]) -> list[tuple[str | None, str]]:
    """The meetings a message names with their day, in order: each date tied to a word for a
    meeting, with the kind of meeting when that word names one ("jobsamtalen på torsdag eller
    jobklubben på fredag" -> [(jobsamtale, torsdag), (jobklub, fredag)]). A meeting named twice
    ("mødet i morgen, det er en jobsamtale i morgen") is one; two kinds on one day are two."""
    names = set(entities)
    kinds = [((e.start, e.end), e.value) for e in parse.entities if e.entity == MEETING_ENTITY]
    words = [(m.span(), None) for m in _MEETING_WORD.finditer(parse.text)]
    found: list[tuple[str | None, str]] = []
    for day in (e for e in parse.entities if e.entity in names):
        tied = [kind for span, kind in kinds + words
                if _tied(parse.text, (day.start, day.end), span)]
        if not tied:
            continue
        kind = next((k for k in tied if k is not None), None)
        same = [i for i, (k, d) in enumerate(found)
                if d == day.value and (k is None or kind is None or k == kind)]
        if same:
            if kind is not None:
                found[same[0]] = (kind, day.value)
        else:
            found.append((kind, day.value))
    return found


def meeting_day(parse: ParseResult, entities: Iterable[str]) -> str | None:
    """Of several dates in a message, the one tied to a word for the meeting ("my jobsamtale
    on monday", "samtale fredag kl 10"); None when no date is tied, or more than one is (two
    meetings: "jobsamtalen på torsdag eller jobklubben på fredag", which the engine takes one
    after the other): then which day is the meeting's is asked, not guessed."""
    days = {day for _, day in meetings(parse, entities)}
    return days.pop() if len(days) == 1 else None


def _describes(text: str) -> bool:
    return len(text.split()) >= DESCRIBES and _ABOUT.search(text) is not None


def answer_value(domain: Domain, slot: str, ask: str | None, parse: ParseResult,
                 raw: str) -> Any:
    """The asked slot's value in this answer, before validation; None if there is none.

    A choice is read as an answer to its own question first (``answers.match_option``: the
    number, the option's words or synonyms, a whole-sentence ja/nej, small typos); only then
    does the classifier's intent count ("det passer" -> ja)."""
    spec = domain.slots[slot]
    options = domain.answer_options(slot, ask)
    if options and (is_unknown(domain, slot, ask, parse) or is_question(parse.text)):
        return None  # "ved ikke hvad mitid er", "hvad er mitid?": help, not what it names
    if options:
        index = choice_number(parse.text, len(options))
        if index is not None:
            return options[index - 1].payload if index else None
        values = [v for entity in spec.entities() for v in parse.values(entity)]
        picked = match_option(parse.text, options, values, domain.text(ask))
        if picked is not None:
            return picked
        if polar_conflict(parse.text, options, values, domain.text(ask)):
            return None  # "ja send den med brev": not the "ja" the classifier reads
    if parse.intent in spec.intent_values() and not is_unknown(domain, slot, ask, parse):
        return spec.intent_values()[parse.intent]
    if slot == CPR_SLOT:
        return find_cpr(raw)
    for entity in spec.entities():
        values = parse.values(entity)
        if len(set(values)) > 1 and slot in DATE_SLOTS and not correction(parse.text):
            # "i morgen eller fredag": asked again, unless one is the meeting's by its words
            return meeting_day(parse, spec.entities()) if slot == MEETING_DATE else None
        if values:
            return values[-1] if correction(parse.text) else values[0]
    return parse.text if spec.from_text else None


def is_unknown(domain: Domain, slot: str, ask: str | None, parse: ParseResult) -> bool:
    """A "ved ikke" / "I don't know" to a choice question: the citizen needs help, not a guess."""
    return bool(domain.options(slot, ask)) and read_polar(parse.text) == UNKNOWN


def message_facts(domain: Domain, parse: ParseResult) -> dict[str, Any]:
    """Every slot an entity in this message fills, for the flow the citizen picks next."""
    return entity_candidates(domain, parse, {}, domain.entity_slots)


def entity_candidates(domain: Domain, parse: ParseResult, slots: dict[str, Any],
                      wanted: Iterable[str | None]) -> dict[str, Any]:
    """Empty slots among ``wanted`` that this message names: by an entity, or for a choice by
    one of the phrases citizens answer it with ("unemployment benefits", "fra mit arbejde").
    In a message that corrects itself ("kontanthjælp, nej undskyld sygedagpenge") the last
    value counts."""
    found: dict[str, Any] = {}
    # Read once per call, not once per wanted slot: each entity's values in message order, the
    # folded text, whether the message corrects itself (only when a slot has two values).
    by_entity: dict[str, list[str]] = {}
    for entity in parse.entities:
        by_entity.setdefault(entity.entity, []).append(entity.value)
    last: bool | None = None
    folded: str | None = None
    for name, spec, entities, choice in _reading_plan(domain, wanted):
        if slots.get(name) is not None:
            continue
        if spec is None:
            raise KeyError(name)  # not a slot of the domain
        values = ([v for entity in entities for v in by_entity.get(entity, ())]
                  if by_entity else None)
        if values:
            if last is None:
                last = correction(parse.text)
            if last:
                found[name] = values[-1]
            elif len(set(values)) == 1 or not spec.values and name not in DATE_SLOTS:
                found[name] = values[0]
            elif name == MEETING_DATE and (day := meeting_day(parse, entities)) is not None:
                found[name] = day  # the one date tied to the meeting's word
            elif name == GROUP_SLOT and (now := group_now(parse, entities)) is not None:
                found[name] = now
            # two groups or two dates ("min mand får dagpenge, jeg får kontanthjælp", "i
            # morgen eller fredag"): which one is the citizen's is asked, not guessed
            continue
        options = domain.answer_options(name) if choice else ()
        if options and not options.polar:
            if folded is None:
                folded = fold(parse.text)
            named = named_option(parse.text, options, folded)
            if named is not None:
                found[name] = named
        elif parse.intent in spec.text_intents() and _describes(parse.text):
            found[name] = parse.text  # "jeg vil skifte sagsbehandler, vi kan ikke samarbejde"
    return found


# A value that holds now, after one that held before: "nu", "now", "i stedet", "instead",
# "er overgået til" in the clause that leads to it (not in one before it: "jeg får dagpenge nu,
# før fik jeg kontanthjælp" is asked).
_NOW = (r"\b(?:nu|now|i stedet|instead|since then|derfor|overgået|overgaaet|skiftet|gået over|"
        r"gaaet over|switched|moved)\b")
_CLAUSE_END = r"[,.;:!?]|\b(?:men|but|og|and)\b"


def _changed_to_last(parse: ParseResult, entities: tuple[str, ...]) -> bool:
    named = sorted((e for e in parse.entities if e.entity in entities), key=lambda e: e.start)
    if len(named) < 2:
        return False
    before, last = named[-2], named[-1]
    clause_end, now = _now_patterns()
    return now.search(clause_end.split(parse.text[before.end:last.start])[-1]) is not None


@cache
def _now_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Compiled on first use: only a message naming two groups is read for them."""
    return re.compile(_CLAUSE_END, re.IGNORECASE), re.compile(_NOW, re.IGNORECASE)


def group_now(parse: ParseResult, entities: Iterable[str]) -> str | None:
    """Of two benefit groups a message names, the one the citizen holds now: the last, when
    "nu"/"now" leads to it ("medlem af en a-kasse, men syg i 5 uger, så nu får jeg
    sygedagpenge", as in a correction) or every earlier one is told in the past ("I was on
    dagpenge, then sick for 5 weeks on sygedagpenge"); None when that is not said, and the
    group is asked."""
    entities = tuple(entities)
    if _changed_to_last(parse, entities):
        return max((e for e in parse.entities if e.entity in entities),
                   key=lambda e: e.start).value
    return value_now(parse.text, [e for e in parse.entities if e.entity in entities])


_Reading = tuple[str, SlotSpec | None, tuple[str, ...], bool]


def _reading_plan(domain: Domain, wanted: Iterable[str | None]) -> tuple[_Reading, ...]:
    """The wanted slots ``entity_candidates`` may fill, in its (sorted) order, each with its
    spec, entities and whether its question has options: worked out once per set of wanted
    slots and domain (a handful of flow combinations). A slot no entity, option or intent
    fills is left out (it would be skipped); CPR is never filled in passing. Nor are a slot's
    options looked up when its question only ever offers ja/nej."""
    key = frozenset(n for n in wanted if n)
    plans = domain.reading_plans
    plan = plans.get(key)
    if plan is None:
        readings = []
        for name in sorted(key):
            spec = domain.slots.get(name)
            if name == CPR_SLOT:
                continue
            choice = name in domain.named_choice_slots
            if spec is None or spec.entities() or choice or spec.text_intents():
                readings.append((name, spec, spec.entities() if spec else (), choice))
        if len(plans) >= PLANS:
            plans.clear()
        plan = plans[key] = tuple(readings)
    return plan


def flow_uses(flows: Flows, flow: Flow, seen: frozenset[str] = frozenset()) -> set[str]:
    """The slots a flow (and the flows it links to) asks for, branches on or fills."""
    slots = {s.arg for s in flow.steps if s.kind == "collect"} | set(flow.fills)
    for branch in flow.offer:  # "not when this topic was itself an offer" (tilbudt_af)
        slots |= set(branch.when or ())
    for step in flow.steps:
        for branch in step.next:
            slots |= set(branch.when or ())
        if step.kind in ("link", "call") and step.arg not in seen:
            slots |= flow_uses(flows, flows[step.arg], seen | {flow.name})
    return slots
