"""Forms that look something up for the applicant: status, notice subscription,
office (city) and materials (pickup method)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.forms.base import ApplicantFormValidation, apply_check
from actions.validation import Check, canonical_city, check_pickup_method


class ValidateStatusForm(ApplicantFormValidation):
    def name(self) -> str:
        return "validate_status_form"


class ValidateSubscribeForm(ApplicantFormValidation):
    def name(self) -> str:
        return "validate_subscribe_form"


class ValidateOfficeForm(FormValidationAction):
    def name(self) -> str:
        return "validate_office_form"

    async def validate_city(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        city = canonical_city(value)
        ok = 2 <= len(city) <= 10 and all("\u4e00" <= ch <= "\u9fff" for ch in city)
        return apply_check("city", Check(city) if ok else Check(problem="utter_invalid_city"), dispatcher)


class ValidateMaterialsForm(FormValidationAction):
    def name(self) -> str:
        return "validate_materials_form"

    async def validate_pickup_method(self, value: Any, dispatcher: CollectingDispatcher,
                                     tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return apply_check("pickup_method", check_pickup_method(value), dispatcher)
