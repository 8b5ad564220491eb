"""The action server's answer checked against Rasa's schema, with the schema checked once.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate(answer, schema)`
(`RemoteAction._validate_action_result`). With the jsonschema Rasa pins (4.17), `validate`
first checks the *schema* against the 2020-12 metaschema on every call: under the load of
`make bench` that was 45 % of the Rasa process's CPU time (py-spy, 16 applicants at once,
each form turn two or three action calls). Here the validator is built, and its schema
checked, once per process; an answer it refuses goes to Rasa's own check, which raises the
error Rasa always raised (refusals are rare, so their extra schema check costs nothing).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def _answer_validator() -> Any:
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def check_answers_with_one_validator() -> None:
    """Idempotent: Rasa may import the channels more than once."""
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "_one_validator", False):
        return
    rasas_check = RemoteAction._validate_action_result

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if _answer_validator().is_valid(result):
            return True
        return rasas_check(self, result)  # a refused answer: Rasa's own check raises its own error

    _validate_action_result._one_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
