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
from typing import Any

from kcbot.dialogue.answers import (
    UNKNOWN,
    choice_number,
    correction,
    is_question,
    match_option,
    named_option,
    read_polar,
)
from kcbot.dialogue.domain import Domain, SlotSpec
from kcbot.dialogue.flows import Flow, Flows
from kcbot.nlu import ParseResult
from kcbot.nlu.entities import value_now
from kcbot.nlu.normalise import fold
from kcbot.privacy import find_cpr

__all__ = [
    "answer_value", "entity_candidates", "flow_uses", "is_unknown",
    "message_facts",
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
    if parse.intent in spec.intent_values() and not is_unknown(domain, slot, ask, parse):
        return spec.intent_values()[parse.intent]
    if slot == CPR_SLOT:
        return find_cpr(raw)
    for entity in spec.entities():
        values = parse.values(entity)
        if len(set(values)) > 1 and slot in DATE_SLOTS and not correction(parse.text):
            return None  # "i morgen eller fredag": asked again
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
            elif name not in DATE_SLOTS and (now := value_now(parse.text, [
                    e for e in parse.entities if e.entity in entities])) is not None:
                found[name] = now  # "I was on dagpenge, then … on sygedagpenge"
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
