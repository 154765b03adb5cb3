"""Reading a message as an answer to the question the bot asked.

A stressed citizen on a phone answers "Logger du ind på Jobnet med MitID?" with "nej jeg har ikke
mitid", "ja det gør jeg" or "no I don't"; "Hvilken ydelse får du?" with "kontanthjalp" or "jeg
er på a-kassen"; and sometimes "ved ikke". This module reads such answers in the context of the
question, before the classifier's intent is allowed to mean anything:

- ``read_polar``: yes, no or "don't know" from the start or the body of a sentence, in Danish and
  English. A sentence without ja/nej that repeats the question's own words is a yes, or a no
  when it is negated ("jeg bruger mitid", "jeg kan ikke logge ind").
- ``match_option``: an option by its number, its title, synonyms kept as data beside the domain
  (``dialogues/svar.yml``), the slot's entities, token overlap, and small typos (rapidfuzz).
- ``looks_like_name``: a name looks like a name, not "fra mit job" or "det ved jeg ikke".
- ``correction``: "nej undskyld, det er torsdag", "jeg mente kontanthjælp", "forkert dato".

Everything works on folded text (``kcbot.nlu.normalise.fold``), so æ/ø/å, their ASCII spellings
and the letters phones produce are one spelling.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from kcbot.nlu.negation import NEGATORS, folded_words, negated, words
from kcbot.nlu.normalise import fold

__all__ = [
    "FUNCTION_WORDS", "NO", "UNKNOWN", "YES", "Option", "choice_number", "correction",
    "domain_words", "folded_words", "forget_readings", "is_question",
    "looks_like_name", "named_option",
    "match_option", "polar_conflict", "read_polar", "strip_name_intro",
]

YES, NO, UNKNOWN = "ja", "nej", "ved_ikke"
OTHER = "andet"  # the option for everything the others do not cover

# Folded spellings ("jo" stays "jo", "selvfølgelig" is "selvfolgelig").
_YES_LEAD = {
    "ja", "jo", "jae", "jah", "jep", "jepper", "japper", "jaja", "yes", "yeah", "yea", "yep",
    "yup", "ok", "okay", "oki", "okey", "gerne", "selvfolgelig", "selvf", "korrekt", "rigtigt",
    "rigtig", "sure", "absolut", "klart", "precis", "praecis", "jamen", "ya", "yess", "ye", "jeps",
}
_NO_LEAD = {"nej", "nix", "no", "nope", "nah", "nay", "ne", "nei", "nee", "aldrig", "never"}
_UNKNOWN = re.compile(
    r"\b(?:(?:ved|ve|aner)(?: det| jeg| det jeg)? (?:ikke|ik|ikk)|ingen anelse|ikke sikker"
    r"|usikker"
    r"|kan ikke huske|husker ikke|(?:i )?(?:don ?t|do not|dont) know|dunno|idk|not sure"
    r"|no idea|maske|maybe|perhaps)\b"
)
# The opening yes or no word of an answer, with the punctuation around it.
_OPENING_WORD = re.compile(r"^\W*\w+\W*")
# "det gør jeg", "det har jeg ikke", "I do", "I don't": an answer that echoes the verb.
_ECHO = re.compile(
    r"^(?:(?:det|that|jeg|i) )?(?:gor|har|kan|er|vil|skal|bruger|passer|stemmer|do|does|have|has"
    r"|am|can|will"
    r"|did|dont|doesnt|cant|havent"
    # ("does" folds to "dos"; "do not", "cannot" are joined as "dont", "cant": negation.words)
    r"|dos|dosnt|didnt|cannot|wont|isnt|arent|wasnt|hasnt|hadnt)\b(?: (?:jeg|i|vi|it|det))?\b"
)
# A question back ("har I åbent i dag?", "hvad er mitid?", "can you call me?") answers nothing.
_QUESTION = re.compile(
    r"^(?:hvad|hvorfor|hvornar|hvordan|hvor|hvem|hvilken|hvilke|hvilket|what|when|where|why|how"
    r"|who|which)\b|^(?:har|er|kan|skal|vil|ma|gor|bruger|far|do|does|can|is|are|will|should)"
    r" (?:i|du|jeg|vi|man|der|de|you|we|they)\b"
)
# Where a clause of a longer answer ends: a comma or a conjunction that joins two statements.
_CLAUSES = re.compile(r"[,;.!]|\b(?:men|but|og|and|fordi|because|so|så)\b", re.IGNORECASE)
# Up to this many words, a negated sentence or an echo of the verb answers a yes/no question
# ("har ikke", "I don't have it", "jeg har"); longer ones must share the question's words.
_SHORT_ANSWER = 5
# "det er forkert", "that is wrong": saying that what was read back is wrong is a "no",
# though it echoes a verb ("det er …") the way a yes does.
_WRONG = re.compile(
    r"^(?:(?:det|dette|that|this|it|its|datoen|dagen|the date|the day)\s+)?(?:er|is|was|var|s)?\s*"
    r"(?:helt |totalt |completely |all )?"
    r"(?:forkert|ukorrekt|wrong|incorrect|not right|not correct)\b"
)

# Words that carry no content of their own: pronouns, auxiliaries, prepositions, particles.
FUNCTION_WORDS = frozenset("""
jeg mig min mit mine du dig din dit dine han hun den det de dem vi os vores jer sin sit sine
er var har havde vil ville kan kunne skal skulle ma matte bliver blev blive vere veret gor gjorde
ikke ik ja nej jo og eller men for fordi at som om pa i til fra med af hos ved over under efter
en et der her hvor hvad hvem hvordan hvilken hvilket hvornar sa nu da lige bare ogsa godt
noget nogen ingen alle mere meget lidt the a an to of in on at for with my me i you your is are
am was have has do does did not no yes and or but it this that what how when which who
""".split())
# A name answer may start with an introduction the citizen adds.
_NAME_INTRO = re.compile(
    r"^\s*(?:(?:hej|hi|hello)[,!. ]+)?(?:jeg hedder|mit navn er|mit fulde navn er|navnet er"
    r"|my name is|my full name is|i am|i'm|im|name|navn)\s*[:,-]?\s+",
    re.IGNORECASE,
)
# Words that make an answer something other than a name wherever they stand ("Mette tak", "ok
# Ali", "ring til mig"): function words and the small talk around an answer.
_NOT_NAME = FUNCTION_WORDS | {
    "hjelp", "tak", "hej", "farvel", "okay", "ok", "nummer", "cpr", "telefon", "ringe", "ring",
    "know", "dont", "sorry", "undskyld", "hvorfor", "why",
}
# Domain words the lookup tables may not hold in every form. An answer made only of domain words
# ("kommunen", "sygedagpenge", "a kassen", "jobcentret") is no name; a name with one ("Mikkel
# Rask", "Lone Post") is, since surnames are ordinary words too.
_DOMAIN_EXTRA = {
    "job", "arbejde", "arbejdet", "syg", "rask", "dagpenge", "kontanthjelp", "sygedagpenge",
    "jobsamtale", "samtale", "samtalen", "mode", "modet", "afbud", "ferie", "jobnet", "mitid",
    "tilbud", "kursus", "praktik", "jobklub", "ledighedsydelse", "revalidering", "sagsbehandler",
    "jobcenter", "jobcentret", "jobcentre", "kommune", "kommunen", "akasse", "akassen", "kasse",
    "kassen", "borgerservice", "ydelsesservice", "kontaktcenter", "kontaktcentret",
}
# A word of the training examples counts as a domain word from this many examples on: names are
# rare in them, "kommunen" and "jobcentret" are not. Two-letter words stay out ("bo", "Bo").
_DOMAIN_MIN_EXAMPLES = 3
_DOMAIN_MIN_LENGTH = 3


@functools.cache
def domain_words() -> frozenset[str]:
    """Folded words the NLU knows as the domain's: every word of the lookup tables and synonyms
    (``intents/``), the words of at least ``_DOMAIN_MIN_EXAMPLES`` training examples, and
    ``_DOMAIN_EXTRA``. Read once per process, when a name is first checked."""
    from collections import Counter

    from kcbot.nlu.data import training_data

    data = training_data()
    vocabulary = set(_DOMAIN_EXTRA)
    for phrase in [*(p for ps in data.lookups.values() for p in ps), *data.synonyms,
                   *data.synonyms.values()]:
        vocabulary.update(words(fold(str(phrase).lstrip("-"))))
    counts: Counter[str] = Counter()
    for text, _intent in data.examples:
        counts.update(set(words(fold(text))))
    vocabulary.update(w for w, n in counts.items() if n >= _DOMAIN_MIN_EXAMPLES)
    return frozenset(w for w in vocabulary
                     if len(w) >= _DOMAIN_MIN_LENGTH and w.isalpha())


# "nej undskyld, det er torsdag", "jeg mente kontanthjælp", "forkert dato", "sorry I meant".
_CORRECTION_STRONG = re.compile(
    r"\b(?:undskyld|undskylt|sorry|jeg mente|mente|i meant|i mean|forkert\w*|rettelse|ret det"
    r"|skal rettes|wrong|mistake|det skulle vere|it should be|should be|skrev forkert)\b"
)
# A bare "nej, torsdag" or "ikke onsdag men torsdag" is a correction only in a short message:
# "nej jeg er syg i dag" answers a question, it does not move the meeting to today.
_CORRECTION_WEAK = re.compile(
    r"^(?:nej|neej|no|nope|ups|hov|oops|vent)\b|\bikke [a-z ]{1,30} men\b|\bikke \w+$"
)
_SHORT = 8


def _content_words(folded: str) -> set[str]:
    return {w for w in folded_words(folded) if w not in FUNCTION_WORDS and len(w) > 2}


# A turn reads its message (and its parts) with the functions below several times over: the
# answer, the correction, the interruption and the validator each ask. They are pure functions
# of the text, so a turn's readings are kept for the turn: the engine forgets them when the next
# turn begins (``forget_readings``), and at most this many texts are kept.
_READINGS = 16


@functools.lru_cache(maxsize=_READINGS)
def is_question(text: str) -> bool:
    """A question back ("har I åbent i dag?", "hvad er mitid?"), unless it starts ja/nej."""
    tokens = folded_words(fold(text))
    if not tokens or tokens[0] in _YES_LEAD or tokens[0] in _NO_LEAD:
        return False
    return text.rstrip().endswith("?") or _QUESTION.match(" ".join(tokens)) is not None


@functools.lru_cache(maxsize=_READINGS)
def read_polar(text: str, question: str = "") -> str | None:
    """``ja``, ``nej`` or ``ved_ikke`` for an answer to a yes/no question, or None.

    The start of the sentence decides ("ja det gør jeg", "nej tak"). Without ja/nej, a sentence
    that echoes the question's verb or its content words is a yes unless it is negated
    ("jeg bruger mitid" / "jeg har ikke mitid")."""
    folded = fold(text)
    tokens = folded_words(folded)
    if not tokens:
        return None
    if _UNKNOWN.search(folded):
        return UNKNOWN
    first = tokens[0]
    if is_question(text):
        return None  # "har I åbent i dag?" is a question, not a yes
    if first in _YES_LEAD and (any(t in _NO_LEAD for t in tokens[1:]) or correction(text)):
        return None  # "ja ja nej vent, det er i dag": not a yes to what was read back
    if first in _NO_LEAD and any(t in _YES_LEAD - {"ok", "okay"} for t in tokens[1:]):
        return None  # "nej... jo det er rigtigt": asked again rather than guessed
    if first in _YES_LEAD or first in _NO_LEAD:
        opening = YES if first in _YES_LEAD else NO
        # "ja, men jeg har ikke fået mitid endnu": the sentence after the opening word answers
        # the question the other way; the "ja" agreed to something else, so ask again
        said = _about_asked(_OPENING_WORD.sub("", text, count=1), question)
        return None if said is not None and said != opening else opening
    if _WRONG.search(folded):
        return NO  # "det er forkert", "that is wrong": never a yes to what was read back
    negated = any(t in NEGATORS for t in tokens)
    short = len(tokens) <= _SHORT_ANSWER
    echo = _ECHO.match(" ".join(tokens)) is not None
    if echo and short:
        return NO if negated else YES
    said = _about_asked(text, question)
    if said is not None:
        return said
    if short and negated:  # "ikke rigtigt", "not really"
        return NO
    return None


def forget_readings() -> None:
    """A new turn: the readings kept by ``is_question``, ``read_polar``, ``correction`` and
    ``folded_words`` go."""
    folded_words.cache_clear()
    is_question.cache_clear()
    read_polar.cache_clear()
    correction.cache_clear()


@functools.lru_cache(maxsize=1024)
def _folded_phrases(title: str, payload: str, synonyms: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f for f in (fold(p) for p in (title, payload, *synonyms)) if f)


@dataclass(frozen=True)
class Option:
    payload: str
    title: str
    synonyms: tuple[str, ...] = ()

    def phrases(self) -> tuple[str, ...]:
        return _folded_phrases(self.title, self.payload, self.synonyms)


_Index = tuple[re.Pattern[str] | None, dict[str, set[str]]]


class Options(tuple[Option, ...]):
    """A question's options with what reading an answer against them needs, worked out once
    (the domain builds one per question variant): the payloads, each whole phrase's option and
    the phrase patterns. A plain sequence of options is read the same way, working it out
    each time."""

    payloads: frozenset[str]
    polar: bool  # a ja/nej question
    whole: dict[str, str]  # a phrase -> the first option it belongs to

    def __new__(cls, options: Iterable[Option]) -> Options:
        self = super().__new__(cls, options)
        self.payloads = frozenset(o.payload for o in self)
        self.polar = self.payloads == {YES, NO}
        self.whole = {}
        for option in self:
            for phrase in option.phrases():
                self.whole.setdefault(phrase, option.payload)
        self._indexes: dict[bool, _Index] = {}
        return self

    def phrase_index(self, named: bool) -> _Index:
        index = self._indexes.get(named)
        if index is None:
            index = self._indexes[named] = _phrase_index(tuple(self), named)
        return index


@functools.lru_cache(maxsize=256)
def _phrase_index(options: tuple[Option, ...], named: bool) -> _Index:
    """One pattern for all phrases of a question's options (longest first), and the options
    each phrase belongs to. ``named``: only phrases plain enough to count in a message that
    was not an answer to the question (no "andet", no words of three letters or fewer)."""
    owners: dict[str, set[str]] = {}
    for option in options:
        if named and option.payload == OTHER:
            continue
        for phrase in option.phrases():
            if not named or len(phrase) > 3:
                owners.setdefault(phrase, set()).add(option.payload)
    if not owners:
        return None, owners
    body = "|".join(re.escape(p) for p in sorted(owners, key=len, reverse=True))
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])"), owners


def _as_options(options: Sequence[Option]) -> Options:
    """``options`` as ``Options`` (the domain's are already; a plain list is worked out now)."""
    return options if isinstance(options, Options) else Options(options)


def _phrase_hits(folded: str, options: Options, named: bool = False) -> set[str]:
    """The options whose phrases stand in the text as whole words, not negated ("ikke en
    jobsamtale")."""
    pattern, owners = options.phrase_index(named)
    if pattern is None:
        return set()
    return {payload for m in pattern.finditer(folded) if not _near_negator(folded, m.start())
            for payload in owners[m.group()]}


def _near_negator(folded: str, start: int) -> bool:
    """Negated, or a negator among the three words before: an option decides what is
    registered, so "jeg har ikke fået job" must not pick "job"."""
    return negated(folded, start) or any(w in NEGATORS for w in words(folded[:start])[-3:])


def match_option(text: str, options: Sequence[Option], entity_values: Iterable[str] = (),
                 question: str = "") -> str | None:
    """The option an answer picks, or None when it picks none or is ambiguous."""
    folded = fold(text)
    if not folded:
        return None
    options = _as_options(options)
    payloads = options.payloads
    if options.polar:
        return _polar_option(text, folded, payloads, entity_values, question)
    whole = options.whole.get(folded)  # the whole answer is the option
    if whole is not None:
        return whole
    entity_hits = [v for v in entity_values if v in payloads]
    if entity_hits:
        return entity_hits[0]
    # A phrase of one option inside the sentence ("fra mit arbejde", "a normal meeting").
    hits = _phrase_hits(folded, options)
    if len(hits) == 1:
        return hits.pop()
    if len(hits) > 1:
        return None
    fuzzy = _fuzzy(folded, options)
    if fuzzy is None and OTHER in payloads and _substantive(folded):
        return OTHER  # "jeg flytter til Aarhus" to "Hvorfor …?" with an "Andet" option
    return fuzzy


def _polar_option(text: str, folded: str, payloads: Iterable[str], entity_values: Iterable[str],
                  question: str) -> str | None:
    polar = read_polar(text, question)
    named = _named_polar(folded, payloads, entity_values)
    if named is not None and (polar is None or not _opens_polar(folded)):
        return named  # what the answer names decides over an echo of the question's words
    if named is not None and polar != named:
        return None
    return polar if polar in payloads else None


def _named_polar(folded: str, payloads: Iterable[str], entity_values: Iterable[str]) -> str | None:
    """The one ja/nej option the answer names by what it stands for ("med brev" and "brugernavn
    og kode" are the way into Jobnet without MitID), unless the answer negates anything."""
    named = {v for v in entity_values if v in payloads}
    if len(named) != 1 or any(t in NEGATORS for t in words(folded)):
        return None
    return named.pop()


def _opens_polar(folded: str) -> bool:
    tokens = words(folded)
    return bool(tokens) and tokens[0] in _YES_LEAD | _NO_LEAD


def polar_conflict(text: str, options: Sequence[Option], entity_values: Iterable[str] = (),
                   question: str = "") -> bool:
    """An answer to a ja/nej question whose opening word says one thing and whose sentence the
    other: "ja send den med brev" to "Logger du ind med MitID?" (the letter is the way without
    MitID), "ja, men jeg har ikke fået mitid endnu". The opening word agreed to something else;
    the question is asked again, never the opening word taken."""
    options = _as_options(options)
    folded = fold(text)
    if not options.polar or not _opens_polar(folded):
        return False
    first = YES if words(folded)[0] in _YES_LEAD else NO
    named = _named_polar(folded, options.payloads, entity_values)
    said = _about_asked(_OPENING_WORD.sub("", text, count=1), question)
    return named is not None and named != first or said is not None and said != first


def _about_asked(text: str, question: str) -> str | None:
    """Yes or no from the clause of an answer that names what was asked: "I have the MitID app
    but on my new phone it doesn't work" has it; "jeg bruger ikke mitid, jeg har en kodeviser"
    has not. None when no clause names the question's content words."""
    shared = _content_words(fold(question))
    if not _content_words(fold(text)) & shared:
        return None
    clauses = [words(fold(c)) for c in _CLAUSES.split(text)]
    return NO if any(t in NEGATORS for c in clauses if set(c) & shared for t in c) else YES


def _substantive(folded: str) -> bool:
    content = [w for w in words(folded) if w not in FUNCTION_WORDS and len(w) > 2]
    return len(content) >= 2 and read_polar(folded) is None


def named_option(text: str, options: Sequence[Option], folded: str | None = None) -> str | None:
    """The one option whose title or phrases stand in a message that was not an answer to its
    question (no numbers, no typos, no "andet": a first message names things plainly).
    ``folded``: ``fold(text)``, when the caller has it already."""
    hits = _phrase_hits(fold(text) if folded is None else folded, _as_options(options),
                        named=True)
    return hits.pop() if len(hits) == 1 else None


def _fuzzy(folded: str, options: Sequence[Option]) -> str | None:
    """Small typos: "kontanthjalp", "dagpenne", "sygedagpege". Each word of the answer against
    each single-word phrase; a clear best only."""
    scores: dict[str, float] = {}
    tokens = [t for t in words(folded) if len(t) >= 4 and t not in FUNCTION_WORDS]
    for option in options:
        for phrase in option.phrases():
            if " " in phrase:
                score = fuzz.token_set_ratio(folded, phrase) if len(tokens) <= 6 else 0.0
            else:
                score = max((fuzz.ratio(t, phrase) for t in tokens
                             if len(phrase) >= 4 and abs(len(t) - len(phrase)) <= 2),
                            default=0.0)
            scores[option.payload] = max(scores.get(option.payload, 0.0), score)
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked or ranked[0][1] < 84:
        return None
    if len(ranked) > 1 and ranked[1][1] >= ranked[0][1] - 4:
        return None
    return ranked[0][0]


_ORDINALS = {
    "forste": 1, "1ste": 1, "anden": 2, "2den": 2, "tredje": 3, "3dje": 3, "fjerde": 4,
    "femte": 5, "sjette": 6, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5,
    "sixth": 6,
}
_CARDINALS = {
    "en": 1, "et": 1, "one": 1, "to": 2, "two": 2, "tre": 3, "three": 3, "fire": 4, "four": 4,
    "fem": 5, "five": 5, "seks": 6, "six": 6,
}
_NUMBERED = re.compile(
    # a whole sentence around the place: "det er den første", "jeg tager nr 2 tak"
    r"^(?:(?:det er|det var|den er|jeg tager|jeg velger|jeg vil have|tager|velger|it is|its|it s"
    r"|i ll take|ill take|i take|i choose|i pick)\s+)?"
    r"(?:(?:(?:nummer|nr|number|no|option|valg|svar)\s*)?(?P<n>\d{1,2})\s*[).]?"
    r"|(?:nummer|nr|number|no|option|valg|svar)\s+(?P<word>[a-z]+)"
    r"|(?:(?:den|det|the)\s+)?(?P<ord>[a-z0-9]+)(?:\s+(?:mulighed|valg|option|one))?)"
    r"(?:\s+(?:tak|please|thanks))?$"
)


def choice_number(text: str, count: int) -> int | None:
    """The option a reply picks by its place: "2", "nr. 2", "nummer to", "den første", "den
    sidste", "the second one". 1-based; 0 for a number with no option ("7" of five: it picks
    nothing, and is read as nothing else); None when the reply is not a place."""
    match = _NUMBERED.match(fold(text))
    if not match:
        return None
    if match["n"]:
        number = int(match["n"])
        return number if 1 <= number <= count else 0
    if match["word"]:
        number = _CARDINALS.get(match["word"], 0)
    elif match["ord"] in ("sidste", "last"):
        number = count
    else:
        number = _ORDINALS.get(match["ord"] or "", 0)
    return number if 1 <= number <= count else None


def strip_name_intro(text: str) -> str:
    return _NAME_INTRO.sub("", text).strip(" .,!")


def looks_like_name(text: str) -> bool:
    """Letters in one to five words, none of them a function word, and not all of them words
    the NLU knows from the domain ("kommunen", "a-kassen"; "Mikkel Rask" is a name)."""
    name = strip_name_intro(text)
    parts = name.split()
    if not 1 <= len(parts) <= 5 or any(ch.isdigit() for ch in name):
        return False
    if any(not re.fullmatch(r"[^\W\d_]+(?:[-'’.][^\W\d_]*)*", p) for p in parts):
        return False
    folded = words(fold(name))
    if not folded or any(w in _NOT_NAME for w in folded):
        return False
    known = domain_words()
    return not all(w.replace("-", "") in known or w in known for w in folded)


@functools.lru_cache(maxsize=_READINGS)
def correction(text: str) -> bool:
    """Does the message mark itself as a correction of something said before?"""
    folded = fold(text)
    if _CORRECTION_STRONG.search(folded):
        return True
    return len(folded_words(folded)) <= _SHORT and _CORRECTION_WEAK.search(folded) is not None
