"""Forms that look something up for the applicant: status, notice subscription,
office (city) and materials (pickup method)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms.base import ApplicantFormValidation, TaskFormValidation, checked, free_text_answer
from actions.materials import method_in_question
from actions.validation import check_city, check_pickup_method


class ValidateStatusForm(ApplicantFormValidation):
    def name(self) -> str:
        return "validate_status_form"


class ValidateSubscribeForm(ApplicantFormValidation):
    def name(self) -> str:
        return "validate_subscribe_form"


class ValidateOfficeForm(TaskFormValidation):
    def name(self) -> str:
        return "validate_office_form"

    async def extract_city(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                           domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "city", check_city)

    async def validate_city(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("city", value, check_city, dispatcher)


class ValidateMaterialsForm(TaskFormValidation):
    def name(self) -> str:
        return "validate_materials_form"

    async def extract_pickup_method(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") is None:
            return method_in_question(tracker)
        return free_text_answer(tracker, "pickup_method", check_pickup_method)

    async def validate_pickup_method(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("pickup_method", value, check_pickup_method, dispatcher)
