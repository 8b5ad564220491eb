"""Seconds-fast check of how well data/nlu separates its intents, for editing the data
between `make evaluate` runs (17 minutes): 5-fold cross-validation of a linear model on
character n-grams, per-intent F1 and the most frequent confusions; `-v` lists every
misclassified sentence. It reads about 0.03 higher than DIET (`make evaluate` is the
measure that counts), but an intent weak here is weak there too.

    .venv-rasa/bin/python scripts/nlu_quickcheck.py [-v]
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

from rasa.shared.nlu.training_data.loading import load_data
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import classification_report, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

REPO = Path(__file__).resolve().parents[1]


def main(verbose: bool) -> None:
    examples = load_data(str(REPO / "data" / "nlu")).intent_examples
    texts = [m.get("text") for m in examples]
    intents = [m.get("intent") for m in examples]
    model = make_pipeline(TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True), LinearSVC())
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
