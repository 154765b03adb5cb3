"""Flows: kcbot's own YAML for what the bot does, one ``dialogues/flows/*.yml`` file per topic.

A flow is started by one or more intents and is a list of steps, each exactly one of:

``collect: slot``   ask for a slot (``utter_ask_<slot>``, or ``ask:``) unless it is already set
``say: utter_x``    send a response from the domain
``action: name``    run a rasa-sdk custom action (``kcbot/actions``)
``set: {slot: v}``  set slots
``link: flow``      continue in another flow (this one ends)
``call: flow``      run another flow, then continue here (``identitet`` before a registration)
``queue: flow``     take that topic when this one is done, as a second request in the first
                    message is taken: with what that message said about it (an offer the
                    citizen said yes to: "Skal jeg også melde afbud til dit møde?")
``confirm: utter_x`` read the facts back (``utter_x`` with Ja/Nej buttons) and go on to the next
                    step only after "ja"; "nej" goes to the step named by ``no:``. Nothing that
                    changes the citizen's status is registered without one.

Any step may have an ``id`` and a ``next``: a step id, ``END``, or a list of
``{if: {slot: value-or-list}, then: id}`` items ending in ``{else: id}``. Without ``next`` the
following step runs. An answer to a ``collect`` that names, instead of the asked slot, a slot
one of the step's ``next`` branches reads, and that branch then holds, takes that branch (the
question is not asked again). A flow with ``settles: true`` counts as straksafklaret when it
completes; a ``digression: true`` flow may interrupt another flow, which then asks its
question again; a ``handoff: true`` flow is the way to a person, so two failed answers in it end
with the phone number instead of another offer of a person.

``fills: [slot]`` names slots the flow takes from a date or other entity in any message without
ever asking ("rask fra mandag"); an action supplies the default.

``offer:`` a list of ``{if: {slot: value-or-list}, then: flow}``: when the topic is done, the
first that matches runs that flow (a question such as "Skal jeg også melde afbud til dit
møde?" whose "ja" queues the topic) instead of "Er der andet, jeg kan hjælpe dig med?". The
topic is settled and noted before the offer, so a citizen who leaves then loses nothing.

``consequences: [intent]``: a question about what the errand means for the citizen, asked in the
same message with one of these intents ("I didn't show up on Tuesday. Will I lose money?"), is
part of the errand, whose texts answer it, not a second request.

Loading checks everything a flow refers to, and an error names the file, the flow and the step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kcbot.dialogue.domain import Domain
from kcbot.errors import DataError
from kcbot.nlu.data import INTENTS
from kcbot.yamlio import check_keys, load_yaml

__all__ = ["END", "Flow", "Flows", "Step", "load_flows"]

END = "END"
STEP_KINDS = ("collect", "say", "action", "set", "link", "call", "confirm", "queue")
STEP_KEYS = {"id", "next", "ask", "always", "description", "no", *STEP_KINDS}
CONFIRM_SLOT = "bekraeftelse"
# Actions that send something to the jobcentre or make a ticket, by name.
REGISTERING = ("action_registrer_", "action_opret_")
FLOW_KEYS = {"description", "intents", "settles", "digression", "handoff", "steps", "fills",
             "offer", "consequences"}


@dataclass(frozen=True)
class Branch:
    when: dict[str, tuple[str | None, ...]] | None  # None: the else branch
    target: str

    def matches(self, slots: dict[str, Any]) -> bool:
        if self.when is None:
            return True
        return all(
            (None if slots.get(name) is None else str(slots.get(name))) in allowed
            for name, allowed in self.when.items()
        )


@dataclass(frozen=True)
class Step:
    index: int
    id: str
    kind: str
    arg: Any
    next: tuple[Branch, ...] = ()
    ask: str | None = None  # collect: the question's response
    always: bool = False  # collect: ask even if the slot is already set
    no: str | None = None  # confirm: where "nej" goes


@dataclass
class Flow:
    name: str
    path: Path
    description: str
    intents: tuple[str, ...]
    settles: bool
    digression: bool
    handoff: bool
    steps: list[Step]
    fills: tuple[str, ...] = ()  # slots taken from any message's entities, never asked
    offer: tuple[Branch, ...] = ()  # flows offered when the topic is done (no else)
    # intents whose questions about what the errand means ("will I lose money?") it answers
    consequences: tuple[str, ...] = ()
    _ids: dict[str, int] = field(default_factory=dict, repr=False)

    @property
    def queues(self) -> bool:
        """Whether the flow takes a topic when it is done (a ``queue`` step: an offer)."""
        return any(step.kind == "queue" for step in self.steps)

    def offered(self, slots: dict[str, Any]) -> str | None:
        """The flow to offer now the topic is done, if any."""
        return next((branch.target for branch in self.offer if branch.matches(slots)), None)

    def registers_from(self, index: int) -> bool:
        """Whether a step from ``index`` on sends something to the jobcentre or makes a ticket
        (an action named ``action_registrer_…`` or ``action_opret_…``)."""
        return any(step.kind == "action" and str(step.arg).startswith(REGISTERING)
                   for step in self.steps[index:])

    def index_of(self, step_id: str) -> int:
        return len(self.steps) if step_id == END else self._ids[step_id]


@dataclass
class Flows:
    flows: dict[str, Flow]
    by_intent: dict[str, str]

    def __getitem__(self, name: str) -> Flow:
        return self.flows[name]

    def __contains__(self, name: object) -> bool:
        return name in self.flows

    def for_intent(self, intent: str) -> Flow | None:
        name = self.by_intent.get(intent)
        return self.flows[name] if name else None

    def offered_topics(self, flow: Flow) -> tuple[str, ...]:
        """The topics ``flow``'s offers take when the citizen says yes (the offer flows'
        ``queue`` steps), in order: the sick report's offer takes the afbud."""
        return tuple(str(step.arg) for branch in flow.offer
                     for step in self.flows[branch.target].steps if step.kind == "queue")


def _values(raw: Any) -> tuple[str | None, ...]:
    items = raw if isinstance(raw, list) else [raw]
    return tuple(None if v is None else str(v) for v in items)


def _parse_next(path: Path, where: str, raw: Any) -> tuple[Branch, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (Branch(None, raw),)
    if not isinstance(raw, list) or not raw:
        raise DataError(path, f"{where}.next", "skal være et step-id eller en liste af if/else")
    branches = []
    for i, item in enumerate(raw):
        key = f"{where}.next[{i}]"
        if isinstance(item, dict) and set(item) == {"else"}:
            branches.append(Branch(None, str(item["else"])))
        elif (isinstance(item, dict) and set(item) == {"if", "then"}
              and isinstance(item["if"], dict)):
            when = {str(k): _values(v) for k, v in item["if"].items()}
            branches.append(Branch(when, str(item["then"])))
        else:
            raise DataError(path, key, "skal være {if: {slot: værdi}, then: id} eller {else: id}")
    if branches[-1].when is not None:
        raise DataError(path, f"{where}.next", "den sidste gren skal være 'else'")
    return tuple(branches)


def _parse_offer(path: Path, where: str, raw: Any) -> tuple[Branch, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(
            isinstance(item, dict) and set(item) == {"if", "then"} and isinstance(item["if"], dict)
            for item in raw):
        raise DataError(path, f"{where}.offer",
                        "skal være en liste af {if: {slot: værdi}, then: flow}")
    return tuple(Branch({str(k): _values(v) for k, v in item["if"].items()}, str(item["then"]))
                 for item in raw)


def _parse_step(path: Path, where: str, index: int, raw: Any) -> Step:
    if not isinstance(raw, dict):
        raise DataError(path, where, "et step skal være en mapping")
    check_keys(path, where, raw, STEP_KEYS)
    kinds = [k for k in STEP_KINDS if k in raw]
    if len(kinds) != 1:
        raise DataError(path, where, f"skal have præcis én af {', '.join(STEP_KINDS)}")
    kind = kinds[0]
    arg = raw[kind]
    if kind == "set" and not isinstance(arg, dict):
        raise DataError(path, where, "'set' skal være en mapping slot: værdi")
    if kind != "set" and not isinstance(arg, str):
        raise DataError(path, where, f"'{kind}' skal være et navn")
    if kind == "confirm" and (not isinstance(raw.get("no"), str) or "next" in raw):
        raise DataError(path, where, "'confirm' skal have 'no: <step-id>' og ingen 'next'")
    if kind != "confirm" and "no" in raw:
        raise DataError(path, where, "'no' hører kun til et 'confirm'-step")
    return Step(
        index=index,
        id=str(raw.get("id") or f"{index}"),
        kind=kind,
        arg=arg,
        next=_parse_next(path, where, raw.get("next")),
        ask=raw.get("ask"),
        always=bool(raw.get("always", False)),
        no=raw.get("no"),
    )


def _expand_confirm(path: Path, where: str, step: Step, steps: list[Step]) -> Step:
    """A confirmation is a question for ``bekraeftelse``, asked every time, whose "ja" goes on
    to the next step and whose anything else goes to ``no``: the engine needs nothing new."""
    if step.kind != "confirm":
        return step
    if step.index + 1 >= len(steps):
        raise DataError(path, f"{where}.steps[{step.index}]",
                        "et 'confirm'-step skal efterfølges af det, der bekræftes")
    yes = Branch({CONFIRM_SLOT: ("ja",)}, steps[step.index + 1].id)
    return dataclasses.replace(step, kind="collect", arg=CONFIRM_SLOT, ask=step.arg,
                               always=True, next=(yes, Branch(None, str(step.no))))


def _parse_intents(path: Path, where: str, raw: Any) -> tuple[str, ...]:
    intents = raw or []
    if not isinstance(intents, list):
        raise DataError(path, where, "skal være en liste")
    for intent in intents:
        if intent not in INTENTS:
            raise DataError(path, where, f"ukendt intent '{intent}'")
    return tuple(intents)


def _parse_flow(path: Path, name: str, raw: Any) -> Flow:
    where = f"flows.{name}"
    if not isinstance(raw, dict):
        raise DataError(path, where, "et flow skal være en mapping med 'steps'")
    check_keys(path, where, raw, FLOW_KEYS)
    intents = _parse_intents(path, f"{where}.intents", raw.get("intents"))
    raw_steps = raw.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise DataError(path, f"{where}.steps", "et flow skal have mindst ét step")
    steps = [_parse_step(path, f"{where}.steps[{i}]", i, s) for i, s in enumerate(raw_steps)]
    steps = [_expand_confirm(path, where, step, steps) for step in steps]
    ids: dict[str, int] = {}
    for step in steps:
        if step.id in ids or step.id == END:
            raise DataError(path, f"{where}.steps[{step.index}]",
                            f"id '{step.id}' er brugt to gange")
        ids[step.id] = step.index
    return Flow(
        name=name,
        path=path,
        description=str(raw.get("description") or ""),
        intents=intents,
        settles=bool(raw.get("settles", False)),
        digression=bool(raw.get("digression", False)),
        handoff=bool(raw.get("handoff", False)),
        steps=steps,
        fills=tuple(str(f) for f in raw.get("fills") or []),
        offer=_parse_offer(path, where, raw.get("offer")),
        consequences=_parse_intents(path, f"{where}.consequences", raw.get("consequences")),
        _ids=ids,
    )


def _check_references(
    flow: Flow, flows: dict[str, Flow], domain: Domain, actions: set[str]
) -> None:
    for slot in flow.fills:
        if slot not in domain.slots:
            raise DataError(flow.path, f"flows.{flow.name}.fills",
                            f"slotten '{slot}' findes ikke i domænet")
    for branch in flow.offer:
        if branch.target not in flows:
            raise DataError(flow.path, f"flows.{flow.name}.offer",
                            f"flowet '{branch.target}' findes ikke")
        for slot in branch.when or ():
            if slot not in domain.slots:
                raise DataError(flow.path, f"flows.{flow.name}.offer",
                                f"betingelsen bruger den ukendte slot '{slot}'")
    for step in flow.steps:
        def fail(problem: str, step: Step = step) -> None:
            where = f"flows.{flow.name}.steps[{step.index}] (id {step.id})"
            raise DataError(flow.path, where, problem)

        if step.kind == "collect":
            if step.arg not in domain.slots:
                fail(f"slotten '{step.arg}' findes ikke i domænet")
            ask = step.ask or f"utter_ask_{step.arg}"
            if not domain.has_response(ask):
                fail(f"spørgsmålet '{ask}' findes ikke i domænets responses")
        elif step.kind == "say" and not domain.has_response(step.arg):
            fail(f"svaret '{step.arg}' findes ikke i domænets responses")
        elif step.kind == "action" and step.arg not in actions:
            fail(f"handlingen '{step.arg}' findes ikke; kendte: {', '.join(sorted(actions))}")
        elif step.kind in ("link", "call", "queue") and step.arg not in flows:
            fail(f"flowet '{step.arg}' findes ikke")
        elif step.kind == "set":
            for slot in step.arg:
                if slot not in domain.slots:
                    fail(f"slotten '{slot}' findes ikke i domænet")
        for branch in step.next:
            if branch.target != END and branch.target not in flow._ids:
                fail(f"næste step '{branch.target}' findes ikke i flowet")
            for slot, allowed in (branch.when or {}).items():
                spec = domain.slots.get(slot)
                if spec is None:
                    fail(f"betingelsen bruger den ukendte slot '{slot}'")
                elif spec.values:
                    bad = [v for v in allowed if v is not None and v not in spec.values]
                    if bad:
                        fail(f"{bad} er ikke gyldige værdier for '{slot}'")


def load_flows(folder: Path, domain: Domain, actions: Iterable[str]) -> Flows:
    files = sorted(folder.glob("*.yml"))
    if not files:
        raise DataError(folder, "-", "ingen flow-filer (*.yml)")
    flows: dict[str, Flow] = {}
    for path in files:
        doc = load_yaml(path)
        if not isinstance(doc, dict) or not isinstance(doc.get("flows"), dict):
            raise DataError(path, "flows", "filen skal have en mapping under 'flows:'")
        for name, raw in doc["flows"].items():
            if name in flows:
                raise DataError(path, f"flows.{name}",
                                f"flowet findes også i {flows[name].path.name}")
            flows[str(name)] = _parse_flow(path, str(name), raw)
    by_intent: dict[str, str] = {}
    known_actions = set(actions)
    for flow in flows.values():
        _check_references(flow, flows, domain, known_actions)
        for intent in flow.intents:
            if intent in by_intent:
                raise DataError(
                    flow.path, f"flows.{flow.name}.intents",
                    f"'{intent}' starter allerede flowet '{by_intent[intent]}'",
                )
            by_intent[intent] = flow.name
    return Flows(flows, by_intent)
