"""What to bring, by pickup method (the seed's 申请材料 table and its closing summary)."""

from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import TOPIC_METHODS, previous_topic
from actions.validation import pickup_method_named

MATERIALS_RESPONSES = {
    "本人": "utter_materials_self",
    "代领": "utter_materials_proxy",
    "单位": "utter_materials_organization",
}


# Asked in the middle of these forms, the method is the form's own.
FORM_METHODS = {"proxy_form": "代领", "organization_form": "单位"}


def method_in_question(tracker: Tracker) -> dict[str, str | None]:
    """The method a materials question names ("代领要带什么", "公司统一领要什么材料"), or
    None so that the form asks: a method from an earlier answer does not answer this one,
    but a follow-up of a proxy or organisation question ("他去帮我领，要带什么" right after
    "能让我儿子代领吗") continues its method (actions/context.py).
    The text counts before an entity, which may be a word cut out of it: "不是本人去领"
    names a proxy, not 本人."""
    message = tracker.latest_message or {}
    if (message.get("intent") or {}).get("name") != "ask_materials":
        return {}
    entity = next(tracker.get_latest_entity_values("pickup_method"), None)
    return {"pickup_method": pickup_method_named(message.get("text")) or pickup_method_named(entity)
            or TOPIC_METHODS.get(previous_topic(tracker) or "")}


class ActionTellMaterials(Action):
    def name(self) -> str:
        return "action_tell_materials"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        loop = tracker.active_loop_name
        if loop in FORM_METHODS:
            method = FORM_METHODS[loop]
        elif loop:
            # a question in the middle of another form: only what the question itself says
            method = method_in_question(tracker).get("pickup_method")
        else:
            method = tracker.get_slot("pickup_method")
        dispatcher.utter_message(response=MATERIALS_RESPONSES.get(method, "utter_materials_all"))
        return []
