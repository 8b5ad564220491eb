"""The actions and the domain agree: every response an action names exists, no response
can print a full ID number, every form has its validation action, the intent contract holds."""

from __future__ import annotations

import re
from pathlib import Path

from rasa_sdk.executor import ActionExecutor

ACTIONS_DIR = Path(__file__).resolve().parents[2] / "actions"
CONTRACT_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny", "bot_challenge", "human_handoff", "ask_materials",
    "ask_location", "ask_office_hours", "ask_deadline", "ask_pickup_notice", "request_mail", "request_proxy",
    "ask_organization_pickup", "check_status", "ask_fee", "ask_verify", "ask_lost", "ask_e_certificate",
    "ask_correction", "ask_legal_basis", "subscribe_notice", "inform", "stop", "out_of_scope",
}
CONTRACT_ENTITIES = {"person_name", "id_number", "phone", "address", "city", "pickup_method", "occupation",
                     "level", "batch_no"}


def response_names_in_actions() -> set[str]:
    """Responses chosen in code: by actions, and by the channels (bot/), which send
    `utter_text_only` themselves for messages Rasa cannot read."""
    names: set[str] = set()
    for folder in (ACTIONS_DIR, ACTIONS_DIR.parent / "bot"):
        for path in folder.rglob("*.py"):
            names |= set(re.findall(r'"(utter_[a-z_]+)"', path.read_text(encoding="utf-8")))
    return names


def test_every_response_named_by_an_action_exists(domain: dict) -> None:
    assert response_names_in_actions() - set(domain["responses"]) == set()


def test_no_response_prints_a_full_id_number(domain: dict) -> None:
    for name, variants in domain["responses"].items():
        for variant in variants:
            placeholders = set(re.findall(r"(?<!\{)\{([a-z_]+)\}(?!\})", variant.get("text", "")))
            assert not placeholders & {"id_number", "proxy_id_number", "collector_id_number"}, name


def test_every_form_has_a_registered_validation_action(domain: dict) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    for form in domain["forms"]:
        assert f"validate_{form}" in executor.actions
        assert f"validate_{form}" in domain["actions"]
    declared = {a if isinstance(a, str) else next(iter(a)) for a in domain["actions"]}
    assert set(executor.actions) == declared


# Set by the backend through Rasa's HTTP API (a pushed pickup notice), never by the NLU.
EXTERNAL_INTENTS = {"EXTERNAL_pickup_notice", "EXTERNAL_application_update"}
EXTERNAL_ENTITIES = {"notice_id"}


def test_intent_and_entity_contract(domain: dict) -> None:
    assert set(domain["intents"]) == CONTRACT_INTENTS | EXTERNAL_INTENTS
    assert set(domain["entities"]) == CONTRACT_ENTITIES | EXTERNAL_ENTITIES


def test_external_intents_are_not_in_the_nlu_data() -> None:
    nlu = "\n".join(p.read_text(encoding="utf-8") for p in (ACTIONS_DIR.parent / "data" / "nlu").glob("*.yml"))
    for intent in EXTERNAL_INTENTS:
        assert f"intent: {intent}" not in nlu
    assert "notice_id" not in nlu


def test_every_required_slot_is_asked(domain: dict) -> None:
    for form, spec in domain["forms"].items():
        for slot in spec["required_slots"]:
            assert f"utter_ask_{slot}" in domain["responses"] or f"utter_ask_{form}_{slot}" in domain["responses"]


def test_every_response_is_used_somewhere(domain: dict) -> None:
    """`rasa data validate` only sees responses used in stories and rules; this also
    counts those chosen by actions and the questions forms ask."""
    data_dir = ACTIONS_DIR.parent / "data"
    in_data: set[str] = set()
    for folder in ("rules", "stories"):
        for path in (data_dir / folder).glob("*.yml"):
            in_data |= set(re.findall(r"action: (utter_[a-z_]+)", path.read_text(encoding="utf-8")))
    asked = {f"utter_ask_{slot}" for spec in domain["forms"].values() for slot in spec["required_slots"]}
    asked |= {f"utter_ask_{form}_{slot}" for form, spec in domain["forms"].items() for slot in spec["required_slots"]}
    used = in_data | asked | response_names_in_actions() | {"utter_default"}  # utter_default: core fallback
    assert set(domain["responses"]) - used == set()


def test_interrupting_intents_are_the_ones_rules_answer_inside_forms() -> None:
    """Every intent a form leaves its question for has a rule that answers it inside forms:
    a general rule (answers.yml, notices.yml; RulePolicy goes back to the active form after
    it) or, for the questions that start a form of their own, a rule per form (forms.yml)."""
    import yaml

    from actions.forms.registry import FORMS, INTERRUPTING_INTENTS
    rules_dir = ACTIONS_DIR.parent / "data" / "rules"
    general = set()
    for name in ("answers.yml", "notices.yml"):
        for rule in yaml.safe_load((rules_dir / name).read_text(encoding="utf-8"))["rules"]:
            if "condition" not in rule:
                first = rule["steps"][0]
                general |= {s["intent"] for s in first["or"]} if "or" in first else {first["intent"]}
    per_form = set()
    for rule in yaml.safe_load((rules_dir / "forms.yml").read_text(encoding="utf-8"))["rules"]:
        actions = [step["action"] for step in rule["steps"] if "action" in step]
        if rule.get("condition") and actions[0] in ("action_office_info", "action_tell_materials"):
            first = rule["steps"][0]
            per_form |= {s["intent"] for s in first["or"]} if "or" in first else {first["intent"]}
    asked_inside = {intent for form in FORMS if form.answer_inside_forms for intent in form.starts}
    assert per_form == asked_inside
    assert INTERRUPTING_INTENTS == (general - {"greet", "goodbye", "thank", "nlu_fallback"}) | asked_inside | {"stop"}
