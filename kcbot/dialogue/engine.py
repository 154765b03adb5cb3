"""The dialogue engine: the one path every channel and the console use.

``await engine.turn(sender, text)`` runs one citizen message through NLU, the active flow and its
actions, and stores everything the turn did (turns, events, state, journal, outbox, tickets) in
one transaction: a turn is stored completely or not at all, and a process killed between two
turns leaves a conversation the next process continues.

How a message is read, in order:
1. "stop", "afbryd", "forfra" reset the conversation.
2. Numbered topics offered after a message the bot did not understand take a number or a title.
3. While a flow waits for a slot, the answer fills it (an option's number or words, an entity,
   an intent such as "ja", or free text) and is validated by ``action_validate_slot_mappings``.
   An answer that does not fit may be a digression (answered, then the question is asked again),
   goodbye, or a clear change of topic (the new flow starts; the citizen's group and contact
   details stay, the old topic's slots go). Else it is a failed try: a hint and the question
   again, and after two a person is offered.
4. Otherwise the intent starts its flow, with every slot the message already gives filled in.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from rasa_sdk.executor import ActionExecutor

from kcbot import regexcache
from kcbot.actions import afbud as afbud_rules  # the module: kcbot.actions imports this one
from kcbot.actions.context import ActionContext, using
from kcbot.clock import Clock
from kcbot.config import Settings, data_path
from kcbot.dialogue import described, reading
from kcbot.dialogue.answers import (
    NO,
    YES,
    choice_number,
    forget_readings,
    is_question,
    read_polar,
)
from kcbot.dialogue.care import CareSignals, Signal
from kcbot.dialogue.domain import Button, Domain, Reply, load_domain, numbered
from kcbot.dialogue.flows import Flow, Flows, Step, load_flows
from kcbot.dialogue.slots import (
    CPR_SLOT,
    DATE_SLOTS,
    MEETING_DATE,
    answer_value,
    entity_candidates,
    flow_uses,
    is_unknown,
    meetings,
    message_facts,
)
from kcbot.dialogue.state import DialogueState, Frame
from kcbot.dialogue.tracker import action_call
from kcbot.dialogue.versions import check_tables
from kcbot.dialogue.withdrawal import withdrawable_flows, withdraws
from kcbot.errors import KcbotError, StoreUnavailable
from kcbot.identity import Identity
from kcbot.language import COUNT_SLOT, LANGUAGE_SLOT, MIN_WORDS
from kcbot.lazy import gc_paused
from kcbot.nlu import NLU, ParseResult
from kcbot.nlu.entities import DISAGREEING_DATE
from kcbot.nlu.normalise import MAX_CHARS, clean, fold
from kcbot.privacy import mask_cpr, mask_number_answer
from kcbot.store import Store

__all__ = ["Engine", "TurnResult"]

log = logging.getLogger(__name__)
# rasa-sdk warns for every slot without a validate_<slot> method; most slots need none.
logging.getLogger("rasa_sdk.forms").setLevel(logging.ERROR)

VALIDATE = "action_validate_slot_mappings"
JOURNAL = "action_journal"
OFFER_PERSON = "tilbyd_medarbejder"
# "kan ik komme idag er syg": a topic without a reason of its own (a sick report) whose message
# says a meeting is missed; its flow may then offer the afbud (a ``queue`` step)
CANT_COME_SLOT = "kan_ikke_komme"
REASON_CATEGORY = "afbud_kategori"
AFBUD_INTENT = "afbud"
MEETING_KIND = "moedetype"
# The meetings of one message after the one taken next (kept with that one's facts)
MORE_MEETINGS = "flere_moeder"
OWN_SICKNESS = "sygdom"
QUEUED_BY = "tilbudt_af"
# Custom slots that are facts of the conversation, not decisions on a corrected value: a
# correction keeps them (the topic, and what an offer after the topic rests on).
KEPT_ON_CORRECTION = frozenset({"sag", QUEUED_BY, CANT_COME_SLOT})
FAREWELL = "farvel"
MAX_TRIES = 2
MAX_FALLBACKS = 2
MAX_CHOICES = 3
CHOICE_MIN_CONFIDENCE = 0.05
# An answer to a free-text question is read as a digression or goodbye only when the classifier
# is this sure; otherwise "jeg er syg" in answer to "hvad er grunden?" would leave the flow.
INTERRUPT_CONFIDENCE = 0.7
# Leaving a half-done flow for another topic needs a clear message, not a guess: a choice
# question the message does not answer, and a classifier this sure of another topic.
SWITCH_CONFIDENCE = 0.75
MAX_STEPS_PER_TURN = 100
# Who the citizen is stays for the whole conversation; what a topic collected (a meeting, a
# reason, a decision) is forgotten when a new topic starts. A loss the citizen told of stays too
# (no sanction warnings after it). The full CPR number exists only in
# the turn it was written or verified in: the store masks it in the state it keeps.
PERSISTENT_SLOTS = frozenset({"borgergruppe", "sygemeldt_fra", "navn", "telefon", "mitid",
                              "cpr", "identitet", "sorg", LANGUAGE_SLOT, COUNT_SLOT})
# What starting over ("forfra") and a failed turn keep: the language the citizen writes in.
KEPT_ON_RESET = (LANGUAGE_SLOT, COUNT_SLOT)
VERIFIED = "verificeret"
_RESET = re.compile(
    r"^(?:stop|stopp|afbryd|forfra|start forfra|nulstil|annuller|fortryd|glem det|nej ikke "
    r"alligevel|ikke alligevel|never ?mind|forget it|cancel|start over|restart)\b[ !.]*$"
)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# A change of topic in the middle of a question needs a sentence, not a word: "syg" answering
# "Skal en medarbejder ringe dig op?" is a confused answer, not a new sick report.
SWITCH_MIN_WORDS = 3


@dataclass
class TurnResult:
    conversation_id: str
    replies: list[Reply]
    parse: ParseResult | None = None
    state: DialogueState = field(default_factory=DialogueState)
    replayed: bool = False  # a retried message id: the stored replies, nothing run again

    @property
    def ended(self) -> bool:
        return self.state.ended


class _Turn:
    """What one turn has produced so far."""

    def __init__(self, conversation_id: str, state: DialogueState, parse: ParseResult | None,
                 raw: str) -> None:
        self.conversation_id = conversation_id
        self.state = state
        self.parse = parse
        self.raw = raw
        self.replies: list[Reply] = []
        self.events: list[dict[str, Any]] = []
        self.context: ActionContext | None = None  # the actions' context, once it is needed


_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole_characters(text: str) -> str:
    """Half a character (a lone surrogate: half an emoji, as a paste or a cut-off message can
    leave it) cannot be stored; it becomes U+FFFD, which the bot says it cannot read."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


class Engine:
    def __init__(self, store: Store, nlu: NLU, domain: Domain, flows: Flows,
                 executor: ActionExecutor, context: ActionContext,
                 idle_timeout: timedelta = timedelta(minutes=30),
                 care: CareSignals | None = None) -> None:
        self.store = store
        self.nlu = nlu
        self.domain = domain
        self.flows = flows
        self.executor = executor
        self.context = context
        self.idle_timeout = idle_timeout
        self.care = care or CareSignals.load(data_path("dialogues"))
        self._uses: dict[str, set[str]] = {}  # flow -> the slots it uses, computed once
        self._reasons_offered: dict[str, tuple[str, ...]] = {}  # see _offered_reasons
        self.store_retry_seconds = 10.0
        self.cache_dir: Path | None = None  # where start-up's compiled patterns are kept

    @property
    def clock(self) -> Clock:
        return self.store.clock

    @classmethod
    async def open(cls, settings: Settings, clock: Clock, store: Store | None = None,
                   nlu: NLU | None = None) -> Engine:
        owned = store is None
        store = store or await Store.open(settings.store_target, clock,
                                          busy_timeout_ms=settings.busy_timeout_ms)
        try:
            with gc_paused():  # what it loads lives as long as the engine
                folder = data_path("dialogues")
                domain = load_domain(folder)
                check_tables(folder)  # dated versions of the rule table and the registrations
                executor = ActionExecutor()
                executor.register_package("kcbot.actions")
                flows = load_flows(folder / "flows", domain, executor.actions)
                context = ActionContext.build(store, clock)
                engine = cls(store, nlu or NLU.load(settings), domain, flows, executor, context,
                             timedelta(minutes=settings.idle_minutes), CareSignals.load(folder))
        except BaseException:
            if owned:  # an open store's thread would keep the process from exiting
                await store.close()
            raise
        engine.store_retry_seconds = settings.store_retry_seconds
        engine.cache_dir = settings.cache_dir
        regexcache.save(engine.cache_dir)  # what start-up compiled, for the next start
        return engine

    async def on_store(self, settings: Settings) -> Engine:
        """A new engine on the store ``settings`` name, sharing this one's loaded NLU, domain,
        flows and actions: a conversation on it sees nothing another engine's store holds (no
        tickets, numbers or conversations), without loading the dialogue data again."""
        store = await Store.open(settings.store_target, self.clock,
                                 busy_timeout_ms=settings.busy_timeout_ms)
        try:
            engine = type(self)(store, self.nlu, self.domain, self.flows, self.executor,
                                ActionContext.build(store, self.clock), self.idle_timeout,
                                self.care)
        except BaseException:
            await store.close()
            raise
        engine.store_retry_seconds = self.store_retry_seconds
        return engine

    async def close(self) -> None:
        await self.store.close()
        regexcache.save(self.cache_dir)  # and what the turns compiled

    # -- the turn ---------------------------------------------------------------------------

    async def turn(self, sender: str, text: str, *, channel: str = "chat",
                   message_id: str | None = None, identity: Identity | None = None
                   ) -> TurnResult:
        """``identity``: who the citizen is, verified by the channel for this message (a signed
        token from a MitID login); the bot then never asks for name or CPR number."""
        text = _whole_characters(text)
        forget_readings()  # a turn's readings of its text are the turn's alone
        now = self.clock.now()
        parse = self.nlu.parse(text, now.date()) if len(text) <= MAX_CHARS else None
        # A locked, full or failing store is no bug in the dialogue: the turn is tried again
        # with backoff, and if the store stays unavailable nothing is changed, the state
        # included, and the channel asks the client to send the message again later.
        deadline = time.monotonic() + self.store_retry_seconds
        delay = 0.05
        while True:
            try:
                return await self._guarded_turn(channel, sender, text, parse, message_id,
                                                identity)
            except self.store.errors as exc:
                if not self.store.unavailable(exc):
                    raise
                if time.monotonic() + delay > deadline:
                    log.warning("store unavailable for %s/%s: %s", channel, mask_cpr(sender),
                                exc)
                    raise StoreUnavailable(
                        "Vi kan ikke gemme din besked lige nu. Prøv igen om lidt; samtalen "
                        "fortsætter, hvor du slap.") from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)

    async def _guarded_turn(self, channel: str, sender: str, text: str,
                            parse: ParseResult | None, message_id: str | None,
                            identity: Identity | None) -> TurnResult:
        try:
            async with self.store.transaction():
                with self.domain.selecting(self.clock.now().date()):
                    return await self._turn(channel, sender, text, parse, message_id, identity)
        except KcbotError:
            raise
        except self.store.errors as exc:
            if self.store.unavailable(exc):
                raise
            return await self._failed_turn(channel, sender, text, parse)
        except Exception:
            return await self._failed_turn(channel, sender, text, parse)

    async def _failed_turn(self, channel: str, sender: str, text: str,
                           parse: ParseResult | None) -> TurnResult:
        """A bug must not cost the citizen more than this turn: say so, and start over."""
        log.exception("turn failed for %s/%s", channel, mask_cpr(sender))
        async with self.store.transaction():
            await self.store.lock_sender(channel, sender)
            conversation_id, state, _ = await self._conversation(channel, sender)
            state.clear(keep=KEPT_ON_RESET)
            with self.domain.selecting(self.clock.now().date(), state.slots):
                reply = self.domain.render("utter_teknisk_fejl", {})
            await self.store.record_turn(conversation_id, (_stored_text(text, parse), None,
                                                           None), [reply.text], [],
                                         state.for_storing())
            return TurnResult(conversation_id, [reply], parse, state)

    async def _turn(self, channel: str, sender: str, text: str, parse: ParseResult | None,
                    message_id: str | None, identity: Identity | None = None) -> TurnResult:
        # Several workers may hold messages from one sender (PostgreSQL): the turn waits here
        # until no other transaction has this sender, then reads what that one stored.
        await self.store.lock_sender(channel, sender)
        if message_id is not None:
            stored = await self.store.processed_replies(channel, sender, message_id, text)
            if stored is not None:
                conversation_id = await self.store.active_conversation(channel, sender) or ""
                replies = [Reply.from_dict(r) for r in stored]
                return TurnResult(conversation_id, replies, parse, replayed=True)
        conversation_id, state, new = await self._conversation(channel, sender)
        if identity is not None and _another_citizen(state, identity):
            # the same sender id, someone else logged in: nothing of theirs may show
            await self.store.end_conversation(conversation_id, state.final_outcome)
            conversation_id, state, new = (await self.store.start_conversation(channel, sender),
                                           DialogueState(), True)
        _apply_identity(state, identity)
        # The conversation's language first, so every reply of this turn is in it.
        language = (self.domain.languages.observe(state.slots, parse.text if parse else text,
                                                  common=bool(parse and parse.common))
                    if self.domain.languages is not None else None)
        self.domain.choose_for(state.slots)
        turn = _Turn(conversation_id, state, parse, text)
        if new:
            self._say(turn, "utter_velkommen")
        at_cpr_question = state.requested_slot == CPR_SLOT
        if language is not None and language.switched:
            turn.events.append({"event": "language", "value": language.language,
                                "requested": language.requested})
        if language is not None and language.requested:
            self._say(turn, "utter_sprog_skiftet")
            # What else the message said is read without the request ("can you write english?
            # I get dagpenge": the group answers the open question); "answer in English" and
            # nothing more, or a word that says nothing ("english please, thanks"), has the open
            # question asked again in the new language.
            rest = (self.nlu.parse(language.rest, self.clock.now().date())
                    if language.rest and len(language.rest) <= MAX_CHARS else None)
            if rest is not None and (language.words_besides_request >= MIN_WORDS
                                     or rest.entities):
                turn.parse = rest
                await self._read(turn)
            else:
                self._ask_again(turn)
        else:
            await self._read(turn)
        stored = _stored_text(text, parse)
        if at_cpr_question:  # a rejected answer is no valid CPR number, but was meant as one
            stored = mask_number_answer(stored)
            for event in turn.events:
                if event.get("event") == "user":
                    event["text"] = mask_number_answer(str(event["text"]))
        await self.store.record_turn(
            conversation_id,
            (stored, parse.intent if parse else None,
             parse.confidence if parse else None),
            [reply.text for reply in turn.replies],
            turn.events,
            state.for_storing(),
        )
        if state.ended:
            await self.store.end_conversation(conversation_id, state.final_outcome)
        if message_id is not None:
            await self.store.remember_replies(
                channel, sender, message_id, [r.as_dict() for r in turn.replies], text
            )
        return TurnResult(conversation_id, turn.replies, parse, state)

    async def _conversation(self, channel: str, sender: str) -> tuple[str, DialogueState, bool]:
        row = await self.store.open_conversation(channel, sender)
        if row:
            conversation_id = row["id"]
            idle = self.clock.now() - datetime.fromisoformat(row["last_activity"])
            state = DialogueState.from_dict(_json(row["state"]))
            if idle <= self.idle_timeout:
                return conversation_id, state, False
            await self.store.end_conversation(conversation_id, state.final_outcome)
        return await self.store.start_conversation(channel, sender), DialogueState(), True

    async def end(self, sender: str, *, channel: str = "chat") -> str | None:
        """A channel closes the conversation (the chat window shut). Returns the outcome."""
        async with self.store.transaction():
            await self.store.lock_sender(channel, sender)
            row = await self.store.open_conversation(channel, sender)
            if row is None:
                return None
            outcome = DialogueState.from_dict(_json(row["state"])).final_outcome
            await self.store.end_conversation(row["id"], outcome)
            return outcome

    async def expire_idle(self) -> int:
        """End every conversation idle longer than the timeout; returns how many."""
        cutoff = (self.clock.now() - self.idle_timeout).isoformat(timespec="seconds")
        async with self.store.transaction():
            # locked rows; on PostgreSQL another worker's sweep or turn holds its own and
            # this one skips them
            rows = await self.store.idle_conversations(cutoff)
            for row in rows:
                outcome = DialogueState.from_dict(_json(row["state"])).final_outcome
                await self.store.end_conversation(row["id"], outcome)
        return len(rows)

    # -- reading a message ------------------------------------------------------------------

    async def _read(self, turn: _Turn) -> None:
        state, parse = turn.state, turn.parse
        # A citizen in crisis, abuse, "what can you do?" and the like come before anything else
        # (kcbot/dialogue/care.py), even in an over-long message.
        signal = self.care.detect(parse.text if parse else turn.raw[: 4 * MAX_CHARS],
                                  parse.intent if parse else None, state.flow)
        if signal is not None and signal.yields and parse is not None and self._clear_topic(parse):
            # angry words around a clear request: the request is answered, if it is still the
            # request without them ("det er sgu for dårligt, ingen svarer" asks about no illness)
            rest = self.nlu.parse(signal.without(parse.text), self.clock.now().date())
            if rest.intent == parse.intent and self._clear_topic(rest):
                if signal.say and signal.flow:
                    # "er du en robot? jeg vil tale med en medarbejder": the question about
                    # the bot is answered before the request
                    self._say(turn, signal.say)
                signal = None
        if signal is not None and await self._care(turn, signal):
            return
        if parse is None:
            self._say(turn, "utter_for_lang")
            self._ask_again(turn)
            return
        if not parse.text:
            self._say(turn, "utter_tom_besked")
            self._ask_again(turn)
            return
        turn.events.append({"event": "user", "text": parse.text,
                            "parse_data": {"intent": {"name": parse.intent,
                                                      "confidence": parse.confidence},
                                           "entities": [e.as_dict() for e in parse.entities]}})
        if _RESET.match(fold(parse.text)):
            state.clear(keep=KEPT_ON_RESET)
            self._say(turn, "utter_nulstil")
            return
        if await self._withdrawn(turn):
            return
        if await self._corrected(turn):
            return
        if state.choices:
            chosen = self._chosen_topic(state, parse)
            offered, state.choices = state.choices, []
            if len(offered) == 1 and chosen is None and _declines(parse.text):
                self._say(turn, "utter_andet")
                return
            if chosen:
                state.fallbacks = 0
                await self._start(turn, self.flows[chosen])
                return
            if reading.only_facts(parse) and len(offered) > 1:
                # "sygedagpenge" to "which of these topics?": a fact about the citizen, kept
                # for the topic they pick, and the same choices again.
                state.facts.update(message_facts(self.domain, parse))
                self._offer_topics(turn, offered, "utter_fallback_valg_igen")
                return
        if state.requested_slot:
            await self._answer(turn)
        else:
            await self._new_topic(turn)

    async def _withdrawn(self, turn: _Turn) -> bool:
        """ "nå nej, glem det, jeg kan godt komme alligevel" while an afbud is being taken: the
        errand stops before anything is registered, and the citizen is told so
        (kcbot/dialogue/withdrawal.py). The citizen's group and contact details stay."""
        state, parse = turn.state, turn.parse
        assert parse is not None
        flows = withdrawable_flows()
        running = next((f.flow for f in reversed(state.stack) if f.flow in flows), None)
        sent = (not state.stack and state.slots.get("sag") in flows
                and bool(state.slots.get("sendt_til")))
        if (running is None and not sent) or not withdraws(parse.text,
                                                            coming_only=running is None):
            return False
        if running is None:
            # taken back after it was sent: the jobcentre has it, so a person must know the
            # citizen comes after all; the bot cannot take a registration back itself
            turn.events.append({"event": "errand_withdrawn", "name": state.slots["sag"],
                                "registered": True})
            self._say(turn, "utter_fortrudt_sendt")
            await self._start(turn, self.flows["tilbagekald"], handoff=True)
            return True
        turn.events.append({"event": "errand_withdrawn", "name": running})
        state.clear(keep=tuple(PERSISTENT_SLOTS))
        self._say(turn, f"utter_fortrudt_{running}")
        self._say(turn, "utter_andet")
        return True

    def _clear_topic(self, parse: ParseResult) -> bool:
        flow = self.flows.for_intent(parse.intent)
        return bool(flow and flow.description and not flow.digression
                    and parse.confidence >= SWITCH_CONFIDENCE)

    async def _care(self, turn: _Turn, signal: Signal) -> bool:
        """Start the signal's flow: a digression (what the bot can do) on top of the flow in
        progress, a handoff keeping what was collected for the person, else a new topic.
        A signal without a flow says its sentence once, and the message is read as usual."""
        state = turn.state
        if signal.flow in {frame.flow for frame in state.stack}:
            return False  # already in it: the answer belongs to its question
        if signal.flow is None:
            if any(state.slots.get(k) != v for k, v in signal.set.items()) or not signal.set:
                turn.events.append({"event": signal.event, "signal": signal.name})
                state.slots.update(signal.set)
                if signal.say:
                    self._say(turn, signal.say)
            return False
        turn.events.append({"event": signal.event, "signal": signal.name})
        flow = self.flows[signal.flow]
        state.choices = []
        state.requested_slot = state.ask = None
        state.tries = state.fallbacks = 0
        if signal.sag:
            state.slots["sag"] = signal.sag
        push = flow.digression and bool(state.stack)
        await self._start(turn, flow, push=push, handoff=flow.handoff)
        return True

    async def _corrected(self, turn: _Turn) -> bool:
        """ "nej undskyld, det er torsdag": a slot already given changes, and the topic runs
        again from its start with it, so every branch and registration follows the new value.
        After a registration the topic runs again as a correction (``rettelse``), which the
        registration and the journal say."""
        state, parse = turn.state, turn.parse
        assert parse is not None
        changed = (reading.corrections(self.domain, parse, state.slots, state.requested_slot)
                   or reading.reason_taken_back(self.nlu, self.domain, parse, state.slots,
                                                state.requested_slot, self.clock.now().date()))
        topic = state.slots.get("sag")
        if topic not in self.flows:
            topic = state.stack[0].flow if state.stack else None
        if not changed or topic is None:
            return False
        uses = self._wanted(state) | self._flow_uses(topic)
        changed = {k: v for k, v in changed.items() if k in uses}
        if not changed:
            return False
        new_values = {k: v for k, v in changed.items() if v is not None}
        if new_values and not any(v is not None for v in
                                  (await self._validate(turn, new_values)).values()):
            return False  # the validator said why
        settled_before = not state.stack and state.outcome == "straksafklaret"
        # "undskyld, det var fredag, jeg skal arbejde" at the reason question: the correction,
        # and what else the same message gives (the answer to the question asked, or one not
        # asked yet: the reason, at the question about the kind of meeting)
        answer = {k: v for k, v in self._entity_candidates(turn).items() if k not in changed}
        if answer:
            await self._validate(turn, answer)
        for name in [k for k, v in changed.items() if v is None]:
            state.slots[name] = None
        for name, spec in self.domain.slots.items():  # decisions made on the old value
            if spec.custom and name not in PERSISTENT_SLOTS and name not in KEPT_ON_CORRECTION:
                state.slots.pop(name, None)
        state.slots["rettelse"] = settled_before or bool(state.slots.get("rettelse"))
        # "til torsdag den 26. november", "til kontanthjælp": only values that read as words
        readable = [self.domain.label(k, state.slots.get(k)) for k, v in changed.items()
                    if v is not None and (self.domain.options(k) or _ISO_DAY.fullmatch(str(v)))]
        state.slots["rettet"] = ", ".join(readable)
        turn.events.append({"event": "correction", "slots": sorted(changed)})
        self._say(turn, "utter_rettes" if not new_values
                  else "utter_rettet" if readable else "utter_rettet_kort")
        state.requested_slot = state.ask = None
        state.tries = 0
        state.stack = [Frame(topic)]
        await self._advance(turn)
        return True

    async def _answer(self, turn: _Turn) -> None:
        state, parse = turn.state, turn.parse
        assert parse is not None and state.requested_slot
        if state.guess:
            if await self._guess_answered(turn):
                return
        slot = state.requested_slot
        about = reading.asks_about_question(self.domain, slot, state.ask, parse)
        if about is not None:
            self._explain(turn, slot, about)
            return
        if self._interrupts(parse, slot, state) and await self._interrupted(turn):
            return
        # "ja. og hvordan melder jeg ferie?": the answer, then a question of another topic,
        # taken when this one is done
        current = {frame.flow for frame in state.stack}
        today = self.clock.now().date()
        later = [found for found in
                 reading.questions_after_answer(self.nlu, self.flows, parse, today)
                 if found[0] not in current]
        for name, _, part in later:
            if name not in state.pending:
                state.pending.append(name)
            state.pending_facts[name] = entity_candidates(self.domain, part, {},
                                                          self._flow_uses(name))
        if later:  # what those parts name is theirs, not this answer's ("… afbud fredag")
            parse = turn.parse = dataclasses.replace(parse, entities=[
                e for e in parse.entities if not any(a <= e.start < b for _, (a, b), _ in later)])
        value = answer_value(self.domain, slot, state.ask, parse, turn.raw)
        guessed = described.guess(slot, parse.text)
        if guessed is not None and value != guessed:
            # "jeg får penge fra kommunen, fordi jeg ikke er i en a-kasse": the option it
            # describes is asked about, not assumed (nor the a-kasse it names as not its own);
            # the description is no reason or date
            self._ask_guess(turn, slot, guessed)
            return
        if value is None:
            others = self._entity_candidates(turn, exclude=slot)
            # "fra mit arbejde" to the group question: kept, not asked later
            kept = await self._validate(turn, others) if others else {}
            if is_unknown(self.domain, slot, state.ask, parse):
                await self._failed(turn, None, help_first=True)
            elif any(v is not None for v in kept.values()):
                if await self._branched(turn, {k for k, v in kept.items() if v is not None}):
                    return
                # "jeg er syg" to the meeting-type question: what it said is noted, and the
                # question asked again; no failed try, the answer was about this topic (each
                # slot is kept once, so this cannot go round)
                self._say(turn, "utter_noteret")
                self._ask_again(turn)
            elif others or not await self._interrupted(turn):
                # a message that gave this topic something is about this topic: no switch
                await self._failed(turn, None)
            return
        await self._accept(turn, slot, {slot: value} | self._entity_candidates(turn, exclude=slot))

    async def _accept(self, turn: _Turn, slot: str, candidates: dict[str, Any]) -> None:
        """The asked slot's answer (and what else the message gives) validated; the flow goes
        on, or the answer is a failed try."""
        state = turn.state
        kept = await self._validate(turn, candidates)
        if kept.get(slot) is None:
            await self._failed(turn, slot)
            return
        state.requested_slot = state.ask = None
        state.tries = 0
        frame = state.stack[-1]
        flow = self.flows[frame.flow]
        frame.step = self._next_index(flow, flow.steps[frame.step], state.slots)
        await self._advance(turn)

    def _ask_guess(self, turn: _Turn, slot: str, value: Any) -> None:
        """Ask whether the option an answer described is the one (``described.py``): a
        confirmation, answered as one."""
        state = turn.state
        state.guess = {slot: value}
        state.slots["gaet"] = self.domain.label(slot, value)
        turn.events.append({"event": "option_recognised", "slot": slot, "value": value})
        state.requested_slot, state.ask = reading.CONFIRM_SLOT, described.ask_name(slot)
        self._say(turn, state.ask)

    async def _guess_answered(self, turn: _Turn) -> bool:
        """The answer to "Så lyder det som kontanthjælp. Passer det?": "ja" takes the option,
        "nej" asks the question again; anything else is read as an answer to the question."""
        state, parse = turn.state, turn.parse
        assert parse is not None
        slot, guessed = next(iter(state.guess.items()))
        state.guess = {}
        state.slots.pop("gaet", None)
        if state.ask != described.ask_name(slot):
            return False
        state.requested_slot, state.ask = slot, f"utter_ask_{slot}"
        number = choice_number(parse.text, 2)
        answer = {1: YES, 2: NO}.get(number or 0) or read_polar(parse.text)
        if answer == YES:
            await self._accept(turn, slot, {slot: guessed})
            return True
        if answer == NO:
            self._say(turn, state.ask)
            return True
        return False

    async def _branched(self, turn: _Turn, named: set[str]) -> bool:
        """An answer that names, instead of the asked slot, one a branch of the asked step reads
        ("det er et møde i a-kassen" to "Hvilken slags møde?") decides where the flow goes: the
        question is left for that branch, not asked again."""
        state = turn.state
        frame = state.stack[-1]
        flow = self.flows[frame.flow]
        step = flow.steps[frame.step]
        for branch in step.next:
            if branch.when and set(branch.when) & named and branch.matches(state.slots):
                state.requested_slot = state.ask = None
                state.tries = 0
                frame.step = flow.index_of(branch.target)
                await self._advance(turn)
                return True
        return False

    def _restates(self, turn: _Turn) -> bool:
        """Whether the message names a value a slot of the active flows already holds."""
        assert turn.parse is not None
        slots = turn.state.slots
        named = {(e.entity, e.value) for e in turn.parse.entities}
        return bool(named) and any(
            (entity, str(slots[name])) in named
            for name in self._wanted(turn.state) if slots.get(name) is not None
            and name in self.domain.slots
            for entity in self.domain.slots[name].entities())

    def _interrupts(self, parse: ParseResult, slot: str, state: DialogueState) -> bool:
        """A free-text slot takes any words, unless they clearly are something else: goodbye,
        a digression that names nothing the question asks for, or asking for a person outside
        a handoff. Another topic's words are an answer here ("jeg har ikke penge til bussen"
        is a reason, not a question about payments)."""
        spec = self.domain.slots[slot]
        if parse.confidence < INTERRUPT_CONFIDENCE:
            return False
        if is_question(parse.text):  # "hvornår har I åbent i dag?" asked back is no date
            flow = self.flows.for_intent(parse.intent)
            if flow is not None and flow.digression:
                return True
        if not spec.from_text:
            return False
        if parse.intent == FAREWELL:
            return True
        flow = self.flows.for_intent(parse.intent)
        if flow is None:
            return False
        if flow.digression:
            return not any(parse.values(e) for e in spec.entities())
        in_handoff = any(self.flows[frame.flow].handoff for frame in state.stack)
        return flow.name == reading.PERSON_FLOW and not in_handoff

    async def _interrupted(self, turn: _Turn) -> bool:
        """Goodbye, a digression or a change of topic in the middle of a flow."""
        state, parse = turn.state, turn.parse
        assert parse is not None
        if parse.intent == FAREWELL:
            self._farewell(turn)
            return True
        flow = self.flows.for_intent(parse.intent)
        if flow is None or flow.name in {frame.flow for frame in state.stack}:
            return False
        if flow.digression:
            state.requested_slot = state.ask = None
            await self._start(turn, flow, push=True)
            return True
        if (parse.confidence < SWITCH_CONFIDENCE or not flow.description
                or len(parse.text.split()) < SWITCH_MIN_WORDS):
            return False
        if not flow.handoff and self._restates(turn):
            return False  # "jeg er stadig syg" when the reason is illness: this topic again
        # A clear change of topic: the new flow starts; who the citizen is stays.
        state.requested_slot = state.ask = None
        state.tries = 0
        await self._start(turn, flow)
        return True

    def _explain(self, turn: _Turn, slot: str, about: str) -> None:
        """A question back about the question: why it is asked (``utter_hvorfor_<slot>``) or
        what it means (the help for "ved ikke", else the hint), then the question again. Not a
        failed answer, and not a new topic."""
        names = ([f"utter_hvorfor_{slot}", "utter_hvorfor_generisk"] if about == "hvorfor"
                 else [f"utter_hjaelp_{slot}", f"utter_hint_{slot}", "utter_hvorfor_generisk"])
        turn.events.append({"event": "question_back", "slot": slot, "about": about})
        self._say(turn, next(n for n in names if self.domain.has_response(n)))
        self._ask_again(turn)

    async def _failed(self, turn: _Turn, rejected: str | None, *,
                      help_first: bool = False) -> None:
        """An answer that does not fit: a hint and the question again; after two, a person.
        "Ved ikke" gets help to find the answer (``utter_hjaelp_<slot>``) instead of a hint."""
        state = turn.state
        slot = state.requested_slot
        assert slot is not None
        state.tries += 1
        turn.events.append({"event": "fallback", "kind": "answer", "slot": slot})
        if state.tries < MAX_TRIES:
            hints = [f"utter_hjaelp_{slot}"] if help_first else []
            if rejected is None:  # the validator gives its own hint when it rejects
                hints += [f"utter_hint_{slot}", "utter_hint_generisk"]
            hint = next((h for h in hints if self.domain.has_response(h)), None)
            if hint:
                self._say(turn, hint)
            self._ask_again(turn)
            return
        bottom = state.stack[0].flow
        state.requested_slot = state.ask = None
        state.tries = 0
        if any(self.flows[frame.flow].handoff for frame in state.stack):
            state.stack.clear()
            self._say(turn, "utter_ring_selv")
            return
        state.stack.clear()
        state.given_up.append(slot)  # the person calling back asks instead
        # the topic, not a flow it called (identitet) or a digression on top of it
        state.slots["sag"] = bottom
        await self._start(turn, self.flows[OFFER_PERSON], handoff=True)

    async def _new_topic(self, turn: _Turn) -> None:
        state, parse = turn.state, turn.parse
        assert parse is not None
        # "nej" with no question open answers "Er der andet, jeg kan hjælpe dig med?"
        if parse.intent in (FAREWELL, "afkraeft"):
            self._farewell(turn)
            return
        flow = self.flows.for_intent(parse.intent)
        facts = message_facts(self.domain, parse)
        if facts and reading.only_facts(parse):
            # "jeg får dagpenge" on its own: kept for the topic that follows.
            state.facts.update(facts)
            self._say(turn, "utter_fakta_noteret")
            return
        if flow is not None and reading.only_when(parse):
            # "det med i morgen": a day and no topic; the day is kept for the topic picked
            flow = None
        today = self.clock.now().date()
        if facts:  # "…, kontanthjælp": the request read without the facts, if that is surer
            better = reading.without_facts(self.nlu, parse, today, self.flows)
            if better is not None:
                parse = turn.parse = better
                flow = self.flows.for_intent(parse.intent)
        # Two requests in one message: the first now, the others offered afterwards. A
        # request beside facts is read without them.
        asked = reading.topics(self.nlu, self.flows, parse, today)
        if asked and (flow is None or len(asked) == 1
                      or flow.name in {name for name, _ in asked}):
            flow = self.flows[asked[0][0]]
            state.pending = [name for name, _ in asked[1:]]
            # Each later topic keeps what its own part said, and what the message said outside
            # the other topics' parts ("jeg er syg …, og jeg skal melde afbud i morgen": the
            # afbud is for i morgen, and the reason is the sickness).
            state.pending_facts = {}
            for name, (a, b) in asked[1:]:
                uses = self._flow_uses(name)
                own = entity_candidates(self.domain, self.nlu.parse(parse.text[a:b], today), {},
                                        uses)
                shared = dataclasses.replace(parse, entities=[
                    e for e in parse.entities if a <= e.start < b or not any(
                        x <= e.start < y for other, (x, y) in asked[1:] if other != name)])
                state.pending_facts[name] = entity_candidates(self.domain, shared, {}, uses) | own
            # What the other parts name belongs to their own topics ("ferie" is not the
            # reason for the afbud in "afbud i morgen, og hvordan er det med ferie?").
            others = [span for _, span in asked[1:]]
            turn.parse = dataclasses.replace(parse, entities=[
                e for e in parse.entities if not any(a <= e.start < b for a, b in others)])
        if flow is not None:
            flow = self._afbud_first(turn, flow)
            state.fallbacks = 0
            await self._start(turn, flow)
            return
        state.facts.update(facts)
        state.fallbacks += 1
        turn.events.append({"event": "fallback", "kind": "topic"})
        if state.fallbacks >= MAX_FALLBACKS:
            state.fallbacks = 0
            state.slots["sag"] = "uafklaret"
            await self._start(turn, self.flows[OFFER_PERSON], handoff=True)
            return
        choices = [
            name for name in dict.fromkeys(
                self.flows.by_intent[intent] for intent, confidence in parse.ranking
                if confidence >= CHOICE_MIN_CONFIDENCE and intent in self.flows.by_intent
            )
            if self.flows[name].description
        ][:MAX_CHOICES]
        if choices:
            self._offer_topics(turn, choices, "utter_fallback_valg")
        else:
            self._say(turn, "utter_fallback")

    def _offer_topics(self, turn: _Turn, choices: list[str], question: str) -> None:
        """Topics as numbered choices; a single topic is offered as a ja/nej question."""
        turn.state.choices = choices
        reply = self.domain.render(question, turn.state.slots)
        if len(choices) > 1 or not reply.buttons:
            buttons = [Button(self._title(name), name) for name in choices]
            reply = numbered(reply.text, buttons)
        turn.replies.append(reply)

    def _title(self, flow: str) -> str:
        """How a topic is offered: its ``utter_emne_<flow>`` response when it has a variant for
        the conversation (its language), else the flow's description."""
        name = f"utter_emne_{flow}"
        title = self.domain.chosen_text(name) if self.domain.has_response(name) else None
        return title or self.flows[flow].description or flow

    def _mention(self, flow: str) -> str:
        """How a topic reads inside a sentence ("Du skrev også om …"): its
        ``utter_omtale_<flow>`` response where the title is a question or a request of its own
        ("Er jeg tilmeldt, og får jeg sygedagpenge?"), else the title with a small first letter
        (names inside it keep theirs: "login på Jobnet og MitID")."""
        name = f"utter_omtale_{flow}"
        said = self.domain.chosen_text(name) if self.domain.has_response(name) else None
        if said:
            return said
        title = self._title(flow).rstrip("?.! ")
        if title[1:2].isupper():  # "CV …": an abbreviation keeps its letters
            return title
        return title[:1].lower() + title[1:]

    def _chosen_topic(self, state: DialogueState, parse: ParseResult) -> str | None:
        """The offered topic a reply picks: its number, its words, "ja" to a single offer, or
        a message the classifier reads as one of them."""
        index = choice_number(parse.text, len(state.choices))
        if index is not None:
            return state.choices[index - 1] if index else None
        if len(state.choices) == 1 and read_polar(parse.text) == YES:
            return state.choices[0]
        if len(state.choices) == 1:
            return None  # a ja/nej offer: anything but ja is not taking it
        titles = {name: self._title(name) for name in state.choices}
        picked = reading.pick_title(parse.text, titles)
        if not picked:  # the descriptions too, where a language's titles differ from them
            described = {name: self.flows[name].description or name for name in state.choices}
            if described != titles:
                picked = reading.pick_title(parse.text, described)
        if picked:
            return picked
        flow = self.flows.for_intent(parse.intent)
        return flow.name if flow and flow.name in state.choices else None

    def _farewell(self, turn: _Turn) -> None:
        state = turn.state
        # "tak, farvel" before the topic was registered must not sound like it was
        unfinished = any(self.flows[frame.flow].registers_from(frame.step)
                         for frame in state.stack)
        if unfinished:
            self._say(turn, "utter_farvel_ikke_sendt")
        state.stack.clear()
        state.requested_slot = state.ask = None
        state.ended = True
        self._say(turn, "utter_farvel")

    # -- flows ------------------------------------------------------------------------------

    async def _start(self, turn: _Turn, flow: Flow, *, push: bool = False,
                     handoff: bool = False) -> None:
        """Start a flow. A new topic forgets the last topic's slots and takes what this message
        gives; a handoff keeps them, for the person who calls back; a digression (``push``)
        leaves the interrupted flow waiting underneath."""
        state = turn.state
        if not push:
            state.stack.clear()
            if not handoff:
                state.slots = {k: v for k, v in state.slots.items() if k in PERSISTENT_SLOTS}
                state.slots["sag"] = flow.name  # the topic, for the journal and a ticket
                # the turn's responses are chosen for the new topic's slots (a variant with a
                # condition on a slot this message fills)
                self.domain.choose_for(state.slots)
        state.stack.append(Frame(flow.name))
        turn.events.append({"event": "flow_started", "name": flow.name})
        if not handoff and not push:
            # What this message and the ones before it (a menu, "jeg får dagpenge") said; a
            # digression's words ("har I åbent i dag?") are not answers to the flow below it.
            wanted = self._wanted(state)
            facts = {k: v for k, v in state.facts.items()
                     if k in wanted and state.slots.get(k) is None}
            more = state.facts.pop(MORE_MEETINGS, None) or []
            candidates = facts | self._entity_candidates(turn)
            more += self._meetings_besides(turn, flow, candidates)
            if candidates:
                await self._validate(turn, candidates)
            if more:
                self._queue_meeting(turn, flow, more)
            state.facts = {}
            self._note_offers(turn, flow)
            self._note_clash(turn, flow)
        await self._advance(turn)

    def _meetings_besides(self, turn: _Turn, flow: Flow,
                          candidates: dict[str, Any]) -> list[list[str | None]]:
        """An afbud for two meetings in one message ("kan hverken komme til jobsamtalen på
        torsdag eller jobklubben på fredag"): the first is this afbud's (its day and kind go
        into ``candidates``), the others are returned, to be taken one after the other with the
        same reason. Never one dropped, and no day guessed: each is read back."""
        state, parse = turn.state, turn.parse
        if (parse is None or reading.REASON_SLOT not in self._flow_uses(flow.name)
                or MEETING_DATE not in self._flow_uses(flow.name)
                or state.slots.get(MEETING_DATE) is not None):
            return []
        named = meetings(parse, self.domain.slots[MEETING_DATE].entities())
        if len(named) < 2 or state.slots.get(MEETING_KIND) is not None and len(
                {day for _, day in named}) < 2:
            return []
        (kind, day), rest = named[0], named[1:]
        candidates[MEETING_DATE] = day
        if kind is not None and state.slots.get(MEETING_KIND) is None:
            candidates[MEETING_KIND] = kind
        elif kind is None:
            candidates.pop(MEETING_KIND, None)
        return [[k, d] for k, d in rest]

    def _queue_meeting(self, turn: _Turn, flow: Flow, more: list[list[str | None]]) -> None:
        """The next of several meetings is this topic again once it is done, with the same
        reason and what the message said of that meeting; the ones after it ride along."""
        state = turn.state
        (kind, day), rest = more[0], more[1:]
        facts: dict[str, Any] = {k: state.slots[k] for k in (REASON_CATEGORY, reading.REASON_SLOT)
                                 if state.slots.get(k) is not None}
        facts[MEETING_DATE] = day
        if kind is not None:
            facts[MEETING_KIND] = kind
        if rest:
            facts[MORE_MEETINGS] = rest
        if flow.name not in state.pending:
            state.pending.insert(0, flow.name)
        state.pending_facts[flow.name] = facts
        turn.events.append({"event": "another_meeting", "topic": flow.name})

    def _note_offers(self, turn: _Turn, flow: Flow) -> None:
        """A topic that takes no reason itself but may offer one that does (a ``queue`` step:
        the sick report offers the afbud) notes whether this message says a meeting is missed
        ("kan ik komme idag er syg"), and keeps what it said about it (the day, the reason),
        so an afbud the citizen says yes to asks neither again. Only an offer: a sick report
        that also gives a person a case (sygedagpenge) must not become two callbacks."""
        state, parse = turn.state, turn.parse
        if parse is None or reading.REASON_SLOT in self._flow_uses(flow.name):
            return
        for queued in self._offered_reasons(flow):
            if queued in state.pending or not afbud_rules.says_cant_come(parse.text):
                continue
            uses = self._flow_uses(queued)
            facts = entity_candidates(self.domain, parse, {}, uses)
            if facts.get(REASON_CATEGORY) or facts.get(reading.REASON_SLOT):
                # the whole message, as the afbud itself keeps it, so a hedge in it is seen
                facts[reading.REASON_SLOT] = parse.text
            state.slots[CANT_COME_SLOT] = "ja"
            state.pending_facts[queued] = facts
            today = self.clock.now().date().isoformat()
            for slot in flow.fills:
                value = state.slots.get(slot)
                if isinstance(value, str) and _ISO_DAY.fullmatch(value) and value > today:
                    # "har influenza, kommer ikke på torsdag": a day ahead is the meeting's,
                    # not the day the sickness began (the flow's own default applies)
                    del state.slots[slot]

    def _afbud_first(self, turn: _Turn, flow: Flow) -> Flow:
        """ "dagpenge, cant come tomorrow, reason: holiday" read as a holiday question: a
        message that says the citizen cannot come and gives the reason, and asks nothing, is an
        afbud first, whatever topic the reason's word suggests. That topic is not dropped: it
        is the message's second request. Not for a topic that takes the reason or offers the
        afbud itself (the sick report), and only where the classifier saw the afbud too."""
        state, parse = turn.state, turn.parse
        afbud = self._afbud_may_follow(turn, flow)
        if (afbud is None or parse is None or is_question(parse.text)
                or not parse.values(REASON_CATEGORY)
                or not any(intent == AFBUD_INTENT and confidence >= CHOICE_MIN_CONFIDENCE
                           for intent, confidence in parse.ranking)
                or not afbud_rules.says_not_coming(parse.text)):
            return flow
        if flow.name not in state.pending:
            state.pending.insert(0, flow.name)
            state.pending_facts[flow.name] = entity_candidates(
                self.domain, parse, {}, self._flow_uses(flow.name))
        turn.events.append({"event": "afbud_first", "instead_of": flow.name})
        return afbud

    def _note_clash(self, turn: _Turn, flow: Flow) -> None:
        """A topic that neither takes a reason nor offers one (a fravær report, a holiday) in a
        message that says a meeting lies on its day ("skal arbejde d. 3/12 hvor jeg har møde med
        jobcentret"): the afbud is a second request of the message, taken when this topic is
        done, with the day and the reason the message gives; its read-back is the citizen's
        to confirm. A topic with an offer of its own (the sick report) offers the afbud."""
        state, parse = turn.state, turn.parse
        afbud = self._afbud_may_follow(turn, flow)
        if (afbud is None or parse is None or afbud.name in state.pending
                or not afbud_rules.meeting_clash(parse.text)):
            return
        uses = self._flow_uses(afbud.name)
        facts = entity_candidates(self.domain, parse, {}, uses)
        if facts.get(REASON_CATEGORY) or facts.get(reading.REASON_SLOT):
            facts[reading.REASON_SLOT] = parse.text
        state.pending.append(afbud.name)
        state.pending_facts[afbud.name] = facts
        turn.events.append({"event": "meeting_clash", "topic": afbud.name})

    def _afbud_may_follow(self, turn: _Turn, flow: Flow) -> Flow | None:
        """The afbud flow, where this message's ``flow`` may hand the afbud on as a second
        request: a message read, a topic that neither takes a reason nor offers a topic that
        does (the sick report offers the afbud itself), no digression and no handover."""
        afbud = self.flows.for_intent(AFBUD_INTENT)
        if (turn.parse is None or afbud is None or flow.name == afbud.name or flow.digression
                or flow.handoff or reading.REASON_SLOT in self._flow_uses(flow.name)
                or self._offered_reasons(flow)):
            return None
        return afbud

    def _offered_reasons(self, flow: Flow) -> tuple[str, ...]:
        """The topics that take a reason which ``flow``'s offers queue (their ``queue`` steps,
        in order), worked out once per flow: the flows do not change."""
        queued = self._reasons_offered.get(flow.name)
        if queued is None:
            queued = self._reasons_offered[flow.name] = tuple(
                topic for topic in self.flows.offered_topics(flow)
                if reading.REASON_SLOT in self._flow_uses(topic))
        return queued

    async def _advance(self, turn: _Turn) -> None:
        """Run steps until the bot needs an answer or no flow is left."""
        state = turn.state
        for _ in range(MAX_STEPS_PER_TURN):
            if not state.stack:
                return
            frame = state.stack[-1]
            flow = self.flows[frame.flow]
            if frame.step >= len(flow.steps):
                await self._complete(turn, flow)
                if state.requested_slot:  # the next topic started, and waits for an answer
                    return
                continue
            step = flow.steps[frame.step]
            if step.kind == "collect":
                skip = flow.handoff and step.arg in state.given_up
                if not skip and (step.always or state.slots.get(step.arg) is None):
                    state.slots[step.arg] = None
                    self._ask(turn, step.arg, step.ask)
                    return
            elif step.kind == "say":
                self._say(turn, step.arg)
            elif step.kind == "set":
                state.slots.update(step.arg)
            elif step.kind == "action":
                await self._run_action(turn, step.arg)
            elif step.kind == "link":
                state.stack[-1] = Frame(step.arg)
                turn.events.append({"event": "flow_started", "name": step.arg})
                continue
            elif step.kind == "queue":  # taken when this topic is done (``_complete``)
                if step.arg not in state.pending:
                    state.pending.insert(0, step.arg)
                # the queued topic knows who offered it, and offers nothing back (no loop)
                state.pending_facts.setdefault(step.arg, {})[QUEUED_BY] = flow.name
            elif step.kind == "call":  # run the flow, then continue after this step
                frame.step = self._next_index(flow, step, state.slots)
                state.stack.append(Frame(step.arg))
                turn.events.append({"event": "flow_started", "name": step.arg})
                continue
            frame.step = self._next_index(flow, step, state.slots)
        raise KcbotError(f"Flowet '{state.flow}' kom ikke videre efter {MAX_STEPS_PER_TURN} trin.")

    async def _complete(self, turn: _Turn, flow: Flow) -> None:
        state = turn.state
        if flow.settles:
            await self._run_action(turn, JOURNAL)  # one note per settled case
            if state.outcome != "overdraget":
                state.outcome = "straksafklaret"
        state.stack.pop()
        turn.events.append({"event": "flow_completed", "name": flow.name})
        if not state.stack and (flow.settles or flow.handoff or flow.queues):
            offer = flow.offered(state.slots) if not state.pending else None
            if offer is not None:
                # settled and noted; the offer is asked next, with what was kept for it
                state.stack.append(Frame(offer))
                turn.events.append({"event": "flow_started", "name": offer})
                return
            pending = [name for name in state.pending
                       if name != flow.name or self._another_meeting(state, name)]
            state.pending = []
            nxt = self.flows[pending[0]] if pending else None
            if nxt:
                # "… og hvordan er det med ferie?": the citizen asked for it already, so it is
                # taken now (a digression just answered), not offered as a question first.
                # What the settled topic found stays known beside the new topic's own slots.
                state.pending = pending[1:]
                # (an offer the citizen just said yes to needs no "Du skrev også om …")
                if (nxt.name in (flow.name, state.slots.get("sag"))
                        and self._another_meeting(state, nxt.name)):
                    # "Du skrev også om et møde fredag den 27. november": which one, said
                    day = state.pending_facts[nxt.name][MEETING_DATE]
                    state.slots["andet_emne"] = self.domain.label(MEETING_DATE, day)
                    self._say(turn, "utter_ogsaa_moede")
                elif (not nxt.digression
                      and QUEUED_BY not in state.pending_facts.get(nxt.name, {})):
                    state.slots["andet_emne"] = self._mention(nxt.name)
                    self._say(turn, "utter_ogsaa_emne")
                # after an offer, the topic that made it is the one settled
                settled = (self.flows[state.slots["sag"]] if flow.queues
                           and state.slots.get("sag") in self.flows else flow)
                only_settled = self._flow_uses(settled.name) - self._flow_uses(nxt.name)
                kept = {k: v for k, v in state.slots.items() if k in only_settled}
                # a second request of the same message offers nothing back either: "…, jeg skal
                # melde afbud" after the sick report is not asked "skal jeg også sygemelde dig?"
                state.pending_facts.setdefault(nxt.name, {}).setdefault(QUEUED_BY, settled.name)
                state.facts.update(state.pending_facts.pop(nxt.name, {}))
                self._carry_reason(state, settled, nxt)
                await self._start(turn, nxt)
                state.slots.update({k: v for k, v in kept.items() if state.slots.get(k) is None})
            else:
                state.pending_facts = {}
                self._say(turn, "utter_andet")

    @staticmethod
    def _another_meeting(state: DialogueState, name: str) -> bool:
        """Whether the topic just done is queued again for another meeting of the message."""
        facts = state.pending_facts.get(name, {})
        day = facts.get(MEETING_DATE)
        return day is not None and (day != state.slots.get(MEETING_DATE) or facts.get(
            MEETING_KIND) not in (None, state.slots.get(MEETING_KIND)))

    def _carry_reason(self, state: DialogueState, settled: Flow, nxt: Flow) -> None:
        """The citizen's own sickness, which the settled topic was about, is the next topic's
        too, unless its own part said otherwise: "er syg, …, og jeg skal også melde afbud til
        fredag" (the afbud's reason), or the sick report after an afbud for sickness. Not after
        a handoff: what a person takes up is not a reason the bot may use."""
        if (state.slots.get(REASON_CATEGORY) != OWN_SICKNESS or state.outcome == "overdraget"
                or not settled.settles or state.facts.get(REASON_CATEGORY)):
            return
        uses = self._flow_uses(nxt.name)
        if REASON_CATEGORY in uses:
            state.facts[REASON_CATEGORY] = OWN_SICKNESS
        if reading.REASON_SLOT in uses and not state.facts.get(reading.REASON_SLOT):
            state.facts[reading.REASON_SLOT] = OWN_SICKNESS

    @staticmethod
    def _next_index(flow: Flow, step: Step, slots: dict[str, Any]) -> int:
        for branch in step.next:
            if branch.matches(slots):
                return flow.index_of(branch.target)
        return step.index + 1

    # -- slots ------------------------------------------------------------------------------

    def _ask(self, turn: _Turn, slot: str, ask: str | None) -> None:
        state = turn.state
        state.requested_slot = slot
        state.ask = ask or f"utter_ask_{slot}"
        state.asked.append(slot)
        disagreeing = (turn.parse.values(DISAGREEING_DATE)
                       if turn.parse is not None and slot in DATE_SLOTS else [])
        if disagreeing:
            # "mandag den 15. december", a Tuesday: which day is meant is asked, and why
            state.slots["dato_uenig"] = self.domain.label(slot, disagreeing[0])
            self._say(turn, "utter_dato_uenig")
        self._say(turn, state.ask)

    def _ask_again(self, turn: _Turn) -> None:
        state = turn.state
        if state.requested_slot and state.ask:
            state.asked.append(state.requested_slot)
            self._say(turn, state.ask)

    def _entity_candidates(self, turn: _Turn, exclude: str | None = None) -> dict[str, Any]:
        """Slots the active flows use that this message names and that are still empty."""
        assert turn.parse is not None
        wanted = self._wanted(turn.state)
        return entity_candidates(self.domain, turn.parse, turn.state.slots, wanted - {exclude})

    def _wanted(self, state: DialogueState) -> set[str]:
        """The slots the active flows use."""
        wanted: set[str] = set()
        for frame in state.stack:
            wanted |= self._flow_uses(frame.flow)
        return wanted

    def _flow_uses(self, name: str) -> set[str]:
        """The slots a flow uses (``flow_uses``), computed once per flow; never to be changed."""
        uses = self._uses.get(name)
        if uses is None:
            uses = self._uses[name] = flow_uses(self.flows, self.flows[name])
        return uses

    async def _validate(self, turn: _Turn, candidates: dict[str, Any]) -> dict[str, Any]:
        """Run the slot validator on the candidates; returns and applies what it keeps."""
        events = [{"event": "slot", "name": k, "value": v} for k, v in candidates.items()]
        result = await self._run_action(turn, VALIDATE, extra_events=events, apply=False)
        kept = dict(candidates)
        for event in result:
            if event.get("event") == "slot":
                kept[event["name"]] = event["value"]
        for name, value in kept.items():
            if value is not None:
                turn.state.slots[name] = value
                turn.events.append({"event": "slot", "name": name, "value": value})
        return kept

    # -- actions and responses --------------------------------------------------------------

    async def _run_action(self, turn: _Turn, name: str, *,
                          extra_events: Sequence[dict[str, Any]] = (),
                          apply: bool = True) -> list[dict[str, Any]]:
        """Run a custom action the way Rasa's action server is called."""
        state = turn.state
        slots = {**state.slots, "requested_slot": state.requested_slot}
        payload = action_call(name, turn.conversation_id, slots, turn.parse, self.domain.raw,
                              extra_events)
        context = turn.context
        if context is None:  # built once a turn, for the turn's conversation
            context = turn.context = self.context.for_conversation(turn.conversation_id)
        with using(context):
            result = await self.executor.run(payload)
        assert result is not None
        turn.events.append({"event": "action", "name": name})
        for message in result.responses:
            self._message(turn, message)
        if apply:
            for event in result.events:
                if event.get("event") == "slot":
                    state.slots[event["name"]] = event["value"]
                    turn.events.append(event)
                    if event["name"] == "ticket_id" and event["value"]:
                        state.outcome = "overdraget"
        return result.events

    def _message(self, turn: _Turn, message: dict[str, Any]) -> None:
        if message.get("response"):
            extra = {k: v for k, v in message.items()
                     if k not in ("response", "text", "buttons", "template") and v}
            turn.replies.append(self.domain.render(message["response"], turn.state.slots, **extra))
        elif message.get("text"):
            turn.replies.append(Reply(str(message["text"])))

    def _say(self, turn: _Turn, response: str) -> None:
        slots = turn.state.slots
        reply, cited = self.domain.render_cited(response, slots)
        turn.replies.append(reply)
        if cited:  # guidance, cited in the journal
            slots["vejledning"] = [*(slots.get("vejledning") or []), response]


def _declines(text: str) -> bool:
    return read_polar(text) == NO or text.strip() == "2"


def _apply_identity(state: DialogueState, identity: Identity | None) -> None:
    """A verified identity fills name and CPR number for this turn. A conversation that was
    verified and gets a message without it is asked like any other before a registration: the
    full number is never kept between turns."""
    if identity is not None:
        state.slots.update(navn=identity.navn, cpr=identity.cpr, identitet=VERIFIED)
    elif state.slots.get("identitet") == VERIFIED:
        state.slots["identitet"] = None


def _another_citizen(state: DialogueState, identity: Identity) -> bool:
    known = state.slots.get("cpr")
    return bool(known) and mask_cpr(str(known)) != mask_cpr(identity.cpr)


def _stored_text(text: str, parse: ParseResult | None) -> str:
    """What the transcript keeps of a message: cleaned and masked; an over-long one is cut."""
    if parse is not None:
        return parse.text
    return mask_cpr(clean(text)) + " […]"


def _json(raw: str | None) -> dict[str, Any]:
    return json.loads(raw) if raw else {}
