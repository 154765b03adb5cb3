"""Reading a message in the context of the conversation, beyond the question just asked.

- ``only_facts``: "sygedagpenge" or "jeg får dagpenge" names a fact about the citizen, not a
  topic: it is kept for the topic that follows instead of starting one.
- ``only_when``: "det med i morgen" names a day, no topic: the citizen is asked which.
- ``topics``: "jeg skal melde afbud, og hvordan er det med ferie?" asks two things; the
  first is handled and the second offered when it is done.
- ``topics`` also leaves out a part that only tells the citizen's status ("jeg er sygemeldt",
  "jeg har et job som sosu": ``kcbot.dialogue.status``) beside a part that asks.
- ``corrections``: "nej undskyld, det er torsdag" changes a slot already given, not the answer
  to the question now open.
- ``pick_title``: a topic offered as a numbered choice, picked by its words.
- ``asks_about_question``: "hvad betyder det?", "hvorfor skal du vide det?" asks about the
  question just asked, not about a topic of its own.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from kcbot.dialogue.answers import (
    FUNCTION_WORDS,
    Option,
    correction,
    folded_words,
    is_question,
    match_option,
)
from kcbot.dialogue.domain import Domain
from kcbot.dialogue.flows import Flow, Flows
from kcbot.dialogue.slots import flow_uses
from kcbot.dialogue.status import is_status
from kcbot.nlu import NLU, ParseResult
from kcbot.nlu.entities import Entity
from kcbot.nlu.negation import after_clause_negation, negated, words
from kcbot.nlu.normalise import fold
from kcbot.nlu.tense import past_state

__all__ = ["PERSON_FLOW", "asks_about_question", "corrections", "only_facts", "only_when",
           "pick_title", "questions_after_answer", "topics", "without_facts"]

PERSON_FLOW = "menneske"
CONFIRM_SLOT = "bekraeftelse"
REASON_SLOT = "afbud_grund"
FACT_ENTITIES = frozenset({"borgergruppe", "sygemeldt_fra", "telefon"})
# A second request must be this clear in its own part of the message to be offered.
OTHER_TOPIC_CONFIDENCE = 0.85
_MIN_PART_WORDS = 3
# Words that say how a fact is held, not what the citizen asks ("jeg får dagpenge").
_FACT_WORDS = FUNCTION_WORDS | {
    "far", "fa", "fik", "fet", "modtager", "pa", "gar", "bare", "lige", "altsa", "ok", "okay",
    "hej",
    "get", "receive", "am", "on", "just", "tak", "sa", "ellers",
    # English as citizens write it: "I'm on kontanthjælp", "i get money from the kommune"
    "i", "im", "m", "my", "me", "from", "the", "a", "money", "getting", "receiving", "paid",
    "kommune", "kommunen", "municipality",
}
# A full stop ends a part unless it belongs to a date, a time or a short abbreviation
# ("d. 27/11", "kl. 10", "27. nov", "fx."): "mødet d. 27/11 da jeg er domsmand" is one request.
_PARTS = re.compile(r"(?:[!?;\n]|(?<!\bd)(?<!\bkl)(?<!\bca)(?<!\bfx)(?<!\bnr)\.(?!\s*\d)"
                    r"(?!(?<=\d\.)\s*(?:jan|feb|mar|apr|maj|may|jun|jul|aug|sep|okt|oct|nov|dec)))+"
                    r"|,\s*(?:og|men|and|but)\s+|\s(?:og så|og saa|og sa|og også|"
                    r"and also|also|desuden|derudover|plus)\s"
                    # "jeg er rask igen og vil gerne på ferie": "og" before a new wish or question
                    # "er afmeldt og kan heller ikke logge på": a second problem
                    r"|\s(?:og|and)\s(?=(?:jeg )?(?:kan|har|er|får|faar) (?:heller ikke|heller ik"
                    r"|også|ogsaa)\b)"
                    # "er blevet syg med corona, jeg skal melde afbud": a comma, then a request
                    # said outright (the verb of asking for something, then what is asked)
                    r"|,\s*(?=(?:og |men |and |but )?(?:jeg |i )?(?:skal|vil|vil gerne|gerne vil"
                    r"|må|maa|bliver nødt til at|need to|want to|have to|would like to|also need to"
                    r"|also want to)\s+(?:også\s+|ogsaa\s+|osse\s+|gerne\s+|lige\s+|also\s+)?"
                    r"(?:melde|aflyse|afmelde|sygemelde|raskmelde|cancel|report)\b)"
                    r"|\s(?:og|and)\s(?=(?:jeg |i )?(?:vil gerne|vil også|vil osse|skal også|"
                    r"vil høre|vil spørge|hvordan|hvad|hvornår|hvornaar|hvorfor|kan jeg|må jeg|"
                    r"maa jeg|kan i|har i|would like|want to|how|what|when|can i)\b)",
                    re.IGNORECASE)
# What every separator of ``_PARTS`` begins with (or is): its punctuation, or a space and the
# first letters of its words, with the same flags. A message without any (most answers, many
# requests) is one part, found without trying ``_PARTS``' alternatives at every space.
_PART_HINT = re.compile(r"[!?;\n.,]|\s(?:og|and|also|desuden|derudover|plus)", re.IGNORECASE)

# A first clause that may only state a fact about the citizen, before "og" or a comma.
_FACT_CLAUSE = re.compile(r"\s*(\S+(?:\s+\S+){0,4}?)\s*(?:,\s*(?:og\s+)?|\s+og\s+|\s+and\s+)",
                          re.IGNORECASE)
# A last clause that may only state a fact, after a comma or "og": "min datter er syg, jeg får
# dagpenge", "har feber og kommer ikke fredag, kontanthjælp".
_FACT_TAIL = re.compile(r"(?:,\s*(?:og\s+)?|\s+og\s+|\s+and\s+)(\S+(?:\s+\S+){0,4}?)[\s.!]*$",
                        re.IGNORECASE)


def _names_fact(parse: ParseResult, start: int, end: int) -> bool:
    return any(e.entity in FACT_ENTITIES and start <= e.start < end for e in parse.entities)


def _blanked(text: str, entities: Iterable[Entity], *, keep_length: bool = False) -> str:
    """``text`` with the entities' spans taken out (by as many spaces, to keep the offsets)."""
    for entity in sorted(entities, key=lambda e: e.start, reverse=True):
        gap = " " * (entity.end - entity.start) if keep_length else " "
        text = text[: entity.start] + gap + text[entity.end:]
    return text


def _small_words_only(text: str) -> bool:
    return not [w for w in words(fold(text)) if w not in _FACT_WORDS]


def only_facts(parse: ParseResult) -> bool:
    """True when every content word of the message belongs to a fact about the citizen it
    names (their group, where they are sick from, a phone number). "ferie" or "i morgen" alone
    still ask about something."""
    facts = [e for e in parse.entities if e.entity in FACT_ENTITIES]
    if not facts:
        return False
    return _small_words_only(_blanked(parse.text, facts))


# Entities that say when, not what: "det med i morgen" names a day and no topic.
WHEN_ENTITIES = frozenset({"dato", "tid", "varighed"})
_WHEN_MAX_WORDS = 4  # "i morgen", "næste tirsdag", "d. 3. december", "kl. halv ti"


def only_when(parse: ParseResult) -> bool:
    """True when a message names only when (a day, a time) and has no other words but small
    ones: "det med i morgen", "på fredag kl 10". The classifier reads such a message as the
    topic most dates belong to (afbud), but it names no topic: the citizen is asked which."""
    when = [e for e in parse.entities if e.entity in WHEN_ENTITIES]
    if not when or any(len(parse.text[e.start:e.end].split()) > _WHEN_MAX_WORDS for e in when):
        return False  # a date read from a clause ("didn't show up … on monday") says more
    return _small_words_only(_blanked(parse.text, when))


def without_facts(nlu: NLU, parse: ParseResult, today: date,
                  flows: Flows) -> ParseResult | None:
    """The message read without the facts it states about the citizen, when that reading is
    surer of another intent: "har halsbetændelse og kommer ikke fredag. kontanthjælp" is no
    question about payments because the benefit is named, nor "min datter er syg, jeg får
    dagpenge" one about sygedagpenge. The whole message's entities are kept. A question about
    the errand's consequences does not make it another errand ("jeg kom ikke til mødet i går.
    bliver der trukket i min kontanthjælp?" is a missed meeting, ``consequences:``)."""
    facts = [e for e in parse.entities if e.entity in FACT_ENTITIES]
    if not facts or parse.confidence >= OTHER_TOPIC_CONFIDENCE:
        return None  # only a reading the classifier was unsure of is read again
    text = _blanked(parse.text, facts, keep_length=True)
    if len(words(fold(text))) < _MIN_PART_WORDS:
        return None
    sub = nlu.parse(text, today)
    if sub.intent == parse.intent or sub.confidence <= parse.confidence:
        return None
    flow = flows.for_intent(parse.intent)
    if flow is not None and sub.intent in flow.consequences and any(
            consequence_question(part, parse.text[end:end + 1] == "?")
            for part, _, end in _parts(parse.text)):
        return None
    return dataclasses.replace(parse, intent=sub.intent, confidence=sub.confidence,
                               ranking=sub.ranking)


def pick_title(text: str, titles: dict[str, str]) -> str | None:
    return match_option(text, [Option(name, title) for name, title in titles.items()])


def topics(nlu: NLU, flows: Flows, parse: ParseResult,
           today: date) -> list[tuple[str, tuple[int, int]]]:
    """The topics a message asks about, in the order it asks, when it asks more than one, each
    with the span of the part that asks it: each part of the message read on its own ("jeg
    skal melde afbud, og hvordan er det med ferie?" -> afbud, ferie). One topic beside parts
    that only state facts about the citizen is returned too, since the request is best read
    without them ("jeg får kontanthjælp, og jeg har fået et brev" -> brev). Else empty."""
    found: list[tuple[str, tuple[int, int]]] = []
    stated_facts = unread = reasons_only = False
    before = past_state(parse.text)
    for part, start, end in _parts(parse.text):
        span = (start, end)
        if before is not None and before[0] < end <= before[1]:
            continue  # "jeg blev raskmeldt i fredags, men nu …": the state before, no request
        first = span[0] + len(part) - len(part.lstrip())  # where the part's words begin
        if any(e.entity == "grund" and (e.start < first < e.end
                                        or e.start == first and e.end >= span[1] - 1)
               for e in parse.entities):
            continue  # the reason for the first request
        if len(folded_words(fold(part))) < _MIN_PART_WORDS:
            # too short to ask anything on its own: ". kontanthjælp" states a fact, so the
            # request is read without it; "syg idag." may be the request itself, so another
            # part alone is not
            if _names_fact(parse, span[0], span[1]) and only_facts(nlu.parse(part, today)):
                stated_facts = True
            elif [w for w in folded_words(fold(part)) if w not in _FACT_WORDS]:
                unread = True
            continue
        # a name says who writes, not what about ("hej det er Mikkel Rask.")
        for name in (e for e in parse.entities if e.entity == "navn"):
            if span[0] <= name.start and name.end <= span[1]:
                part = (part[:name.start - span[0]] + " " * (name.end - name.start)
                        + part[name.end - span[0]:])
        if len(folded_words(fold(part))) < _MIN_PART_WORDS:
            continue
        sub = nlu.parse(part, today)
        if only_facts(sub):
            stated_facts = True
            continue
        # "jeg får dagpenge og …": the fact, then the request. The whole message's entities
        # tell whether the head names a fact at all, before it is read on its own.
        head = _FACT_CLAUSE.match(part)
        if head and _names_fact(parse, span[0], span[0] + head.end(1)) and only_facts(
                nlu.parse(head.group(1), today)):
            stated_facts = True
            span = (span[0] + head.end(), span[1])
            part = part[head.end():]
            sub = nlu.parse(part, today)
        tail = _FACT_TAIL.search(part)
        if tail and _names_fact(parse, span[0] + tail.start(1), span[1]) and only_facts(
                nlu.parse(tail.group(1), today)):
            stated_facts = True  # "…, jeg får dagpenge": the request, then the fact
            span = (span[0], span[0] + tail.start())
            part = part[:tail.start()]
            sub = nlu.parse(part, today)
        if is_status(sub, parse):
            stated_facts = True  # "jeg er sygemeldt", "jeg har et job som sosu": the context
            continue
        flow = _asked_topic(flows, sub)
        if flow is None:
            continue
        if found and flow.name != found[-1][0] and _reason_for(flows, found, flow, sub):
            continue  # "… hvis jeg ikke kommer til mødet i morgen? Jeg er syg": the reason
        if _asks_consequence(flows, found, sub, parse.text[end:end + 1] == "?"):
            continue  # "I didn't show up on Tuesday. Will I lose money?": the errand's own
        if found and found[-1][0] == flow.name:
            found[-1] = (flow.name, (found[-1][1][0], end))
        elif flow.name not in {name for name, _ in found}:
            if found and _reason_before(flows, found[-1][0], reasons_only, flow):
                found.pop()  # "…, men jeg har fået arbejde den dag. Hvordan melder jeg afbud?"
            found.append((flow.name, span))
        reasons_only = _only_a_reason(sub)
    return found if len(found) > 1 or found and stated_facts and not unread else []


# Words that place a reason in time without asking anything: "arbejde den dag", "that day".
_WHEN_WORDS = frozenset({"den", "dag", "dagen", "samme", "tid", "tidspunkt", "that", "day",
                         "same", "time", "der", "da", "hvor"})


def _only_a_reason(part: ParseResult) -> bool:
    """Whether a part of a message says only why (a reason category, and when: "jeg har fået
    arbejde den dag"), no request."""
    reasons = [e for e in part.entities if e.entity == "afbud_kategori"]
    if not reasons or _QUESTION.match(fold(part.text)):
        return False
    rest = _blanked(part.text, [e for e in part.entities if e.entity in ("afbud_kategori", "dato")])
    return not [w for w in words(fold(rest)) if w not in _FACT_WORDS and w not in _WHEN_WORDS]


def _reason_before(flows: Flows, earlier: str, only_reason: bool, later: Flow) -> bool:
    """An earlier part that only says why ("men jeg har fået arbejde den dag") before a request
    that takes a reason ("Hvordan melder jeg afbud?") is that request's reason, not a topic of
    its own (a job read as an afmelding). A topic the later one offers afterwards (the afbud
    offers the sick report) stays one: the citizen is asked about it either way."""
    if not only_reason or not (later.settles and REASON_SLOT in flow_uses(flows, later)):
        return False
    return earlier not in flows.offered_topics(later)


# A part that asks for something more: "og jeg skal også melde afbud", "and I also want to".
_MORE = re.compile(r"\s*(?:(?:og|sa|and|men|but)\s+)*(?:jeg\s+|i\s+)?(?:skal|vil|ma|want|need)"
                   r"\s+(?:ogsa|osse|gerne ogsa|also)\b")


def questions_after_answer(nlu: NLU, flows: Flows, parse: ParseResult,
                           today: date) -> list[tuple[str, tuple[int, int], ParseResult]]:
    """The topics later parts of an answer ask about, with their spans and how each part
    parses on its own ("ja. og hvordan melder jeg ferie?", "en uge, og jeg skal også melde afbud
    fredag"): only parts that ask a question or for something more, so "nej, jeg er syg" stays
    an answer with its reason."""
    found: list[tuple[str, tuple[int, int], ParseResult]] = []
    for part, start, end in itertools.islice(_parts(parse.text), 1, None):  # after the answer
        folded = fold(part)
        if len(words(folded)) < _MIN_PART_WORDS or not (_QUESTION.match(folded)
                                                        or _MORE.match(folded)):
            continue
        sub = nlu.parse(part, today)
        flow = _asked_topic(flows, sub)
        if flow is not None and flow.name not in {name for name, _, _ in found}:
            found.append((flow.name, (start, end), sub))
    return found


def _parts(text: str) -> Iterator[tuple[str, int, int]]:
    """The parts of a message between the separators of ``_PARTS``, each with its span."""
    if _PART_HINT.search(text) is None:  # no separator can stand in it: one part
        yield text, 0, len(text)
        return
    start = 0
    for separator in [*_PARTS.finditer(text), None]:
        end = separator.start() if separator else len(text)
        yield text[start:end], start, end
        start = separator.end() if separator else end


def _asked_topic(flows: Flows, part: ParseResult) -> Flow | None:
    """The topic a part of a message asks about on its own, if it clearly asks one."""
    flow = flows.for_intent(part.intent)
    if flow is None or not flow.description or part.confidence < OTHER_TOPIC_CONFIDENCE:
        return None
    return flow


# A part that asks is no reason: "Og hvordan er det med ferie?" (folded words).
_QUESTION = re.compile(r"\s*(?:(?:og|sa|and|but|men)\s+)*(?:hvordan|hvad|hvornar|hvorfor|hvor|hvem|"
                       r"hvilken|hvilke|how|what|when|why|where|who|which|kan jeg|ma jeg|skal jeg|"
                       r"can i|may i|do i|should i)\b")


# What a question about an errand's consequences asks about (folded words): losing money, a
# deduction, a sanction, trouble. "Hvornår bliver pengene udbetalt?" asks about something else.
_CONSEQUENCE = re.compile(
    r"\b(?:lose|losing|lost|cut|cuts|deduct\w*|sanction\w*|penalt\w*|punish\w*|consequence\w*"
    r"|trouble|affect\w*|stop|stopped|miste|mister|mistet|fradrag\w*|trekk?\w*|trukket"
    r"|sanktion\w*|straf\w*|konsekvens\w*|problemer|ballade|stoppe|stoppet|nedsat|nedsette)\b")


# A yes/no question opens with its verb, the subject after it: "mister jeg penge", "will I".
_POLAR = re.compile(r"\s*(?:(?:og|men|and|but|sa|so)\s+)?(?:will|would|do|does|can|could|am|is"
                    r"|are|shall|mister|bliver|far|kan|skal|vil|ma|er|har|kommer|gar)\s+"
                    r"(?:i|jeg|der|det|man|it|they|we|my|min|mine)\b")


def consequence_question(text: str, asked: bool = False) -> bool:
    """Whether ``text`` asks what something means for the benefit: a question (``asked``: a
    question mark ended it) about losing money, a deduction, a sanction."""
    folded = fold(text)
    return ((asked or is_question(text) or _POLAR.match(folded) is not None)
            and _CONSEQUENCE.search(folded) is not None)


def _asks_consequence(flows: Flows, found: list[tuple[str, tuple[int, int]]],
                      part: ParseResult, asked: bool) -> bool:
    """A question about what an errand asked before means for the benefit ("Will I lose
    money?", "bliver der trukket i min kontanthjælp?") belongs to that errand when its flow
    answers such questions (``consequences:``), not a second request."""
    if not any(part.intent in flows[name].consequences for name, _ in found):
        return False
    return consequence_question(part.text, asked)


def _reason_for(flows: Flows, found: list[tuple[str, tuple[int, int]]], flow: Flow,
                parse: ParseResult) -> bool:
    """A later part that only says why ("Jeg er syg", "min søn er syg") after a request that
    asks for a reason (afbud, udeblivelse) is that request's reason, not a sick report."""
    if flow.settles and REASON_SLOT in flow_uses(flows, flow):
        return False  # a request that takes a reason itself is a request of its own
    if not any(REASON_SLOT in flow_uses(flows, flows[name]) for name, _ in found):
        return False
    # only the reason: "og jeg er syg og vil sygemelde mig" asks for a sick report as well
    return _only_a_reason(parse)


_CONTRAST = re.compile(r"\b(?:men|but|bortset fra|except|dog)\b")
_TAKEN_BACK = re.compile(r"\b(?:ikke|ik|ikk|not)(?: (?:pa|den|on|i))? ?$")
# "forkert dato" names the slot without a new value; in a longer message the same words are
# more likely part of the new value ("mødet er på torsdag").
_NAMES_SLOT_MAX_WORDS = 4


# A negation word, taken out to see what a negated sentence would name ("jeg er ikke syg").
_NEGATION_WORD = re.compile(r"\b(?:ikke|ik|ikk|ike|aldrig|not|never)\b|(?<=\w)n[’']t\b",
                            re.IGNORECASE)
# The yes or no that opens an answer to the read-back.
_OPENING_ANSWER = re.compile(r"^\W*(?:ja|jo|nej|yes|no|nope|yeah|ok|okay)\b\W*", re.IGNORECASE)


def reason_taken_back(nlu: NLU, domain: Domain, parse: ParseResult, slots: dict[str, Any],
                      asked: str | None, today: date) -> dict[str, Any]:
    """A reason the citizen takes back or undoes at the read-back: "nej, jeg er faktisk ikke syg,
    jeg skal til fest", "ja men jeg er ikke syg", "no, actually I'm not sick", "ja, men jeg er
    'syg' ;)". What follows the yes or no speaks of a reason (it names a reason category once
    its negations are taken out) in words no caseworker would sign (negated, hedged, ironic:
    ``actions/afbud.reason_is_clear``): the reason becomes the message in the citizen's words
    and its category none, so a person decides, never the reason read back. "nej, jeg kan godt
    komme alligevel" speaks of no reason and is left alone."""
    if asked != CONFIRM_SLOT or slots.get(REASON_SLOT) is None or REASON_SLOT not in domain.slots:
        return {}
    from kcbot.actions.afbud import reason_is_clear  # the actions import the dialogue package

    rest = _OPENING_ANSWER.sub("", parse.text)
    if not rest.strip() or reason_is_clear(rest):
        return {}
    categories = {name for name in domain.slots[REASON_SLOT].entities() if name in domain.slots}
    plain = _NEGATION_WORD.sub(" ", rest)
    if not any(e.entity in categories for e in nlu.parse(plain, today).entities):
        return {}
    return {REASON_SLOT: parse.text} | {name: None for name in categories
                                       if slots.get(name) is not None}


def _own_entity(domain: Domain, slot: str) -> bool:
    """A free-text slot also filled by one entity of its own ("navn": "nej undskyld, det er
    Karin Holm" corrects the name), not by entities other slots read as well."""
    entities = set(domain.slots[slot].entities())
    return len(entities) == 1 and not any(
        entities & set(spec.entities()) for name, spec in domain.slots.items() if name != slot)


def _only_values(parse: ParseResult) -> bool:
    """A message that names values (a date, a group) and has no other words but small ones."""
    if not parse.entities:
        return False
    return _small_words_only(_blanked(parse.text, parse.entities))


def _negated_at(text: str, start: int) -> bool:
    """In a correction any "ikke" right before a value takes it back: "torsdag, ikke i morgen",
    "fredag ikke torsdag"."""
    prefix = fold(text[:start])
    return (negated(prefix, len(prefix)) or after_clause_negation(text, start)
            or _TAKEN_BACK.search(prefix) is not None)


def corrections(domain: Domain, parse: ParseResult, slots: dict[str, Any],
                asked: str | None) -> dict[str, Any]:
    """Slots already given that a correcting message gives a new value for. A slot the
    citizen calls wrong without a new value ("forkert dato") maps to None: ask it again."""
    # "nej, jeg er ikke syg, det er min søn" to a read-back corrects what was read back; so it
    # does to any question "nej" is no answer to (which meeting? which day?).
    opens_with_no = words(fold(parse.text))[:1] in (["nej"], ["no"])
    no_answers_it = asked is not None and asked != CONFIRM_SLOT and any(
        b.payload == "nej" for b in domain.options(asked))
    answers_readback = opens_with_no and not no_answers_it
    # "ja men mødet er på fredag" to the read-back is no plain yes: a new value after "men"
    # corrects what was read back
    yes_but = asked == CONFIRM_SLOT and _CONTRAST.search(fold(parse.text)) is not None
    # "fra i morgen" to "Jeg melder dig rask fra tirsdag … Er det rigtigt?": a new value and
    # nothing else answers the read-back by correcting it
    bare = asked == CONFIRM_SLOT and _only_values(parse)
    if not correction(parse.text) and not answers_readback and not yes_but and not bare:
        return {}
    changed: dict[str, Any] = {}
    for name, spec in domain.slots.items():
        if name == asked or slots.get(name) is None or spec.from_text and not _own_entity(
                domain, name):
            continue
        # The last value not negated wins: "ikke onsdag men torsdag", "fredag ikke onsdag".
        values = [e.value for e in sorted(parse.entities, key=lambda e: e.start)
                  if e.entity in spec.entities() and not _negated_at(parse.text, e.start)]
        if values and values[-1] != slots[name]:
            changed[name] = values[-1]
    for name, spec in domain.slots.items():
        # The citizen's own words follow a corrected category ("undskyld, det er min søn").
        if (spec.from_text and name not in changed and slots.get(name) is not None
                and set(spec.entities()) & set(changed)):
            changed[name] = parse.text
    if changed:
        return changed
    folded = words(fold(parse.text))
    if len(folded) > _NAMES_SLOT_MAX_WORDS:
        return {}
    for name, named_by in domain.correction_words.items():
        if slots.get(name) is not None and name != asked and named_by & set(folded):
            return {name: None}
    return {}


# The words a question about the question is made of, beside the question's own words and its
# options': "hvad betyder det?", "hvad er forskellen (på dagpenge og kontanthjælp)?", "hvorfor
# skal du vide det?", "hvad mener du?", "what does that mean?", "why do you need that?"
_ABOUT_QUESTION = frozenset(fold(w) for w in """
betyder betyde betyr mener menes forstår forstar forstå forskel forskellen forskellige spørger
spørg spørgsmålet vide bruge brug behøver nødt hvorfor dette dit mit sådan saadan sa mean means
meaning difference understand why need know ask asking question want does that those these
""".split())
_WHY = re.compile(r"\s*(?:(?:og|men|and|but)\s+)?(?:hvorfor|why|hvad skal (?:du|i) (?:bruge|med)"
                  r"|what (?:do|does) (?:you|it) need)\b")


def asks_about_question(domain: Domain, slot: str, ask: str | None,
                        parse: ParseResult) -> str | None:
    """``hvorfor`` when the answer asks why the question is asked ("hvorfor skal du vide
    det?"), ``hvad`` when it asks what the question or its options mean ("hvad betyder det?",
    "hvad er forskellen på dagpenge og kontanthjælp?"), else None: a question whose every word
    is the question's own, its options' or words that ask about a question. A question with a
    topic of its own ("hvornår har I åbent?") is not one."""
    if not is_question(parse.text):
        return None
    allowed = set(FUNCTION_WORDS | _ABOUT_QUESTION) | set(words(fold(domain.text(ask))))
    for option in domain.answer_options(slot, ask):
        for phrase in option.phrases():
            allowed.update(words(phrase))
    folded = fold(parse.text)
    if any(w not in allowed for w in folded_words(folded)):
        return None
    return "hvorfor" if _WHY.match(folded) else "hvad"
