"""Messages the backend pushes into a conversation through Rasa's trigger_intent: a
published pickup notice (EXTERNAL_pickup_notice) or a decision on the holder's mail or
proxy application (EXTERNAL_application_update). One action says either, so that one set of
rules covers both, inside forms too (data/rules/notices.yml).

A notice's entities are `notice_id` and the subscriber's own last day (`deadline`,
`deadline_estimated`); the action reads the notice back for where to collect. A decision's
entities say everything (number, state, staff's reason, delivery dates, express company);
they hold no name and no ID number."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api.answers import Notice
from actions.base import BackendAction, utter_backend_error
from actions.formatting import APPLICATION_KIND_LABELS, cn_date

NOTICE_INTENT = "EXTERNAL_pickup_notice"
UPDATE_INTENT = "EXTERNAL_application_update"

# A decision and the response that tells it; 办结 depends on what comes next for the kind.
UPDATE_RESPONSES = {
    "accepted": "utter_update_accepted",
    "rejected": "utter_update_rejected",
    "returned": "utter_update_returned",
    ("completed", "mail"): "utter_update_completed_mail",
    ("completed", "proxy"): "utter_update_completed_proxy",
    "delivered": "utter_update_mailed",
}


def entity_values(tracker: Tracker) -> dict[str, Any]:
    """The latest message's entities by name (trigger_intent passes them as a dict)."""
    return {e.get("entity"): e.get("value") for e in (tracker.latest_message or {}).get("entities") or []}


def _flag(value: object) -> bool:
    return value is True or str(value).lower() == "true"


class ActionPushedMessage(BackendAction):
    def name(self) -> str:
        return "action_pushed_message"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        entities = entity_values(tracker)
        if intent == UPDATE_INTENT:
            return self.decision(dispatcher, entities)
        return await self.notice(dispatcher, tracker, entities)

    async def notice(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                     entities: dict[str, Any]) -> list[EventType]:
        notice_id = entities.get("notice_id")
        if not str(notice_id or "").isdigit():
            return []  # not from the backend: nothing to announce
        result = await self.backend(tracker, "notice", int(notice_id))
        if not result.ok:
            # The backend records the delivery as sent; the person can still ask for the status.
            utter_backend_error(dispatcher, result.error)
            return []
        notice: Notice = result.answer
        office = notice.office
        deadline = entities.get("deadline")
        if not deadline:  # the notice's earliest last day, when the push did not carry one
            deadline = min((b.deadline.date for b in notice.batches if b.deadline), default=None)
        response = ("utter_notice_published_estimated" if _flag(entities.get("deadline_estimated"))
                    else "utter_notice_published")
        dispatcher.utter_message(response=response, office_name=office.name, office_address=office.address,
                                 office_phone=office.phone, office_hours=office.hours,
                                 deadline=cn_date(deadline))
        return [SlotSet("office_name", office.name), SlotSet("office_phone", office.phone)]

    @staticmethod
    def decision(dispatcher: CollectingDispatcher, entities: dict[str, Any]) -> list[EventType]:
        state, kind = entities.get("state"), entities.get("kind")
        response = UPDATE_RESPONSES.get(state) or UPDATE_RESPONSES.get((state, kind))
        if not response or not entities.get("application_number"):
            return []  # not a decision this assistant tells
        dispatcher.utter_message(
            response=response, number=entities["application_number"],
            kind_label=APPLICATION_KIND_LABELS.get(kind, ""), occupation=entities.get("certificate_occupation") or "",
            level=entities.get("certificate_level") or "", certificate_no=entities.get("certificate_no") or "",
            reason=entities.get("reason") or "未填写", due=cn_date(entities.get("delivery_due_on")),
            express_company=entities.get("express_company") or "", tracking_no=entities.get("tracking_no") or "")
        if _flag(entities.get("delivery_due_estimated")) and state == "completed" and kind == "mail":
            dispatcher.utter_message(response="utter_date_estimated")
        return []
