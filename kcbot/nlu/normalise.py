"""Text normalisation for Danish as citizens type it.

Two forms are produced from a message:

- ``clean(text)``: what is safe to keep and show: NUL, control characters and ANSI escape
  sequences removed, Unicode composed (NFC), length capped.
- ``fold(text)``: the form the classifier and the lookups match on: lower case, æ/ø/å and their
  ASCII spellings (ae/oe/aa) *and* the plain letters a/o/e that phones produce all folded to
  one spelling, accents dropped, runs of three or more equal letters cut to one, punctuation to
  spaces. ``fold_with_spans`` also returns, for each folded character, the span of the original
  text it came from, so entities found on the folded text point back into the message.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

__all__ = ["MAX_CHARS", "clean", "fold", "fold_with_spans", "stem", "tokens"]

# Longer messages are cut before any work is done on them: nothing a citizen asks needs more.
MAX_CHARS = 2000

_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")

# Folding: single letters first, then the two-letter spellings, repeated until nothing changes.
_DIGRAPHS = {"aa": "a", "ae": "e", "oe": "o"}
_LETTERS = {"å": "a", "æ": "e", "ø": "o", "ä": "e", "ö": "o", "ü": "u", "ß": "ss"}


def clean(text: str) -> str:
    """Make untrusted text safe to store and show: no control characters, no escapes."""
    text = text[: MAX_CHARS * 2]
    text = _ANSI.sub("", text)
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text)
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


def _fold_with_spans(text: str) -> tuple[str, list[tuple[int, int]]]:
    chars: list[tuple[str, int, int]] = []
    for i, original in enumerate(text):
        for ch in original.lower():
            if ch in _LETTERS:
                ch = _LETTERS[ch]
            elif not ch.isalnum():
                ch = " "
            elif not ch.isascii():
                # drop accents (é -> e); letters of other scripts stay as they are
                base = unicodedata.normalize("NFKD", ch)[0]
                ch = base if base.isascii() and base.isalnum() else ch
            chars.extend((c, i, i + 1) for c in ch)
    chars = _collapse_runs(chars)
    # Digraphs to a fixpoint, so "fået", "faaet" and "faet" all end as "fet".
    changed = True
    while changed:
        changed = False
        out: list[tuple[str, int, int]] = []
        for item in chars:
            if out and (out[-1][0] + item[0]) in _DIGRAPHS:
                prev = out.pop()
                out.append((_DIGRAPHS[prev[0] + item[0]], prev[1], item[2]))
                changed = True
            else:
                out.append(item)
        chars = out
    folded = "".join(c for c, _, _ in chars).strip()
    lead = len(chars) - len("".join(c for c, _, _ in chars).lstrip())
    chars = chars[lead : lead + len(folded)]
    return folded, [(a, b) for _, a, b in chars]


def _collapse_runs(chars: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Three or more equal letters become one ("hejjjj", "neeej"); spaces become one space."""
    out: list[tuple[str, int, int]] = []
    i, n = 0, len(chars)
    while i < n:
        j = i
        while j < n and chars[j][0] == chars[i][0]:
            j += 1
        run = j - i
        if chars[i][0] == " " or run >= 3:
            out.append((chars[i][0], chars[i][1], chars[j - 1][2]))
        else:
            out.extend(chars[i:j])
        i = j
    return out


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    # Cached: the tokenizer folds every stemmed word, and the same words come back all day.
    return fold_with_spans(text)[0]


_stemmer = snowballstemmer.stemmer("danish")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _stemmer.stemWord(word)


def tokens(text: str) -> list[str]:
    """Stemmed, folded word tokens. Stemming runs before folding, on the letters the Danish
    stemmer knows (æ/ø/å), and still trims common suffixes from ASCII spellings."""
    words = re.findall(r"\w+", text.lower())
    return [t for w in words for t in fold(stem(w)).split()]
