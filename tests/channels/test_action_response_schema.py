"""The action server's answers are checked as Rasa checks them, with the schema checked once
(bot/action_response_schema.py)."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

import bot  # noqa: F401 (installs the check, as the Rasa server does when it imports the channels)
from bot import action_response_schema

ANSWERS: list[dict[str, Any]] = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "id_number", "value": "110101195003070013"}],
     "responses": [{"response": "utter_ask_person_name"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}]},
    {},
    # Refused by Rasa's schema:
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},
    {"responses": ["text, not an object"]},
    [],
]


def rasa_verdict(answer: Any) -> str | None:
    """What Rasa's own check (jsonschema.validate with the same schema) says."""
    try:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return error.message
    return None


@pytest.mark.parametrize("answer", ANSWERS, ids=range(len(ANSWERS)))
def test_each_answer_gets_rasas_verdict(answer: Any) -> None:
    action = RemoteAction("validate_status_form", None)
    expected = rasa_verdict(answer)
    if expected is None:
        assert action._validate_action_result(answer) is True
    else:
        with pytest.raises(jsonschema.ValidationError) as refused:
            action._validate_action_result(answer)
        assert refused.value.message.startswith(expected + ". Failed to validate Action server response")


def test_the_check_is_installed_once_and_the_schema_checked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = RemoteAction._validate_action_result
    action_response_schema.check_answers_with_one_validator()
    assert RemoteAction._validate_action_result is installed

    validator_class = jsonschema.validators.validator_for(RemoteAction.action_response_format_spec())
    schema_checks = []
    original_check = validator_class.check_schema.__func__
    monkeypatch.setattr(validator_class, "check_schema",
                        classmethod(lambda cls, schema, **kw: schema_checks.append(1) or original_check(cls, schema, **kw)))
    action_response_schema._answer_validator.cache_clear()
    action = RemoteAction("validate_status_form", None)
    for answer in ANSWERS[:4] * 5:
        action._validate_action_result(answer)
    assert len(schema_checks) == 1
    # Rasa's way checks it on every answer:
    for answer in ANSWERS[:4]:
        jsonschema.validate(answer, RemoteAction.action_response_format_spec())
    assert len(schema_checks) == 5
