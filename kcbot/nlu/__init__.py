"""Danish language understanding: normalisation, the intent classifier and entities."""

from __future__ import annotations

from kcbot.nlu.data import INTENTS, TrainingData, load_training_data
from kcbot.nlu.entities import Entity, EntityExtractor
from kcbot.nlu.normalise import clean, fold
from kcbot.nlu.pipeline import FALLBACK, NLU, ParseResult

__all__ = [
    "FALLBACK", "INTENTS", "NLU", "Entity", "EntityExtractor", "ParseResult", "TrainingData",
    "clean", "fold", "load_training_data",
]
