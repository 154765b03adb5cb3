"""Whether a message is text the classifier can read at all.

The classifier only sees the features it knows: of a string of random bytes it may know two
character n-grams and a stray "m" or "jo", and the L2-normalised vector of those few features
is as long as a whole sentence's, so the softmax can be sure of anything ("farvel" at 0.63 on
binary once ended a conversation). Confidence says which intent fits best among the known
features, not how much of the message was known. So before trusting it we ask how much of the
message is made of words the training data has: a message is readable when at least half of
its whitespace-separated tokens are known words, or, for messages with rarer words (English
with "football", "cast", a word only the held-out part of the data has), when at least half of
its tokens are shaped like words and most of its character n-grams are known.
Anything else is read as nothing (``nlu_fallback`` with an empty ranking): the bot says it did
not understand instead of guessing. Measured (stop 13): of 5,000 random byte strings of 12–60
bytes, 642 got an intent before and 7 after; of ~1,000 messages in the test corpora, two get
no intent now ("John Smith", "kontanthjalp"; answers to a question are read by the dialogue
without the intent); of the 1,926 training examples none.
"""

from __future__ import annotations

import re
from collections.abc import Container
from typing import TYPE_CHECKING

from kcbot.nlu.features import _char_grams
from kcbot.nlu.normalise import fold, tokens

if TYPE_CHECKING:
    from kcbot.nlu.classifier import IntentModel

__all__ = ["MIN_GRAM_SHARE", "MIN_GRAM_SHARE_WORDS", "MIN_WORD_SHARE", "readable",
           "readable_ranking"]

MIN_WORD_SHARE = 0.5
MIN_GRAM_SHARE = 0.6
MIN_GRAM_SHARE_WORDS = 0.3
_LETTERS = "a-zA-Z0-9æøåÆØÅéèêëüöäáàíóúñçÉÜÖÄ"
# a token shaped like a word: letters (the alphabets citizens write here) and digits, joined by
# hyphens or apostrophes, with punctuation only around it ("(MitID)", "don't", "a-kasse,")
_PUNCTUATION = r"""[\s"'“”‘’«»()\[\]{}<>.,;:!?¡¿*…/&+#%-]*"""
_WORD = re.compile(rf"^{_PUNCTUATION}([{_LETTERS}]+(?:[-'’][{_LETTERS}]+)*){_PUNCTUATION}$")


def _known_word(word: str, vocabulary: Container[str]) -> bool:
    parts = tokens(word)
    return len("".join(parts)) >= 2 and all(f"w:{p}" in vocabulary for p in parts)


def readable_ranking(model: IntentModel, cleaned: str,
                     top: int | None = None) -> list[tuple[str, float]]:
    """The model's ranking of ``cleaned``, or none when too little of it is known to guess
    from (random bytes, another script): how the pipeline, and its evaluation, read a message."""
    ranking = model.rank(cleaned, top) if cleaned else []
    if ranking and not readable(cleaned, model.vocabulary):
        return []
    return ranking


def readable(cleaned: str, vocabulary: Container[str]) -> bool:
    """Is enough of ``cleaned`` (a message after ``normalise.clean``) known to classify it?"""
    raw = cleaned.split()
    if not raw:
        return False
    shaped = known = 0
    for token in raw:
        match = _WORD.match(token)
        if match is not None:
            shaped += 1
            known += _known_word(match.group(1), vocabulary)
    if known >= MIN_WORD_SHARE * len(raw):
        return True
    if shaped < MIN_WORD_SHARE * len(raw):
        return False
    # the classifier's character n-gram features (features.py), without its other features
    grams = [g for word in fold(cleaned).split() for g in _char_grams(word)]
    # a message of words only ("cheers", "godnat") needs fewer known n-grams than one with
    # tokens that are no words at all
    share = MIN_GRAM_SHARE_WORDS if shaped == len(raw) else MIN_GRAM_SHARE
    return bool(grams) and sum(g in vocabulary for g in grams) >= share * len(grams)
