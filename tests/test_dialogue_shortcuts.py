"""The dialogue's per-turn shortcuts give what the plain computation gives.

Issue 16 made a turn's slot reading, response choice and deadline text cheaper: a reading plan
per set of wanted slots, the options looked up only for slots whose question has buttons, a
variant's condition checked in a loop, a reply's variant chosen once for its text and its
source, a deadline's text kept. Each is compared here with the plain way of computing the same
thing, written out in this file, over the training messages and the citizens' messages of the
scripted dialogues and the conversation corpus, in Danish and in English. The care signals'
shared split and per-signal typo answers are compared with each signal tried on its own. A
turn's kept readings of its text (question, ja/nej, correction) are compared with fresh ones,
and a message's parts with the parts its separators alone give."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from babel.dates import format_datetime

from kcbot.actions.tilbagekald import format_frist
from kcbot.clock import TZ
from kcbot.config import data_path
from kcbot.dialogue import reading
from kcbot.dialogue.answers import (
    NO,
    YES,
    Options,
    _phrase_index,
    correction,
    folded_words,
    forget_readings,
    is_question,
    match_option,
    named_option,
    read_polar,
)
from kcbot.dialogue.care import CareSignals, Signal
from kcbot.dialogue.domain import condition_holds, variant_in_force
from kcbot.dialogue.slots import (
    CPR_SLOT,
    DATE_SLOTS,
    GROUP_SLOT,
    MEETING_DATE,
    _describes,
    entity_candidates,
    flow_uses,
    group_now,
    meeting_day,
)
from kcbot.language import languages
from kcbot.nlu.negation import words
from kcbot.nlu.normalise import fold
from tests.test_nlu_shortcuts import plain_signal_matches, written_messages

TODAY = date(2026, 11, 24)


def messages(count: int) -> list[str]:
    texts = sorted(set(written_messages()))
    return random.Random(16).sample(texts, min(count, len(texts)))


def plain_entity_candidates(domain: Any, parse: Any, slots: dict[str, Any],
                            wanted: Any) -> dict[str, Any]:
    """``entity_candidates`` as written before the shortcuts: every wanted slot in turn, its
    entities read from the message, its options looked up, the text folded each time."""
    found: dict[str, Any] = {}
    last = correction(parse.text)
    for name in sorted(n for n in wanted if n):
        if slots.get(name) is not None or name == CPR_SLOT:
            continue
        spec = domain.slots[name]
        values = [v for entity in spec.entities() for v in parse.values(entity)]
        if values:
            if last:
                found[name] = values[-1]
            elif len(set(values)) == 1 or not spec.values and name not in DATE_SLOTS:
                found[name] = values[0]
            elif name == MEETING_DATE and (day := meeting_day(parse, spec.entities())) is not None:
                found[name] = day
            elif name == GROUP_SLOT and (now := group_now(parse, spec.entities())) is not None:
                found[name] = now
            continue
        options = list(domain.answer_options(name))  # a plain list: no kept indexes
        if options and {o.payload for o in options} != {YES, NO}:
            named = named_option(parse.text, options)
            if named is not None:
                found[name] = named
        elif parse.intent in spec.text_intents() and _describes(parse.text):
            found[name] = parse.text
    return found


async def test_slots_read_from_a_message_as_the_plain_loop_reads_them(engine) -> None:
    domain, flows, nlu = engine.domain, engine.flows, engine.nlu
    wanted_sets = {frozenset(flow_uses(flows, flow)) for flow in flows.flows.values()}
    wanted_sets |= {frozenset(domain.entity_slots), frozenset(domain.slots)}
    rng = random.Random(161)
    found = 0
    for text in messages(600):
        parse = nlu.parse(text, TODAY)
        for language in ("da", "en"):
            with domain.selecting(TODAY, {"sprog": language}):
                for wanted in sorted(wanted_sets, key=sorted):
                    names = sorted(wanted)
                    filled = {n: "x" for n in rng.sample(names, len(names) // 3)}
                    for slots in ({}, filled):
                        expected = plain_entity_candidates(domain, parse, slots, wanted)
                        assert entity_candidates(domain, parse, slots, set(wanted)) == expected, (
                            text, language, names)
                        found += bool(expected)
    assert found > 1000  # the messages do fill slots


async def test_answers_read_against_kept_options_as_against_a_plain_list(engine) -> None:
    """A question's options as the domain keeps them (``Options``: payloads, whole phrases and
    phrase patterns worked out once) pick what the same options as a plain list pick."""
    domain = engine.domain
    questions = [(slot, name) for slot in sorted(domain.slots)
                 for name in (f"utter_ask_{slot}", *sorted(domain.responses))
                 if name == f"utter_ask_{slot}" or name.startswith(f"utter_ask_{slot}_")]
    texts = messages(400) + ["1", "2", "ja", "nej tak", "ved ikke", "dagpenge", "kontanthjalp",
                             "sygedagpege", "jeg er på a-kassen", "andet", "fra mit arbejde"]
    picked = 0
    for language in ("da", "en"):
        with domain.selecting(TODAY, {"sprog": language}):
            for slot, ask in questions:
                options = domain.answer_options(slot, ask)
                if not options:
                    continue
                assert isinstance(options, Options)
                plain = list(options)
                # what Options works out once, against the plain computation
                payloads = {o.payload for o in plain}
                assert options.payloads == payloads and options.polar == (payloads == {YES, NO})
                for named in (False, True):
                    assert options.phrase_index(named) == _phrase_index(tuple(plain), named)
                question = domain.text(ask)
                for text in texts:
                    folded = fold(text)
                    whole = next((o.payload for o in plain if folded in o.phrases()), None)
                    assert options.whole.get(folded) == whole, (text, ask)
                    expected = match_option(text, plain, (), question)
                    assert match_option(text, options, (), question) == expected, (text, ask)
                    assert named_option(text, options) == named_option(text, plain), (text, ask)
                    picked += expected is not None
    assert picked > 100  # the messages do pick options


def plain_variant(variants: list[dict[str, Any]], on: date,
                  slots: dict[str, Any]) -> dict[str, Any]:
    current = [v for v in variants if variant_in_force(v, on)] or variants[:1]
    for variant in current:
        if variant.get("condition") and condition_holds(variant, slots):
            return variant
    return next((v for v in current if not v.get("condition")), current[0])


async def test_responses_chosen_and_rendered_as_the_plain_way(engine) -> None:
    domain = engine.domain
    days = {TODAY}
    for variants in domain.responses.values():  # either side of every dated version's window
        for variant in variants:
            meta = variant.get("metadata") or {}
            for key in ("valid_from", "valid_to"):
                if isinstance(meta.get(key), date):
                    day = meta[key]
                    days |= {day - timedelta(days=1), day, day + timedelta(days=1)}
    slots = {"sprog": None, "borgergruppe": "dagpenge", "moededato": "2026-11-26",
             "frist": "torsdag den 26. november 2026 kl. 15.00", "telefon": "12345678"}
    cited = 0
    for day in sorted(days):
        for language in (None, "da", "en", "xx"):
            slots["sprog"] = language
            with domain.selecting(day, slots):
                for name, variants in domain.responses.items():
                    expected = plain_variant(variants, day, slots)
                    assert domain.variant(name) is expected, (name, day, language)
                    reply, source = domain.render_cited(name, slots)
                    assert reply == domain.render(name, slots)
                    assert source == bool(domain.metadata(name).get("source")), name
                    cited += source
    assert cited > 0  # guidance texts are among them


def test_a_deadline_reads_as_the_language_writes_it_however_often_it_is_told() -> None:
    due = datetime(2026, 11, 26, 15, 0, tzinfo=TZ)
    same_instant = due.astimezone(UTC)
    for _ in range(2):  # told again: the kept text
        for language in (None, "da", "en"):
            lang = languages().get(language)
            expected = format_datetime(due, lang.dates["tidspunkt"], locale=lang.locale)
            assert format_frist(due, language) == expected
            assert format_frist(same_instant, language) == expected
            # the same instant in another zone reads in that zone, however often it is told
            assert lang.moment(same_instant) == format_datetime(
                same_instant, lang.dates["tidspunkt"], locale=lang.locale) != expected
    assert "november" in format_frist(due, "da") and "November" in format_frist(due, "en")
    assert "15.00" in format_frist(due)
    assert format_frist(due + timedelta(hours=1)) != format_frist(due)


def test_care_signals_found_as_each_signal_alone_finds_them() -> None:
    """The message split once for all signals, and each signal's own typo answers, find the
    signal that every word tried on every token finds (``plain_signal_matches``)."""
    care = CareSignals.load(data_path("dialogues"))
    rng = random.Random(16)
    # the guards' and patterns' own words beside the concept words, some with a typo, so the
    # guards blank out words the signals look for and the typo answers are asked and kept
    words = sorted({w for s in care.signals for p in (*s.patterns, *s.guards)
                    for w in re.findall(r"[a-z]+", p.pattern)}
                   | {w for s in care.signals for w in s.words})

    def typo(word: str) -> str:
        letters = list(word)
        i = rng.randrange(len(letters))
        letters[i:i + 1] = rng.choice(([], [letters[i]] * 2, ["x"], [letters[i], "e"]))
        return "".join(letters) + rng.choice(["", "er", "stanker"])

    texts = messages(2000) + [
        " ".join(typo(w) if rng.random() < 0.3 else w
                 for w in (rng.choice(words) for _ in range(rng.randint(2, 7))))
        for _ in range(7000)]
    found = 0
    for text in texts:
        folded = f" {fold(text)} "
        views = [folded]
        if care.fillers is not None and care.fillers.sub("", folded) != folded:
            views.append(care.fillers.sub("", folded))
        for _ in range(2):  # the second time from the signals' kept typo answers
            expected = next((s for s in care.signals
                             if any(plain_signal_matches(s, v) for v in views)), None)
            assert care.detect(text) is expected, text
        found += expected is not None
    assert found > 1000


def test_a_concept_word_inside_a_guarded_phrase_is_not_found_through_the_shared_split() -> None:
    """The split shared by all signals is of the message before a signal's guards: a word the
    guard blanked out ("dø af kedsomhed") must not be found in it."""
    signal = Signal(name="test", flow=None, say="utter_test", set={}, sag=None, event="test",
                    words=("kedsomhed",), patterns=(),
                    guards=(re.compile(r"\bdo af kedsomhed\b"),), when=("alle",))
    care = CareSignals((signal,))
    assert care.detect("jeg er ved at dø af kedsomhed") is None
    assert care.detect("jeg har kedsomhed") is signal


async def test_a_turns_kept_readings_of_a_text_are_its_fresh_readings_and_go_with_the_turn(
        engine) -> None:
    """``is_question``, ``read_polar``, ``correction`` and ``folded_words`` keep a turn's
    readings; read again, in any order and after other texts, a text reads as it did fresh, and
    the engine's next turn starts with nothing kept."""
    texts = messages(400) + ["ja", "nej tak", "ved ikke", "hvad er mitid?", "nej, torsdag",
                             "ja ja nej vent, det er i dag", "jeg bruger mitid"]
    question = "Har du MitID?"
    fresh = []
    for text in texts:
        forget_readings()
        fresh.append((is_question(text), read_polar(text), read_polar(text, question),
                      correction(text), tuple(words(fold(text)))))
    forget_readings()
    order = list(range(len(texts))) * 2
    random.Random(16).shuffle(order)
    for i in order:
        text = texts[i]
        assert (is_question(text), read_polar(text), read_polar(text, question),
                correction(text), folded_words(fold(text))) == fresh[i], text
    assert is_question.cache_info().currsize > 0
    await engine.turn("kept-readings", "hej")
    # what the turn itself read is kept; the texts read before it are not
    assert is_question.cache_info().currsize <= 2
    assert correction.cache_info().currsize <= 2
    assert folded_words.cache_info().currsize < 16


def plain_parts(text: str) -> list[tuple[str, int, int]]:
    """A message's parts as ``reading._parts`` split it before the hint: the separators
    searched for in every message."""
    parts, start = [], 0
    for separator in [*reading._PARTS.finditer(text), None]:
        end = separator.start() if separator else len(text)
        parts.append((text[start:end], start, end))
        start = separator.end() if separator else end
    return parts


def test_a_message_is_split_into_parts_as_the_separators_alone_split_it() -> None:
    """The hint lets a message without any separator's beginning be one part at once; every
    message splits as before, also ones made of the separators' own letters, cases and
    look-alikes ("ſ" and "K" read as s and k when case is ignored)."""
    rng = random.Random(16)
    pieces = ["og", "OG", "and", "also", "ALSO", "desuden", "derudover", "plus", "pluſ", "så",
              "saa", "sa", "også", "jeg", "vil gerne", "kan", "hvordan", "d", "kl", "27", "nov",
              " ", "  ", "\t", "\n", ".", ",", "!", "?", ";", "æ", "K"]
    texts = messages(2000) + ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 10)))
                              for _ in range(20000)]
    whole = 0
    for text in texts:
        assert list(reading._parts(text)) == plain_parts(text), text
        whole += reading._PART_HINT.search(text) is None
    assert whole > 1000  # the shortcut is taken, not only checked


def test_a_meeting_owner_is_only_searched_for_where_the_hint_stands() -> None:
    """``owner._OWNER_HINT`` (a-kasse, union) stands in every text ``_OWNED`` matches, so
    skipping the search without it finds the same: the written messages, and built ones around
    the owner words and their look-alikes."""
    from kcbot.nlu.owner import _OWNED, _OWNER_HINT

    rng = random.Random(16)
    pieces = ["mødet", "samtale", "møde", "tid", "i", "hos", "med", "ved", "fra", "min", "my",
              "a-kassen", "akassen", "a kasse", "a-kassens", "fagforeningen", "union",
              "unemployment fund", "unemployment insurance fund", "indkaldt", "af", "har",
              "called", "by", "meeting", "with", "kassen", "unio", "jeg", "ikke", " "]
    texts = messages(5000) + [" ".join(rng.choice(pieces) for _ in range(rng.randint(2, 9)))
                              for _ in range(20000)]
    owned = 0
    for text in texts:
        folded = fold(text)
        if _OWNED.search(folded) is not None:
            owned += 1
            assert _OWNER_HINT.search(folded) is not None, text
    assert owned > 1000  # the built texts reach the pattern, not only miss it
