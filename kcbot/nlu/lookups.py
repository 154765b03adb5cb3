"""Lookup tables and synonyms from ``intents/``, matched on folded text.

Lookups named ``tema_*`` are topic keywords: classifier features only. Every other lookup is an
entity (``borgergruppe``, ``moedetype``, ...) whose matches are also classifier features."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kcbot.nlu.data import TrainingData
from kcbot.nlu.normalise import fold

__all__ = ["TOPIC_PREFIX", "LookupMatch", "LookupMatcher"]

TOPIC_PREFIX = "tema_"
# Danish endings a phrase may carry and still match: "samtale" matches "samtalen", "samtaler".
_INFLECTION = r"(?:e|en|et|er|ne|ene|erne|ens|ets|s|n|t)?"


@dataclass(frozen=True)
class LookupMatch:
    name: str
    value: str
    start: int  # offsets in the folded text
    end: int

    @property
    def is_topic(self) -> bool:
        return self.name.startswith(TOPIC_PREFIX)


class LookupMatcher:
    def __init__(self, data: TrainingData) -> None:
        self._tables: list[tuple[str, re.Pattern[str], dict[str, str]]] = []
        for name, phrases in data.lookups.items():
            values = {fold(p): data.synonyms.get(p.lower(), p) for p in phrases if fold(p)}
            alternatives = sorted(values, key=len, reverse=True)
            pattern = re.compile(
                r"\b(" + "|".join(re.escape(p) for p in alternatives) + rf"){_INFLECTION}\b"
            )
            self._tables.append((name, pattern, values))

    def matches(self, folded: str) -> list[LookupMatch]:
        return [
            LookupMatch(name, values[m.group(1)], m.start(), m.end())
            for name, pattern, values in self._tables
            for m in pattern.finditer(folded)
        ]
