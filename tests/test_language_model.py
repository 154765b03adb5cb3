"""The language detector's model is unpacked once into the cache folder and read memory-mapped
after that; it answers as the packaged model does, and a damaged cache falls back to it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from kcbot import language

MESSAGES = [
    "jeg kan ikke komme til mit møde i morgen",
    "I can't come to my meeting tomorrow",
    "kan jeg holde ferie naar jeg faar dagpenge",
    "my son is sick, I need to cancel",
    "hej jeg har glemt min kode til jobnet",
]


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("KCBOT_CACHE_DIR", str(tmp_path))

    def reset() -> None:
        language._detector = None
        language._restricted.cache_clear()

    reset()
    yield tmp_path
    reset()


def _answers() -> list[tuple[str, float]]:
    identifier = language._restricted(("da", "en"))
    return [identifier.classify(m) for m in MESSAGES]


def test_the_cached_model_answers_as_the_packaged_one(fresh: Path) -> None:
    cached = _answers()
    folder = next(fresh.glob("sprogmodel-*"))
    assert (folder / "classes.txt").read_text(encoding="utf-8").split() == ["da", "en"]
    language._detector = language._packaged_identifier()
    language._restricted.cache_clear()
    packaged = _answers()
    assert [c for c, _ in cached] == [c for c, _ in packaged] == ["da", "en", "da", "en", "da"]
    assert [round(p, 4) for _, p in cached] == [round(p, 4) for _, p in packaged]


def test_a_damaged_cache_falls_back_to_the_packaged_model(fresh: Path) -> None:
    _answers()
    folder = next(fresh.glob("sprogmodel-*"))
    (folder / "tk_nextmove.npy").write_bytes(b"not numpy")
    language._detector = None
    language._restricted.cache_clear()
    assert [c for c, _ in _answers()] == ["da", "en", "da", "en", "da"]


def test_a_truncated_automaton_falls_back_to_the_packaged_model(fresh: Path) -> None:
    _answers()
    table = next(fresh.glob("sprogmodel-*")) / "tk_nextmove.npy"
    table.write_bytes(table.read_bytes()[:-1024])  # a row short: an interrupted copy
    language._detector = None
    language._restricted.cache_clear()
    assert [c for c, _ in _answers()] == ["da", "en", "da", "en", "da"]
    assert not isinstance(language._detector.tk_nextmove, language._Transitions)


def test_the_automaton_rows_kept_in_memory_are_bounded(
        fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever citizens write, the detector keeps at most ``MAX_ROWS`` rows of its automaton
    and ``MAX_STEPS`` transitions taken; dropped ones are read again and the answers stay the
    packaged model's."""
    monkeypatch.setattr(language._Transitions, "MAX_ROWS", 8)
    monkeypatch.setattr(language._Transitions, "MAX_STEPS", 64)
    many = MESSAGES + ["Ærøskøbing æøå ÆØÅ ünïcødé ∑ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 日本語のテキスト", "x" * 300]
    identifier = language._restricted(("da", "en"))
    transitions = identifier.tk_nextmove
    assert isinstance(transitions, language._Transitions)
    kept = []
    steps = []
    bounded = []
    for message in many * 2:
        bounded.append(identifier.classify(message))
        kept.append(len(transitions._rows))
        steps.append(len(transitions))
    assert max(kept) <= 8 and max(kept) > 0
    assert max(steps) <= 64 and max(steps) > 0
    language._detector = language._packaged_identifier()
    language._restricted.cache_clear()
    packaged = [language._restricted(("da", "en")).classify(m) for m in many * 2]
    assert [c for c, _ in bounded] == [c for c, _ in packaged]
    assert [round(p, 4) for _, p in bounded] == [round(p, 4) for _, p in packaged]


def test_the_cached_model_follows_the_configured_languages(
        fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache holds the model restricted to the languages of sprog.yml: one written for da
    and en must not serve a configuration (or kcbot version) that also has German."""
    assert language._identifier().nb_classes == ["da", "en"]
    configured = language.languages()
    with_german = dataclasses.replace(configured, by_code={**configured.by_code,
                                                           "de": configured.by_code["en"]})
    monkeypatch.setattr(language, "languages", lambda: with_german)
    language._detector = None
    language._restricted.cache_clear()
    assert sorted(language._identifier().nb_classes) == ["da", "de", "en"]
    identifier = language._restricted(("da", "de", "en"))
    assert identifier.classify("Ich kann morgen nicht zu meinem Termin kommen")[0] == "de"
