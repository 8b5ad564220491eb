"""Intent classification by a linear SVM on character n-grams of the raw text.

Why not DIET for intents: on this data (short, colloquial Chinese, typos, traditional
characters) a linear model on tf-idf character 1–3-grams separates the intents better
and generalises better: 5-fold cross-validation (`make evaluate`) macro F1 0.975 against
DIET's 0.945–0.949, and 0.993 against 0.972 on the held-out sentences (README, "Figures").
(DIET left the pipeline in 2026-12: entities come from regexes, lookups and the forms' own
reading of each answer; docs/per-turn-cost.md.)

An SVM gives margins, not probabilities. Rasa's fallback threshold, the forms' "sure"
threshold and the hotline guide read confidences, so the margins go through a softmax
whose temperature is fitted at training time on cross-validated margins (temperature
scaling: the one value that makes those confidences best match how often they are right).
"""

from __future__ import annotations

import logging
import zipfile
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax, softmax
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers import LABEL_RANKING_LENGTH
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu_components import features
from nlu_components.features import DocumentFlags, DocumentMarker, LatinWords, Sounds

logger = logging.getLogger(__name__)

MODEL_FILE = "linear_intent_classifier.skops"
# what the saved pipeline is made of; skops refuses anything else unless trusted
TRUSTED_MODULES = ("sklearn.", "numpy.", "scipy.", "builtins.")
TRUSTED_TYPES = {f"{features.__name__}.{cls.__name__}" for cls in (DocumentFlags, DocumentMarker, LatinWords, Sounds)}
# The lookup table (data/lookups/) of other documents, services and offices.
DOCUMENT_LOOKUP = "other_document"


def documents_of(training_data: TrainingData) -> list[str]:
    """The other documents the training data's lookup table names (none without it)."""
    tables = [t["elements"] for t in training_data.lookup_tables if t.get("name") == DOCUMENT_LOOKUP]
    return [str(e) for table in tables if isinstance(table, list) for e in table]


def per_class(margins: np.ndarray) -> np.ndarray:
    """One margin per class and row: with two classes sklearn gives a single column (the
    second class's margin)."""
    return np.column_stack([-margins, margins]) if margins.ndim == 1 else margins


def fit(config: dict[str, Any], texts: list[str], intents: np.ndarray,
        documents: list[str]) -> tuple[Pipeline, float]:
    """The trained pipeline and its softmax temperature (also scripts/nlu_quickcheck.py's)."""
    config = {**LinearIntentClassifier.get_default_config(), **config}
    temperature = fitted_temperature(config, texts, intents, documents)
    model = LinearIntentClassifier.new_model(config, documents).fit(texts, intents)
    svm = model.named_steps["svm"]
    # half the resident size of the largest array (classes x features); margins differ ~1e-7
    svm.coef_ = svm.coef_.astype(np.float32)
    return model, temperature


def fitted_temperature(config: dict[str, Any], texts: list[str], intents: np.ndarray,
                       documents: list[str]) -> float:
    """The softmax temperature that minimises the log-loss of cross-validated margins."""
    # the indices are into the sorted intents, the column order of sklearn's margins
    _, truth, counts = np.unique(intents, return_inverse=True, return_counts=True)
    folds = min(config["calibration_folds"], int(counts.min()))
    if folds < 2:
        return 1.0
    cv = StratifiedKFold(folds, shuffle=True, random_state=config["random_seed"])
    margins = per_class(cross_val_predict(LinearIntentClassifier.new_model(config, documents), texts, intents,
                                          cv=cv, method="decision_function"))

    def log_loss(temperature: float) -> float:
        return -log_softmax(margins * temperature, axis=1)[np.arange(len(truth)), truth].mean()

    return float(minimize_scalar(log_loss, bounds=(0.1, 100.0), method="bounded").x)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LinearIntentClassifier(IntentClassifier, GraphComponent):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "min_ngram": 1,
            "max_ngram": 3,
            # weight of the Latin words (pinyin syllables, English) against the characters
            "latin_weight": 1.0,
            # weight of the message read as syllables (features.Sounds), 0 leaves them out,
            # and the longest run of syllables read as one feature
            "sounds_weight": 0.0,
            "sounds_max_ngram": 2,
            # n-grams seen in fewer training sentences are left out (the model's size)
            "min_df": 1,
            # weight of the two "another document named" flags (features.DocumentFlags)
            "document_flag_weight": 1.0,
            # the SVM's regularisation (sklearn's C): larger fits the training data closer
            "C": 1.0,
            # folds of the cross-validation whose margins fit the softmax temperature
            "calibration_folds": 5,
            "ranking_length": LABEL_RANKING_LENGTH,
            "random_seed": 1,
        }

    @staticmethod
    def required_packages() -> list[str]:
        return ["sklearn", "scipy", "skops"]

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: Pipeline | None = None, temperature: float = 1.0) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.temperature = temperature

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LinearIntentClassifier:
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str:
        """The features' source: Rasa retrains the model when they change (it fingerprints
        this class's source, and the lookup table as training data)."""
        import inspect
        import hashlib

        source = inspect.getsource(features).encode("utf-8")
        return hashlib.sha256(source + features.READINGS_FILE.read_bytes()).hexdigest()

    @classmethod
    def new_model(cls, config: dict[str, Any], documents: list[str] | tuple[str, ...] = ()) -> Pipeline:
        """The untrained features + SVM pipeline for a config (defaults filled in) and the other
        documents to mark; also what scripts/nlu_quickcheck.py cross-validates. A method, so
        that Rasa's fingerprint of this class (its source) retrains the model when the
        pipeline changes."""
        config = {**cls.get_default_config(), **config}
        return Pipeline([
            ("documents", DocumentMarker(list(documents))),
            ("features", FeatureUnion([
                ("chars", TfidfVectorizer(analyzer="char_wb", sublinear_tf=True, min_df=config["min_df"],
                                          ngram_range=(config["min_ngram"], config["max_ngram"]))),
                ("latin", Pipeline([
                    ("words", LatinWords()),
                    ("tfidf", TfidfVectorizer(analyzer="word", token_pattern=r"\S+", ngram_range=(1, 2),
                                              sublinear_tf=True)),
                ])),
                ("sounds", Pipeline([
                    ("syllables", Sounds()),
                    ("tfidf", TfidfVectorizer(analyzer="word", token_pattern=r"\S+", sublinear_tf=True,
                                              min_df=config["min_df"], ngram_range=(1, config["sounds_max_ngram"]))),
                ]) if config["sounds_weight"] else "drop"),
                ("flags", DocumentFlags(config["document_flag_weight"])),
            ], transformer_weights={"latin": config["latin_weight"], "sounds": config["sounds_weight"]})),
            ("svm", LinearSVC(C=config["C"], random_state=config["random_seed"])),
        ])

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            logger.debug("No intent examples: %s not trained.", type(self).__name__)
            return self._resource
        texts = [e.get(TEXT) for e in examples]
        intents = np.array([e.get(INTENT) for e in examples])
        self.model, self.temperature = fit(self.config, texts, intents, documents_of(training_data))
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            confidences = softmax(per_class(self.model.decision_function([text]))[0] * self.temperature)
            ranking = sorted(({"name": str(name), "confidence": float(conf)}
                              for name, conf in zip(self.model.classes_, confidences)),
                             key=lambda entry: -entry["confidence"])
            message.set(INTENT, ranking[0], add_to_output=True)
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        import skops.io as sio

        with self._model_storage.write_to(self._resource) as model_dir:
            # the vocabularies are verbose JSON in skops' schema: ~40 MB stored, ~5 MB deflated
            sio.dump({"model": self.model, "temperature": self.temperature}, model_dir / MODEL_FILE,
                     compression=zipfile.ZIP_DEFLATED)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LinearIntentClassifier:
        import skops.io as sio

        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / MODEL_FILE
                unknown = sio.get_untrusted_types(file=path)
                if any(not name.startswith(TRUSTED_MODULES) and name not in TRUSTED_TYPES for name in unknown):
                    raise ValueError(f"unexpected types in {path.name}: {unknown}")
                saved = sio.load(path, trusted=unknown)
        except ValueError:
            logger.debug("%s has no trained model in %s.", cls.__name__, resource.name)
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["model"], saved["temperature"])
