from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from kcbot.config import Settings, data_path
from kcbot.nlu import FALLBACK, INTENTS, NLU, load_training_data
from kcbot.nlu import classifier as classifier_module

TODAY = date(2026, 11, 24)


# Messages written for this test, not copied from intents/: the classifier must generalise.
@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("jeg kan ikke logge ind på jobnet, mitid driller", "jobnet_kode"),
        ("jeg har fået et brev om at jeg er blevet afmeldt, hvad gør jeg", "genregistrering"),
        ("må jeg holde ferie i januar når jeg er på dagpenge", "ferie"),
        ("jeg er rask igen fra i morgen", "raskmelding"),
        ("jeg har høj feber og er syg", "sygemelding"),
        ("jeg kan ikke komme til min samtale på torsdag", "afbud"),
        ("bussen er forsinket så jeg kommer for sent", "forsinkelse"),
        ("jeg glemte mit møde i går", "udeblivelse"),
        ("jeg har fået arbejde og skal afmeldes", "afmelding"),
        ("hvornår har i åbent i morgen", "aabningstid"),
        ("jeg har ikke fået mine penge i denne måned", "ydelse"),
        ("kan min sagsbehandler ringe til mig", "kontakt_sagsbehandler"),
        ("jeg vil have en anden sagsbehandler", "skift_sagsbehandler"),
        ("jeg vil klage over min behandling", "klage"),
        ("jeg har fået en partshøring", "partshoering"),
        ("jeg vil tale med et rigtigt menneske", "menneske"),
        ("hvad er løntilskud", "vejledning"),
        ("hej", "hilsen"),
        ("farvel", "farvel"),
        ("tusind tak", "tak"),
        ("ja", "bekraeft"),
        ("nej", "afkraeft"),
        ("hvordan fornyer jeg mit kørekort", "uden_for_omraade"),
    ],
)
def test_classifies_unseen_citizen_messages(nlu, text: str, intent: str) -> None:
    assert nlu.parse(text, TODAY).intent == intent


def test_ranking_covers_every_intent_with_probabilities(nlu) -> None:
    ranking = nlu.model.rank("jeg kan ikke komme i morgen")
    assert {name for name, _ in ranking} == set(INTENTS)
    confidences = [conf for _, conf in ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert math.isclose(sum(confidences), 1.0, rel_tol=1e-6)


def test_below_the_threshold_is_nlu_fallback_with_the_ranking_kept(nlu) -> None:
    # words the bot knows, saying nothing it can act on ("qwpoeiru zxmvn", the example before
    # stop 13, is no words at all and now gets no ranking: tests/test_nlu_readable.py)
    result = nlu.parse("kan du sige mere", TODAY)
    assert result.intent == FALLBACK
    assert result.confidence == nlu.threshold
    assert result.ranking  # the engine can still offer the likeliest topics
    assert result.ranking[0][1] < nlu.threshold
    assert nlu.parse("qwpoeiru zxmvn", TODAY).ranking == []


def test_threshold_is_configurable(nlu, monkeypatch) -> None:
    text = "jeg har et spørgsmål om noget"
    best, confidence = nlu.model.rank(text)[0]
    at_threshold = NLU(nlu.model, nlu.extractor, threshold=confidence)
    assert at_threshold.parse(text, TODAY).intent == best
    above = NLU(nlu.model, nlu.extractor, threshold=confidence + 1e-9)
    assert above.parse(text, TODAY).intent == FALLBACK
    monkeypatch.setenv("KCBOT_NLU_THRESHOLD", "0.7")
    assert Settings().nlu_threshold == 0.7


# The cache tests train on a few intents' files: what they check (a model kept per exact
# training data, retrained when it changes or is damaged) does not depend on the data's size,
# and a full training takes several seconds each time.
SMALL = ("hilsen.yml", "hilsen_en.yml", "tak.yml", "sygemelding.yml", "afbud.yml", "entities.yml")


def _small_intents(folder: Path) -> Path:
    folder.mkdir()
    for name in SMALL:
        source = data_path("intents") / name
        (folder / name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_cached_model_is_loaded_not_retrained(tmp_path: Path, monkeypatch) -> None:
    data = load_training_data(_small_intents(tmp_path / "intents"))
    first = classifier_module.load_or_train(data, tmp_path)
    assert list(tmp_path.glob("nlu-*.npz"))

    def no_training(*args, **kwargs):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(classifier_module, "train", no_training)
    second = classifier_module.load_or_train(data, tmp_path)
    assert second.rank("jeg er syg")[0] == pytest.approx(first.rank("jeg er syg")[0])


def test_changed_training_data_retrains(tmp_path: Path) -> None:
    folder = _small_intents(tmp_path / "intents")
    cache = tmp_path / "cache"
    classifier_module.load_or_train(load_training_data(folder), cache)
    with (folder / "tak.yml").open("a", encoding="utf-8") as f:
        f.write("    - tak for den gode snak\n")
    classifier_module.load_or_train(load_training_data(folder), cache)
    assert len(list(cache.glob("nlu-*.npz"))) == 2


def test_damaged_cache_is_retrained(tmp_path: Path) -> None:
    data = load_training_data(_small_intents(tmp_path / "intents"))
    path = classifier_module.cache_file(tmp_path, data)
    path.write_bytes(b"not a model")
    model = classifier_module.load_or_train(data, tmp_path)
    assert model.rank("hej")[0][0] == "hilsen"
