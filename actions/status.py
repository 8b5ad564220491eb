"""Status look-ups by name and ID: the status report, the personal deadline and the
notice subscription."""

from __future__ import annotations

import re
from abc import ABC
from typing import Any

from pickup_rules import ErrorCode
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.answers import Application, CertificateStatus, Deadline, RefusedApplication, StatusReport, Subscription
from actions.base import BackendAction, utter_backend_error
from actions.context import previous_topic
from actions.formatting import APPLICATION_KIND_LABELS, cn_date
from actions.validation import IDENTITY_SLOTS, mask_id

Message = tuple[str, dict[str, Any]]

# Conversations that arrive without an input channel (the HTTP API, tests) are answered
# over the REST channel.
DEFAULT_CHANNEL = "rest"


def _office_values(cert: CertificateStatus) -> dict[str, Any]:
    office = cert.office
    return {"office_name": office.name, "office_address": office.address,
            "office_phone": office.phone, "office_hours": office.hours}


def _certificate_values(cert: CertificateStatus) -> dict[str, Any]:
    return {"occupation": cert.occupation, "level": cert.level,
            "certificate_no": cert.certificate_no, **_office_values(cert)}


def _estimated(flag: object) -> list[Message]:
    return [("utter_date_estimated", {})] if flag else []


def _days_left(deadline: Deadline) -> list[Message]:
    """The working days still left, as the backend counts them (after today up to the last
    day, 0 on it), when it says."""
    days = deadline.working_days_left
    if days is None or days < 0 or deadline.passed:
        return []
    if days == 0:
        return [("utter_deadline_last_day_today", {})]
    name = "utter_deadline_working_days_left_estimated" if deadline.estimated else "utter_deadline_working_days_left"
    return [(name, {"days": days})]


def can_apply(cert: CertificateStatus) -> bool:
    """Ready to collect, no live application and the last day not passed: the certificate
    the next-step buttons (mail, proxy, where) are for."""
    return cert.state == "ready" and cert.application is None and not (cert.deadline and cert.deadline.passed)


def _application_messages(cert: CertificateStatus, values: dict[str, Any], application: Application) -> list[Message]:
    messages: list[Message] = [("utter_status_application", {
        **values, "number": application.number,
        "kind_label": APPLICATION_KIND_LABELS.get(application.kind, ""),
        "state_label": application.state_label,
    })]
    if application.kind == "mail" and application.delivery_due_on:
        # Counted from the decision once there is one; until then from the application's day.
        decided = application.delivery_due_basis == "decision_date"
        name = "utter_status_mail_due" if decided else "utter_status_mail_due_if_decided_today"
        messages.append((name, {"due": cn_date(application.delivery_due_on)}))
        messages += _estimated(application.delivery_due_estimated)
    elif application.kind == "proxy":
        # The proxy goes to the counter once the office has decided, not before.
        messages.append(("utter_status_proxy_collect" if application.state == "completed"
                         else "utter_status_proxy_wait", _office_values(cert)))
    return messages


def certificate_messages(cert: CertificateStatus) -> list[Message]:
    """The responses (name, values) that describe one certificate of a status report."""
    values = _certificate_values(cert)
    application, deadline = cert.application, cert.deadline
    if cert.state == "mailed":
        delivery = application.delivery if application else None
        if delivery and delivery.tracking_no:
            return [("utter_status_mailed", {**values, "express_company": delivery.express_company or "",
                                             "tracking_no": delivery.tracking_no,
                                             "shipped_on": cn_date(delivery.shipped_on)})]
        return [("utter_status_mailed_no_tracking", values)]
    if cert.state == "collected":
        collection = cert.collection
        return [("utter_status_collected", {**values, "collected_on": cn_date(collection.collected_on if collection else None),
                                            "method": collection.method if collection else ""})]
    if cert.state == "pending":
        if deadline:  # 全国统考: the last day runs from the blanks' arrival, notice or not
            return [("utter_status_pending_national", {**values, "due": cn_date(deadline.date),
                                                       "blanks_arrived_on": cn_date(deadline.counted_from)}),
                    *_days_left(deadline), *_estimated(deadline.estimated)]
        return [("utter_status_pending", values)]
    if application:
        return _application_messages(cert, values, application)
    messages = refused_messages(cert.refused_application, values)
    if deadline and deadline.passed:
        return [*messages, ("utter_status_ready_deadline_passed", {**values, "deadline": cn_date(deadline.date)})]
    if deadline:
        return [*messages, ("utter_status_ready", {**values, "deadline": cn_date(deadline.date)}),
                *_days_left(deadline), *_estimated(deadline.estimated)]
    return [*messages, ("utter_status_ready_no_deadline", values)]


def refused_messages(refused: RefusedApplication | None, values: dict[str, Any]) -> list[Message]:
    """A mail or proxy application the office did not accept (不予受理) or sent back (退回):
    the decision, the staff's reason, and that the certificate can still be collected."""
    if refused is None:
        return []
    return [("utter_status_refused_application", {
        **values, "number": refused.number, "kind_label": APPLICATION_KIND_LABELS.get(refused.kind, ""),
        "state_label": refused.state_label, "decided_on": cn_date(refused.decided_on),
        "reason": refused.reason or "未填写"})]


def deadline_messages(cert: CertificateStatus) -> list[Message]:
    """The applicant's own last day when it is known and nothing else is under way, else the
    certificate's status."""
    deadline = cert.deadline
    if cert.state == "ready" and deadline and not cert.application:
        values = {**_certificate_values(cert), "deadline": cn_date(deadline.date),
                  "counted_from": cn_date(deadline.counted_from)}
        if deadline.passed:
            name = "utter_deadline_personal_passed"
        elif deadline.rule == "national_exam":
            name = "utter_deadline_personal_national"
        else:
            name = "utter_deadline_personal"
        return [(name, values), *_days_left(deadline), *_estimated(deadline.estimated)]
    return certificate_messages(cert)


def office_slots(report: StatusReport) -> list[EventType]:
    """Remember the applicant's office (city, name, phone) for later questions and handoff."""
    if not report.certificates:
        return []
    office = report.certificates[0].office
    return [SlotSet("city", office.region), SlotSet("office_name", office.name),
            SlotSet("office_phone", office.phone)]


class StatusLookupAction(BackendAction, ABC):
    """Looks the applicant up by the `person_name` and `id_number` slots."""

    @staticmethod
    def describe(cert: CertificateStatus) -> list[Message]:
        return certificate_messages(cert)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        name, id_number = tracker.get_slot("person_name"), tracker.get_slot("id_number")
        if not (name and id_number):
            return self.without_identity(dispatcher)
        result = await self.backend(tracker, "status", name, id_number)
        masked = mask_id(id_number)
        if not result.ok:
            if result.error.code == ErrorCode.NOT_FOUND:
                dispatcher.utter_message(response="utter_status_not_found", person_name=name, id_masked=masked)
                return self.not_found(dispatcher)
            utter_backend_error(dispatcher, result.error)
            return []
        report: StatusReport = result.answer
        dispatcher.utter_message(response="utter_status_header", person_name=report.name,
                                 id_masked=report.id_number_masked)
        for cert in report.certificates:
            for response, values in self.describe(cert):
                dispatcher.utter_message(response=response, **values)
        self.after_report(dispatcher, report)
        return office_slots(report)

    def after_report(self, dispatcher: CollectingDispatcher, report: StatusReport) -> None:
        """Anything said once after all the certificates."""

    def without_identity(self, dispatcher: CollectingDispatcher) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_person_name")
        return []

    def not_found(self, dispatcher: CollectingDispatcher) -> list[EventType]:
        return []


class ActionCheckStatus(StatusLookupAction):
    def name(self) -> str:
        return "action_check_status"

    def after_report(self, dispatcher: CollectingDispatcher, report: StatusReport) -> None:
        """The next steps as buttons (邮寄到家 / 委托代领 / 领证地点, in domain.yml), once, when
        a certificate can be collected and nothing is under way for it."""
        if any(can_apply(cert) for cert in report.certificates):
            dispatcher.utter_message(response="utter_status_next_steps")


# "邮寄要几天", "how long does the mail take": a time question about mailing.
MAIL_WORDS = re.compile(r"[寄邮郵]|快递|快遞|mail|post|deliver|courier|express|youji|kuaidi", re.IGNORECASE)


# A time question that names collecting or its last day is about the pickup deadline, even
# right after a mail question ("我要快递到家" then "领证有期限吗").
COLLECTION_DEADLINE_WORDS = re.compile(r"[领領]|期限|截止|最后|过期|過期|deadline|lingzheng|qixian", re.IGNORECASE)


def about_mail(tracker: Tracker) -> bool:
    """The time question is about mailing: it says so, or follows a mail question without
    naming what it is about ("那要多久")."""
    text = str((tracker.latest_message or {}).get("text") or "")
    if MAIL_WORDS.search(text):
        return True
    return previous_topic(tracker) == "request_mail" and not COLLECTION_DEADLINE_WORDS.search(text)


class ActionDeadline(StatusLookupAction):
    """The applicant's last day when name and ID are known; the rule otherwise. A question
    about how long mailing takes gets the delivery rule first."""

    def name(self) -> str:
        return "action_deadline"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if not about_mail(tracker):
            return await super().run(dispatcher, tracker, domain)
        dispatcher.utter_message(response="utter_deadline_mail_rule")
        if not (tracker.get_slot("person_name") and tracker.get_slot("id_number")):
            dispatcher.utter_message(response="utter_deadline_offer_lookup")
            return []
        return await super().run(dispatcher, tracker, domain)

    @staticmethod
    def describe(cert: CertificateStatus) -> list[Message]:
        return deadline_messages(cert)

    def without_identity(self, dispatcher: CollectingDispatcher) -> list[EventType]:
        dispatcher.utter_message(response="utter_deadline_rule")
        dispatcher.utter_message(response="utter_deadline_offer_lookup")
        return []

    def not_found(self, dispatcher: CollectingDispatcher) -> list[EventType]:
        dispatcher.utter_message(response="utter_deadline_rule")
        return []


class ActionSubscribe(BackendAction):
    """Register for a push when a pickup notice covering this person is published."""

    def name(self) -> str:
        return "action_subscribe"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        name, id_number = tracker.get_slot("person_name"), tracker.get_slot("id_number")
        if not (name and id_number):
            dispatcher.utter_message(response="utter_ask_person_name")
            return []
        channel = tracker.get_latest_input_channel() or DEFAULT_CHANNEL
        result = await self.backend(tracker, "subscribe", channel=channel, conversation_id=tracker.sender_id,
                                    name=name, id_number=id_number)
        if not result.ok:
            utter_backend_error(dispatcher, result.error)
            return []
        subscription: Subscription = result.answer
        response = "utter_subscribed" if subscription.push_supported else "utter_subscribed_no_push"
        dispatcher.utter_message(response=response, person_name=name, id_masked=subscription.id_number_masked)
        return []


def slots_set_by_latest_message(events: list[dict]) -> set[str]:
    """Slots filled from the latest user message (the events after it, before any action)."""
    names: set[str] = set()
    for event in reversed(events):
        if event.get("event") == "user":
            break
        if event.get("event") == "slot":
            names.add(event.get("name"))
    return names


class ActionForgetOldIdentity(Action):
    """Before a new status look-up: forget a name and ID from earlier in the conversation,
    unless the applicant has just given them, so that the form asks for them again."""

    def name(self) -> str:
        return "action_forget_old_identity"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        fresh = slots_set_by_latest_message(tracker.events)
        if {"person_name", "id_number"} & fresh:
            return []
        return [SlotSet(slot, None) for slot in IDENTITY_SLOTS if tracker.get_slot(slot) is not None]
