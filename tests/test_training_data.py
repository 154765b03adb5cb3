"""The training data itself: the catalogue is complete, there is enough of it, and no example is
a copy of another with one word changed."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from kcbot.config import data_path
from kcbot.errors import DataError
from kcbot.nlu import INTENTS, load_training_data
from kcbot.nlu.normalise import fold

MAIN = INTENTS[:9]


@pytest.fixture(scope="module")
def data():
    return load_training_data(data_path("intents"))


def test_every_intent_has_enough_examples(data) -> None:
    counts: dict[str, int] = defaultdict(int)
    for _, intent in data.examples:
        counts[intent] += 1
    for intent in INTENTS:
        assert counts[intent] >= (40 if intent in MAIN else 20), intent


def _one_word_apart(a: list[str], b: list[str]) -> bool:
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    if abs(len(a) - len(b)) == 1:
        short, long_ = sorted((a, b), key=len)
        return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))
    return False


def test_no_example_is_a_copy_with_one_word_changed(data) -> None:
    by_intent: dict[str, list[list[str]]] = defaultdict(list)
    for text, intent in data.examples:
        by_intent[intent].append(fold(text).split())
    offenders = [
        (intent, " ".join(a), " ".join(b))
        for intent, examples in by_intent.items()
        for i, a in enumerate(examples)
        for b in examples[i + 1 :]
        if len(a) > 2 and len(b) > 2 and _one_word_apart(a, b)
    ]
    assert offenders == []


def test_no_example_is_listed_under_two_intents(data) -> None:
    seen: dict[str, str] = {}
    clashes = []
    for text, intent in data.examples:
        key = fold(text)
        if key in seen and seen[key] != intent:
            clashes.append((text, seen[key], intent))
        seen[key] = intent
    assert clashes == []


def test_malformed_file_names_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: ukendt_intent\n  examples: |\n    - hej\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        load_training_data(tmp_path)
    assert "bad.yml" in str(err.value) and "ukendt_intent" in str(err.value)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    broken = "nlu:\n- intent: hilsen\n  examples: [\n"
    (tmp_path / "broken.yml").write_text(broken, encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_training_data(tmp_path)
    assert "broken.yml" in str(err.value) and "linje" in str(err.value)
