"""Reading slot values out of a citizen's message.

An answer to the question the bot asked is read, in order, as an option's number, an option's
words, an intent the slot maps (``ja``/``nej``), an entity, or free text. Other slots the
active flows use are filled from entities in any message ("jeg får dagpenge og kan ikke komme
i morgen" fills the group and the date at once). A CPR number is read from the raw message,
never from stored text, and never filled in passing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from kcbot.dialogue.domain import Domain
from kcbot.dialogue.flows import Flow, Flows
from kcbot.nlu import ParseResult
from kcbot.nlu.normalise import fold
from kcbot.privacy import find_cpr

__all__ = ["NUMBER", "answer_value", "cached_fold", "entity_candidates", "flow_uses"]

NUMBER = re.compile(r"^\s*(\d{1,2})\s*[).]?\s*$")
CPR_SLOT = "cpr"


@functools.lru_cache(maxsize=1024)
def cached_fold(text: str) -> str:
    """Folded option titles and topic names: the same few strings on every turn."""
    return fold(text)


def answer_value(domain: Domain, slot: str, ask: str | None, parse: ParseResult,
                 raw: str) -> Any:
    """The asked slot's value in this answer, before validation; None if there is none."""
    spec = domain.slots[slot]
    options = domain.options(slot, ask)
    if options:
        number = NUMBER.match(parse.text)
        if number:
            index = int(number.group(1))
            return options[index - 1].payload if 1 <= index <= len(options) else None
        folded = fold(parse.text)
        for button in options:
            if folded in (cached_fold(button.title), cached_fold(button.payload)):
                return button.payload
    if parse.intent in spec.intent_values():
        return spec.intent_values()[parse.intent]
    if slot == CPR_SLOT:
        return find_cpr(raw)
    for entity in spec.entities():
        values = parse.values(entity)
        if values:
            return values[0]
    return parse.text if spec.from_text else None


def entity_candidates(domain: Domain, parse: ParseResult, slots: dict[str, Any],
                      wanted: Iterable[str | None]) -> dict[str, Any]:
    """Empty slots among ``wanted`` that an entity in this message fills."""
    found: dict[str, Any] = {}
    for name in sorted(n for n in wanted if n):
        if slots.get(name) is not None or name == CPR_SLOT:
            continue
        for entity in domain.slots[name].entities():
            values = parse.values(entity)
            if values:
                found[name] = values[0]
                break
    return found


def flow_uses(flows: Flows, flow: Flow, seen: frozenset[str] = frozenset()) -> set[str]:
    """The slots a flow (and the flows it links to) asks for, branches on or fills."""
    slots = {s.arg for s in flow.steps if s.kind == "collect"} | set(flow.fills)
    for step in flow.steps:
        for branch in step.next:
            slots |= set(branch.when or ())
        if step.kind == "link" and step.arg not in seen:
            slots |= flow_uses(flows, flows[step.arg], seen | {flow.name})
    return slots
