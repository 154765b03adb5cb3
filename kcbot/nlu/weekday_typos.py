"""Weekday names written with a typo: "torsdg", "fredg", "manda", "tirsdaf", "frday"; and the
relative days written as one word ("imorgn"), which the extractor passes as names of their own.

Other entity words get typo tolerance from the lookup tables (``LookupMatcher.near_matches``):
a word at least ``FUZZY_MIN_SCORE`` similar to a phrase (``fuzz.ratio``: a letter missing or
added, or one changed in a long word). Weekdays are read by the date patterns, not by a table,
so they had none. Here they get the same, from five letters on instead of six ("manda",
"fredg", "onsdg": a weekday is short, and missing it costs the citizen a question already
answered).

What keeps ordinary words out: the score itself (one changed letter in a six-letter name is
too little alike, so "mandat", "mandig" and "sundae" stay words; "fred", "tors" and "manden" are
far off); the word must be as long as the name, a letter more or less ("feriedag" is no
"fredag"); it must start with the weekday's letter; a word holding a whole weekday name
("mandags", "fredagen") is the date patterns' own business; and a word as like two weekdays
("tarsdag": tirsdag or torsdag?) is neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from kcbot.nlu.lookups import FUZZY_MIN_SCORE

__all__ = ["respell_weekdays"]

_MIN_LETTERS = 5
# A typo adds or drops a letter; a word two letters longer is a compound ("feriedag").
_LENGTH_DIFFERENCE = 1
# ``names`` may spell each weekday in several languages, in the same order, Monday first.
_WEEK = 7


@lru_cache(maxsize=4)
def _words_like(names: tuple[str, ...]) -> re.Pattern[str]:
    """The words that may be one of ``names`` misspelt: long enough, and beginning as one."""
    first = "".join(sorted({name[0] for name in names}))
    longest = max(map(len, names)) + _LENGTH_DIFFERENCE
    return re.compile(rf"\b[{first}][a-z]{{{_MIN_LETTERS - 1},{longest - 1}}}\b")


def respell_weekdays(folded: str, spans: list[tuple[int, int]], names: Sequence[str],
                     ) -> tuple[str, list[tuple[int, int]]]:
    """``folded`` with each misspelt weekday written as ``names`` spells it, and the spans of
    the original text for each character (a respelt weekday's letters all span the word as
    written). Without a misspelt weekday, ``folded`` and ``spans`` themselves."""
    pieces: list[str] = []
    new_spans: list[tuple[int, int]] = []
    last = 0
    names = tuple(names)
    for word in _words_like(names).finditer(folded):
        name = _weekday_for(word.group(), names)
        if name is None:
            continue
        start, end = word.span()
        pieces.append(folded[last:start])
        new_spans.extend(spans[last:start])
        pieces.append(name)
        new_spans.extend([(spans[start][0], spans[end - 1][1])] * len(name))
        last = end
    if not pieces:
        return folded, spans
    pieces.append(folded[last:])
    new_spans.extend(spans[last:])
    return "".join(pieces), new_spans


@lru_cache(maxsize=4096)
def _weekday_for(word: str, names: tuple[str, ...]) -> str | None:
    if any(name in word for name in names):
        return None  # the name itself, or a form of it the date patterns read ("i mandags")
    scored = sorted(((fuzz.ratio(word, name), name) for name in names
                     if name[0] == word[0] and abs(len(name) - len(word)) <= _LENGTH_DIFFERENCE),
                    reverse=True)
    near = [name for score, name in scored if score >= FUZZY_MIN_SCORE]
    if len({names.index(name) % _WEEK for name in near}) != 1:
        return None  # no weekday, or two ("tarsdag": tirsdag or torsdag?)
    return near[0]
