"""The intent classifier of config.yml: trained on data/nlu it gets the held-out sentences
right with confident scores, survives being saved and loaded, and refuses a model file
holding anything but its own parts."""

from __future__ import annotations

from pathlib import Path

import pytest
import skops.io as sio
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from nlu_components.linear_intent_classifier import MODEL_FILE, LinearIntentClassifier

REPO = Path(__file__).resolve().parents[2]


class NotPartOfTheModel:
    pass


@pytest.fixture(scope="module")
def storage(tmp_path_factory: pytest.TempPathFactory) -> LocalModelStorage:
    return LocalModelStorage(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def context() -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name="linear_intent")


@pytest.fixture(scope="module")
def trained(storage: LocalModelStorage, context: ExecutionContext) -> LinearIntentClassifier:
    classifier = LinearIntentClassifier.create({}, storage, Resource("trained"), context)
    classifier.train(load_data(str(REPO / "data" / "nlu")).merge(load_data(str(REPO / "data" / "lookups"))))
    return classifier


def classify(classifier: LinearIntentClassifier, texts: list[str]) -> list[Message]:
    return classifier.process([Message.build(text=text) for text in texts])


def test_held_out_sentences_are_classified_confidently(trained: LinearIntentClassifier) -> None:
    held_out = load_data(str(REPO / "tests" / "test_nlu.yml")).intent_examples
    messages = classify(trained, [m.get("text") for m in held_out])
    right = [m.get("intent") for m, truth in zip(messages, held_out) if m.get("intent")["name"] == truth.get("intent")]
    assert len(right) >= 0.95 * len(held_out)
    # the fallback threshold is 0.4 and the forms take a message as an answer below 0.8
    assert sum(intent["confidence"] >= 0.8 for intent in right) >= 0.9 * len(right)


def test_ranking_is_a_sorted_share_of_one(trained: LinearIntentClassifier) -> None:
    (message,) = classify(trained, ["领证要带什么"])
    ranking = message.get("intent_ranking")
    confidences = [entry["confidence"] for entry in ranking]
    assert message.get("intent") == ranking[0] and ranking[0]["name"] == "ask_materials"
    assert confidences == sorted(confidences, reverse=True) and len(ranking) == 10
    # the top ten of a softmax over all intents
    assert sum(confidences) <= 1.0 + 1e-9 and confidences[0] > 0.5
    assert 1.0 < trained.temperature < 100.0


def test_the_document_a_question_is_about_decides_whether_it_is_in_scope(trained: LinearIntentClassifier) -> None:
    # collecting this certificate with an ID card; collecting an ID card
    messages = classify(trained, ["领证要带身份证吗", "领身份证要带什么", "护照丢了怎么补办", "证书丢了怎么补办"])
    assert [m.get("intent")["name"] for m in messages] == ["ask_materials", "out_of_scope", "out_of_scope", "ask_lost"]


def test_saved_and_loaded_it_classifies_the_same(trained: LinearIntentClassifier, storage: LocalModelStorage,
                                                  context: ExecutionContext) -> None:
    loaded = LinearIntentClassifier.load({}, storage, Resource("trained"), context)
    texts = ["我想让朋友帮我代领", "证书能寄到家吗", "谢谢啦", "社保卡丢了", "ling zhengshu"]
    assert [m.get("intent_ranking") for m in classify(loaded, texts)] == \
           [m.get("intent_ranking") for m in classify(trained, texts)]


def test_a_model_file_with_foreign_types_is_not_loaded(storage: LocalModelStorage,
                                                        context: ExecutionContext) -> None:
    with storage.write_to(Resource("foreign")) as model_dir:
        sio.dump({"model": NotPartOfTheModel(), "temperature": 1.0}, model_dir / MODEL_FILE)
    loaded = LinearIntentClassifier.load({}, storage, Resource("foreign"), context)
    assert loaded.model is None
    (message,) = classify(loaded, ["领证要带什么"])
    assert message.get("intent") is None


def test_two_intents_are_ranked_too(storage: LocalModelStorage, context: ExecutionContext) -> None:
    # sklearn's SVM gives a single margin column for two classes
    from rasa.shared.nlu.training_data.training_data import TrainingData
    examples = [Message.build(text=t, intent="greet") for t in ("你好", "您好", "哈喽", "在吗", "早上好")] + \
               [Message.build(text=t, intent="thank") for t in ("谢谢", "多谢", "感谢", "谢啦", "3q")]
    classifier = LinearIntentClassifier.create({}, storage, Resource("two"), context)
    classifier.train(TrainingData(examples))
    (message,) = classify(classifier, ["谢谢你"])
    assert [entry["name"] for entry in message.get("intent_ranking")] == ["thank", "greet"]
    assert abs(sum(entry["confidence"] for entry in message.get("intent_ranking")) - 1.0) < 1e-9
