"""Seconds-fast check of how well data/nlu separates its intents, for editing the data
between `make evaluate` runs (about 20 minutes): 5-fold cross-validation of the intent
classifier of config.yml (nlu_components/linear_intent_classifier.py, with the settings
config.yml gives it), per-intent F1 and the most frequent confusions; `-v` lists every
misclassified sentence. It leaves out what `make evaluate` adds (the fallback threshold,
the folds Rasa draws), so the figures differ slightly; `make evaluate` is the measure
that counts.

    .venv-rasa/bin/python scripts/nlu_quickcheck.py [-v]
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import yaml

from rasa.shared.nlu.training_data.loading import load_data
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from nlu_components.linear_intent_classifier import LinearIntentClassifier  # noqa: E402


def classifier_config() -> dict:
    """The settings config.yml gives the intent classifier."""
    pipeline = yaml.safe_load((REPO / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    (entry,) = [c for c in pipeline if c["name"].endswith(LinearIntentClassifier.__name__)]
    return {k: v for k, v in entry.items() if k != "name"}


def main(verbose: bool) -> None:
    examples = load_data(str(REPO / "data" / "nlu")).intent_examples
    texts = [m.get("text") for m in examples]
    intents = [m.get("intent") for m in examples]
    model = LinearIntentClassifier.new_model(classifier_config())
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


if __name__ == "__main__":
    main("-v" in sys.argv)
