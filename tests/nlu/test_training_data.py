"""The NLU data keeps its promises: every contract intent has enough distinct examples, no
sentence is taught twice or as two intents, the held-out set and the two evaluation sets of
tests/nlu_eval/ stay out of the training data (otherwise `make evaluate`'s figures would
measure memory, not generalisation), and every entity annotation starts and ends on a Jieba
token boundary (DIET learns entities per token: a misaligned annotation is silently dropped
from its training)."""

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
EVAL_SETS = REPO / "tests" / "nlu_eval"
# Development sets for tuning the NLU (scripts/nlu_quickcheck.py --dev), never trained on.
DEV_SETS = REPO / "tests" / "nlu_dev"
MIN_DEV_SIZES = {"colloquial": 150, "other_services": 90}
# The evaluation sets' promised sizes; colloquial has at least this many per intent.
MIN_EVAL_SIZES = {"colloquial": 200, "other_services": 300}
MIN_COLLOQUIAL_PER_INTENT = 5
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
def contract_intents() -> set[str]:
    # EXTERNAL_ intents come from the backend, never from the NLU.
    domain = yaml.safe_load((REPO / "domain.yml").read_text(encoding="utf-8"))
    return {i for i in domain["intents"] if not i.startswith("EXTERNAL_")}


@pytest.fixture(scope="module")
def eval_sets() -> dict[str, list[tuple[str, str]]]:
    """(intent, text) of each evaluation set, as Rasa loads it."""
    return {name: [(m.get("intent"), m.get("text"))
                   for m in load_data(str(EVAL_SETS / f"{name}.yml")).intent_examples]
            for name in MIN_EVAL_SIZES}


@pytest.fixture(scope="module")
def training(training_data: TrainingData) -> dict[str, list[str]]:
    return examples_by_intent(training_data)


@pytest.fixture(scope="module")
def held_out(held_out_data: TrainingData) -> dict[str, list[str]]:
    return examples_by_intent(held_out_data)


def test_every_contract_intent_has_enough_distinct_examples(training: dict[str, list[str]],
                                                            contract_intents: set[str]) -> None:
    # The domain's intents are the contract (tests/actions/test_domain_contract.py).
    assert set(training) == contract_intents
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


@pytest.mark.parametrize("name", sorted(MIN_EVAL_SIZES))
def test_evaluation_set_loads_every_line(name: str, eval_sets: dict[str, list[tuple[str, str]]]) -> None:
    # `rasa test nlu --nlu <file>` reads what load_data reads; a line it drops (a comment or
    # a stray character inside a block) would silently shrink the set.
    written = [line for block in yaml.safe_load((EVAL_SETS / f"{name}.yml").read_text(encoding="utf-8"))["nlu"]
               for line in block["examples"].splitlines() if line.strip()]
    assert all(line.startswith("- ") for line in written)
    assert len(eval_sets[name]) == len(written)


@pytest.mark.parametrize("name", sorted(MIN_EVAL_SIZES))
def test_evaluation_set_has_its_size_and_no_copies(name: str, eval_sets: dict[str, list[tuple[str, str]]]) -> None:
    texts = [normalised(text) for _, text in eval_sets[name]]
    assert len(set(texts)) >= MIN_EVAL_SIZES[name]
    assert sorted(t for t, n in Counter(texts).items() if n > 1) == []


@pytest.mark.parametrize("name", sorted(MIN_EVAL_SIZES))
def test_evaluation_set_uses_only_contract_intents(name: str, eval_sets: dict[str, list[tuple[str, str]]],
                                                   contract_intents: set[str]) -> None:
    assert {intent for intent, _ in eval_sets[name]} - contract_intents == set()


def test_other_services_are_all_out_of_scope(eval_sets: dict[str, list[tuple[str, str]]]) -> None:
    assert {intent for intent, _ in eval_sets["other_services"]} == {"out_of_scope"}


def test_colloquial_set_covers_every_contract_intent(eval_sets: dict[str, list[tuple[str, str]]],
                                                     contract_intents: set[str]) -> None:
    counts = Counter(intent for intent, _ in eval_sets["colloquial"])
    assert {i: counts[i] for i in contract_intents if counts[i] < MIN_COLLOQUIAL_PER_INTENT} == {}


def test_every_other_services_group_names_its_sources() -> None:
    # Each `- intent:` block is preceded by comment lines; at least one gives a URL.
    lines = (EVAL_SETS / "other_services.yml").read_text(encoding="utf-8").splitlines()
    unsourced = []
    for number, line in enumerate(lines):
        if line.startswith("- intent:"):
            comments = []
            for previous in reversed(lines[:number]):
                if not previous.startswith("#"):
                    break
                comments.append(previous)
            if not any("http" in c for c in comments):
                unsourced.append(number + 1)
    assert unsourced == []


@pytest.mark.parametrize("name", sorted(MIN_EVAL_SIZES))
def test_evaluation_set_stays_out_of_training_and_held_out(
        name: str, eval_sets: dict[str, list[tuple[str, str]]],
        training: dict[str, list[str]], held_out: dict[str, list[str]]) -> None:
    # Someone improves the model without reading these sets; a copied line would make
    # its figure measure memory.
    seen = {normalised(t) for texts in (*training.values(), *held_out.values()) for t in texts}
    assert [text for _, text in eval_sets[name] if normalised(text) in seen] == []


def test_evaluation_sets_share_no_sentence(eval_sets: dict[str, list[tuple[str, str]]]) -> None:
    colloquial = {normalised(text) for _, text in eval_sets["colloquial"]}
    assert [text for _, text in eval_sets["other_services"] if normalised(text) in colloquial] == []


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


@pytest.fixture(scope="module")
def dev_sets() -> dict[str, list[tuple[str, str]]]:
    return {name: [(m.get("intent"), m.get("text"))
                   for m in load_data(str(DEV_SETS / f"{name}.yml")).intent_examples]
            for name in MIN_DEV_SIZES}


@pytest.mark.parametrize("name", sorted(MIN_DEV_SIZES))
def test_development_set_has_its_size_no_copies_and_contract_intents(
        name: str, dev_sets: dict[str, list[tuple[str, str]]], contract_intents: set[str]) -> None:
    texts = [normalised(text) for _, text in dev_sets[name]]
    assert len(set(texts)) == len(texts) >= MIN_DEV_SIZES[name]
    assert {intent for intent, _ in dev_sets[name]} - contract_intents == set()


def test_development_sets_cover_what_they_tune(dev_sets: dict[str, list[tuple[str, str]]],
                                               contract_intents: set[str]) -> None:
    assert {intent for intent, _ in dev_sets["other_services"]} == {"out_of_scope"}
    assert {intent for intent, _ in dev_sets["colloquial"]} == contract_intents


@pytest.mark.parametrize("name", sorted(MIN_DEV_SIZES))
def test_development_set_stays_out_of_training_held_out_and_evaluation_sets(
        name: str, dev_sets: dict[str, list[tuple[str, str]]], eval_sets: dict[str, list[tuple[str, str]]],
        training: dict[str, list[str]], held_out: dict[str, list[str]]) -> None:
    # Tuning on lines the model was taught would measure memory; the evaluation sets are
    # someone else's, and neither set may hold their lines (the count only is reported).
    taught = {normalised(t) for texts in (*training.values(), *held_out.values()) for t in texts}
    assert [text for _, text in dev_sets[name] if normalised(text) in taught] == []
    unseen = {normalised(text) for lines in eval_sets.values() for _, text in lines}
    assert sum(normalised(text) in unseen for _, text in dev_sets[name]) == 0
