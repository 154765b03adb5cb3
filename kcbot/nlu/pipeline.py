"""The NLU pipeline: clean → classify → extract entities, in one call."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from kcbot.config import Settings
from kcbot.nlu.callback import CALLBACK_INTENT, asks_for_call
from kcbot.nlu.classifier import IntentModel, load_or_train
from kcbot.nlu.data import TrainingData, load_training_data, training_data
from kcbot.nlu.entities import Entity, EntityExtractor
from kcbot.nlu.normalise import clean, tokens
from kcbot.nlu.readable import readable_ranking
from kcbot.nlu.tense import state_now
from kcbot.privacy import mask_cpr

__all__ = ["FALLBACK", "NLU", "ParseResult"]

FALLBACK = "nlu_fallback"
RANKING_SIZE = 10
# Readings of common messages kept for the next citizen who writes the same (``NLU.common``):
# the answers to the bot's questions ("ja", "dagpenge", "jeg er syg", "2") come back all day.
PARSE_CACHE_SIZE = 1024
COMMON_WORDS = 6
_DIGIT = re.compile(r"\d")
# The state now decides only when it is clearly about something on its own.
STATE_NOW_CONFIDENCE = 0.85
# A call asked for in words decides over a topic the classifier is less sure of than this.
CALLBACK_DECIDES = 0.75


@dataclass
class ParseResult:
    text: str  # cleaned and CPR-masked: safe to store and show
    intent: str
    confidence: float
    ranking: list[tuple[str, float]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    # a message many citizens write alike (``NLU.common``): what is read from it may be kept
    common: bool = False

    def copy(self) -> ParseResult:
        return ParseResult(self.text, self.intent, self.confidence, list(self.ranking),
                           list(self.entities), self.common)

    def values(self, entity: str) -> list[str]:
        return [e.value for e in self.entities if e.entity == entity]

    def as_dict(self) -> dict[str, object]:
        return {
            "text": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "ranking": [
                {"intent": name, "confidence": round(conf, 4)} for name, conf in self.ranking
            ],
            "entities": [e.as_dict() for e in self.entities],
        }


class NLU:
    def __init__(self, model: IntentModel, extractor: EntityExtractor, threshold: float) -> None:
        self.model = model
        self.extractor = extractor
        self.threshold = threshold
        self._last: tuple[tuple[str, date, float], ParseResult] | None = None
        self._kept: OrderedDict[tuple[str, date, float], ParseResult] = OrderedDict()
        self.hits = self.misses = 0

    @classmethod
    def load(
        cls,
        settings: Settings | None = None,
        intents_dir: Path | None = None,
        data: TrainingData | None = None,
    ) -> NLU:
        settings = settings or Settings()
        data = data or (load_training_data(intents_dir) if intents_dir else training_data())
        model = load_or_train(data, settings.cache_dir)
        return cls(model, EntityExtractor(model.featurizer.lookups), settings.nlu_threshold)

    def parse(self, text: str, today: date) -> ParseResult:
        cleaned = clean(text)
        # The last reading is kept: the engine reads a message, then reading.topics reads the
        # same (cleaned) text again when it has no second part.
        key = (cleaned, today, self.threshold)
        last = self._last
        if last is not None and last[0] == key:
            return last[1].copy()
        kept_readings = self._kept
        kept = kept_readings.get(key)
        if kept is not None:
            kept_readings.move_to_end(key)
            self.hits += 1
            return kept.copy()
        self.misses += 1
        result = self._parse(cleaned, today)
        result.common = self.common(cleaned)
        if result.common:
            kept_readings[key] = result.copy()
            if len(kept_readings) > PARSE_CACHE_SIZE:
                kept_readings.popitem(last=False)
        else:
            self._last = (key, result.copy())
        return result

    def common(self, cleaned: str) -> bool:
        """Whether many citizens write this message alike: at most COMMON_WORDS words, each
        one the classifier was trained on, and at most two digits. Its reading is kept for the
        next citizen; a name, a phone or CPR number or a rare word makes a message the
        citizen's own, and it is not kept past its turn."""
        words = tokens(cleaned)
        if not 0 < len(words) <= COMMON_WORDS or len(_DIGIT.findall(cleaned)) > 2:
            return False
        known = self.model.vocabulary
        return all(f"w:{word}" in known for word in words)

    def _parse(self, cleaned: str, today: date) -> ParseResult:
        ranking = readable_ranking(self.model, cleaned, RANKING_SIZE)
        now = state_now(cleaned)
        if now is not None and ranking:
            # "jeg var raskmeldt i sidste uge, men nu er jeg syg igen": the state the citizen is
            # in now is what they write about, though the words of the one before weigh as much
            later = readable_ranking(self.model, cleaned[now:], RANKING_SIZE)
            if later and later[0][0] != ranking[0][0] and later[0][1] >= STATE_NOW_CONFIDENCE:
                ranking = later
        entities = self.extractor.extract(cleaned, today) if cleaned else []
        if (ranking and ranking[0][1] < CALLBACK_DECIDES
                and any(name == CALLBACK_INTENT for name, _ in ranking[:3])
                and asks_for_call(cleaned)):
            # "ring mig op tak, det handler om et brev": unsure between the request and its
            # topic, the request decides (kcbot/nlu/callback.py)
            intent, confidence = CALLBACK_INTENT, max(self.threshold, ranking[0][1])
            ranking = sorted(ranking, key=lambda item: item[0] != CALLBACK_INTENT)
        elif ranking and ranking[0][1] >= self.threshold:
            intent, confidence = ranking[0]
        else:
            # As Rasa's FallbackClassifier: the fallback's confidence is the threshold, and the
            # ranking keeps the real intents so a dialogue can offer the likeliest ones.
            intent, confidence = FALLBACK, self.threshold
        return ParseResult(mask_cpr(cleaned), intent, confidence, ranking, entities)
