"""Lookup tables and synonyms from ``intents/``, matched on folded text.

Lookups named ``tema_*`` are topic keywords: classifier features only. Every other lookup is an
entity (``borgergruppe``, ``moedetype``, ...) whose matches are also classifier features.

A phrase written with a leading hyphen (``-betændelse``) also matches as the last part of a
Danish compound word ("lungebetændelse", "blærebetændelse"): illnesses are an open list, their
heads are not.

A phrase written with a trailing hyphen (``tandlæge-``) also matches as the first part of a
compound whose last part names an appointment or a time ("tandlægetid", "lægeaftale",
"hospitalsbesøg"): the compound is about the thing the first part names, and the citizen who
writes "tandlægetid" means the dentist as much as one who writes "tid hos tandlægen"."""

from __future__ import annotations

import hashlib
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz, process

from kcbot.nlu.data import TrainingData
from kcbot.nlu.normalise import fold
from kcbot.yamlio import write_cache_file

__all__ = ["TOPIC_PREFIX", "LookupMatch", "LookupMatcher"]

TOPIC_PREFIX = "tema_"
# Danish endings a phrase may carry and still match: "samtale" matches "samtalen", "samtaler".
_INFLECTION = r"(?:e|en|et|er|ne|ene|erne|ens|ets|s|n|t)?"
# The last parts a first part (``tandlæge-``) may be joined to, folded, with the linking "s"
# Danish puts between some ("hospitalstid").
APPOINTMENT_TAILS = ("tid", "tider", "aftale", "besog", "time", "konsultation", "undersogelse",
                     "samtale", "behandling")
_TAIL = r"s?(?:" + "|".join(sorted(APPOINTMENT_TAILS, key=len, reverse=True)) + ")"
_TAIL_ONLY = re.compile(_TAIL)


@dataclass(frozen=True)
class LookupMatch:
    name: str
    value: str
    start: int  # offsets in the folded text
    end: int

    @property
    def is_topic(self) -> bool:
        return self.name.startswith(TOPIC_PREFIX)


# Typos in long words ("kontanthjlp", "sammtale", "ledighedsydlse") are matched by similarity
# against the single-word phrases of the entity tables, for words no phrase matched exactly.
FUZZY_MIN_LENGTH = 6
FUZZY_MIN_SCORE = 85
# A typo changes a word's length by a letter or two; more is another word ("dagpengemodtager" is
# not "sygedagpengemodtager").
FUZZY_MAX_LENGTH_DIFFERENCE = 2
_LONG_WORD = re.compile(rf"[a-z]{{{FUZZY_MIN_LENGTH},}}")
# How many first letters of a phrase's first word decide whether a table is searched: with 2,
# 8.1 tables were searched a bench message, with 4, 3.9 (more letters gain almost nothing).
PREFIX = 4
# The typo readings kept (words of at most NEAR_CACHE_WORD letters; longer ones are read anew).
NEAR_CACHE_SIZE = 4096
NEAR_CACHE_WORD = 40
_UNSEEN: Any = object()


class LookupMatcher:
    def __init__(self, data: TrainingData, cache_dir: Path | None = None) -> None:
        tables, words = _prepared(data, cache_dir)
        # A table's pattern begins with its phrases' first letters, so that re skips to where
        # one of them stands; that the match begins a word is checked after (``_found``). A
        # table with compound heads keeps its leading ``\b``: its ``[a-z]*`` would be tried
        # inside every word.
        self._tables: list[tuple[str, re.Pattern[str], dict[str, str],
                                 frozenset[str] | None]] = [
            (name, re.compile(source if starts is not None else rf"\b{source}"), values,
             None if starts is None else frozenset(starts))
            for name, source, values, starts in tables]
        # per entity table: word length -> its single-word phrases within the typo margin
        self._words: list[tuple[str, dict[int, list[str]], dict[str, str]]] = words
        # The classifier's features and the entity extractor read the same message.
        self._last: tuple[str, list[LookupMatch]] = ("", [])
        # A long word's typo reading (issue 16: a fifth of extracting entities, and the same
        # long words come back message after message); bounded, emptied when full.
        self._near: dict[str, tuple[str, str] | None] = {}

    def matches(self, folded: str) -> list[LookupMatch]:
        if self._last[0] == folded and folded:
            return self._last[1]
        starts = {word[:n] for word in folded.split() for n in range(1, PREFIX + 1)}
        found = [
            LookupMatch(name, self._value(values, m.group(1)), m.start(), m.end())
            for name, pattern, values, first in self._tables
            if first is None or not first.isdisjoint(starts)
            for m in _found(pattern, first is not None, folded)
        ]
        self._last = (folded, found)
        return found

    def near_matches(self, folded: str, taken: list[tuple[int, int]]) -> list[LookupMatch]:
        """Entity phrases written with a typo: long words outside ``taken`` (spans of the
        folded text already matched) that are close to one table's single-word phrase."""
        found = []
        cache = self._near
        for word in _LONG_WORD.finditer(folded):
            if any(a < word.end() and word.start() < b for a, b in taken):
                continue
            text = word.group()
            hit = cache.get(text, _UNSEEN)
            if hit is _UNSEEN:
                hit = self._near_word(text)
                if len(text) <= NEAR_CACHE_WORD:
                    if len(cache) >= NEAR_CACHE_SIZE:
                        cache.clear()
                    cache[text] = hit
            if hit is not None:
                found.append(LookupMatch(hit[0], hit[1], word.start(), word.end()))
        return found

    def _near_word(self, word: str) -> tuple[str, str] | None:
        """The first table (and its value) with a single-word phrase close to ``word``."""
        for name, by_length, values in self._words:
            near = by_length.get(len(word))
            if not near:
                continue
            hit = process.extractOne(word, near, scorer=fuzz.ratio,
                                     score_cutoff=FUZZY_MIN_SCORE)
            if hit:
                return name, values[hit[0]]
        return None

    @staticmethod
    def _value(values: dict[str, str], matched: str) -> str:
        if matched in values:
            return values[matched]
        # A compound: the value of the first part it begins with when the rest is an
        # appointment word ("tandlægetid"), else of the head it ends with ("lungebetændelse").
        first = max((p for p in values if matched.startswith(p)
                     and _TAIL_ONLY.fullmatch(matched, len(p))), key=len, default=None)
        if first is not None:
            return values[first]
        return next(v for p, v in values.items() if matched.endswith(p))


_WORD_BOUNDARY = re.compile(r"\b")


def _found(pattern: re.Pattern[str], at_word_starts: bool,
           folded: str) -> Iterator[re.Match[str]]:
    """``pattern.finditer(folded)``, or with ``at_word_starts`` what ``\b`` + the pattern
    would find: a match not at a word boundary is passed over and the search goes on from the
    next character, as re would try the next position."""
    if not at_word_starts:
        yield from pattern.finditer(folded)
        return
    pos = 0
    while (m := pattern.search(folded, pos)) is not None:
        if _WORD_BOUNDARY.match(folded, m.start()) is None:
            pos = m.start() + 1
            continue
        yield m
        pos = max(m.end(), m.start() + 1)


_Prepared = tuple[list[tuple[str, str, dict[str, str], list[str] | None]],
                  list[tuple[str, dict[int, list[str]], dict[str, str]]]]


def _prepare(data: TrainingData) -> _Prepared:
    """Each table's pattern source and folded phrases, and the typo candidates by length."""
    tables = []
    words = []
    for name, phrases in data.lookups.items():
        values = {fold(p): data.synonyms.get(p.lower(), p) for p in phrases if fold(p)}
        heads = {fold(p) for p in phrases if p.startswith("-") and fold(p)}
        firsts = {fold(p) for p in phrases if p.endswith("-") and fold(p)}
        # a first part is a phrase of its own too ("tandlæge"): only heads stand apart
        plain = [p for p in values if p not in heads]
        compounds = _alternation(heads)
        body = "|".join(filter(None, (_alternation(plain),
                                      compounds and rf"[a-z]*(?:{compounds})",
                                      firsts and rf"(?:{_alternation(firsts)}){_TAIL}")))
        # A match starts a word with one of the phrases, so that word begins with the
        # phrase's first word: a message none of whose words begins with the first letters
        # (up to PREFIX) of a phrase's first word is not searched. A compound head may sit
        # inside a word: those tables always are.
        starts = None if heads else sorted({p.split()[0][:PREFIX] for p in plain})
        tables.append((name, "(" + body + rf"){_INFLECTION}\b", values, starts))
        single = [p for p in values if p.isalpha() and len(p) >= FUZZY_MIN_LENGTH]
        if not name.startswith(TOPIC_PREFIX) and single:
            by_length: dict[int, list[str]] = {}
            for phrase in single:
                for length in range(len(phrase) - FUZZY_MAX_LENGTH_DIFFERENCE,
                                    len(phrase) + FUZZY_MAX_LENGTH_DIFFERENCE + 1):
                    by_length.setdefault(length, []).append(phrase)
            words.append((name, by_length, values))
    return tables, words


def _alternation(phrases: list[str] | set[str]) -> str:
    """A regex that matches any of ``phrases``, the longest first where several match at one
    place, as ``"|".join`` of them sorted longest first would, written as a tree of their
    shared beginnings ("syg(?:dom|e(?:dagpenge)?)?"): re tries the alternatives of a plain
    alternation one by one, and a table has up to 300 phrases. Where one phrase goes on from
    another the longer is tried first (the ``?`` is greedy); the branches of a node begin with
    different letters, so their order does not matter."""
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for ch in phrase:
            node = node.setdefault(ch, {})
        node[""] = None  # a phrase ends here

    def written(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + written(child) for ch, child in node.items() if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return written(trie)


class _PlainUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name}: only plain data is cached")


def _prepared(data: TrainingData, cache_dir: Path | None) -> _Prepared:
    """``_prepare`` kept in the cache folder: folding the ~700 phrases is a third of building
    the matcher at start-up. Keyed by the training data and the source of the folding and of
    this module, so a change to either prepares again; a damaged entry only costs the time."""
    if cache_dir is None or not data.digest:
        return _prepare(data)
    from kcbot.nlu import normalise

    key = hashlib.blake2b(data.digest.encode(), digest_size=10)
    for module in (normalise.__file__, __file__):
        key.update(Path(module).read_bytes())
    path = cache_dir / f"lookups-{key.hexdigest()}.pickle"
    try:
        with path.open("rb") as file:
            return _PlainUnpickler(file).load()  # type: ignore[no-any-return]
    except Exception:  # noqa: BLE001 - missing or damaged: prepare and write it again
        pass
    prepared = _prepare(data)
    write_cache_file(path, pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL))
    return prepared
