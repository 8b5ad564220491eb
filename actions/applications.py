"""Submitting the confirmed mail, proxy and organisation applications.

A submission is sent with the idempotency key fixed when the applicant confirmed the
summary (slot `idempotency_key`). When the backend cannot be reached the key is kept and
`pending_submission` is set, so that the next "确认" retries with the same key: the
backend then returns the application it may already have created, never a second one.

When the applicant has several ready certificates the backend asks which one (409
`certificate_ambiguous`): the list goes into `certificate_choices` and the conversation
goes back into the form, which asks for `certificate_no` and shows the summary again
(actions/forms/certificates.py). A chosen certificate the backend refuses (already applied
for, collected) is taken out of the choices, and the form asks again when others remain.

The proxy's 委托书 template names the certificate the backend's answer says the application
is for (`certificate`: chosen among several, or taken as the only free one); without it in
the answer, the template keeps its blanks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from pickup_rules import ErrorCode
from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.answers import CreatedApplication
from actions.base import BackendAction, utter_backend_error
from actions.config import get_settings
from actions.formatting import cn_date
from actions.forms.base import count_refusal, forget_refusals, new_idempotency_key, utter_way_out
from actions.forms.certificates import (
    CHOICES,
    CHOSEN,
    LABEL,
    certificate_choices,
    forget_choice,
    valid_choices,
)
from actions.refusals import FIELD_SLOTS, refused_field

# Refusals of the certificate the applicant chose: another one may be chosen instead.
REFUSED_CHOICE = frozenset({ErrorCode.DUPLICATE_APPLICATION, ErrorCode.ALREADY_COLLECTED, ErrorCode.NOT_ON_LIST})


def application_certificate(application: CreatedApplication) -> dict | None:
    """The certificate the backend's answer says the application is for (the proxy letter's
    values), when it names one with its number, occupation and level; otherwise None."""
    certificate = application.certificate
    if certificate is None or not (certificate.certificate_no and certificate.occupation and certificate.level):
        return None
    return {"certificate_no": certificate.certificate_no, "occupation": certificate.occupation,
            "level": certificate.level}


def back_to_form(kind: str) -> list[EventType]:
    """Run the form again right away. It is made active here, not activated by the follow-up:
    its slots are already valid, a pending certificate choice survives (no activation), and
    the policies predict the form after this action as the runtime does (test stories)."""
    return [ActiveLoop(f"{kind}_form"), FollowupAction(f"{kind}_form")]


class SubmitApplicationAction(BackendAction, ABC):
    kind: str
    # Slots cleared once the application exists (the applicant's name and ID stay).
    done_slots: tuple[str, ...] = ()

    @abstractmethod
    def payload(self, tracker: Tracker) -> dict[str, Any]:
        """The POST /api/v1/applications body, built from the form's slots."""

    @abstractmethod
    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, application: CreatedApplication) -> None:
        """Tell the applicant what was created and what comes next."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if not any(tracker.get_slot(slot) is not None for slot in self.done_slots):
            # The form ended before asking anything of its own (the holder's certificates
            # already have applications: actions/forms/certificates.py said so): nothing to send.
            return [SlotSet("requested_slot", None), SlotSet("idempotency_key", None),
                    SlotSet("pending_submission", None), *forget_refusals(tracker), *forget_choice(tracker)]
        key = tracker.get_slot("idempotency_key") or new_idempotency_key()
        payload = {"kind": self.kind, **self.payload(tracker)}
        channel = tracker.get_latest_input_channel()
        if channel:
            # The backend links this conversation to the holder: each decision is pushed here.
            payload.update(channel=channel[:30], conversation_id=tracker.sender_id[:128])
        result = await self.backend(tracker, "create_application", payload, key)
        closing = [SlotSet("confirm_submission", None), SlotSet("requested_slot", None)]
        if result.ok:
            self.reply(dispatcher, tracker, result.answer)
            return [*closing, SlotSet("idempotency_key", None), SlotSet("pending_submission", None),
                    *forget_refusals(tracker), SlotSet("application_number", result.answer.number),
                    *(SlotSet(slot, None) for slot in self.done_slots), *forget_choice(tracker)]
        if result.error.transient:  # the choice stays for the retry
            dispatcher.utter_message(response="utter_submission_not_sent")
            return [*closing, SlotSet("idempotency_key", key), SlotSet("pending_submission", self.kind)]
        events = [*closing, SlotSet("idempotency_key", None), SlotSet("pending_submission", None)]
        choices = valid_choices(result.error.details)
        if result.error.code == ErrorCode.CERTIFICATE_AMBIGUOUS and choices:
            # Nothing said here: the form's question (action_ask_certificate_no) explains.
            return [*events, SlotSet(CHOICES, choices), SlotSet(CHOSEN, None), SlotSet(LABEL, None),
                    *back_to_form(self.kind)]
        utter_backend_error(dispatcher, result.error)
        chosen = tracker.get_slot(CHOSEN)
        if result.error.code in REFUSED_CHOICE and chosen:
            others = [c for c in certificate_choices(tracker) if c["certificate_no"] != chosen]
            if others:
                return [*events, SlotSet(CHOICES, others), SlotSet(CHOSEN, None), SlotSet(LABEL, None),
                        *back_to_form(self.kind)]
            return [*events, *forget_choice(tracker)]
        # The field the backend refused, and only that one, is asked again; then the summary.
        # Counted apart from the form's own refusals: a value the form takes and the backend
        # refuses would otherwise go round the summary for ever.
        field = refused_field(result.error)
        reask = [slot for slot in FIELD_SLOTS.get(field, ()) if tracker.get_slot(slot) is not None]
        if not reask:
            return events
        counted, way_out = count_refusal(tracker, f"submission:{field}", refused=True)
        if way_out:
            utter_way_out(dispatcher, tracker)
        return [*events, *counted, *(SlotSet(slot, None) for slot in reask), *back_to_form(self.kind)]


class ActionSubmitMail(SubmitApplicationAction):
    kind = "mail"
    done_slots = ("phone", "address")

    def name(self) -> str:
        return "action_submit_mail"

    def payload(self, tracker: Tracker) -> dict[str, Any]:
        return {"name": tracker.get_slot("person_name"), "id_number": tracker.get_slot("id_number"),
                "phone": tracker.get_slot("phone"), "address": tracker.get_slot("address"),
                "certificate_no": tracker.get_slot(CHOSEN)}

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, application: CreatedApplication) -> None:
        dispatcher.utter_message(response="utter_mail_created", number=application.number,
                                 due=cn_date(application.delivery_due_on))
        if application.delivery_due_estimated:
            dispatcher.utter_message(response="utter_date_estimated")


class ActionSubmitProxy(SubmitApplicationAction):
    kind = "proxy"
    done_slots = ("proxy_name", "proxy_id_number", "proxy_id_masked")

    def name(self) -> str:
        return "action_submit_proxy"

    def payload(self, tracker: Tracker) -> dict[str, Any]:
        return {"name": tracker.get_slot("person_name"), "id_number": tracker.get_slot("id_number"),
                "proxy_name": tracker.get_slot("proxy_name"),
                "proxy_id_number": tracker.get_slot("proxy_id_number"),
                "certificate_no": tracker.get_slot(CHOSEN)}

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, application: CreatedApplication) -> None:
        dispatcher.utter_message(response="utter_proxy_created", number=application.number,
                                 proxy_name=tracker.get_slot("proxy_name"))
        dispatcher.utter_message(response="utter_materials_proxy")
        people = {"person_name": tracker.get_slot("person_name"), "proxy_name": tracker.get_slot("proxy_name")}
        certificate = application_certificate(application)
        if certificate:  # chosen or the only free one: the backend's answer names it
            dispatcher.utter_message(response="utter_proxy_letter_template_certificate", **people, **certificate)
        else:
            dispatcher.utter_message(response="utter_proxy_letter_template", **people)


class ActionSubmitOrganization(SubmitApplicationAction):
    kind = "organization"
    done_slots = ("batch_no", "occupation", "level", "headcount", "collector_name",
                  "collector_id_number", "collector_id_masked", "visit_date")

    def name(self) -> str:
        return "action_submit_organization"

    def payload(self, tracker: Tracker) -> dict[str, Any]:
        return {"organization_name": tracker.get_slot("organization_name"),
                "batch_no": tracker.get_slot("batch_no"), "occupation": tracker.get_slot("occupation"),
                "level": tracker.get_slot("level"), "headcount": int(tracker.get_slot("headcount") or 0),
                "collector_name": tracker.get_slot("collector_name"),
                "collector_id_number": tracker.get_slot("collector_id_number"),
                "visit_date": tracker.get_slot("visit_date")}

    def reply(self, dispatcher: CollectingDispatcher, tracker: Tracker, application: CreatedApplication) -> None:
        path = application.contact_form_path or ""
        dispatcher.utter_message(response="utter_organization_created", number=application.number,
                                 contact_form_url=get_settings().backend_public_url + path)
        dispatcher.utter_message(response="utter_materials_organization")


class ActionCancelSubmission(Action):
    """The applicant does not want to retry a submission that did not get through."""

    def name(self) -> str:
        return "action_cancel_submission"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_submission_cancelled")
        return [SlotSet("pending_submission", None), SlotSet("idempotency_key", None), *forget_choice(tracker)]
