"""Signals read before anything else in a message: a citizen in crisis, frustration or abuse,
"what can you do?", no fixed address, a lost job. Each starts its own flow, whatever the bot
was doing, because the ordinary reading would answer the wrong question (a suicidal message with
a topic menu, "jeg har mistet mit job" with an afmelding, "jeg har ingen adresse" as "nej").

The concepts are data (``dialogues/omsorg.yml``): for each signal, regular expressions written
in ordinary Danish or English and folded at load time the way messages are folded (case,
æ/ø/å and their ASCII spellings, repeated letters, punctuation), so "selvmord", "SELVMOOORD" and
"slaa mig selv ihjel" meet the same pattern. ``words`` are single concept words also matched
with a typo or two ("selvmor", "slevmord") and inside compounds ("selvmordstanker").
A signal either starts a flow, or (``say:``, ``set:``) puts a sentence first and lets the
message be read as usual: sympathy for a bereaved citizen before the afbud is handled.
``not`` patterns are guards: the phrases they match ("ved at dø af kedsomhed", "min telefon er
død") are blanked out before the signal's own patterns are tried, so a harmless phrase never
triggers a signal but a real one elsewhere in the same message still does.
``fyldord`` are particles that colour a sentence without changing what it says ("jeg vil *bare*
ikke leve mere", "I *really* want to die"): a message is also tried with them left out, so a
pattern need not allow for every particle a citizen may put between its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from rapidfuzz import fuzz

from kcbot.errors import DataError
from kcbot.nlu.normalise import fold
from kcbot.yamlio import check_keys, load_yaml

__all__ = ["CareSignals", "Signal"]

FILE = "omsorg.yml"
SIGNAL_KEYS = {"flow", "say", "set", "sag", "event", "words", "patterns", "not", "when",
               "unless", "description", "yields"}
ALL = "alle"
# A word this close to a concept word (rapidfuzz ratio) counts as that word: one typo in
# "selvmord" gives 0.93, an unrelated word sharing a prefix ("selvskat") stays below.
FUZZY_RATIO = 85
FUZZY_MIN_LENGTH = 6
TYPO_CACHE = 4096  # tokens remembered per signal (the least recently used go first)
_WORD = re.compile(r"[^\W\d_]+")


def fold_pattern(pattern: str) -> str:
    """Fold the letters of a regular expression as messages are folded; its syntax stays.
    Alternatives must be whole words ("(?:slår|slået)"): "slå(?:r|et)" would fold apart."""
    return _WORD.sub(lambda m: fold(m.group()) or m.group(), pattern)


def _with_lists(pattern: str, named: dict[str, str]) -> str:
    """A pattern with each ``%name%`` replaced by the words of the file's ``ord`` list."""
    for key, words in named.items():
        pattern = pattern.replace(key, words)
    return pattern


def fold_alternatives(patterns: object) -> str:
    """A data file's list of patterns as one folded alternation; one that never matches for
    an empty list."""
    return "|".join(fold_pattern(str(p)) for p in patterns or []) or r"(?!)"  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Signal:
    name: str
    flow: str | None  # the flow it starts; None: a sentence first, then the message as usual
    say: str | None
    set: dict[str, str]
    sag: str | None
    event: str
    words: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    guards: tuple[re.Pattern[str], ...]
    when: tuple[str, ...]  # the flows (or intents) it may replace; ("alle",): always
    unless: tuple[str, ...] = ()  # intents or flows it leaves alone
    # a clear request in the same message is handled instead (after the ``say`` sentence, if
    # the signal has a flow and one: "er du en robot? jeg vil tale med en medarbejder")
    yields: bool = False

    def __post_init__(self) -> None:
        # Every message is tried against every signal: one search for all of a signal's
        # patterns (and one to see whether any guard applies) is several times cheaper than a
        # search per pattern, and finds the same.
        object.__setattr__(self, "_any_pattern", _alternation(self.patterns))
        object.__setattr__(self, "_any_guard", _alternation(self.guards))
        long_words = tuple(w for w in self.words if len(w) >= FUZZY_MIN_LENGTH)
        object.__setattr__(self, "_long_words", long_words)
        # only a word's length and a letter more of a token is compared: the cache key
        object.__setattr__(self, "_reach", max(map(len, long_words), default=0) + 1)
        # token (cut to the reach) -> whether it is a long word with a typo: this signal's own
        # answers, so the key is the token alone (a shared cache hashes the words every time)
        object.__setattr__(self, "_typo", lru_cache(maxsize=TYPO_CACHE)(
            partial(_near, words=long_words)))

    def matches(self, folded: str, tokens: list[str] | None = None) -> bool:
        """``tokens``: ``folded.split()``, when the caller has it already (one message is tried
        against every signal)."""
        if self.guards and self._any_guard.search(folded):
            for guard in self.guards:
                folded = guard.sub(" ", folded)
            tokens = None  # of the text before the guards
        if self.patterns and self._any_pattern.search(folded):
            return True
        words = self.words
        if not words:
            return False
        # A word begins a token, or a long token is a long word with a typo. Which pair is
        # found first does not matter, so the prefixes are tried in C first and the typos
        # word by word, cached (issue 16: the same long words come back message after message).
        if tokens is None:
            tokens = folded.split()
        for token in tokens:
            if token.startswith(words):
                return True
        long_words = self._long_words  # type: ignore[attr-defined]
        if not long_words:
            return False
        reach = self._reach  # type: ignore[attr-defined]
        typo = self._typo  # type: ignore[attr-defined]
        for token in tokens:
            if len(token) >= FUZZY_MIN_LENGTH and typo(token[:reach]):
                return True
        return False

    def without(self, text: str) -> str:
        """The message (folded) with this signal's phrases blanked out."""
        folded = f" {fold(text)} "
        for pattern in self.patterns:
            folded = pattern.sub(" ", folded)
        return " ".join(w for w in folded.split()
                        if not w.startswith(self.words))

    def applies(self, intent: str | None, flow: str | None) -> bool:
        if intent in self.unless or (flow is not None and flow in self.unless):
            return False
        return ALL in self.when or intent in self.when or (flow is not None and flow in self.when)


def _near(token: str, words: tuple[str, ...]) -> bool:
    """Whether ``token`` (long) is one of the long ``words`` with a typo or two: its beginning
    as long as the word and a letter more is at least ``FUZZY_RATIO`` alike."""
    return any(fuzz.ratio(token[: len(word) + 1], word) >= FUZZY_RATIO for word in words)


def _alternation(patterns: tuple[re.Pattern[str], ...]) -> _Searcher:
    """One pattern that matches where any of ``patterns`` does. Patterns with groups (a
    backreference would point elsewhere) or flags of their own are searched one by one."""
    if len(patterns) <= 1:  # as written ("^" anchors it: re tries one place)
        return patterns[0] if patterns else _Each(())
    plain = re.compile("").flags
    if all(p.groups == 0 and p.flags == plain for p in patterns):
        sources = [p.pattern for p in patterns]
        # "\b" written first in every pattern is written once in front: re then tries the
        # alternatives only where a word starts (several times faster on these patterns)
        lead = r"\b" if all(src.startswith(r"\b") and not _alternatives(src)
                            for src in sources) else ""
        try:
            return re.compile(lead + "(?:" + "|".join(
                f"(?:{src[len(lead):]})" for src in sources) + ")")
        except re.error:
            pass
    return _Each(patterns)


def _alternatives(source: str) -> bool:
    """Whether a pattern has a ``|`` outside any group (then a word boundary written first
    belongs to its first alternative only)."""
    depth, i, in_class = 0, 0, False
    while i < len(source):
        char = source[i]
        if char == "\\":
            i += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            if source[i + 1:i + 2] == "^":
                i += 1
            if source[i + 1:i + 2] == "]":  # a "]" first in a class is a character
                i += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
        i += 1
    return False


class _Each:
    def __init__(self, patterns: tuple[re.Pattern[str], ...]) -> None:
        self.patterns = patterns

    def search(self, text: str) -> bool:
        return any(p.search(text) for p in self.patterns)


_Searcher = re.Pattern[str] | _Each


@dataclass(frozen=True)
class CareSignals:
    signals: tuple[Signal, ...]
    fillers: re.Pattern[str] | None = None  # the particles a message is also read without

    @classmethod
    def load(cls, folder: Path) -> CareSignals:
        path = folder / FILE
        doc = load_yaml(path)
        raw = doc.get("signals") if isinstance(doc, dict) else None
        if not isinstance(raw, dict) or not raw:
            raise DataError(path, "signals", "mangler: en mapping signal -> flow og mønstre")
        lists = doc.get("ord") or {}
        if not isinstance(lists, dict) or not all(isinstance(v, list) for v in lists.values()):
            raise DataError(path, "ord", "skal være en mapping navn: [ord, …]")
        named = {f"%{key}%": "|".join(str(w) for w in words) for key, words in lists.items()}
        signals = []
        for name, spec in raw.items():
            where = f"signals.{name}"
            if not isinstance(spec, dict) or not (spec.get("flow") or spec.get("say")):
                raise DataError(path, where, "skal have 'flow' eller 'say'")
            check_keys(path, where, spec, SIGNAL_KEYS)
            if not isinstance(spec.get("set") or {}, dict):
                raise DataError(path, f"{where}.set", "skal være en mapping slot: værdi")

            def compile_all(key: str, spec: dict = spec, where: str = where
                            ) -> tuple[re.Pattern[str], ...]:
                out = []
                for i, text in enumerate(spec.get(key) or []):
                    try:
                        out.append(re.compile(fold_pattern(_with_lists(str(text), named))))
                    except re.error as exc:
                        raise DataError(path, f"{where}.{key}[{i}]", str(exc)) from None
                return tuple(out)

            signals.append(Signal(
                name=str(name),
                flow=str(spec["flow"]) if spec.get("flow") else None,
                say=str(spec["say"]) if spec.get("say") else None,
                set={str(k): str(v) for k, v in (spec.get("set") or {}).items()},
                sag=str(spec["sag"]) if spec.get("sag") else None,
                event=str(spec.get("event") or name),
                words=tuple(fold(str(w)) for w in spec.get("words") or []),
                patterns=compile_all("patterns"),
                guards=compile_all("not"),
                when=tuple(str(w) for w in spec.get("when") or [ALL]),
                unless=tuple(str(w) for w in spec.get("unless") or []),
                yields=bool(spec.get("yields")),
            ))
        fillers = [fold(str(w)) for w in (doc.get("fyldord") or []) if fold(str(w))]
        pattern = (re.compile(r"(?<= )(?:" + "|".join(re.escape(w) for w in fillers) + r") ")
                   if fillers else None)
        return cls(tuple(signals), pattern)

    def detect(self, text: str, intent: str | None = None,
               flow: str | None = None) -> Signal | None:
        """The first signal (in file order, so a crisis comes first) this message carries."""
        folded = f" {fold(text)} "
        views = [folded]
        if self.fillers is not None:
            plain = self.fillers.sub("", folded)  # a run of particles too: the lookbehind
            # reads the message as it was, so a removed particle's space still counts
            if plain != folded:
                views.append(plain)
        split = [(view, view.split()) for view in views]  # once, for every signal
        for signal in self.signals:
            if signal.applies(intent, flow):
                for view, tokens in split:
                    if signal.matches(view, tokens):
                        return signal
        return None

    def flows(self) -> set[str]:
        return {s.flow for s in self.signals if s.flow}
