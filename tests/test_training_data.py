"""The training data itself: the catalogue is complete, there is enough of it, no example is a
copy of another with one word changed, and the files are valid Rasa NLU data whose examples
annotate every entity."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from kcbot.config import data_path
from kcbot.errors import DataError
from kcbot.nlu import INTENTS, load_training_data
from kcbot.nlu.normalise import fold
from kcbot.yamlio import load_yaml

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


# -- Rasa NLU format and entity annotations ------------------------------------------------------
# The same folder trains a Rasa assistant, so it must pass Rasa's schema for NLU data, and the
# examples annotate entities so Rasa's extractors learn them too. Dates and times have no table
# in entities.yml (kcbot parses them in code) but are annotated as `dato` and `tid`.

CODE_ENTITIES = {"dato", "tid"}
ANNOTATION_KEYS = {"entity", "value", "role", "group"}
_ANNOTATED = re.compile(r"\[(?P<text>[^\[\]]+)\](?:\((?P<name>[^()]*)\)|(?P<json>\{[^{}]*\}))")


def _raw_files() -> list[tuple[Path, object]]:
    return [(p, load_yaml(p)) for p in sorted(data_path("intents").glob("*.yml"))]


def annotations(example: str) -> list[dict[str, str]]:
    """The entity annotations of one example, in Rasa 3 syntax; ValueError if one is broken."""
    found = []
    for m in _ANNOTATED.finditer(example):
        if m["json"] is not None:
            try:
                spec = json.loads(m["json"])
            except json.JSONDecodeError as exc:
                raise ValueError(f"{m['json']!r} er ikke gyldig JSON: {exc}") from None
            if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str):
                raise ValueError(f"{m['json']!r} skal være et objekt med 'entity'")
            if set(spec) - ANNOTATION_KEYS or not all(isinstance(v, str) for v in spec.values()):
                raise ValueError(f"{m['json']!r}: kun tekster under {sorted(ANNOTATION_KEYS)}")
        else:
            if not re.fullmatch(r"[a-z_]+", m["name"]):
                raise ValueError(f"({m['name']}) er ikke et entitetsnavn")
            spec = {"entity": m["name"]}
        if m["text"] != m["text"].strip() or not m["text"].strip():
            raise ValueError(f"[{m['text']}] skal have tekst uden mellemrum i kanterne")
        found.append({"text": m["text"], **spec})
    rest = _ANNOTATED.sub("", example)
    if any(c in rest for c in "[]{}"):
        raise ValueError(f"ubalancerede eller løse klammer i {example!r}")
    return found


def _examples(item: dict) -> list[str]:
    return [line.strip()[2:] for line in item["examples"].splitlines() if line.strip()]


def test_files_pass_the_rasa_nlu_schema() -> None:
    for path, doc in _raw_files():
        assert isinstance(doc, dict), path.name
        assert set(doc) <= {"version", "nlu"}, (path.name, set(doc))
        assert doc.get("version") == "3.1", path.name
        assert isinstance(doc["nlu"], list) and doc["nlu"], path.name
        for i, item in enumerate(doc["nlu"]):
            where = f"{path.name} nlu[{i}]"
            assert isinstance(item, dict), where
            kinds = [k for k in ("intent", "lookup", "synonym", "regex") if k in item]
            assert len(kinds) == 1, where
            assert set(item) <= {kinds[0], "examples", "metadata"}, (where, set(item))
            assert isinstance(item[kinds[0]], str) and item[kinds[0]], where
            block = item.get("examples")
            assert isinstance(block, str) and block.strip(), where
            for line in block.splitlines():
                if line.strip():
                    assert line.strip().startswith("- ") and line.strip()[2:].strip(), (
                        where, line)


def declared_entities() -> set[str]:
    doc = load_yaml(data_path("intents") / "entities.yml")
    return {
        str(item.get("lookup") or item.get("regex"))
        for item in doc["nlu"]
        if "regex" in item or ("lookup" in item and not str(item["lookup"]).startswith("tema_"))
    }


def _annotated_examples() -> list[tuple[str, str, list[dict[str, str]]]]:
    out = []
    for path, doc in _raw_files():
        for item in doc["nlu"]:
            if "intent" in item:
                for example in _examples(item):
                    try:
                        found = annotations(example)
                    except ValueError as exc:
                        pytest.fail(f"{path.name} ({item['intent']}): {exc}")
                    out.append((path.name, example, found))
    return out


def test_every_declared_entity_is_annotated_in_an_example() -> None:
    annotated = {a["entity"] for _, _, found in _annotated_examples() for a in found}
    assert declared_entities() - annotated == set()


def test_every_annotation_names_a_known_entity_and_value() -> None:
    known = declared_entities() | CODE_ENTITIES
    doc = load_yaml(data_path("intents") / "entities.yml")
    values = {str(item["synonym"]) for item in doc["nlu"] if "synonym" in item}
    if "ja" in values:  # a yes/no table names "nej" when negated ("har ingen MitID")
        values.add("nej")
    lookups = {
        str(item["lookup"]): {fold(p) for p in _examples(item)}
        for item in doc["nlu"] if "lookup" in item
    }
    for name, example, found in _annotated_examples():
        for a in found:
            assert a["entity"] in known, (name, example, a)
            if "value" in a:
                assert a["value"] in values | lookups.get(a["entity"], set()), (name, example, a)


def test_stripped_annotations_give_the_plain_text(data) -> None:
    texts = {text for text, _ in data.examples}
    assert not any(c in text for text in texts for c in "[]{}")
    assert "jeg kan ikke komme til min samtale i morgen" in texts


def test_annotation_syntax_is_checked() -> None:
    assert annotations('[a-kassen]{"entity": "borgergruppe", "value": "dagpenge"} ok') == [
        {"text": "a-kassen", "entity": "borgergruppe", "value": "dagpenge"}]
    assert annotations("[i morgen](dato)") == [{"text": "i morgen", "entity": "dato"}]
    for broken in ("[i morgen(dato)", "[i morgen]{entity: dato}", "i morgen](dato)",
                   '[x]{"entity": "dato", "farve": "blå"}', "[ i morgen](dato)"):
        with pytest.raises(ValueError):
            annotations(broken)


def test_annotations_agree_with_kcbots_own_extractor(data) -> None:
    """An annotated span is what kcbot's extractor finds there, with the same value: the
    annotations Rasa learns from and the tables kcbot matches with cannot drift apart."""
    from datetime import date

    from kcbot.nlu.entities import EntityExtractor
    from kcbot.nlu.lookups import LookupMatcher

    extractor = EntityExtractor(LookupMatcher(data))
    disagreements = []
    for name, example, _ in _annotated_examples():
        plain, spans, pos = [], [], 0
        for m in _ANNOTATED.finditer(example):
            plain.append(example[pos:m.start()])
            start = sum(map(len, plain))
            plain.append(m["text"])
            spec = json.loads(m["json"]) if m["json"] else {"entity": m["name"]}
            spans.append((start, start + len(m["text"]), spec))
            pos = m.end()
        plain.append(example[pos:])
        found = extractor.extract("".join(plain), date(2026, 11, 24))
        for start, end, spec in spans:
            same = [e for e in found if (e.start, e.end, e.entity) == (start, end, spec["entity"])]
            if not same or ("value" in spec and spec["value"] not in {e.value for e in same}):
                disagreements.append((name, example, spec))
    assert disagreements == []


def test_kcbots_own_training_data_is_parsed_on_first_use_and_a_broken_file_still_fails_the_start(
        tmp_path, monkeypatch) -> None:
    """``training_data()`` knows the files' digest (the cached model's key) at once and parses
    them when first asked: the same content as ``load_training_data``. A file that does not parse
    has another digest than any cached model, so loading the NLU parses it and fails."""
    import shutil

    from kcbot.config import Settings
    from kcbot.nlu import NLU
    from kcbot.nlu.data import training_data

    folder = tmp_path / "intents"
    shutil.copytree(data_path("intents"), folder)
    monkeypatch.setenv("KCBOT_INTENTS_DIR", str(folder))
    training_data.cache_clear()
    try:
        deferred, parsed = training_data(), load_training_data(folder)
        assert deferred.digest == parsed.digest
        assert "examples" not in vars(deferred)
        assert (deferred.examples, deferred.languages, deferred.synonyms, deferred.lookups,
                deferred.regexes) == (parsed.examples, parsed.languages, parsed.synonyms,
                                      parsed.lookups, parsed.regexes)

        (folder / "ferie.yml").write_text("nlu: ikke en liste\n", encoding="utf-8")
        training_data.cache_clear()
        with pytest.raises(DataError, match="ferie.yml"):
            NLU.load(Settings(cache_dir=tmp_path / "cache"))
    finally:
        training_data.cache_clear()
