"""``kcbot nlu --evaluate``: stratified k-fold cross-validation of the intent classifier.

Each fold trains the full model (calibration included) on the other folds and classifies the
held-out examples with the runtime predictor, so the figures describe what production runs."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace

import numpy as np

from kcbot.nlu.classifier import train
from kcbot.nlu.data import TrainingData
from kcbot.nlu.normalise import clean
from kcbot.nlu.readable import readable_ranking

__all__ = ["Evaluation", "evaluate"]


@dataclass
class Evaluation:
    folds: int
    examples: int
    accuracy: float
    macro_f1: float
    ece: float  # expected calibration error, 10 bins
    threshold: float
    fallback_rate: float  # share of held-out examples below the threshold
    accuracy_above_threshold: float
    confused: list[tuple[str, str, int]] = field(default_factory=list)  # (true, predicted, n)
    per_intent_f1: dict[str, float] = field(default_factory=dict)
    train_seconds: float = 0.0
    classify_ms: float = 0.0
    # per language (by training file): examples, intent accuracy, and how often the language
    # detector (kcbot/language.py) names the language, names the other one, or says nothing
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        d = dict(self.__dict__)
        d["confused"] = [{"true": t, "predicted": p, "count": n} for t, p, n in self.confused]
        return d

    def report(self) -> str:
        lines = [
            f"Krydsvalidering: {self.folds} fold, {self.examples} eksempler",
            f"  accuracy         {self.accuracy:.1%}",
            f"  macro-F1         {self.macro_f1:.3f}",
            f"  kalibrering ECE  {self.ece:.3f}",
            f"  under tærskel {self.threshold:.2f}: {self.fallback_rate:.1%} "
            f"(accuracy over tærsklen {self.accuracy_above_threshold:.1%})",
            f"  træning (fuld model): {self.train_seconds:.2f} s; "
            f"klassificering: {self.classify_ms:.3f} ms pr. besked",
        ]
        for code, figures in sorted(self.per_language.items()):
            lines.append(
                f"  sprog {code}: {int(figures['examples'])} eksempler, accuracy "
                f"{figures['accuracy']:.1%}; sprogkendelse rigtig {figures['detected']:.1%}, "
                f"forkert {figures['wrong_language']:.1%}, usikker {figures['undetermined']:.1%}")
        lines.append("Mest forvekslede (rigtig → gættet):")
        lines += [f"  {t} → {p}: {n}" for t, p, n in self.confused] or ["  (ingen)"]
        weakest = sorted(self.per_intent_f1.items(), key=lambda kv: kv[1])[:5]
        lines.append("Svageste intents (F1): " + ", ".join(f"{k} {v:.2f}" for k, v in weakest))
        return "\n".join(lines)


def evaluate(
    data: TrainingData, folds: int = 5, threshold: float = 0.45, seed: int = 0
) -> Evaluation:
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    texts = [t for t, _ in data.examples]
    truth = [i for _, i in data.examples]
    predicted: list[str] = [""] * len(texts)
    confidence = np.zeros(len(texts))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train_idx, test_idx in splitter.split(texts, truth):
        fold_data = replace(data, examples=[data.examples[i] for i in train_idx])
        model = train(fold_data)
        for i in test_idx:
            ranking = readable_ranking(model, clean(texts[i]))  # as the pipeline reads it
            predicted[i], confidence[i] = ranking[0] if ranking else ("", 0.0)

    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)])
    per_language = _per_language(texts, data.languages or ["da"] * len(texts), correct)
    labels = sorted(set(truth))
    per_intent = f1_score(truth, predicted, labels=labels, average=None, zero_division=0)
    confused = Counter((t, p) for t, p in zip(truth, predicted, strict=True) if t != p)
    above = confidence >= threshold

    bins = np.minimum((confidence * 10).astype(int), 9)
    ece = sum(
        abs(correct[bins == b].mean() - confidence[bins == b].mean()) * (bins == b).mean()
        for b in range(10)
        if (bins == b).any()
    )

    started = time.perf_counter()
    full = train(data)
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in texts:
        full.rank(text)
    classify_ms = (time.perf_counter() - started) * 1000 / len(texts)

    return Evaluation(
        folds=folds,
        examples=len(texts),
        accuracy=float(correct.mean()),
        macro_f1=float(per_intent.mean()),
        ece=float(ece),
        threshold=threshold,
        fallback_rate=float(1 - above.mean()),
        accuracy_above_threshold=float(correct[above].mean()) if above.any() else 0.0,
        confused=[(t, p, n) for (t, p), n in confused.most_common(8)],
        per_intent_f1={k: float(v) for k, v in zip(labels, per_intent, strict=True)},
        train_seconds=train_seconds,
        classify_ms=classify_ms,
        per_language=per_language,
    )


def _per_language(texts: list[str], languages: list[str],
                  correct: np.ndarray) -> dict[str, dict[str, float]]:
    from kcbot.language import MIN_FIRST_WORDS, detect

    codes = tuple(sorted(set(languages) | {"da", "en"}))
    seen = [detect(t, codes, MIN_FIRST_WORDS) for t in texts]
    out: dict[str, dict[str, float]] = {}
    for code in sorted(set(languages)):
        idx = [i for i, lang in enumerate(languages) if lang == code]
        n = len(idx)
        out[code] = {
            "examples": float(n),
            "accuracy": float(correct[idx].mean()),
            "detected": sum(seen[i] == code for i in idx) / n,
            "wrong_language": sum(seen[i] not in (code, None) for i in idx) / n,
            "undetermined": sum(seen[i] is None for i in idx) / n,
        }
    return out
