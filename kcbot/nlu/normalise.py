"""Text normalisation for Danish as citizens type it.

Two forms are produced from a message:

- ``clean(text)``: what is safe to keep and show: NUL, control characters, ANSI escape
  sequences and HTML markup removed (a script element with its code), Unicode composed (NFC),
  length capped.
- ``fold(text)``: the form the classifier and the lookups match on: lower case, æ/ø/å and their
  ASCII spellings (ae/oe/aa) *and* the plain letters a/o/e that phones produce all folded to
  one spelling, accents dropped, runs of three or more equal letters cut to one, punctuation to
  spaces. ``fold_with_spans`` also returns, for each folded character, the span of the original
  text it came from, so entities found on the folded text point back into the message.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

import snowballstemmer

T = TypeVar("T")

__all__ = ["MAX_CHARS", "clean", "fold", "fold_with_spans", "stem", "tokens"]

# Longer messages are cut before any work is done on them: nothing a citizen asks needs more.
MAX_CHARS = 2000

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
# HTML a message carries (pasted, or written at the bot: "<script>alert('x')</script> jeg er
# syg") is not what the citizen says: the elements whose content is code go with their content,
# other tags and comments go, and the words between them stay. "<3" and "x < 10" are no tags.
_CODE_ELEMENT = re.compile(
    r"<\s*(script|style|iframe|object|embed|svg|template|noscript|textarea)\b[^>]*>"
    r".*?(?:<\s*/\s*\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<!--.*?(?:-->|$)|<\s*/?\s*[a-zA-Z][a-zA-Z0-9:-]*(?:\s[^<>]*)?/?\s*>",
                  re.DOTALL)

# Folding: single letters first, then the two-letter spellings, repeated until nothing changes.
_DIGRAPHS = {"aa": "a", "ae": "e", "oe": "o"}
_LETTERS = {"å": "a", "æ": "e", "ø": "o", "ä": "e", "ö": "o", "ü": "u", "ß": "ss"}


def clean(text: str) -> str:
    """Make untrusted text safe to store and show: no control characters, no escapes."""
    text = text[: MAX_CHARS * 2]
    text = _ANSI.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
    if "<" in text:
        text = _TAG.sub(" ", _CODE_ELEMENT.sub(" ", text))
    return _SPACES.sub(" ", text).strip()[:MAX_CHARS]


def fold_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Fold ``text`` (see module doc) and map each folded character to its original span.

    The last text's result is kept: the classifier folds a message and the entity extractor
    folds the same message right after (a fifth of the NLU's time, done once). The spans are
    shared, so callers read them and never change them."""
    global _last_folded
    last = _last_folded
    if last[0] == text:
        return last[1]
    result = _fold_with_spans(text)
    _last_folded = (text, result)
    return result


_last_folded: tuple[str | None, tuple[str, list[tuple[int, int]]]] = (None, ("", []))


class _FoldTable(dict[int, str]):
    """What each character folds to, worked out the first time it is seen: ``str.translate``
    then folds a message in C, and the rules are written once (``_fold_char``)."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


def _fold_char(original: str) -> str:
    out = []
    for ch in original.lower():
        if ch in _LETTERS:
            ch = _LETTERS[ch]
        elif not ch.isalnum():
            ch = " "
        elif not ch.isascii():
            # drop accents (é -> e); letters of other scripts stay as they are
            base = unicodedata.normalize("NFKD", ch)[0]
            ch = base if base.isascii() and base.isalnum() else ch
        out.append(ch)
    return "".join(out)


_FOLD_TABLE = _FoldTable()
# Three or more equal letters become one ("hejjjj", "neeej"); a run of spaces one space.
_RUNS = re.compile(r" {2,}|([^ ])\1\1+")
_DIGRAPH = re.compile("|".join(_DIGRAPHS))


def _fold_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    """Characters folded one by one (``str.translate``), then runs collapsed, then the
    digraphs merged until none is left, each step on the string with the start and end in
    ``text`` of each of its characters kept beside it; a step only touches the places its
    pattern finds. The rewriting of digraphs ends in one string whichever pair is merged first
    (aa/ae/oe overlap only as "aaa" and "aae"), so merging them pass by pass gives what
    merging them as they are met gives."""
    folded = text.translate(_FOLD_TABLE)
    if len(folded) == len(text):  # every character folded to one: the common case
        starts = list(range(len(text)))
        ends = list(range(1, len(text) + 1))
    else:  # a character folded to two ("ß" -> "ss"): both point to it
        starts, ends = [], []
        for i, original in enumerate(text):
            width = len(_FOLD_TABLE[ord(original)])
            starts += [i] * width
            ends += [i + 1] * width
    if _RUNS.search(folded):
        folded, starts, ends = _merge(_RUNS, folded, starts, ends)
    while _DIGRAPH.search(folded):
        folded, starts, ends = _merge(_DIGRAPH, folded, starts, ends)
    stripped = folded.strip()
    lead = len(folded) - len(folded.lstrip())
    last = lead + len(stripped)
    return stripped, list(zip(starts[lead:last], ends[lead:last], strict=True))


def _merge(pattern: re.Pattern[str], text: str, starts: list[int],
           ends: list[int]) -> tuple[str, list[int], list[int]]:
    """Each match of ``pattern`` in ``text`` becomes one character (a run its letter, a
    digraph its single letter) spanning from its first character's start to its last's end."""
    parts: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    done = 0
    for m in pattern.finditer(text):
        a, b = m.span()
        matched = m.group()
        parts += (text[done:a], _DIGRAPHS.get(matched) or matched[0])
        new_starts += starts[done:a]
        new_starts.append(starts[a])
        new_ends += ends[done:a]
        new_ends.append(ends[b - 1])
        done = b
    parts.append(text[done:])
    new_starts += starts[done:]
    new_ends += ends[done:]
    return "".join(parts), new_starts, new_ends


# A word or short phrase is folded, stemmed and tokenized once per process: the same words come
# back all day. A longer text (a whole message) is not kept with them (``fold`` keeps the last
# few, while its turn folds it again and again): messages do not pile up in memory.
FOLDED_WORD_CHARS = 32
WORDS_KEPT = 65536


def _by_length(short: Callable[[str], T], long: Callable[[str], T]) -> Callable[[str], T]:
    """``short`` for a text of at most ``FOLDED_WORD_CHARS`` characters, else ``long``."""

    def call(text: str) -> T:
        return (short if len(text) <= FOLDED_WORD_CHARS else long)(text)

    return call


def _folded(text: str) -> str:
    return fold_with_spans(text)[0]


_fold_word = lru_cache(maxsize=WORDS_KEPT)(_folded)
_fold_text = lru_cache(maxsize=64)(_folded)
fold = _by_length(_fold_word, _fold_text)
_stemmer = snowballstemmer.stemmer("danish")
stem = _by_length(lru_cache(maxsize=WORDS_KEPT)(_stemmer.stemWord), _stemmer.stemWord)
_WORDS = re.compile(r"\w+")


def tokens(text: str) -> list[str]:
    """Stemmed, folded word tokens. Stemming runs before folding, on the letters the Danish
    stemmer knows (æ/ø/å), and still trims common suffixes from ASCII spellings."""
    return [t for w in _WORDS.findall(text.lower()) for t in _word_tokens(w)]


def _tokens_of(word: str) -> tuple[str, ...]:
    return tuple(fold(stem(word)).split())


# A word's tokens (folding may split one): a reading tokenizes a message's words up to three
# times (whether the reading may be kept, the classifier's features, whether it is readable).
_word_tokens = _by_length(lru_cache(maxsize=WORDS_KEPT)(_tokens_of), _tokens_of)
