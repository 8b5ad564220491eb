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
        if tracker.get_slot("requested_slot") is None:
            return city_in_question(tracker)
        return free_text_answer(tracker, "city", check_city)

    async def validate_city(self, value: Any, dispatcher: CollectingDispatcher,
                            tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("city", value, check_city, dispatcher)


def city_in_question(tracker: Tracker) -> dict[str, Any]:
    """The city the question that opens the form names ("杭州在哪里领证", its city entity),
    else None so that the form asks. A city left in the slot by an earlier message does not
    answer this question: a name such as 王金华 carries one (金华), and the office of a city
    nobody asked about would be given without a word. (Rasa hands every filled slot to the
    validation when a form starts, so only the message itself can tell.)"""
    return {"city": next(tracker.get_latest_entity_values("city"), None)}


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
