"""Scripted dialogue tests: YAML files of simulated citizens and what must come of them.

The format is an interface (the README documents it). Each dialogue gets a fresh conversation
on a store of its own (``run_files``, as the test suite does), with its own sender id and a
clock frozen at ``now``; the scripted turns are sent in order, then the profile answers every
slot the bot asks for, until the bot stops asking, asks for a slot the profile lacks (the
citizen leaves), asks for the same slot a third time (a failure) or 25 messages have been sent
(a failure if the bot still asks). Then the conversation is closed and the expectations checked
against what the store holds.

Every failure has a kind (``FAILURE_KINDS``), so a corpus can be summarised by what goes wrong
(``kcbot test --summary``, ``kcbot.dialogue.summary``). Profile keys the bot never asks for are
ignored, so a profile may answer questions a later version of a flow adds.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kcbot.clock import FrozenClock, parse_local
from kcbot.config import Settings
from kcbot.dialogue.engine import Engine
from kcbot.dialogue.state import DialogueState
from kcbot.errors import DataError, KcbotError
from kcbot.nlu import NLU
from kcbot.nlu.normalise import fold
from kcbot.yamlio import check_keys, load_yaml

__all__ = [
    "FAILURE_KINDS", "DialogueResult", "DialogueSpec", "collect_files", "load_dialogues",
    "run_dialogue", "run_files",
]

MAX_MESSAGES = 25
MAX_ASKS = 3
CHANNEL = "test"
DIALOGUE_KEYS = {"name", "now", "profile", "turns", "expect", "description", "flow"}
TURN_KEYS = {"user", "intent", "says"}
EXPECT_KEYS = {"outcome", "says", "not_says", "slots", "asked_not", "ticket"}
TICKET_KEYS = {"queue", "category", "due"}
_DIGIT_SPACE = re.compile(r"(?<=\d) (?=\d)")
# What went wrong, in the order a summary ranks them when a dialogue fails in several ways.
FAILURE_KINDS = {
    "error": "teknisk fejl",
    "intent": "misforstået intent",
    "asked_again": "spurgt igen",
    "too_many_messages": "for mange beskeder",
    "slot": "forkert eller manglende slot",
    "outcome": "forkert udfald",
    "ticket": "forkert sag",
    "text": "manglende eller uventet tekst",
}
# Flows that open or close a conversation rather than being its topic.
SMALL_TALK = {"hilsen", "tak"}


def normalise(text: str) -> str:
    """Case, æ/ø/å vs ae/oe/aa, whitespace and spaces between digits do not matter."""
    return _DIGIT_SPACE.sub("", fold(text))


def says(reply: str, text: str) -> bool:
    """Whether ``reply`` says ``text``, as ``normalise`` compares them (case, æ/ø/å vs ae/oe/aa,
    spaces between digits), with a number found only as a whole number: "112" is not said by
    the case number KC-2026-000112, "15.00" is said by "07.30–15.00"."""
    needle = normalise(text).strip()
    number = bool(needle) and not any(c.isalpha() for c in needle)  # not "… nummer KC-2026-0"
    parts = [r"(?<!\d)" if number else ""]
    for here, after in zip(needle, needle[1:] + " ", strict=True):
        parts.append(re.escape(here) + (r"\s*" if here.isdigit() and after.isdigit() else ""))
    parts.append(r"(?!\d)" if number else "")
    return re.search("".join(parts), fold(reply)) is not None


@dataclass(frozen=True)
class TurnSpec:
    user: str
    intent: str | None = None
    says: tuple[str, ...] = ()


@dataclass
class DialogueSpec:
    name: str
    path: Path
    now: datetime | None = None
    profile: dict[str, str] = field(default_factory=dict)
    turns: list[TurnSpec] = field(default_factory=list)
    expect: dict[str, Any] = field(default_factory=dict)
    flow: str | None = None  # the flow the dialogue is mainly about, for summaries


@dataclass
class DialogueResult:
    name: str
    failures: list[str]
    outcome: str | None
    slots: dict[str, Any]
    asked: list[str]
    ticket: dict[str, Any] | None
    transcript: list[dict[str, Any]]
    path: str = ""
    kinds: list[str] = field(default_factory=list)  # the kind of each failure, in step
    flow: str | None = None  # the flow the dialogue is mainly about
    flows: list[str] = field(default_factory=list)  # every flow started, in order

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def kind(self) -> str | None:
        """The failure that matters most (see FAILURE_KINDS); None when the dialogue passed."""
        order = list(FAILURE_KINDS)
        return min(self.kinds, key=order.index) if self.kinds else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name, "path": self.path, "flow": self.flow, "passed": self.passed,
            "failures": self.failures, "kinds": self.kinds, "kind": self.kind,
            "outcome": self.outcome, "slots": self.slots, "asked": self.asked,
            "ticket": self.ticket, "flows": self.flows, "transcript": self.transcript,
        }


class _Failures(list[str]):
    """Failure messages with their kinds beside them."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: list[str] = []

    def add(self, kind: str, message: str) -> None:
        assert kind in FAILURE_KINDS, kind
        self.append(message)
        self.kinds.append(kind)


# -- loading ---------------------------------------------------------------------------------

def _strings(path: Path, where: str, raw: Any) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise DataError(path, where, "skal være en tekst eller en liste af tekster")
    return tuple(items)


def _dialogue(path: Path, index: int, raw: Any) -> DialogueSpec:
    where = f"dialogues[{index}]"
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise DataError(path, f"{where}.name", "hver dialog skal have et navn")
    name = raw["name"]
    where = f"dialogues[{index}] ({name})"
    check_keys(path, where, raw, DIALOGUE_KEYS)
    spec = DialogueSpec(name, path)
    if raw.get("flow") is not None:
        spec.flow = str(raw["flow"])
    if raw.get("now") is not None:
        try:
            spec.now = parse_local(str(raw["now"]))
        except KcbotError as exc:
            raise DataError(path, f"{where}.now", str(exc)) from None
    profile = raw.get("profile") or {}
    if not isinstance(profile, dict):
        raise DataError(path, f"{where}.profile", "skal være en mapping slot: svar")
    spec.profile = {str(k): str(v) for k, v in profile.items()}
    turns = raw.get("turns") or []
    if not isinstance(turns, list):
        raise DataError(path, f"{where}.turns", "skal være en liste")
    for i, turn in enumerate(turns):
        key = f"{where}.turns[{i}]"
        if not isinstance(turn, dict) or not isinstance(turn.get("user"), str):
            raise DataError(path, key, "hver tur skal have 'user' med borgerens tekst")
        check_keys(path, key, turn, TURN_KEYS)
        spec.turns.append(TurnSpec(
            turn["user"],
            str(turn["intent"]) if turn.get("intent") else None,
            _strings(path, f"{key}.says", turn.get("says") or []),
        ))
    if not spec.turns:
        raise DataError(path, f"{where}.turns", "en dialog skal have mindst én tur")
    expect = raw.get("expect") or {}
    if not isinstance(expect, dict):
        raise DataError(path, f"{where}.expect", "skal være en mapping")
    check_keys(path, f"{where}.expect", expect, EXPECT_KEYS)
    for key in ("says", "not_says", "asked_not"):
        if key in expect:
            expect[key] = _strings(path, f"{where}.expect.{key}", expect[key])
    if "slots" in expect and not isinstance(expect["slots"], dict):
        raise DataError(path, f"{where}.expect.slots", "skal være en mapping slot: værdi")
    ticket = expect.get("ticket")
    if ticket is not None and ticket != "none":
        if not isinstance(ticket, dict):
            raise DataError(path, f"{where}.expect.ticket", "skal være 'none' eller en mapping")
        check_keys(path, f"{where}.expect.ticket", ticket, TICKET_KEYS)
    spec.expect = expect
    return spec


def load_dialogues(path: Path) -> list[DialogueSpec]:
    doc = load_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("dialogues"), list):
        raise DataError(path, "dialogues", "filen skal have en liste under 'dialogues:'")
    specs = [_dialogue(path, i, raw) for i, raw in enumerate(doc["dialogues"])]
    seen: set[str] = set()
    for spec in specs:
        if spec.name in seen:
            raise DataError(path, f"dialogues ({spec.name})", "navnet er brugt to gange i filen")
        seen.add(spec.name)
    return specs


def collect_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        try:  # is_dir() raises for a name too long, a folder it may not enter
            if path.is_dir():
                files.extend(sorted(path.glob("*.yml")) + sorted(path.glob("*.yaml")))
            elif path.is_file():
                files.append(path)
            else:
                raise KcbotError(f"{path} findes ikke.")
        except OSError as exc:
            raise KcbotError(f"{path} kan ikke læses: {exc.strerror}.") from None
    if not files:
        raise KcbotError("Ingen dialogfiler (*.yml) fundet.")
    return files


# -- running ---------------------------------------------------------------------------------

async def run_dialogue(engine: Engine, spec: DialogueSpec, number: int = 0) -> DialogueResult:
    clock = engine.clock
    if isinstance(clock, FrozenClock):
        clock.set(spec.now or datetime.now(clock.at.tzinfo))
    sender = f"test-{number}-{spec.name}"
    failures = _Failures()
    messages = 0
    result = None
    for i, turn in enumerate(spec.turns):
        result = await engine.turn(sender, turn.user, channel=CHANNEL)
        messages += 1
        got = result.parse.intent if result.parse else None
        if turn.intent and got != turn.intent:
            failures.add("intent", f"tur {i + 1}: intent {got}, ventede {turn.intent}")
        reply = " ".join(r.text for r in result.replies)
        for text in turn.says:
            if not says(reply, text):
                failures.add("text", f"tur {i + 1}: svaret siger ikke {text!r}")
        if result.ended:
            break
    while result and not result.ended:
        slot = result.state.requested_slot
        if slot is None or slot not in spec.profile:
            break
        if result.state.asked.count(slot) >= MAX_ASKS:
            failures.add("asked_again", f"botten spurgte efter {slot} for {MAX_ASKS}. gang")
            break
        if messages >= MAX_MESSAGES:
            failures.add("too_many_messages",
                         f"botten spurgte stadig efter {MAX_MESSAGES} beskeder ({slot})")
            break
        result = await engine.turn(sender, spec.profile[slot], channel=CHANNEL)
        messages += 1
    conversation_id = result.conversation_id if result else ""
    if result and not result.ended:
        await engine.end(sender, channel=CHANNEL)
    return await _check(engine, spec, conversation_id, failures)


async def _check(engine: Engine, spec: DialogueSpec, conversation_id: str,
                 failures: _Failures) -> DialogueResult:
    store = engine.store
    row = await store.conversation(conversation_id)
    outcome = row["outcome"] if row else None
    state = DialogueState.from_dict(json.loads(row["state"]) if row and row["state"] else {})
    slots = {k: v for k, v in state.slots.items() if v is not None}
    asked = list(state.asked)
    turns = await store.turns(conversation_id)
    transcript = [
        {"from": t.speaker if t.speaker == "user" else "bot", "text": t.text}
        | ({"intent": t.intent} if t.speaker == "user" else {})
        for t in turns
    ]
    ticket_row = await store.fetchone(
        "SELECT id, queue, category, due, status FROM tickets WHERE conversation_id = ? "
        "ORDER BY created LIMIT 1", (conversation_id,),
    )
    ticket = dict(ticket_row) if ticket_row else None
    said = " ".join(t["text"] for t in transcript if t["from"] == "bot")
    bot_text = normalise(said)
    flows = [e["name"] for e in await store.events(conversation_id)
             if e.get("event") == "flow_started"] if conversation_id else []
    error = normalise(engine.domain.render("utter_teknisk_fejl", {}).text)
    if error and error in bot_text:
        failures.add("error", "botten svarede med en teknisk fejl")
    expect = spec.expect
    if "outcome" in expect and outcome != expect["outcome"]:
        failures.add("outcome", f"udfald {outcome}, ventede {expect['outcome']}")
    for text in expect.get("says", ()):
        if not says(said, text):
            failures.add("text", f"botten sagde aldrig {text!r}")
    for text in expect.get("not_says", ()):
        if says(said, text):
            failures.add("text", f"botten sagde {text!r}")
    for name, value in (expect.get("slots") or {}).items():
        if str(slots.get(name)) != str(value):
            failures.add("slot", f"slot {name} er {slots.get(name)!r}, ventede {value!r}")
    for name in expect.get("asked_not", ()):
        if name in asked:
            failures.add("asked_again", f"botten spurgte efter {name}")
    if "ticket" in expect:
        for problem in _check_ticket(expect["ticket"], ticket):
            failures.add("ticket", problem)
    if failures and spec.flow and spec.flow not in flows:
        # The dialogue went wrong and never reached its topic: the message was misread.
        started = ", ".join(flows) or "intet"
        failures.add("intent", f"flowet {spec.flow} blev aldrig startet (startede: {started})")
    main = spec.flow or next((f for f in flows if f not in SMALL_TALK), None) or spec.path.stem
    return DialogueResult(spec.name, list(failures), outcome, slots, asked, ticket, transcript,
                          str(spec.path), kinds=list(failures.kinds), flow=main, flows=flows)


def _check_ticket(expected: Any, ticket: dict[str, Any] | None) -> list[str]:
    if expected in (None, "none"):
        return [f"der blev oprettet sagen {ticket['id']}"] if ticket else []
    if ticket is None:
        return ["der blev ikke oprettet en sag"]
    problems = []
    for key in ("queue", "category"):
        if key in expected and ticket[key] != expected[key]:
            problems.append(f"sagens {key} er {ticket[key]}, ventede {expected[key]}")
    if "due" in expected:
        due = datetime.fromisoformat(ticket["due"])
        if due != parse_local(str(expected["due"])):
            problems.append(f"sagens frist er {ticket['due']}, ventede {expected['due']}")
    return problems


async def run_files(files: list[Path], settings: Settings, nlu: NLU | None = None,
                    on_result: Callable[[DialogueResult], None] | None = None,
                    ) -> list[DialogueResult]:
    """Run every dialogue of the files on a throw-away store; production data is not touched.

    Each dialogue gets a store of its own, as in the test suite: what a dialogue sees (ticket
    numbers, earlier conversations) never depends on which dialogues ran before it."""
    specs = [spec for path in files for spec in load_dialogues(path)]
    with tempfile.TemporaryDirectory(prefix="kcbot-test-") as folder:
        clock = FrozenClock()
        loaded = await Engine.open(
            settings.with_db(Path(folder) / "dialogues.sqlite3"), clock,
            nlu=nlu,
        )
        try:
            results = []
            for number, spec in enumerate(specs):
                db = Path(folder) / f"dialogue-{number}.sqlite3"
                engine = await loaded.on_store(settings.with_db(db))
                try:
                    result = await run_dialogue(engine, spec, number)
                finally:
                    await engine.close()
                for leftover in Path(folder).glob(f"{db.name}*"):
                    leftover.unlink()
                results.append(result)
                if on_result:
                    on_result(result)
            return results
        finally:
            await loaded.close()
