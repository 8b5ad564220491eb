"""What the lean pipeline (docs/per-turn-cost.md) must still do without DIET: the entities that
slots take outside a form's question come from the regexes and lookups alone, and no
component of config.yml trains a TensorFlow model (DIET and TEDPolicy cost most of the memory,
the training time and a third of each turn)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.regex_entity_extractor import RegexEntityExtractor
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message
from rasa.core.policies.ted_policy import TEDPolicy
from rasa.core.policies.unexpected_intent_policy import UnexpecTEDIntentPolicy
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.nlu.selectors.response_selector import ResponseSelector

from pickup_rules.testing import BATCH_NUMBER_STYLES, older_holders

REPO = Path(__file__).resolve().parents[2]
# Rasa's components that train a TensorFlow model
TENSORFLOW = (DIETClassifier, ResponseSelector, TEDPolicy, UnexpecTEDIntentPolicy)


def test_no_component_trains_a_tensorflow_model() -> None:
    importer = TrainingDataImporter.load_from_config(str(REPO / "config.yml"), str(REPO / "domain.yml"),
                                                     [str(REPO / "data")])
    schema = DefaultV1Recipe().graph_config_for_recipe(importer.get_config(), {}).train_schema
    heavy = {name: node.uses.__name__ for name, node in schema.nodes.items() if issubclass(node.uses, TENSORFLOW)}
    assert heavy == {}


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> RegexEntityExtractor:
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource

    storage = LocalModelStorage(tmp_path_factory.mktemp("regex"))
    config = {**RegexEntityExtractor.get_default_config(), "use_lookup_tables": True, "use_regexes": True,
              "use_word_boundaries": False}
    component = RegexEntityExtractor.create(config, storage, Resource("regex"),
                                            ExecutionContext(GraphSchema({}), "test"))
    component.train(load_data(str(REPO / "data" / "nlu")).merge(load_data(str(REPO / "data" / "lookups"))))
    return component


def entities(extractor: RegexEntityExtractor, text: str) -> dict[str, str]:
    [message] = extractor.process([Message({TEXT: text})])
    return {e["entity"]: e["value"] for e in message.get("entities", [])}


@pytest.mark.parametrize("person", older_holders(6, seed=1961))
def test_id_numbers_and_phones_in_a_first_message_are_found(extractor: RegexEntityExtractor,
                                                             person: tuple[str, str]) -> None:
    name, id_number = person
    found = entities(extractor, f"我叫{name}，身份证{id_number}，电话13957112345，证书寄到家")
    assert found["id_number"] == id_number and found["phone"] == "13957112345"


# the regex's format (data/nlu/regexes.yml); other styles are taken as the form's answer
@pytest.mark.parametrize("batch_no", [b for b in BATCH_NUMBER_STYLES if b.upper().startswith("JD")] + ["JD2026-0312"])
def test_batch_numbers_in_the_regexs_format_are_found(extractor: RegexEntityExtractor, batch_no: str) -> None:
    assert entities(extractor, f"批次号是{batch_no}").get("batch_no") == batch_no


@pytest.mark.parametrize(("text", "city"), [("宁波哪里领证", "宁波"), ("我在温州，去哪领", "温州"),
                                            ("丽水领证点在哪", "丽水")])
def test_cities_are_found(extractor: RegexEntityExtractor, text: str, city: str) -> None:
    assert entities(extractor, text).get("city", "").startswith(city)
