"""LIX, the Danish readability index (Björnsson): words per sentence plus the percentage of long
words. ``LIX = words / sentences + 100 * long_words / words``; below 25 is very easy, 25–34
easy, 35–44 middle, 45–54 hard. Citizen texts should stay at or below 40 (issue 14).

How a text is cut up, so the figure is reproducible:

- A *word* is a run of letters or digits (hyphens and apostrophes inside a word keep it whole:
  "MitID-appen", "a-kassen"); "82 56 56 82" is four words, as a reader sees four groups.
- A *long word* has more than six letters (digits do not count as letters).
- A *sentence* ends at ``.``, ``!``, ``?`` or ``:`` followed by a space and a capital letter
  (or a quote or bullet), or by a line break or the end of the text. A line break also ends a
  sentence by itself, so each bullet point is a sentence of its own, as a reader takes it.
  A full stop after an ordinal or abbreviation ("25. november", "kl. 9") followed by a small
  letter or a digit does not end one. Empty lines and lines without words are not sentences.
- Only the text is measured, not a question's options ("1) Dagpenge"): they are the names of
  benefits and meeting types, which the citizen knows and a rewrite cannot shorten.
- Placeholders (``{moededato}``) are read as one short word: what they stand for varies, and
  a date or a name does not make a text harder to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Lix", "lix"]

_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_PLACEHOLDER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
_SENTENCE_END = re.compile(r"[.!?:]+(?=\s+[A-ZÆØÅ\"“•(]|\s*$)")


@dataclass(frozen=True)
class Lix:
    words: int
    sentences: int
    long_words: int

    @property
    def value(self) -> float:
        if not self.words:
            return 0.0
        return self.words / max(self.sentences, 1) + 100 * self.long_words / self.words


def _letters(word: str) -> int:
    return sum(1 for ch in word if ch.isalpha())


def lix(text: str) -> Lix:
    """The LIX counts of ``text`` (see the module docstring for the rules)."""
    text = _PLACEHOLDER.sub("x", text)
    words = sentences = long_words = 0
    for line in text.splitlines():
        for sentence in _SENTENCE_END.split(line):
            found = _WORD.findall(sentence)
            if not found:
                continue
            sentences += 1
            words += len(found)
            long_words += sum(1 for w in found if _letters(w) > 6)
    return Lix(words, sentences, long_words)
