"""Entity extraction: Danish dates and times resolved against the clock, phone and CPR numbers,
and the lookup tables of ``intents/entities.yml`` (group, meeting type, absence reason, ...).

Everything is matched on the folded text (see ``normalise``), whose spans map back into the
message, so ``start``/``end`` always point into what the citizen wrote.

Date rules (Copenhagen local dates):
- "i dag", "i morgen" (also as said: "i morn", "imorn"), "i overmorgen", "i går", "i forgårs",
  "i morges", "i aftes".
- A weekday alone or with "på" is its next occurrence after today ("på torsdag" said on a
  Thursday is a week later: the same day is "i dag"); "næste torsdag" is Thursday of next week;
  "i torsdags", "sidste torsdag" and "siden torsdag" are the most recent Thursday before today.
- "24/11", "24-11-2026", "24.11.26", "2026-11-24", "24. november", "1 dec": a date without a year
  takes the year that puts it nearest to today, so "2/1" written on 28 December is next January.
- "om 3 dage", "om en uge", "om to uger".
Times: "kl 10", "kl. 10.30", "10:30", "halv ti" (09:30), "kvart over ti", "kvart i ti"; an hour
from 1 to 6 without minutes is read as afternoon (the centre is closed at night).
English: "today", "tomorrow", "the day after tomorrow", "on Monday", "this Friday", "next
Tuesday", "Tuesday next week", "last Monday", "since Monday", "in 3 days", "in a week",
"24 November", "the 3rd of December", "November 24"; "10am", "2 pm", "at 10", "half past nine"
(09:30), "quarter to ten".
Whose illness: a relative named as the subject ("min mor er syg", "she is sick") or right
beside the illness word without a verb or possessive ("syg barn", "barnet syg", "wife sick",
``someone_ill.py``) makes it a child's (barn_syg) or a relative's (paaroerende) illness.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from kcbot.nlu.lookups import LookupMatch, LookupMatcher, _alternation
from kcbot.nlu.negation import after_clause_negation, negated, words
from kcbot.nlu.normalise import fold, fold_with_spans
from kcbot.nlu.owner import settle_owner
from kcbot.nlu.someone_ill import CHILDREN, someone_beside
from kcbot.nlu.tense import past_state, told_in_past
from kcbot.nlu.weekday_typos import respell_weekdays
from kcbot.privacy import find_cprs

__all__ = ["Entity", "EntityExtractor", "resolve_date_words", "value_now"]


@dataclass(frozen=True)
class Entity:
    entity: str
    value: str
    start: int
    end: int

    def as_dict(self) -> dict[str, object]:
        return {"entity": self.entity, "value": self.value, "start": self.start, "end": self.end}


# A date named with a weekday it does not fall on ("mandag den 15. december", a Tuesday): not a
# date, but the dialogue says which weekday the date is when it asks for the day.
DISAGREEING_DATE = "dato_uenig"
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lordag", "sondag")
# English weekdays, for citizens who write English (folded: "saturday" has no æ/ø/å).
WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONTHS = {
    "januar": 1, "jan": 1, "februar": 2, "feb": 2, "marts": 3, "mar": 3, "april": 4, "apr": 4,
    "maj": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8,
    "september": 9, "sept": 9, "sep": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    # English, folded ("may" only counts beside a day number)
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "october": 10,
    "oct": 10,
}
NUMBER_WORDS = {
    "en": 1, "et": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7, "otte": 8,
    "ni": 9, "ti": 10, "elleve": 11, "tolv": 12,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "a": 1,
}
# Folded spellings: "i går" -> "i gar", "i forgårs" -> "i forgars", "næste" -> "neste".
RELATIVE_DAYS = {
    "i dag": 0, "idag": 0, "i morges": 0, "imorges": 0, "i formiddags": 0, "i eftermiddags": 0,
    "i aften": 0, "i formiddag": 0, "i eftermiddag": 0, "later today": 0,
    "i morgen": 1, "imorgen": 1, "i mogen": 1, "i overmorgen": 2, "overmorgen": 2,
    # as it is said: "i morn", "i mårn" (folded "i marn")
    "i morn": 1, "imorn": 1, "i marn": 1, "imarn": 1,
    "i gar": -1, "igar": -1, "i aftes": -1, "i forgars": -2,
    "today": 0, "tomorrow": 1, "yesterday": -1, "tonight": 0, "this morning": 0,
    "this afternoon": 0, "this evening": 0, "day after tomorrow": 2,
    "the day after tomorrow": 2, "day before yesterday": -2, "the day before yesterday": -2,
    # as phones write them
    "tomorow": 1, "tommorow": 1, "tommorrow": 1, "tomorrw": 1, "tomoro": 1, "tmrw": 1,
    "tmr": 1, "2morrow": 1, "2morow": 1, "2moro": 1, "2day": 0, "2nite": 0, "yday": -1,
}
# English ordinal words for a day of the month ("the third of December"), folded.
_ORDINAL_UNITS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                  "ninth")
ORDINALS = {
    **{w: i for i, w in enumerate(_ORDINAL_UNITS, 1)},
    "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13, "fourteenth": 14,
    "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18, "nineteenth": 19,
    "twentieth": 20, **{f"twenty {w}": 20 + i for i, w in enumerate(_ORDINAL_UNITS, 1)},
    "thirtieth": 30, "thirty first": 31,
}

_WD = "|".join(WEEKDAYS)
_ALL_WEEKDAYS = WEEKDAYS + WEEKDAYS_EN
# Relative days written as one long word get the same typo tolerance ("imorgn", "imorge").
# "imorges" (this morning) is one of them, so that neither it nor "imorge" becomes tomorrow.
_ONE_WORD_DAYS = ("imorgen", "overmorgen", "imorges")
# What a state told in the past names of that state only (``tense.past_state``).
_STATE_ENTITIES = frozenset({"afbud_kategori", "dato", "varighed"})
_WD_EN = "|".join(WEEKDAYS_EN)
_MON = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUM = "|".join(NUMBER_WORDS)
_ORD = "|".join(sorted(ORDINALS, key=len, reverse=True))
DIGIT = "0"  # stands for any digit (``\\d``, which also matches digits of other scripts)


@dataclass(frozen=True)
class _Needs:
    """What a date or time pattern cannot match without (issue 16: most messages hold no digit
    and no month, weekday or relative-day word, yet two dozen patterns scanned every message).
    Each group is a set of substrings of the folded text, one of which must be there (``DIGIT``:
    any digit); ``first`` is the group looked for before anything else. A necessary condition
    only: when it holds the pattern runs as before, so what is found does not change (tested
    against every pattern run on every message, ``tests/test_nlu_shortcuts.py``)."""

    first: frozenset[str]
    rest: tuple[frozenset[str], ...] = ()


def _needs(first: object, *rest: object) -> _Needs:
    return _Needs(frozenset(first), tuple(frozenset(g) for g in rest))  # type: ignore[call-overload]


def _shortest(words: object) -> tuple[str, ...]:
    """The words none of the others is a substring of: one of them is in any text that holds
    one of ``words`` ("jan" stands for "januar" and "january")."""
    unique = sorted(set(words), key=lambda w: (len(w), w))  # type: ignore[call-overload]
    kept: list[str] = []
    for word in unique:
        if not any(k in word for k in kept):
            kept.append(word)
    return tuple(kept)


class _Triggers:
    """Which of the patterns' needed substrings a folded message holds, found in one scan.

    A message holding none of the ``first`` groups' substrings (most messages) is answered by
    one failed search. Otherwise every needed substring is listed by one search that looks
    ahead at each position for the longest one starting there; the shorter ones starting at
    the same place are its prefixes, added from a table."""

    def __init__(self, needs: list[_Needs]) -> None:
        words = sorted({w for n in needs for g in (n.first, *n.rest) for w in g if w != DIGIT})
        firsts = sorted({w for n in needs for w in n.first if w != DIGIT})
        digit = any(DIGIT in g for n in needs for g in (n.first, *n.rest))
        # as trees of the words' shared beginnings (lookups._alternation): a quarter of the
        # instructions of a plain alternation, the longest word first where several begin
        digit_first = [r"\d"] if any(DIGIT in n.first for n in needs) else []
        # (``\d`` first: re then skips ahead by a set of first characters, 2.4 times as fast)
        self._any_first = re.compile("|".join([*digit_first, _alternation(firsts)]))
        digit_any = [r"\d"] if digit else []
        self._all = re.compile("(?=(" + "|".join([_alternation(words), *digit_any]) + "))")
        # A word found implies the words it begins with, and a digit if it begins with one
        # ("2day"): ``\d`` is not tried where a word matched.
        self._prefixes = {
            w: frozenset([p for p in words if w.startswith(p)]
                         + ([DIGIT] if digit and w[0].isdecimal() else []))
            for w in words}

    def present(self, folded: str) -> frozenset[str]:
        if self._any_first.search(folded) is None:
            return frozenset()
        found: set[str] = set()
        for hit in self._all.findall(folded):
            prefixes = self._prefixes.get(hit)
            if prefixes is None:
                found.add(DIGIT)
            else:
                found.update(prefixes)
        return frozenset(found)


def _met(needs: _Needs, present: frozenset[str]) -> bool:
    return not needs.first.isdisjoint(present) and all(
        not group.isdisjoint(present) for group in needs.rest)


_ANY_WD = _shortest(WEEKDAYS)
_ANY_WD_EN = _shortest(WEEKDAYS_EN)
_ANY_MON = _shortest(MONTHS)
_ANY_RELATIVE = _shortest(RELATIVE_DAYS)
_ANY_ORD = _shortest(ORDINALS)

_DATE_RES: list[tuple[str, re.Pattern[str], _Needs]] = [
    ("iso", re.compile(r"\b(?P<y>20\d{2}) (?P<m>\d{1,2}) (?P<d>\d{1,2})\b"),
     _needs([DIGIT], ["20"])),
    ("named", re.compile(
        rf"\b(?:(?P<nwd>{_WD}) )?(?:den |d |the )?(?P<d>\d{{1,2}}|{_ORD})(?:st|nd|rd|th)? ?(?:of )?"
        rf"(?P<mon>{_MON})\b(?: (?P<y>20\d{{2}}))?"
    ), _needs(_ANY_MON)),
    # "November 24", "december 3rd 2026", "Dec the first"
    ("named", re.compile(
        rf"\b(?P<mon>{_MON}) (?:the )?(?P<d>\d{{1,2}}|{_ORD})(?:st|nd|rd|th)?\b"
        rf"(?: (?P<y>20\d{{2}}))?"
    ), _needs(_ANY_MON)),
    # "onsdag i næste uge", "torsdag næste uge": that weekday of next week
    ("next_wd", re.compile(rf"\b(?:pa )?(?P<wd>{_WD})(?:en)? (?:i )?(?:den )?neste uge\b"),
     _needs(_ANY_WD, ["neste uge"])),
    # "fredag om en uge": a week after the coming Friday
    ("wd_week_later", re.compile(rf"\b(?:pa )?(?P<wd>{_WD})(?:en)? om (?:en|1) uge\b"),
     _needs(_ANY_WD, [" uge"])),
    ("relative", re.compile(
        "|".join(rf"\b{re.escape(k)}\b" for k in sorted(RELATIVE_DAYS, key=len, reverse=True))
    ), _needs(_ANY_RELATIVE)),
    # "den 26", "d. 3": that day of this month, or of next month when it has passed
    ("day_of_month", re.compile(r"\b(?:den|d) (?P<d>[0-3]?\d)(?:\.|te|ende)?\b(?! \d)"),
     _needs([DIGIT])),
    # "on the 3rd", "the 30th", "on the third": that day of this month, or of the next
    ("day_of_month", re.compile(
        rf"\b(?:(?:on|by|until|from) )?the (?P<d>[0-3]?\d)(?:st|nd|rd|th)\b"
        rf"|\b(?:on|by|until|from) the (?P<dw>{_ORD})\b"), _needs([DIGIT, *_ANY_ORD], ["the "])),
    ("in_n", re.compile(rf"\bom (?P<n>\d{{1,2}}|{_NUM}) (?P<unit>dag|dage|uge|uger)\b"),
     _needs([" dag", " uge"], ["om "])),
    ("past_wd", re.compile(
        rf"\b(?:i (?P<a>{_WD})s|sidste (?P<b>{_WD})|siden (?:i |sidste )?(?P<c>{_WD})s?)\b"
    ), _needs(_ANY_WD)),
    ("next_wd", re.compile(rf"\bneste (?P<wd>{_WD})\b"), _needs(_ANY_WD, ["neste "])),
    ("wd", re.compile(rf"\b(?:pa |om )?(?P<wd>{_WD})(?:en)?\b"), _needs(_ANY_WD)),
    ("past_wd", re.compile(rf"\b(?:last|since|since last|from last) (?P<a>{_WD_EN})\b"),
     _needs(_ANY_WD_EN)),
    # a weekday told in the past tense is the one that has been: "it started monday", "the
    # meeting was on friday", "got sick tuesday"
    ("past_wd", re.compile(
        rf"\b(?:started|begun|began|was|were|got sick|fell ill|became ill) (?:on )?(?:last )?"
        rf"(?P<a>{_WD_EN})\b"), _needs(_ANY_WD_EN)),
    # a meeting missed on a weekday is the one that has been: "I didn't show up to my meeting
    # on monday", "missed the jobclub friday"
    ("past_wd", re.compile(
        rf"\b(?:(?:didn t|didnt|did not|couldn t|couldnt|could not) (?:come|show up|turn up"
        rf"|attend|make it|go)|missed|wasn t at|was not at)\b[^.!?]{{0,40}}?\b(?:on )?(?:last )?"
        rf"(?P<a>{_WD_EN})\b"), _needs(_ANY_WD_EN)),
    ("next_wd", re.compile(rf"\b(?:on )?(?P<wd>{_WD_EN}) next week\b"),
     _needs(_ANY_WD_EN, ["next week"])),
    ("next_wd", re.compile(rf"\bnext week (?:on )?(?P<wd>{_WD_EN})\b"),
     _needs(_ANY_WD_EN, ["next week"])),
    ("next_wd", re.compile(rf"\bnext (?P<wd>{_WD_EN})\b"), _needs(_ANY_WD_EN, ["next "])),
    # "in 3 days", "in a week", "in two weeks"
    ("in_n", re.compile(rf"\bin (?P<n>\d{{1,2}}|{_NUM}) (?P<unit>days?|weeks?)\b"),
     _needs([" day", " week"], ["in "])),
    ("wd", re.compile(rf"\b(?:on |this |coming )?(?P<wd>{_WD_EN})\b"), _needs(_ANY_WD_EN)),
]
# Numeric dates are matched on the original text: folding turns "/" and "." into spaces.
_NUMERIC_DATE = re.compile(
    r"(?<![\d.:/-])(?P<d>[0-3]?\d)(?P<sep>[/.-])(?P<m>[01]?\d)"
    r"(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?![\d:]|[.,-]\d)"
)
_DIGIT = re.compile(r"\d")
_ISO_DATE = re.compile(r"(?<!\d)(?P<y>20\d{2})-(?P<m>\d{2})-(?P<d>\d{2})(?!\d)")
# A reason given in passing: "... fordi bilen er gået i stykker", "... pga min bil", "I can't come
# because ...", or the clause after "kan ikke komme i morgen,". Read on the original text, since
# folding drops the punctuation that ends the first clause.
_REASON_CAUSAL = re.compile(
    r"\b(?:fordi|pga\.?|p\.g\.a\.?|p[åa]a? grund af|da jeg|for jeg|idet|because|since"
    # "since last night", "since monday": a time, not a cause
    r"(?!\s+(?:last|yesterday|this|today|tonight|the|a|one|two|three|few|several|early|then"
    rf"|{_WD_EN}|morning|\d)\b)"
    r"|due to)"
    r"\s*(?P<grund>[^\W\d_][^.!?\n]{2,200})",
    re.IGNORECASE,
)
# Without a "fordi", the clause after "kan ikke komme …," may be the reason.
_REASON_AFTER = re.compile(
    r"\b(?:kan|kommer) (?:ikke|ik|ikk) (?:kom{1,2}e|deltage|møde op|moede op|mode op|nå)\b"
    r"[^,.;!?\n]{0,60}?[,.;!?\n]\s+(?:men |for |og )?\s*(?P<grund>[^\W\d_][^.!?\n]{2,200})",
    re.IGNORECASE,
)
# Not wanting to come is itself the reason, and one a person must assess: "jeg gider ikke komme",
# "har ikke lyst til mødet", "I don't feel like going". The clause is the reason, so the bot does
# not ask why (and a "vil ikke kunne komme" is not unwillingness).
_REASON_WILL = re.compile(
    r"(?P<grund>\b(?:(?:gider|gidder|gidr|vil) (?:bare |altså |altsaa |simpelthen |slet )?"
    r"(?:ikke|ik|ikk|ike)\b(?! kunne)|(?:har |ha )?(?:ikke|ik|ikk|ingen|ik nogen|ikke nogen) "
    r"(?:særlig |saerlig |serlig )?lyst\b"
    r"|(?:do not|does not|did not|don ?[’']?t|doesn ?[’']?t|didn ?[’']?t) (?:really )?"
    r"(?:feel like|want|wanna)\b"
    r"|not in the mood\b|can ?[’']?t be bothered\b)[^.!?\n]{0,120})",
    re.IGNORECASE,
)
# Why a meeting was missed is often the verb that tells it: "jeg glemte mit møde i går", "I
# overslept and missed my meeting". The clause is the reason, so the bot does not ask why.
_REASON_MISSED = re.compile(
    r"(?P<grund>\b(?:glemte|glemt|glemmer|forgot|forgotten|overslept|oversleep|sov over|sov for"
    r" længe|sov for laenge|sov for lang tid|vækkeuret ringede ikke|vaekkeuret ringede ikke)\b"
    r"[^.!?\n]{0,120})",
    re.IGNORECASE,
)
# The reason before "så jeg kan ikke komme": "har fødselsdag i weekenden og er nok træt
# mandag, så jeg springer samtalen over".
_REASON_BEFORE = re.compile(
    r"(?:^|[.!?\n]\s*)(?P<grund>[^\W\d_][^.!?\n]{2,160}?),?\s+(?:"
    r"(?:og )?(?:så|saa|derfor|so)\s+"
    r"(?:jeg\s+|i\s+)?(?:kan|kunne|kommer|springer|dropper|når|naar|må|maa|skal|can|cannot"
    r"|can ?[’']?t"
    r"|won ?[’']?t|will not|am not able|m not able)\b"
    # the same joined by "og" or a comma, or asked or doubted: "vi flytter på fredag og jeg kan
    # ikke nå mødet", "er sløj, ved ikke om jeg kan komme", "…, kan jeg blive hjemme fra mødet?"
    r"|(?:og\s+|,\s*)(?:jeg\s+)?(?:kan|kunne|når|naar|kommer) (?:ikke|ik|ikk|ike) "
    r"(?:kom{1,2}e|deltage|møde|moede|mode|nå|naa)\b"
    r"|(?:og\s+|,\s*)?(?:(?:jeg\s+)?ved (?:jeg\s+)?(?:ikke|ik|ikk|ike) om "
    r"(?:jeg\s+)?(?:kan|når|naar)"
    r"|(?:kan|må|maa) jeg (?:godt )?(?:blive hjemme|blive væk|blive vaek|springe))\b)",
    re.IGNORECASE,
)
# An illness said of someone else is not the citizen's sickness: "min hund er syg", "min bror
# har feber", "my dog is sick". The subject is a possessive and a noun before the illness; a
# part of one's own body ("min ryg er skadet", "my back is bad") or an illness ("min migræne er
# værre") is the citizen's own. Someone else's illness is read as a relative's (paaroerende),
# which a person assesses; an unknown word counts as someone else, the safe side.
# Who is spoken of: after a possessive ("min mor"), or a pronoun or a relative named with the
# definite article ("hun", "konen"); the patterns below share them.
_POSSESSIVE = r"(?:min|mit|mine|vores|hans|hendes|deres|my|our|his|her|their)"
_BARE_SUBJECT = (r"(?:han|hun|he|she|konen|manden|keresten|hunden|katten|moren|faren"
                 r"|mor|far|sosteren|broren|veninden|vennen|svigermor|svigerfar)")
_THIRD_PARTY = re.compile(
    rf"\b{_POSSESSIVE}\s+(?P<who>[a-z]+)\s+"
    r"(?:(?:er|har|var|havde|blev|bliver|skal|skulle|is|has|was|had|got|gets|have|are|been|fet|faet|fat)\s+)+"
    r"(?:(?!jeg\b|i\b|me\b)[a-z]+\s+){0,2}$"
)
# The same without a possessive: "hun er syg", "she is sick", "konen er syg", "hunden har feber"
# (a pronoun or a relative named with the definite article), and the illness before the person:
# "min syge mor", "my sick mother".
_THIRD_PARTY_BARE = re.compile(
    rf"(?:^|\s)(?P<who>{_BARE_SUBJECT})\s+"
    r"(?:(?:er|har|var|havde|blev|bliver|skal|skulle|is|has|was|had|got|gets|are|been|fet|faet|fat)\s+)+"
    r"(?:(?!jeg\b|i\b|me\b)[a-z]+\s+){0,2}$"
)
# The subject right before an illness phrase that opens with its verb ("min mor" + "skal
# indlægges", "hun" + "skal opereres"): the same subjects as above, without a verb of their own.
_SUBJECT_BEFORE_ILLNESS = (
    re.compile(rf"\b{_POSSESSIVE}\s+(?P<who>(?!(?:jeg|i|me|mig|vi|du|we|you)\b)[a-z]+)\s+$"),
    re.compile(rf"(?:^|\s)(?P<who>{_BARE_SUBJECT})\s+$"),
)
_ILLNESS_VERBS = frozenset({"skal", "skulle", "bliver", "blev", "er", "is", "was", "has", "had",
                            "having", "being"})
# The citizen speaks of themself again, or the sentence ends: illness words after this are not
# the relative's any more ("min mor er syg, og jeg har også feber").
_NEW_SUBJECT = re.compile(
    r"[.!?]|\b(?:jeg|mig|me|myself|i (?:am|m|have|ve|feel|got|was|had|also))\b")
# A reason guessed about rather than stated ("I think I might get sick", "jeg bliver nok syg",
# "maybe I have covid") is no reason a caseworker can sign: a hedge word earlier in the same
# clause, at most five words before the reason, makes that clause the reason's words.
_HEDGES = "|".join(fold(w) for w in (
    "think", "might", "maybe", "probably", "perhaps", "possibly", "tror", "måske", "muligvis",
    "nok", "formentlig", "sikkert"))
_HEDGED = re.compile(rf"\b(?:{_HEDGES})\b(?:\s+[^\s.,;:!?]+){{0,5}}\s+$")
_CLAUSE_MARK = re.compile(r"[.,;:!?\n]|\b(?:men|but|so|så)\b", re.IGNORECASE)


# "jeg har ikke fået min kontanthjælp", "I didn't get my dagpenge": a group the citizen calls
# theirs is theirs, however the sentence is negated (the payment is what has not come)
_OWNED = re.compile(r"\b(?:min|mine|mit|my|our|vores) $")


def _owned_group(match: LookupMatch, folded: str) -> bool:
    return (match.name == "borgergruppe"
            and _OWNED.search(folded, max(0, match.start - 7), match.start) is not None)


def _hedged(text: str, start: int) -> tuple[int, int] | None:
    """The clause (start, end in ``text``) of a reason named at ``start``, if it is hedged."""
    clause = max((m.end() for m in _CLAUSE_MARK.finditer(text, 0, start)), default=0)
    if _HEDGED.search(f" {fold(text[clause:start])} ") is None:
        return None
    tail = _CLAUSE_MARK.search(text, start)
    return clause, tail.start() if tail else len(text)


_SOMEONE_ELSE_ILL = frozenset({"paaroerende", "barn_syg"})
# Work, a job interview or a civic duty said of someone else ("my mother has a job interview",
# "min mand skal på arbejde", "hun har fået arbejde") is not the citizen's own valid reason: it
# is read as another reason (andet), which a person assesses. The verb may be part of the phrase
# the table found ("my husband got work"). A "mig"/"me" between keeps it the citizen's ("min chef
# har givet mig arbejde").
_OWN_REASONS = frozenset({"arbejde", "ansaettelsessamtale", "borgerligt_ombud"})
_OTHER_SUBJECT = (
    r"(?:\b(?:min|mit|mine|vores|hans|hendes|deres|my|our|his|her|their)\s+"
    r"(?!(?:jeg|i|me|mig)\b)[a-z]+"
    r"|(?:^|\s)(?:han|hun|he|she|they|konen|manden|kaeresten|keresten|moren|faren|sosteren"
    r"|broren|veninden|vennen|svigermor|svigerfar|naboen))\s+")
_OTHER_VERBS = frozenset(
    "er har var havde blev bliver skal skulle starter begynder fik faet fet fat is has was had "
    "got gets have are been must needs need starts started going to".split())
_THIRD_PARTY_DOES = re.compile(
    _OTHER_SUBJECT + r"(?:(?:" + "|".join(sorted(_OTHER_VERBS)) + r")\s+)+"
    r"(?:(?!jeg\b|i\b|me\b|mig\b)[a-z]+\s+){0,2}$"
)
# the subject right before a phrase that opens with the verb ("my husband" + "got work")
_THIRD_PARTY_BEFORE_VERB = re.compile(_OTHER_SUBJECT + "$")
# Who is a child, as the third-party patterns catch them (folded)
_CHILDREN = frozenset({"son", "daughter", "child", "kid", "kids", "children", "baby", "boy",
                       "girl", "datter", "barn", "barnet", "born", "bornene", "dreng",
                       "drengen", "pige", "pigen", "sonnen"})
_ILL_BEFORE = re.compile(r"\b(?:min|mit|mine|vores|hans|hendes|my|our|his|her)\s+$")
_ILL_WORDS = frozenset({"syg", "syge", "sick", "ill"})
_NOT_A_PERSON = re.compile(r"\s*(?:leave|days?|note|pay|report|periode|dage|melding|orlov)\b")
_OWN_BODY = frozenset(fold(w) for w in """
hoved hovedet ryg ryggen mave maven ben benet benene arm armen armene hals halsen knæ knæet fod
foden fødder skulder skulderen tand tanden tænder tænderne øre øret ører ørerne øje øjet øjne
øjnene hånd hånden hænder nakke nakken hofte hoften bryst brystet hjerte hjertet lunge lungen
lunger lungerne krop kroppen hud huden finger fingeren fingre tå tæer albue albuen håndled ankel
anklen knogle blære blæren nyre nyrer lever leveren blod blodet blodtryk blodsukker immunforsvar
psyke helbred helbredet sind nerver tarm tarmen tarme næse næsen mund munden kæbe kæben
head back stomach belly leg legs arm arms throat knee knees foot feet shoulder tooth teeth ear
ears eye eyes hand hands neck hip chest heart lung lungs body skin finger fingers toe ankle
wrist elbow bladder kidney kidneys liver blood health mind nose mouth jaw
""".split())
# A part of one's own body in a bad state is sickness, whatever the words for the state: "min
# ryg er helt låst", "mit knæ er hævet", "my back is gone".
_OWN_BODY_SAID = re.compile(
    r"\b(?:min|mit|mine|my)\s+(?P<part>[a-z]+)\s+(?:er|is|har|has|gor|does|var|was|blev|got|are)\b"
)
# "jeg hedder Karim Ahmadi og ...", "mit navn er Sara", "my name is John Smith": up to four
# words of letters after the introduction, ending at the first word that is not part of a name.
_NAME = re.compile(
    r"\b(?:jeg hedder|mit (?:fulde )?navn er|my name is|my full name is)\s+"
    r"(?P<navn>(?!(?:og|and|jeg|i|men|but)\b)[^\W\d_][\w'’-]*"
    r"(?:\s+(?!(?:og|and|jeg|i|men|but|vil|skal|kan|har|er|fra|want|would)\b)[^\W\d_][\w'’-]*){0,3})",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[,;:.!?\n]")
# A job interview told as a story: an employer named, then the interview in the same sentence
# ("et firma i Valby ringede, og de vil gerne se mig til samtale fredag", "a company called and
# invited me to an interview"). Only when no reason was named otherwise; the jobcentre is no
# employer here.
_EMPLOYER_INTERVIEW = re.compile(
    r"\b(?:firma|firmaet|virksomhed|virksomheden|arbejdsgiver|arbejdsgiveren|arbejdsgivere"
    r"|butik|butikken|company|employer|firm)\b(?:\s+[^\s.!?]+){0,12}?\s+"
    r"(?P<word>samtale|samtalen|jobsamtale|jobsamtalen|interview|jobinterview)\b",
    re.IGNORECASE)
_NOT_SAID = re.compile(r"\b(?:ikke|ik|ikk|ike|aldrig|not|never|no|didn't|didnt|haven't|havent"
                       r"|hasn't|hasnt|won't|wont)\b", re.IGNORECASE)


def _negated_in_clause(text: str, start: int) -> bool:
    """A negation folding found before a phrase counts only inside the phrase's own clause:
    in "nej det kan jeg ikke, mitid virker ikke" the comma ends what "ikke" negates."""
    ends = [m.end() for m in _CLAUSE_END.finditer(text, 0, start)]
    if not ends:
        return True
    prefix = fold(text[ends[-1]:start])
    return negated(prefix + " ", len(prefix) + 1)


# A full name given in a greeting or a sign-off: "hej, det er Mikkel Rask.", "… kh Fatima Ali".
# Two to four words, so "kh mikkel" (a first name) and "det er min søn" are not taken.
_NAME_WORD = r"(?!(?:og|and|jeg|i|men|but|min|mit|mine|my|mig|me|her|der|det)\b)[^\W\d_][\w'’-]*"
_NAME_GREETING = re.compile(
    r"^\s*(?:hej|hejsa|hi|hello|goddag|godmorgen|dav)[\s,!.]+(?:det er|her er|this is|it is|it's)"
    rf"\s+(?P<navn>{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}})\s*(?:[.,!\n]|$)",
    re.IGNORECASE,
)
# A name given again to correct it: "nej undskyld, det er Karin Holm", "sorry, it's Sam Okafor".
_NAME_CORRECTED = re.compile(
    r"^\s*(?:nej|no|undskyld|sorry|ups|hov)(?:[\s,!.]+(?:undskyld|sorry))?[\s,!.]+"
    r"(?:det er|jeg hedder|mit navn er|it is|it's|my name is)"
    rf"\s+(?P<navn>{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}})\s*(?:[.,!\n]|$)",
    re.IGNORECASE,
)
_NAME_SIGNOFF = re.compile(
    r"(?:^|[\s,.!])(?:mvh|m v h|kh|k h|vh|hilsen|venlig hilsen|venligst|regards|best regards)"
    rf"[\s,.]+(?P<navn>{_NAME_WORD}(?:\s+{_NAME_WORD}){{1,3}})[\s.!]*$",
    re.IGNORECASE,
)
# How long a sickness lasts, said in passing: "resten af ugen", "et par dage", "to uger", "til
# mandag", "the rest of the week". On folded text ("måned" -> "maned").
_DURATION = re.compile(
    r"\b(?:resten af (?:ugen|maneden|dagen)|hele (?:ugen|maneden)|(?:en|et|et par|par|nogle|to"
    r"|tre|fire|fem|seks|syv|otte|ni|ti|fjorten|(?:\d{1,2}(?: ?- ?| til | ))?\d{1,2}) "
    r"(?:dag|dage|uge|uger|maned|maneder)"
    r"|(?:til|indtil|frem til) (?:og med )?(?:pa )?(?:mandag|tirsdag|onsdag|torsdag|fredag|lordag"
    r"|sondag|i morgen|overmorgen|nytar|weekenden|neste uge)|the rest of the week|a few days"
    r"|(?:a|one|two|three|\d{1,2}) (?:days?|weeks?))\b"
)
# "20 timer om ugen", "3 dage om ugen", "20 hours a week": fewer hours or days than a full
# working week (FULL_WEEK) is a partial return said in numbers rather than words. On folded text.
_PART_WEEK = re.compile(
    rf"\b(?P<n>\d{{1,2}}|{_NUM}) ?(?P<unit>timer|hours?|hrs?|dage|dag|days?)"
    r" (?:om ugen|pr uge|per uge|i ugen|hver uge|a week|per week|each week|every week)\b"
)
FULL_WEEK = {"hours": 37, "days": 5}
# Where a reason ends and the next request begins: "…, og så vil jeg også høre om ferie".
_REASON_END = re.compile(
    r",?\s+og (?:så|saa|sa|jeg vil|hvad|hvornår|hvordan|hvorfor|kan i|har i)\b"
    r"|,?\s+and (?:also|what|when)\b",
    re.IGNORECASE,
)
# A clause that asks something is no reason: "kan ikke komme i morgen. Og så vil jeg gerne vide
# hvordan jeg melder ferie" asks about ferie (a second request), it does not explain the afbud.
_NOT_REASON = re.compile(
    r"^(?:(?:og|så|saa|sa|men|and|also|but)\s+)*(?:(?:jeg |i )?"
    r"(?:vil|ville|skal|would like to|want to)(?: jeg| i)?"
    r" (?:også |ogsaa |osse |also )?(?:gerne |lige |bare )?"
    r"(?:vide|høre|hoere|spørge|spoerge|know|ask)"
    r"|hvordan|hvad|hvornår|hvornaar|hvorfor|hvor|how|what|when|why|where|can i|kan jeg|må jeg"
    r"|maa jeg|har i|do you)\b",
    re.IGNORECASE,
)
_KL_BEFORE = re.compile(r"(?:kl|klokken)\.?\s*$", re.IGNORECASE)

_TIME_RES: list[tuple[str, re.Pattern[str], _Needs]] = [
    # English: "10am", "2 pm", "at 10:30 am", "half past nine", "quarter to ten", "at 10"
    ("ampm", re.compile(r"\b(?:at )?(?P<h>\d{1,2})(?: (?P<m>\d{2}))? ?(?P<ap>am|pm)\b"),
     _needs([DIGIT], ["am", "pm"])),
    ("half_past", re.compile(rf"\bhalf past (?P<h>\d{{1,2}}|{_NUM})\b"),
     _needs(["half past "])),
    ("quarter", re.compile(rf"\bquarter (?P<dir>past|to) (?P<h>\d{{1,2}}|{_NUM})\b"),
     _needs(["quarter "])),
    # "at 10", "at 10:30 tomorrow": only where an English sentence goes on (Danish "at" is "to")
    ("kl", re.compile(r"\bat (?P<h>\d{1,2})(?: (?P<m>\d{2}))?(?: o ?clock)?"
                      r"(?= *$| (?:tomorrow|today|on|in|and|but|so|because|the|please|with|i)\b)"),
     _needs([DIGIT], ["at "])),
    ("half", re.compile(rf"\bhalv (?P<h>\d{{1,2}}|{_NUM})\b"), _needs(["halv "])),
    ("quarter", re.compile(rf"\bkvart (?P<dir>over|i) (?P<h>\d{{1,2}}|{_NUM})\b"),
     _needs(["kvart "])),
    ("kl", re.compile(r"\b(?:kl|klokken) ?(?P<h>\d{1,2})(?:[ ](?P<m>\d{2}))?\b"),
     _needs([DIGIT], ["kl"])),
]
_TRIGGERS = _Triggers([needs for _, _, needs in _DATE_RES + _TIME_RES])
_CLOCK = re.compile(r"(?<![\d./-])(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?![\d]|[./-]\d)")
_PHONE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)45[ -]?)?(?P<n>[2-9]\d(?:[ -]?\d{2}){3})(?![\d])"
)


def _weekday(name: str) -> int:
    return WEEKDAYS.index(name) if name in WEEKDAYS else WEEKDAYS_EN.index(name)


def _number(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _nearest_year(day: int, month: int, today: date) -> date | None:
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    if not candidates:
        return None
    return min(candidates, key=lambda d: (abs((d - today).days), d < today))


def _make_date(day: int, month: int, year: int | None, today: date) -> date | None:
    if year is None:
        return _nearest_year(day, month, today)
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _day(word: str) -> int:
    """A day of the month written as digits or as an English ordinal ("third")."""
    return int(word) if word.isdigit() else ORDINALS[word]


def _next_weekday(today: date, weekday: int) -> date:
    return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)


def _last_weekday(today: date, weekday: int) -> date:
    return today - timedelta(days=(today.weekday() - weekday - 1) % 7 + 1)


def resolve_date_words(kind: str, m: re.Match[str], today: date) -> date | None:
    if kind == "iso":
        return _make_date(int(m["d"]), int(m["m"]), int(m["y"]), today)
    if kind == "named":
        return _make_date(_day(m["d"]), MONTHS[m["mon"]], int(m["y"]) if m["y"] else None, today)
    if kind == "relative":
        return today + timedelta(days=RELATIVE_DAYS[m.group(0)])
    if kind == "in_n":
        n = _number(m["n"])
        weeks = m["unit"].startswith(("uge", "week"))
        return today + timedelta(days=n * (7 if weeks else 1))
    if kind == "past_wd":
        return _last_weekday(
            today, _weekday(m["a"] or m.groupdict().get("b") or m.groupdict().get("c")))
    if kind == "next_wd":
        monday_next_week = today + timedelta(days=7 - today.weekday())
        return monday_next_week + timedelta(days=_weekday(m["wd"]))
    if kind == "wd":
        return _next_weekday(today, _weekday(m["wd"]))
    if kind == "wd_week_later":
        return _next_weekday(today, _weekday(m["wd"])) + timedelta(days=7)
    if kind == "day_of_month":
        day = _day(m["d"] or m.groupdict().get("dw"))
        for months_ahead in (0, 1, 2):
            month = (today.month - 1 + months_ahead) % 12 + 1
            year = today.year + (today.month - 1 + months_ahead) // 12
            try:
                candidate = date(year, month, day)
            except ValueError:
                continue
            if candidate >= today:
                return candidate
        return None
    return None


# "om tirsdagen" is every Tuesday, "this/coming Tuesday" the next one, whatever the tense
_NOT_PAST = ("om ", "this ", "coming ")


class EntityExtractor:
    def __init__(self, lookups: LookupMatcher) -> None:
        self.lookups = lookups

    def extract(self, text: str, today: date) -> list[Entity]:
        folded, spans = fold_with_spans(text)
        found: list[Entity] = []
        taken: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return all(end <= a or start >= b for a, b in taken)

        def add(entity: str, value: str, start: int, end: int) -> None:
            found.append(Entity(entity, value, start, end))
            taken.append((start, end))

        def orig(m: re.Match[str]) -> tuple[int, int]:
            return spans[m.start()][0], spans[m.end() - 1][1]

        # Numbers first, on the original text: CPR, then dates, then phone numbers, so neither a
        # CPR number nor "2026-11-24" is read as a phone number.
        # A message without a digit (most) has none of them: each pattern needs one.
        digits = _DIGIT.search(text) is not None
        if digits:
            for cpr in find_cprs(text):
                add("cpr", cpr.masked, cpr.start, cpr.end)
            for m in _ISO_DATE.finditer(text):
                d = _make_date(int(m["d"]), int(m["m"]), int(m["y"]), today)
                if d and free(m.start(), m.end()):
                    add("dato", d.isoformat(), m.start(), m.end())
            for m in _NUMERIC_DATE.finditer(text):
                if not free(m.start(), m.end()) or _KL_BEFORE.search(text[: m.start()]):
                    continue
                if m["sep"] == "." and m["y"] is None and int(m["m"]) > 12:
                    continue
                d = _make_date(int(m["d"]), int(m["m"]), int(m["y"]) if m["y"] else None, today)
                if d:
                    add("dato", d.isoformat(), m.start(), m.end())
            for m in _PHONE.finditer(text):
                if free(m.start(), m.end()):
                    add("telefon", re.sub(r"\D", "", m["n"]), m.start(), m.end())
        weekdays: list[tuple[Entity, int]] = []
        present = _TRIGGERS.present(folded)
        # "på torsdg", "manda", "imorgn": the date patterns read the days as spelt (weekday_typos)
        dates_folded, date_spans = respell_weekdays(folded, spans, _ALL_WEEKDAYS)
        dates_folded, date_spans = respell_weekdays(dates_folded, date_spans, _ONE_WORD_DAYS)
        date_present = present if dates_folded is folded else _TRIGGERS.present(dates_folded)
        for kind, pattern, needs in _DATE_RES:
            if not _met(needs, date_present):
                continue
            for m in pattern.finditer(dates_folded):
                start, end = date_spans[m.start()][0], date_spans[m.end() - 1][1]
                if free(start, end):
                    if kind == "wd" and not m.group(0).startswith(_NOT_PAST) and told_in_past(
                            text, start, end):
                        # "jeg mødte ikke op tirsdag": the Tuesday that has been
                        d = _last_weekday(today, _weekday(m["wd"]))
                    else:
                        d = resolve_date_words(kind, m, today)
                    said = m.groupdict().get("nwd")
                    if d and said and d.weekday() != _weekday(said):
                        # "mandag den 15. december", a Tuesday: neither is taken, and the
                        # citizen is asked (as _settle_weekdays does for "mandag d. 15/12")
                        add(DISAGREEING_DATE, d.isoformat(), start, end)
                        continue
                    if d:
                        add("dato", d.isoformat(), start, end)
                        if kind == "wd":
                            weekdays.append((found[-1], _weekday(m["wd"])))
        _settle_weekdays(text, found, weekdays)
        for kind, pattern, needs in _TIME_RES:
            if not _met(needs, present):
                continue
            for m in pattern.finditer(folded):
                start, end = orig(m)
                if free(start, end):
                    value = _time_value(kind, m)
                    if value:
                        add("tid", value, start, end)
        for m in _CLOCK.finditer(text) if digits else ():
            if free(m.start(), m.end()):
                add("tid", f"{int(m['h']):02d}:{m['m']}", m.start(), m.end())
        for m in _DURATION.finditer(folded):
            start, end = orig(m)
            found.append(Entity("varighed", text[start:end], start, end))
            if m[0][-1:] in "er" and m[0][:1].isdigit():
                # "2-3 dage" is a duration, not the 2nd of March
                found[:] = [e for e in found if e.entity != "dato"
                            or not start <= e.start < end]
        for m in _PART_WEEK.finditer(folded):
            unit = "hours" if m["unit"][:1] in "th" else "days"
            if _number(m["n"]) < FULL_WEEK[unit] and not negated(folded, m.start()):
                start, end = orig(m)
                found.append(Entity("delvis", "ja", start, end))
                break
        exact = [m for m in self.lookups.matches(folded) if not m.is_topic]
        near = self.lookups.near_matches(folded, [(m.start, m.end) for m in exact])
        other_ill: int | None = None  # where the last illness of someone else was named
        hedged: tuple[int, int] | None = None  # the clause of a reason guessed about
        other_value = "paaroerende"
        for match in exact + near:
            value = match.value
            if (negated(folded, match.start) and _negated_in_clause(text, spans[match.start][0])
                    or after_clause_negation(text, spans[match.start][0])) \
                    and not _owned_group(match, folded):
                # "jeg er ikke syg", "jeg får ikke dagpenge": a negated phrase names nothing,
                # unless the table answers a yes/no question ("har ingen MitID" is "nej").
                if value != "ja":
                    continue
                value = "nej"
            if match.name == "afbud_kategori" and hedged is None:
                hedged = _hedged(text, spans[match.start][0])
            if match.name == "afbud_kategori" and value == "sygdom":
                who = (_THIRD_PARTY.search(folded, 0, match.start)
                       or _THIRD_PARTY_BARE.search(folded, 0, match.start))
                if who is None and folded[match.start:match.end].split()[:1][0] in _ILLNESS_VERBS:
                    who = next((m for m in (p.search(folded, 0, match.start)
                                            for p in _SUBJECT_BEFORE_ILLNESS) if m), None)
                following = folded[match.end:].split()[:1]
                ill_first = (folded[match.start:match.end] in _ILL_WORDS
                             and _ILL_BEFORE.search(folded, 0, match.start) is not None
                             and not _NOT_A_PERSON.match(folded, match.end)
                             and not set(following) & _OWN_BODY)
                beside = None if ill_first or who else someone_beside(
                    folded, match.start, match.end, text, spans)
                if beside is not None:
                    # "syg barn", "barnet syg", "wife sick": a person beside the illness word,
                    # without a possessive or a verb (kcbot/nlu/someone_ill.py)
                    value = "barn_syg" if beside in CHILDREN else "paaroerende"
                elif ill_first or who and who["who"] not in _OWN_BODY and not any(
                        m.value == "sygdom" and m.start <= who.start("who") < m.end
                        for m in exact):
                    # "min søn er syg", "my daughter has fever": a child named as the subject
                    # keeps its own reason (barn_syg, which has its own rules), so the message
                    # names one reason, not two
                    value = next((m.value for m in exact if who is not None
                                  and m.value in _SOMEONE_ELSE_ILL
                                  and m.start <= who.start("who") < m.end),
                                 "barn_syg" if who is not None and who["who"] in _CHILDREN
                                 else "paaroerende")
                elif other_ill is not None and not _NEW_SUBJECT.search(
                        folded, other_ill, match.start):
                    # "my wife is very sick and in hospital": the illness words that follow
                    # are still hers until the citizen speaks of themself or a sentence ends
                    value = other_value
            if match.name == "afbud_kategori" and value in _OWN_REASONS and (
                    _THIRD_PARTY_DOES.search(folded, 0, match.start)
                    or folded[match.start:match.end].split()[:1][0] in _OTHER_VERBS
                    and _THIRD_PARTY_BEFORE_VERB.search(folded, 0, match.start)):
                value = "andet"
            if match.name == "afbud_kategori" and value in _SOMEONE_ELSE_ILL:
                other_ill, other_value = match.end, value
            add(match.name, value, spans[match.start][0], spans[match.end - 1][1])
        if not any(e.entity == "afbud_kategori" for e in found):
            for body in _OWN_BODY_SAID.finditer(folded):
                if body["part"] in _OWN_BODY and not negated(folded, body.start()):
                    start, end = spans[body.start()][0], spans[body.end() - 1][1]
                    add("afbud_kategori", "sygdom", start, end)
                    break
        if not any(e.entity == "afbud_kategori" for e in found):
            interview = _EMPLOYER_INTERVIEW.search(text)
            if interview is not None and _NOT_SAID.search(interview[0]) is None:
                add("afbud_kategori", "ansaettelsessamtale", interview.start(), interview.end())
        name = (_NAME.search(text) or _NAME_GREETING.search(text) or _NAME_CORRECTED.search(text)
                or _NAME_SIGNOFF.search(text))
        if name:
            found.append(Entity("navn", name["navn"], name.start("navn"), name.end("navn")))
        reason = (_REASON_CAUSAL.search(text) or _REASON_AFTER.search(text)
                  or _REASON_WILL.search(text) or _REASON_MISSED.search(text)
                  or _REASON_BEFORE.search(text))
        if reason and not _NOT_REASON.search(reason["grund"]):
            start = reason.start("grund")
            tail = _REASON_END.search(text, start, reason.end("grund"))
            end = tail.start() if tail else reason.end("grund")
            found.append(Entity("grund", text[start:end].strip(), start, end))
        elif hedged is not None and text[hedged[0]:hedged[1]].strip():
            # the reason in the citizen's own words, so that the hedge is judged
            # (actions/afbud.py: a reason guessed about goes to a person), not a bare category
            found.append(Entity("grund", text[hedged[0]:hedged[1]].strip(), *hedged))
        before = past_state(text)
        if before is not None:
            # "jeg var syg i sidste uge, men nu er jeg rask", "jeg blev raskmeldt i fredags, men
            # nu har jeg feber igen": the illness and the day of the state before are not now's
            found[:] = [e for e in found if e.entity not in _STATE_ENTITIES
                        or not before[0] <= e.start < before[1]]
        settle_owner(text, folded, spans, found, Entity)
        _join_meeting_words(text, found)
        found.sort(key=lambda e: (e.start, e.entity))
        return found


# A generic meeting word right after a kind of meeting is one meeting written in two words
# ("opfølgning samtale" = opfølgningssamtale, "jobklub møde", "follow-up meeting"), not two.
_MEETING_HEAD = frozenset({"samtale", "samtalen", "samtaler", "møde", "mødet", "møder", "moede",
                           "moedet", "meeting", "meetings", "appointment"})


def _join_meeting_words(text: str, found: list[Entity]) -> None:
    kinds = sorted((e for e in found if e.entity == "moedetype"), key=lambda e: e.start)
    for first, second in zip(kinds, kinds[1:], strict=False):
        glue = text[first.end:second.start]
        if (first.value != second.value and len(glue) <= 2 and not glue.strip(" -")
                and text[second.start:second.end].lower() in _MEETING_HEAD
                and second in found):
            found.remove(second)
# Who a benefit is said of when it is not the citizen's: "min mand får kontanthjælp".
_SOMEONE_ELSES = frozenset(fold(w) for w in """
min mit mine vores hans hendes deres han hun my our his her their he she they
""".split())


def value_now(text: str, named: list[Entity]) -> str | None:
    """Of two values named in sequence for one slot (two benefits: "I was on dagpenge, then
    sick for 5 weeks on sygedagpenge", "jeg fik kontanthjælp, nu får jeg sygedagpenge"), the
    one the citizen has now: the last, when every other is told in the past tense before it.
    Two told in the present ("min mand får dagpenge, jeg får kontanthjælp") give None, and
    which is the citizen's is asked; so does a last one said of someone else."""
    named = sorted(named, key=lambda e: e.start)
    if not named:
        return None
    last = named[-1]
    clause = text[:last.start]
    clause = clause[max((m.end() for m in _GROUP_CLAUSE.finditer(clause)), default=0):]
    if _SOMEONE_ELSES & set(words(fold(clause))):
        return None
    earlier = [e for e in named if e.value != last.value]
    if earlier and all(e.end <= last.start and told_in_past(text, e.start, e.end)
                       for e in earlier):
        return last.value
    return None


_GROUP_CLAUSE = re.compile(r"[.;:!?\n,]|\b(?:men|but|og|and)\b", re.IGNORECASE)


_WEEKDAY_GLUE = re.compile(r"\s*(?:d\.?|den|the|,)?\s*", re.IGNORECASE)


def _settle_weekdays(text: str, found: list[Entity],
                     weekdays: list[tuple[Entity, int]]) -> None:
    """ "mandag d. 7/12", "tirsdag om 14 dage": the weekday names the date beside it, it is
    not the coming Monday. When they disagree ("mandag d. 6/12", a Sunday) neither is taken:
    the citizen is asked."""
    for weekday_entity, weekday in weekdays:
        if weekday_entity not in found:
            continue  # taken away beside an earlier weekday ("thursday tuesday 3/12")
        beside = [e for e in found if e.entity == "dato" and e is not weekday_entity
                  and 0 <= e.start - weekday_entity.end <= 6
                  and _WEEKDAY_GLUE.fullmatch(text[weekday_entity.end:e.start])]
        if not beside:
            continue
        found.remove(weekday_entity)
        for other in beside:
            if date.fromisoformat(other.value).weekday() != weekday and other in found:
                found.remove(other)
                found.append(Entity(DISAGREEING_DATE, other.value, weekday_entity.start,
                                    other.end))


def _time_value(kind: str, m: re.Match[str]) -> str | None:
    hour = _number(m["h"])
    minute = 0
    if kind == "ampm":
        minute = int(m["m"]) if m["m"] else 0
        if not (1 <= hour <= 12 and minute <= 59):
            return None
        hour = hour % 12 + (12 if m["ap"] == "pm" else 0)
        return f"{hour:02d}:{minute:02d}"
    if kind == "half":
        hour, minute = hour - 1, 30
    elif kind == "half_past":
        minute = 30
    elif kind == "quarter":
        hour, minute = (hour, 15) if m["dir"] in ("over", "past") else (hour - 1, 45)
    elif m["m"]:
        minute = int(m["m"])
    if kind != "kl" or not m["m"]:
        if 1 <= hour <= 6:
            hour += 12
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return f"{hour:02d}:{minute:02d}"
