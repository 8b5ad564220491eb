"""What to bring, by pickup method (the seed's 申请材料 table and its closing summary)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

MATERIALS_RESPONSES = {
    "本人": "utter_materials_self",
    "代领": "utter_materials_proxy",
    "单位": "utter_materials_organization",
}


# Asked in the middle of these forms, the method is the form's own.
FORM_METHODS = {"proxy_form": "代领", "organization_form": "单位"}


class ActionTellMaterials(Action):
    def name(self) -> str:
        return "action_tell_materials"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        method = FORM_METHODS.get(tracker.active_loop_name) or tracker.get_slot("pickup_method")
        dispatcher.utter_message(response=MATERIALS_RESPONSES.get(method, "utter_materials_all"))
        return []
