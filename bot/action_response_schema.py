"""The action server's answer checked against Rasa's schema, with the schema checked once.

Rasa 3.6 checks every answer of the action server with `jsonschema.validate(answer, schema)`
(`RemoteAction._validate_action_result`). With the jsonschema Rasa pins (4.17), `validate`
first checks the *schema* against the 2020-12 metaschema on every call: under the load of
`make bench` that was 45 % of the Rasa process's CPU time (py-spy, 16 applicants at once,
each form turn two or three action calls). Here the validator is built, and its schema
checked, once per process; each answer is then checked exactly as before: the same schema,
the same `best_match` error, the same message added to it.
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
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    if getattr(RemoteAction._validate_action_result, "_one_validator", False):
        return

    def _validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = best_match(_answer_validator().iter_errors(result))
        if error is None:
            return True
        assert isinstance(error, ValidationError)
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error

    _validate_action_result._one_validator = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
