"""A published pickup notice pushed into a subscriber's conversation.

The backend triggers the intent EXTERNAL_pickup_notice with the entity notice_id through
Rasa's HTTP API; this action reads the notice back and says where and until when."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BackendAction, utter_backend_error
from actions.formatting import cn_date


class ActionPickupNotice(BackendAction):
    def name(self) -> str:
        return "action_pickup_notice"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        notice_id = next(tracker.get_latest_entity_values("notice_id"), None)
        if not str(notice_id or "").isdigit():
            return []  # not from the backend: nothing to announce
        result = await self.backend(tracker, "notice", int(notice_id))
        if not result.ok:
            # The backend records the delivery as sent; the person can still ask for the status.
            utter_backend_error(dispatcher, result.error)
            return []
        notice, office = result.content, result.content["office"]
        response = "utter_notice_published_estimated" if notice.get("deadline_estimated") else "utter_notice_published"
        dispatcher.utter_message(response=response, office_name=office["name"], office_address=office["address"],
                                 office_phone=office["phone"], office_hours=office["hours"],
                                 deadline=cn_date(notice["deadline"]))
        return [SlotSet("office_name", office["name"]), SlotSet("office_phone", office["phone"])]
