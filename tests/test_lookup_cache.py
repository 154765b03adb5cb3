"""The lookup tables' folded phrases are kept in the cache folder: a start reads them instead of
folding ~700 phrases again, finds the same things, and prepares them again when the training
data changes or the entry is damaged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kcbot.config import data_path
from kcbot.nlu import lookups
from kcbot.nlu.data import load_training_data
from kcbot.nlu.lookups import LookupMatcher

MESSAGES = [
    "jeg kan ikke komme til min jobsamtale i morgen, jeg har lungebetændelse",
    "jeg får kontanthjlp og min søn er syg",
    "afbud til tilbud på torsdag, bussen kører ikke",
]


def _found(matcher: LookupMatcher) -> list[list[tuple[str, str, int, int]]]:
    from kcbot.nlu.normalise import fold

    return [[(m.name, m.value, m.start, m.end) for m in
             matcher.matches(fold(text)) + matcher.near_matches(fold(text), [])]
            for text in MESSAGES]


def test_a_cached_matcher_finds_what_a_fresh_one_finds(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    data = load_training_data(data_path("intents"))
    fresh = _found(LookupMatcher(data))
    assert any(name == "afbud_kategori" for name, *_ in fresh[0])
    LookupMatcher(data, tmp_path)
    assert len(list(tmp_path.glob("lookups-*.pickle"))) == 1

    def refuse(data: object) -> None:
        raise AssertionError("prepared instead of read from the cache")

    monkeypatch.setattr(lookups, "_prepare", refuse)
    assert _found(LookupMatcher(data, tmp_path)) == fresh


def test_changed_training_data_is_prepared_again(tmp_path: Path) -> None:
    intents = tmp_path / "intents"
    shutil.copytree(data_path("intents"), intents)
    cache = tmp_path / "cache"
    before = LookupMatcher(load_training_data(intents), cache)
    assert before.matches("jeg har mavekneb") == []
    lookup = next(p for p in intents.glob("*.yml") if "lookup: afbud_kategori" in
                  p.read_text(encoding="utf-8"))
    text = lookup.read_text(encoding="utf-8").replace(
        "- lookup: afbud_kategori\n  examples: |\n",
        "- lookup: afbud_kategori\n  examples: |\n    - mavekneb\n", 1)
    assert "- mavekneb" in text
    lookup.write_text(text, encoding="utf-8")
    after = LookupMatcher(load_training_data(intents), cache)
    assert [m.value for m in after.matches("jeg har mavekneb")] == ["mavekneb"]
    assert len(list(cache.glob("lookups-*.pickle"))) == 2


def test_a_damaged_entry_only_costs_the_time(tmp_path: Path) -> None:
    data = load_training_data(data_path("intents"))
    fresh = _found(LookupMatcher(data))
    LookupMatcher(data, tmp_path)
    (entry,) = tmp_path.glob("lookups-*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])
    assert _found(LookupMatcher(data, tmp_path)) == fresh
    entry.write_bytes(b"\x80\x05cos\nsystem\n.")  # a global: refused, not called
    assert _found(LookupMatcher(data, tmp_path)) == fresh
