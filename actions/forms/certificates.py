"""Choosing among several ready certificates, in the mail and proxy forms.

When the applicant has more than one ready certificate, the backend refuses a submission
without `certificate_no` (409 `certificate_ambiguous`, `details.certificates`). The
submission action then stores that list in `certificate_choices` and takes the
conversation back into the form (actions/applications.py), whose validation action now
also requires `certificate_no`, just before the summary. `action_ask_certificate_no` asks
with one button per certificate; the answer is a number, an occupation and/or level, or a
place in the list (`actions.validation.check_certificate_choice`); the summary then shows
`certificate_label`. (The proxy's 委托书 template names the certificate from the backend's
answer to the submission, chosen or not: actions/applications.py.)

The three slots last as long as the identity and the application they were given for:
they are cleared after the application is made, when the summary is denied, when a stop or
a switch to another task is confirmed (`action_drop_form`, `action_switch_task`), and, at
the form's next run, once the applicant's name or ID number was cleared some other way.

Before any of that, as soon as the applicant's name and ID number are valid (typed, or kept
from an earlier look-up), the form looks the holder up (POST /status, which gives each
certificate's live `application`): when every certificate that can be collected already has
a live application, it names each one and its step and ends at once, before phone and
address (`already_applied`). The submission action then has nothing confirmed to send.

Domain entries: the slots `certificate_choices`, `certificate_no`, `certificate_label`,
the action `action_ask_certificate_no`, the responses `utter_ask_certificate_no` and
`utter_invalid_certificate_no`, and summaries that show `certificate_label` when set.
"""

from __future__ import annotations

from abc import ABC
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.answers import CertificateStatus, StatusReport
from actions.base import call_backend
from actions.formatting import APPLICATION_KIND_LABELS
from actions.forms.base import SubmissionFormValidation, free_text_answer
from actions.forms.registry import FORMS_BY_NAME
from actions.validation import check_certificate_choice

CHOICES = "certificate_choices"
CHOSEN = "certificate_no"
LABEL = "certificate_label"
CHOICE_SLOTS = (CHOICES, CHOSEN, LABEL)
# The two values the backend looked the choices up with.
LOOKUP_SLOTS = ("person_name", "id_number")


def certificate_choices(tracker: Tracker) -> list[dict]:
    """The stored choices, each a dict with a `certificate_no`."""
    value = tracker.get_slot(CHOICES)
    if not isinstance(value, list):
        return []
    return [c for c in value if isinstance(c, dict) and isinstance(c.get("certificate_no"), str)]


def valid_choices(details: Any) -> list[dict]:
    """The certificates of a `certificate_ambiguous` answer, or [] when it has none usable."""
    certificates = details.get("certificates") if isinstance(details, dict) else None
    if not isinstance(certificates, list):
        return []
    return [{"certificate_no": c["certificate_no"], "occupation": str(c.get("occupation") or ""),
             "level": str(c.get("level") or "")}
            for c in certificates if isinstance(c, dict) and isinstance(c.get("certificate_no"), str)]


def certificate_label(certificate: dict) -> str:
    """电工 四级（ZS2026900001）: the button title and the summary line."""
    kind = " ".join(part for part in (certificate.get("occupation"), certificate.get("level")) if part)
    return f"{kind}（{certificate['certificate_no']}）" if kind else certificate["certificate_no"]


def forget_choice(tracker: Tracker) -> list[EventType]:
    """Clear whichever choice slots are set."""
    return [SlotSet(slot, None) for slot in CHOICE_SLOTS if tracker.get_slot(slot) is not None]


def identity_cleared_since_choices(events: list[dict]) -> bool:
    """True when the applicant's name or ID number was cleared after the choices were stored."""
    for event in reversed(events):
        if event.get("event") != "slot":
            continue
        if event.get("name") == CHOICES:
            return False
        if event.get("name") in LOOKUP_SLOTS and event.get("value") is None:
            return True
    return False


def already_applied(report: StatusReport) -> list[CertificateStatus]:
    """The certificates of a status report that stand in the way of a new application: all
    the ones that can be collected, when each has a live application; else []."""
    ready = [c for c in report.certificates if c.state == "ready"]
    if not ready or not all(c.application is not None for c in ready):
        return []
    return ready


def identity_just_validated(events: list[EventType]) -> bool:
    """True when this run took the applicant's name or ID number as valid (not when it put
    them back for a message that asks for another task and was rejected)."""
    if any(e.get("event") == "action_execution_rejected" for e in events):
        return False
    return any(e.get("event") == "slot" and e.get("name") in LOOKUP_SLOTS and e.get("value") is not None
               for e in events)


class CertificateChoiceValidation(SubmissionFormValidation, ABC):
    """A submission form that asks which certificate when the backend found several, and
    ends at once when every collectable certificate already has a live application."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        stale: list[EventType] = []
        if tracker.get_slot(CHOICES) is not None and identity_cleared_since_choices(tracker.events):
            stale = forget_choice(tracker)
            tracker.slots.update({slot: None for slot in CHOICE_SLOTS})
        events = stale + await super().run(dispatcher, tracker, domain)
        if identity_just_validated(events):
            return events + await self.stop_when_already_applied(dispatcher, tracker)
        return events

    async def stop_when_already_applied(self, dispatcher: CollectingDispatcher,
                                        tracker: Tracker) -> list[EventType]:
        """Say which applications are under way and end the form (requested_slot None ends
        it: rasa's FormAction.is_done). A failed look-up changes nothing: the submission
        checks again."""
        name, id_number = tracker.get_slot("person_name"), tracker.get_slot("id_number")
        if not (name and id_number):
            return []
        result = await call_backend(tracker, "status", name, id_number)
        blocking = already_applied(result.answer) if result.ok else []
        if not blocking:
            return []
        for cert in blocking:
            application = cert.application
            dispatcher.utter_message(
                response="utter_already_applied", occupation=cert.occupation, level=cert.level,
                certificate_no=cert.certificate_no, number=application.number,
                state_label=application.state_label, kind_label=APPLICATION_KIND_LABELS.get(application.kind, ""))
        office = blocking[0].office
        dispatcher.utter_message(response="utter_already_applied_form_ended",
                                 task=FORMS_BY_NAME[self.form_name()].label,
                                 office_name=office.name, office_phone=office.phone)
        return [SlotSet("requested_slot", None)]

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if not certificate_choices(tracker) or CHOSEN in domain_slots:
            return domain_slots
        slots = list(domain_slots)
        at = slots.index("confirm_submission") if "confirm_submission" in slots else len(slots)
        slots.insert(at, CHOSEN)
        return slots

    async def extract_certificate_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                     domain: DomainDict) -> dict[str, Any]:
        choices = certificate_choices(tracker)
        return free_text_answer(tracker, CHOSEN, lambda text: check_certificate_choice(text, choices))

    async def validate_certificate_no(self, value: Any, dispatcher: CollectingDispatcher,
                                      tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is None:  # cleared by an action, not answered
            return {CHOSEN: None, LABEL: None}
        choices = certificate_choices(tracker)
        result = check_certificate_choice(value, choices)
        if result.ok:
            return {CHOSEN: result.value["certificate_no"], LABEL: certificate_label(result.value)}
        options = "；".join(f"{n}. {certificate_label(c)}" for n, c in enumerate(choices, start=1))
        dispatcher.utter_message(response=result.problem, options=options)
        return {CHOSEN: None, LABEL: None}

    async def validate_confirm_submission(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        result = await super().validate_confirm_submission(value, dispatcher, tracker, domain)
        if value is False:  # the form starts over: the choice goes with the rest
            result.update({event["name"]: None for event in forget_choice(tracker)})
        return result


class ActionAskCertificateNo(Action):
    """The form's question for `certificate_no`: one button per certificate, whose payload is
    the plain certificate number, so that every channel can send it back as text."""

    def name(self) -> str:
        return "action_ask_certificate_no"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        choices = certificate_choices(tracker)
        dispatcher.utter_message(
            response="utter_ask_certificate_no", certificate_count=len(choices),
            buttons=[{"title": certificate_label(c), "payload": c["certificate_no"]} for c in choices])
        return []
