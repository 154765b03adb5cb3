"""One label table: the codes kcbot stores, in the words staff read.

The words are data (``dialogues/etiketter.yml``) so that a supervisor can rename a topic
without a code change; the console, ``kcbot tickets`` and ``kcbot report`` all go through
:func:`label`. The words are Danish only: staff and every staff screen are Danish, and what a
Danish agent needs from an English conversation is on the ticket ("Borgeren skriver engelsk.")
and in the transcript (the citizen's words as written), not in translated labels. A table in
the older form, ``{da: …, en: …}`` per code, still loads (its Danish words).

A code the table lacks (a new flow not yet named) is shown with its underscores as spaces and a
capital letter, never as the bare identifier, and :func:`missing` lets a test find such gaps.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from pathlib import Path

from babel.dates import format_datetime

from kcbot.config import data_path
from kcbot.errors import DataError
from kcbot.yamlio import load_yaml

__all__ = ["KINDS", "Labels", "clock_time", "code_for", "label", "labels",
           "missing", "short_when", "when"]

KINDS = ("status", "sla", "queue", "topic", "borgergruppe", "outcome", "action")


class Labels:
    def __init__(self, table: dict[str, dict[str, str]]) -> None:
        self.table = table

    @classmethod
    def load(cls, path: Path | None = None) -> Labels:
        path = path or data_path("dialogues") / "etiketter.yml"
        doc = load_yaml(path) or {}
        table: dict[str, dict[str, str]] = {}
        for kind in KINDS:
            entries = doc.get(kind)
            if not isinstance(entries, dict):
                raise DataError(path, kind, f"mangler; forventede afsnit: {', '.join(KINDS)}")
            table[kind] = {}
            for code, words in entries.items():
                if isinstance(words, dict):  # the older {da: …, en: …} form
                    words = words.get("da")
                if not isinstance(words, str) or not words.strip():
                    raise DataError(path, f"{kind}.{code}", "skal have et ord på dansk")
                table[kind][str(code)] = words.strip()
        return cls(table)

    def get(self, kind: str, code: str | None) -> str:
        if code is None or code == "":
            return "–"
        words = self.table.get(kind, {}).get(code)
        if words is None:
            return code.replace("_", " ").capitalize()
        return words

    def code_for(self, kind: str, text: str) -> str | None:
        """The code whose label is ``text``, ignoring case."""
        wanted = text.strip().casefold()
        for code, words in self.table.get(kind, {}).items():
            if wanted in (code, words.casefold()):
                return code
        return None

    def missing(self, kind: str, codes: list[str] | tuple[str, ...]) -> list[str]:
        return [c for c in codes if c not in self.table.get(kind, {})]


@lru_cache(maxsize=1)
def labels() -> Labels:
    return Labels.load()


def label(kind: str, code: str | None) -> str:
    """``label("status", "genaabnet")`` → ``"Genåbnet"``."""
    return labels().get(kind, code)


def code_for(kind: str, text: str) -> str | None:
    return labels().code_for(kind, text)


def missing(kind: str, codes: list[str] | tuple[str, ...]) -> list[str]:
    return labels().missing(kind, codes)


def when(moment: str | datetime | None) -> str:
    """'26. nov. 2026 16.00': a time as staff read it (Babel, da_DK), in the CLI and console
    alike."""
    if moment is None or moment == "":
        return "–"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return format_datetime(moment, "d. MMM y HH.mm", locale="da_DK")


def short_when(moment: str | datetime) -> str:
    """'26. nov. 16.00': the same style without the year, for a list's narrow column."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return format_datetime(moment, "d. MMM HH.mm", locale="da_DK")


def clock_time(moment: str | datetime) -> str:
    """'10.34': the time of day alone, as in a transcript's margin."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return format_datetime(moment, "HH.mm", locale="da_DK")
