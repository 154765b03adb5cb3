"""Stemming goes through PyStemmer, Snowball's own C implementation, which ``snowballstemmer``
uses by itself when it is installed (its pure-Python package imports the stemmers of all its 30
languages, ~10 ms of a cold start, for the one kcbot uses). The stems must be the ones the
pure-Python Danish stemmer gives, or the cached NLU model would read other features."""

from __future__ import annotations

import random
import re

import snowballstemmer
from snowballstemmer.danish_stemmer import DanishStemmer

from kcbot.nlu import normalise
from tests.conftest import REPO


def _data_words() -> list[str]:
    words: set[str] = set()
    for folder in ("intents", "dialogues"):
        for path in (REPO / folder).rglob("*.yml"):
            words.update(re.findall(r"[^\W\d_]+", path.read_text(encoding="utf-8").lower()))
    return sorted(words)


def test_kcbots_stemmer_is_the_c_one() -> None:
    import Stemmer

    assert isinstance(normalise._stemmer, Stemmer.Stemmer)


def test_the_c_stemmer_gives_the_pure_python_stems() -> None:
    c, python = snowballstemmer.stemmer("danish"), DanishStemmer()
    words = _data_words()
    assert len(words) > 2000
    rng = random.Random(16)
    letters = "abcdefghijklmnopqrstuvwxyzæøåéü-'"
    words += ["".join(rng.choice(letters) for _ in range(rng.randint(1, 14)))
              for _ in range(5000)]
    assert [c.stemWord(w) for w in words] == [python.stemWord(w) for w in words]
    # the stems kcbot's tokens are made of
    assert normalise.stem("jobsamtalerne") == python.stemWord("jobsamtalerne")
