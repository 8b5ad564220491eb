"""Forms that end in an application: mail delivery, proxy pickup, organisation pickup.
Mail and proxy also ask which certificate when the backend found several (certificates.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.formatting import china_today
from actions.forms.base import SubmissionFormValidation, checked, free_text_answer, id_slot, name_answer, name_slot
from actions.forms.certificates import CertificateChoiceValidation
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

    async def validate_batch_no(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("batch_no", value, check_batch_no, dispatcher)

    async def validate_occupation(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("occupation", value, check_occupation, dispatcher)

    async def validate_level(self, value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("level", value, check_level, dispatcher)

    async def validate_headcount(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("headcount", value, check_headcount, dispatcher)

    async def validate_collector_name(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return name_slot("collector_name", value, dispatcher)

    async def validate_collector_id_number(self, value: Any, dispatcher: CollectingDispatcher,
                                           tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return id_slot("collector_id_number", "collector_id_masked", value, dispatcher)

    async def validate_visit_date(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return checked("visit_date", value, lambda text: check_visit_date(text, china_today()), dispatcher)
