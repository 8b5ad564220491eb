"""Forms that end in an application: mail delivery, proxy pickup, organisation pickup.
Mail and proxy also ask which certificate when the backend found several (certificates.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.answers import OrganizationCheck
from actions.api.backend import ApiError
from actions.base import call_backend
from actions.formatting import china_today
from actions.forms.base import SubmissionFormValidation, checked, free_text_answer, id_slot, name_answer, name_slot
from actions.forms.certificates import CertificateChoiceValidation
from actions.refusals import refusal_messages
from actions.validation import (
    check_address,
    check_batch_no,
    check_headcount,
    check_id_number,
    check_level,
    check_occupation,
    check_organization_name,
    check_phone,
    check_visit_date,
)


class ValidateMailForm(CertificateChoiceValidation):
    def name(self) -> str:
        return "validate_mail_form"

    async def extract_phone(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "phone", check_phone)

    async def extract_address(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "address", check_address, over_entity=True)

    async def validate_phone(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("phone", value, check_phone, dispatcher)

    async def validate_address(self, value: Any, dispatcher: CollectingDispatcher,
                               tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("address", value, check_address, dispatcher)


class ValidateProxyForm(CertificateChoiceValidation):
    def name(self) -> str:
        return "validate_proxy_form"

    async def extract_proxy_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return name_answer(tracker, "proxy_name")

    async def extract_proxy_id_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                      domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "proxy_id_number", check_id_number)

    async def validate_proxy_name(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return name_slot("proxy_name", value, dispatcher)

    async def validate_proxy_id_number(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        result = id_slot("proxy_id_number", "proxy_id_masked", value, dispatcher)
        if result["proxy_id_number"] and result["proxy_id_number"] == tracker.get_slot("id_number"):
            dispatcher.utter_message(response="utter_invalid_proxy_is_applicant")
            return {"proxy_id_number": None}
        return result


class ValidateOrganizationForm(SubmissionFormValidation):
    def name(self) -> str:
        return "validate_organization_form"

    async def extract_organization_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                        domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "organization_name", check_organization_name)

    async def extract_batch_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                               domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "batch_no", check_batch_no)

    async def extract_occupation(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "occupation", check_occupation)

    async def extract_level(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "level", check_level)

    async def extract_headcount(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "headcount", check_headcount)

    async def extract_collector_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        return name_answer(tracker, "collector_name")

    async def extract_collector_id_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                          domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "collector_id_number", check_id_number)

    async def extract_visit_date(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "visit_date", lambda text: check_visit_date(text, china_today()))

    async def validate_organization_name(self, value: Any, dispatcher: CollectingDispatcher,
                                         tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("organization_name", value, check_organization_name, dispatcher)

    # Batch, occupation, level, headcount and visit date are read against the published lists by
    # the backend (POST /applications/check): real batch numbers follow each province's style,
    # and the visit must fall on a working day of the pickup window; no second copy of either
    # rule lives here. When the backend cannot answer, the typed value is kept: the submission
    # checks it again and asks for exactly what it refuses.

    async def validate_batch_no(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        typed = checked("batch_no", value, check_batch_no, dispatcher)
        if typed["batch_no"] is None:
            return typed
        return await self.published("batch_no", {"batch_no": str(value)[:100]}, typed, dispatcher, tracker)

    async def validate_occupation(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        typed = checked("occupation", value, check_occupation, dispatcher)
        if typed["occupation"] is None:
            return typed
        fields = {**self.form_fields(tracker, "batch_no"), "occupation": typed["occupation"][:100]}
        return await self.published("occupation", fields, typed, dispatcher, tracker)

    async def validate_level(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        typed = checked("level", value, check_level, dispatcher)
        if typed["level"] is None:
            return typed
        fields = {**self.form_fields(tracker, "batch_no", "occupation"), "level": typed["level"]}
        return await self.published("level", fields, typed, dispatcher, tracker)

    async def validate_headcount(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        typed = checked("headcount", value, check_headcount, dispatcher)
        if typed["headcount"] is None:
            return typed
        fields = {**self.form_fields(tracker, "batch_no", "occupation", "level"), "headcount": typed["headcount"]}
        return await self.published("headcount", fields, typed, dispatcher, tracker)

    async def validate_visit_date(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        typed = checked("visit_date", value, lambda text: check_visit_date(text, china_today()), dispatcher)
        if typed["visit_date"] is None:
            return typed
        fields = {**self.form_fields(tracker, "batch_no", "occupation", "level"), "visit_date": typed["visit_date"]}
        return await self.published("visit_date", fields, typed, dispatcher, tracker)

    @staticmethod
    def form_fields(tracker: Tracker, *slots: str) -> dict[str, Any]:
        return {slot: tracker.get_slot(slot) for slot in slots if tracker.get_slot(slot) is not None}

    async def published(self, slot: str, fields: dict[str, Any], typed: dict[str, Any],
                        dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        """The slot as the backend reads it against the published lists, or None after saying
        why not (the form asks again)."""
        result = await call_backend(tracker, "check_organization", fields)
        if not result.ok:
            return typed
        check: OrganizationCheck = result.answer
        refused = check.error_for(slot)
        if refused is not None:
            for response, values in refusal_messages(ApiError(refused.code, details=refused.details)):
                dispatcher.utter_message(response=response, **values)
            return {slot: None}
        found = getattr(check, slot, None)
        return {slot: found} if slot in ("batch_no", "occupation", "level") and found else typed

    async def validate_collector_name(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return name_slot("collector_name", value, dispatcher)

    async def validate_collector_id_number(self, value: Any, dispatcher: CollectingDispatcher,
                                           tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return id_slot("collector_id_number", "collector_id_masked", value, dispatcher)
