"""Seconds-fast check of how well data/nlu separates its intents, for editing the data
between `make evaluate` runs (about 20 minutes): 5-fold cross-validation of the intent
classifier of config.yml (nlu_components/linear_intent_classifier.py, with the settings
config.yml gives it and the lookup table of other documents in data/lookups/), per-intent
F1 and the most frequent confusions; `-v` lists every misclassified sentence. It leaves out
what `make evaluate` adds (the fallback threshold, the folds Rasa draws), so the figures
differ slightly; `make evaluate` is the measure that counts.

`--dev` trains once on all the data and reads the held-out set (tests/test_nlu.yml) and the
development sets (tests/nlu_dev/: colloquial in-domain messages, other documents'
questions) as the assistant would act on them, with config.yml's fallback thresholds;
with `-v` it lists what it got wrong. Never point it at tests/nlu_eval/.

    .venv-rasa/bin/python scripts/nlu_quickcheck.py [--dev] [-v]
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import numpy as np
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.special import softmax
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlu_components.linear_intent_classifier import (  # noqa: E402
    LinearIntentClassifier, documents_of, fit, per_class)

OUT_OF_SCOPE = "out_of_scope"
FALLBACK = "nlu_fallback"
DEV_SETS = {"held-out": REPO / "tests" / "test_nlu.yml",
            "dev colloquial": REPO / "tests" / "nlu_dev" / "colloquial.yml",
            "dev other_services": REPO / "tests" / "nlu_dev" / "other_services.yml"}


def pipeline_config(name: str) -> dict:
    """The settings config.yml gives a pipeline component (by the end of its name)."""
    pipeline = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    (entry,) = [c for c in pipeline if c["name"].endswith(name)]
    return {k: v for k, v in entry.items() if k != "name"}


def classifier_config() -> dict:
    """The settings config.yml gives the intent classifier."""
    return pipeline_config(LinearIntentClassifier.__name__)


def training_data() -> TrainingData:
    return load_data(str(REPO / "data" / "nlu")).merge(load_data(str(REPO / "data" / "lookups")))


def cross_validation(data: TrainingData, verbose: bool) -> None:
    examples = data.intent_examples
    texts = [m.get("text") for m in examples]
    intents = [m.get("intent") for m in examples]
    model = LinearIntentClassifier.new_model(classifier_config(), documents_of(data))
    predicted = cross_val_predict(model, texts, intents, cv=StratifiedKFold(5, shuffle=True, random_state=1))
    print(classification_report(intents, predicted, digits=3))
    print(f"{len(texts)} examples, macro F1 {f1_score(intents, predicted, average='macro'):.3f}")
    confusions = collections.Counter((a, b) for a, b in zip(intents, predicted) if a != b)
    for (actual, guess), count in confusions.most_common(20):
        print(f"{count:3} {actual} -> {guess}")
    if verbose:
        for text, actual, guess in sorted(zip(texts, intents, predicted), key=lambda row: row[1]):
            if actual != guess:
                print(f"{actual:24} -> {guess:24} {text}")


def development_sets(data: TrainingData, verbose: bool) -> None:
    examples = data.intent_examples
    model, temperature = fit(classifier_config(), [m.get("text") for m in examples],
                             np.array([m.get("intent") for m in examples]), documents_of(data))
    fallback = pipeline_config("FallbackClassifier")
    for name, path in DEV_SETS.items():
        gold = [(m.get("intent"), m.get("text")) for m in load_data(str(path)).intent_examples]
        confidences = softmax(per_class(model.decision_function([t for _, t in gold])) * temperature, axis=1)
        order = np.argsort(-confidences, axis=1)
        top = model.classes_[order[:, 0]]
        best = confidences[np.arange(len(gold)), order[:, 0]]
        second = confidences[np.arange(len(gold)), order[:, 1]]
        unsure = (best < fallback["threshold"]) | (best - second < fallback["ambiguity_threshold"])
        acted = np.where(unsure, FALLBACK, top)
        intents = [g for g, _ in gold]
        right = sum(g == t for g, t in zip(intents, top))
        line = (f"{name:20} {len(gold):4} sentences: accuracy {right / len(gold):.3f}, "
                f"with the fallback {sum(g == a for g, a in zip(intents, acted)) / len(gold):.3f}, "
                f"macro F1 {f1_score(intents, top, average='macro'):.3f}")
        in_domain = [a for g, a in zip(intents, acted) if g != OUT_OF_SCOPE]
        if in_domain:
            away = sum(a in (OUT_OF_SCOPE, FALLBACK) for a in in_domain)
            line += f", in-domain turned away {away}/{len(in_domain)}"
        print(line)
        if verbose:
            for (g, text), t, a, c in zip(gold, top, acted, best):
                if g != a:
                    print(f"   {g:24} -> {t:24} {c:.2f} {'(fallback) ' if a == FALLBACK else ''}{text}")


if __name__ == "__main__":
    data = training_data()
    if "--dev" in sys.argv:
        development_sets(data, "-v" in sys.argv)
    else:
        cross_validation(data, "-v" in sys.argv)
