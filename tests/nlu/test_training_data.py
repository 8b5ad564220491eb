"""The NLU data keeps its promises: every contract intent has enough distinct examples, no
sentence is taught twice or as two intents, the held-out set stays out of the training data
(otherwise `make evaluate`'s held-out score would measure memory, not generalisation), and
every entity annotation starts and ends on a Jieba token boundary (DIET learns entities per
token: a misaligned annotation is silently dropped from its training)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData

REPO = Path(__file__).resolve().parents[2]
MIN_EXAMPLES = 25
# Punctuation, spaces and case do not make two sentences different.
NOISE = re.compile(r"[\s，。！？、,.!?~～…：:；;\"'“”‘’()（）]")


def normalised(text: str) -> str:
    return NOISE.sub("", text.lower())


def examples_by_intent(data: TrainingData) -> dict[str, list[str]]:
    by_intent: dict[str, list[str]] = defaultdict(list)
    for message in data.intent_examples:
        by_intent[message.get("intent")].append(message.get("text"))
    return by_intent


@pytest.fixture(scope="module")
def training_data() -> TrainingData:
    return load_data(str(REPO / "data" / "nlu"))


@pytest.fixture(scope="module")
def held_out_data() -> TrainingData:
    return load_data(str(REPO / "tests" / "test_nlu.yml"))


@pytest.fixture(scope="module")
def training(training_data: TrainingData) -> dict[str, list[str]]:
    return examples_by_intent(training_data)


@pytest.fixture(scope="module")
def held_out(held_out_data: TrainingData) -> dict[str, list[str]]:
    return examples_by_intent(held_out_data)


def test_every_contract_intent_has_enough_distinct_examples(training: dict[str, list[str]]) -> None:
    # The domain's intents are the contract (tests/actions/test_domain_contract.py);
    # EXTERNAL_ ones come from the backend, never from the NLU.
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    assert set(training) == {i for i in domain["intents"] if not i.startswith("EXTERNAL_")}
    thin = {intent: len({normalised(t) for t in texts}) for intent, texts in training.items()
            if len({normalised(t) for t in texts}) < MIN_EXAMPLES}
    assert thin == {}


def test_no_sentence_is_taught_as_two_intents(training: dict[str, list[str]]) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for intent, texts in training.items():
        for text in texts:
            seen[normalised(text)].add(intent)
    assert {text: intents for text, intents in seen.items() if len(intents) > 1} == {}


def test_no_sentence_is_taught_twice_as_the_same_intent(training: dict[str, list[str]]) -> None:
    # A copy doubles a sentence's weight in training and counts twice in cross-validation.
    copies = {intent: sorted(text for text, n in Counter(normalised(t) for t in texts).items() if n > 1)
              for intent, texts in training.items()}
    assert {intent: texts for intent, texts in copies.items() if texts} == {}


def test_held_out_sentences_are_not_in_the_training_data(
        training: dict[str, list[str]], held_out: dict[str, list[str]]) -> None:
    taught = {normalised(t) for texts in training.values() for t in texts}
    assert [t for texts in held_out.values() for t in texts if normalised(t) in taught] == []


def test_held_out_set_covers_every_intent(training: dict[str, list[str]], held_out: dict[str, list[str]]) -> None:
    assert set(held_out) == set(training)


def test_entities_start_and_end_on_token_boundaries(training_data: TrainingData,
                                                    held_out_data: TrainingData) -> None:
    import jieba  # the tokenizer config.yml uses, with the same user dictionaries

    for dictionary in sorted((REPO / "data" / "jieba").iterdir()):
        jieba.load_userdict(str(dictionary))
    misaligned = []
    for data in (training_data, held_out_data):
        for message in data.training_examples:
            bounds = {0}
            for _, start, end in jieba.tokenize(message.get("text")):
                bounds |= {start, end}
            misaligned += [(message.get("text"), e["value"]) for e in message.get("entities") or []
                           if e["start"] not in bounds or e["end"] not in bounds]
    assert misaligned == []
