"""Validation shared by every form that asks for people and a final confirmation.

Domain entries the subclasses rely on: the responses named by the `check_*` functions
in `actions.validation` (`utter_invalid_*`), `utter_submission_restart`, and the slots
`id_masked`, `proxy_id_masked`, `collector_id_masked`, `idempotency_key`.
"""

from __future__ import annotations

import uuid
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.formatting import china_today
from actions.validation import Check, check_id_number, check_person_name, mask_id


def apply_check(slot: str, check: Check, dispatcher: CollectingDispatcher,
                **also: Any) -> dict[str, Any]:
    """The slot (and `also`) when the value is valid; otherwise explain and re-ask."""
    if check.ok:
        return {slot: check.value, **also}
    dispatcher.utter_message(response=check.problem)
    return {slot: None}


def name_slot(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    return apply_check(slot, check_person_name(value), dispatcher)


def id_slot(slot: str, masked_slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    check = check_id_number(value, today=china_today())
    if not check.ok:
        return apply_check(slot, check, dispatcher)
    return {slot: check.value, masked_slot: mask_id(check.value)}


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


class ApplicantFormValidation(FormValidationAction, ABC):
    """Name and ID number of the applicant, for every form that asks for them."""

    @abstractmethod
    def name(self) -> str:
        """`validate_<form name>`."""

    async def validate_person_name(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return name_slot("person_name", value, dispatcher)

    async def validate_id_number(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return id_slot("id_number", "id_masked", value, dispatcher)


class SubmissionFormValidation(ApplicantFormValidation, ABC):
    """A form that ends with a summary: affirm confirms it and fixes the submission's
    idempotency key; deny clears the form so that it starts over."""

    async def validate_confirm_submission(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is True:
            return {"confirm_submission": True, "idempotency_key": new_idempotency_key()}
        dispatcher.utter_message(response="utter_submission_restart")
        cleared = {slot: None for slot in self.domain_slots(domain)}
        return {**cleared, "idempotency_key": None}
