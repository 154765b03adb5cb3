"""The intent classifier: TF-IDF features and multinomial logistic regression.

Training uses scikit-learn; classifying does not. scikit-learn takes ~0.7 s and ~100 MB just to
import, which would break the one-second cold start, so a trained model is exported to plain
numpy arrays (vocabulary, idf, weights) and applied by ``IntentModel.rank`` with the same
arithmetic scikit-learn uses (sublinear tf × idf, l2 norm, softmax). The export is cached on disk
keyed by the training data's hash, so a normal start only loads it.

Confidences are calibrated by temperature scaling: one temperature, fitted on out-of-fold
predictions, so that "0.8" means right about eight times in ten on data the model did not see.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from kcbot.nlu.data import TrainingData
from kcbot.nlu.features import FEATURE_VERSION, Featurizer, _char_grams
from kcbot.nlu.lookups import LookupMatcher

__all__ = ["IntentModel", "load_or_train", "train"]

log = logging.getLogger(__name__)

C = 20.0
CALIBRATION_FOLDS = 2


@dataclass
class IntentModel:
    classes: list[str]
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_features,)
    weights: np.ndarray  # (n_features, n_classes)
    bias: np.ndarray  # (n_classes,)
    featurizer: Featurizer
    temperature: float = 1.0
    digest: str = ""

    def __post_init__(self) -> None:
        # The idf folded into the weights once: a message's logits are then one gather and one
        # product (tf · (idf × W)[idx] / ‖tf × idf‖). Same arithmetic as scikit-learn's, in
        # another order: tests/test_nlu_shortcuts.py compares it with the plain computation.
        self._scaled = np.ascontiguousarray(self.weights * self.idf[:, None])
        self._idf = np.ascontiguousarray(self.idf, dtype=np.float64)
        # A word's character n-grams, as vocabulary indices: the same words come back all day.
        self._gram_ids = lru_cache(maxsize=65536)(self._known_grams)

    def _known_grams(self, word: str) -> tuple[int, ...]:
        get = self.vocabulary.get
        return tuple(j for j in map(get, _char_grams(word)) if j is not None)

    def logits(self, text: str) -> np.ndarray | None:
        get = self.vocabulary.get
        words, folded_words, lookups = self.featurizer.parts(text)
        ids = [j for j in map(get, words + lookups) if j is not None]
        for word in folded_words:
            ids += self._gram_ids(word)
        if not ids:
            return None
        # Each feature once with its count, in numpy: a message has ~120 known features, and
        # a Python loop over them (a log, a product and two appends each) cost 40 % more.
        idx, counts = np.unique(np.array(ids, dtype=np.intp), return_counts=True)
        tf = np.log(counts)
        tf += 1.0
        values = tf * self._idf.take(idx)
        z = tf @ self._scaled.take(idx, axis=0)
        z /= math.sqrt(values @ values)
        z += self.bias
        return z

    def rank(self, text: str, top: int | None = None) -> list[tuple[str, float]]:
        """The intents with calibrated confidences, best first (the ``top`` best, or all).
        Empty if nothing is known."""
        z = self.logits(text)
        if z is None:
            return []
        # A softmax over a few dozen classes: plain Python costs less than numpy's calls.
        scaled = (z / self.temperature).tolist()
        high = max(scaled)
        exps = [math.exp(v - high) for v in scaled]
        total = math.fsum(exps)
        order = sorted(range(len(exps)), key=exps.__getitem__, reverse=True)[:top]
        classes = self.classes
        return [(classes[i], exps[i] / total) for i in order]

    # -- persistence ------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        features = [""] * len(self.vocabulary)
        for feat, j in self.vocabulary.items():
            features[j] = feat
        tmp = path.with_suffix(".tmp.npz")
        np.savez(
            tmp,
            meta=np.frombuffer(
                json.dumps(
                    {"classes": self.classes, "temperature": self.temperature,
                     "digest": self.digest, "features": features}
                ).encode(),
                dtype=np.uint8,
            ),
            idf=self.idf,
            weights=self.weights.astype(np.float32),
            bias=self.bias,
        )
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path, featurizer: Featurizer) -> IntentModel:
        with np.load(path, allow_pickle=False) as npz:
            meta = json.loads(npz["meta"].tobytes())
            return cls(
                classes=meta["classes"],
                vocabulary={feat: j for j, feat in enumerate(meta["features"])},
                idf=npz["idf"],
                weights=npz["weights"].astype(np.float64),
                bias=npz["bias"],
                featurizer=featurizer,
                temperature=float(meta["temperature"]),
                digest=meta["digest"],
            )


def _identity(features: list[str]) -> list[str]:
    return features


def _fit(features: list[list[str]], labels: list[str]):  # -> (vectorizer, classifier)
    """Fit on featurized examples. newton-cg converges in a handful of iterations here, about
    eight times faster than lbfgs on this many classes."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=_identity, sublinear_tf=True, norm="l2")
    x = vectorizer.fit_transform(features)
    classifier = LogisticRegression(C=C, max_iter=200, solver="newton-cg")
    classifier.fit(x, labels)
    return vectorizer, classifier


def _fit_temperature(logits: np.ndarray, truth: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood of held-out predictions."""
    best_t, best_nll = 1.0, float("inf")
    for t in np.geomspace(0.25, 8.0, 80):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -log_p[np.arange(len(truth)), truth].mean()
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def train(
    data: TrainingData, calibrate: bool = True, featurizer: Featurizer | None = None
) -> IntentModel:
    featurizer = featurizer or Featurizer(LookupMatcher(data))
    texts = [featurizer(text) for text, _ in data.examples]  # featurized once for all fits
    labels = [intent for _, intent in data.examples]
    vectorizer, classifier = _fit(texts, labels)
    classes = [str(c) for c in classifier.classes_]
    temperature = 1.0
    if calibrate:
        from sklearn.model_selection import StratifiedKFold

        index = {c: i for i, c in enumerate(classes)}
        truth = np.array([index[label] for label in labels])
        held_out = np.zeros((len(texts), len(classes)))
        folds = StratifiedKFold(CALIBRATION_FOLDS, shuffle=True, random_state=0)
        for train_idx, test_idx in folds.split(texts, truth):
            vec, clf = _fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
            cols = [index[str(c)] for c in clf.classes_]
            held_out[np.ix_(test_idx, cols)] = clf.decision_function(
                vec.transform([texts[i] for i in test_idx])
            )
        temperature = _fit_temperature(held_out, truth)
    return IntentModel(
        classes=classes,
        vocabulary={str(k): int(v) for k, v in vectorizer.vocabulary_.items()},
        idf=np.asarray(vectorizer.idf_, dtype=np.float64),
        weights=np.ascontiguousarray(classifier.coef_.T, dtype=np.float64),
        bias=np.asarray(classifier.intercept_, dtype=np.float64),
        featurizer=featurizer,
        temperature=temperature,
        digest=data.digest,
    )


def cache_file(cache_dir: Path, data: TrainingData) -> Path:
    return cache_dir / f"nlu-{FEATURE_VERSION}-{data.digest[:20]}.npz"


def load_or_train(data: TrainingData, cache_dir: Path | None) -> IntentModel:
    """Load the cached model for exactly this data, or train one and cache it."""
    path = cache_file(cache_dir, data) if cache_dir else None
    featurizer = Featurizer(LookupMatcher(data, cache_dir))
    if path and path.is_file():
        try:
            model = IntentModel.load(path, featurizer)
            if model.digest == data.digest:
                return model
        except (OSError, ValueError, KeyError) as exc:  # a damaged cache is retrained
            log.warning("NLU cache %s could not be read (%s); retraining", path, exc)
    started = time.perf_counter()
    model = train(data, featurizer=featurizer)
    log.info("NLU model trained in %.2f s", time.perf_counter() - started)
    if path:
        try:
            model.save(path)
        except OSError as exc:
            log.warning("NLU cache %s could not be written (%s)", path, exc)
    return model
