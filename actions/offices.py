"""Where and when: the office of the applicant's city, and whether it is open today."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.base import BackendAction, utter_backend_error
from actions.validation import canonical_city


class ActionOfficeInfo(BackendAction):
    def name(self) -> str:
        return "action_office_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        city = canonical_city(tracker.get_slot("city"))
        if not city:
            dispatcher.utter_message(response="utter_office_need_city")
            return []
        result = await self.backend(tracker, "offices", city)
        if not result.ok:
            utter_backend_error(dispatcher, result.error)
            return []
        offices = result.answer.offices
        if not offices:
            dispatcher.utter_message(response="utter_office_not_found", city=city)
            return [SlotSet("city", None)]
        office = offices[0]  # the backend lists the city-level office first
        dispatcher.utter_message(response="utter_office_info", city=city, office_name=office.name,
                                 office_address=office.address, office_phone=office.phone,
                                 office_hours=office.hours)
        if len(offices) > 1:
            dispatcher.utter_message(response="utter_office_more", city=city,
                                     other_offices="、".join(o.name for o in offices[1:]))
        day = await self.backend(tracker, "working_day")
        if day.ok and not day.answer.workday:
            dispatcher.utter_message(response="utter_office_closed_today", office_name=office.name)
        return [SlotSet("city", city), SlotSet("office_name", office.name), SlotSet("office_phone", office.phone)]
