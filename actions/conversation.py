"""Conversation repair: fallbacks, handover to people, and stopping a form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.forms.certificates import forget_choice

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = ("action_fallback", "action_default_fallback")
FALLBACKS_BEFORE_HANDOFF = 2


def consecutive_fallbacks(events: list[dict[str, Any]]) -> int:
    """How many user turns in a row were not understood, the current one included (a
    fallback action is running for it): a turn counts when NLU fell back (`nlu_fallback`)
    or when a fallback action answered it."""
    turns: list[tuple[str | None, list[str]]] = []
    for event in events:
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            turns.append((intent, []))
        elif event.get("event") == "action" and turns:
            turns[-1][1].append(event.get("name"))
    count = 0
    for position, (intent, actions) in enumerate(reversed(turns)):
        if position and intent != FALLBACK_INTENT and not set(actions) & set(FALLBACK_ACTIONS):
            break
        count += 1
    return count


def last_active_form(events: list[dict[str, Any]]) -> str | None:
    """The form that was active most recently (before a deactivation)."""
    for event in reversed(events):
        if event.get("event") == "active_loop" and event.get("name"):
            return event["name"]
    return None


def utter_handoff(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    office_phone = tracker.get_slot("office_phone")
    if office_phone:
        dispatcher.utter_message(response="utter_handoff_office", office_phone=office_phone,
                                 office_name=tracker.get_slot("office_name") or "")
    else:
        dispatcher.utter_message(response="utter_handoff")


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        utter_handoff(dispatcher, tracker)
        return []


class ActionFallback(Action):
    """Ask to rephrase; after the second misunderstanding in a row, hand over."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        if consecutive_fallbacks(tracker.events) >= FALLBACKS_BEFORE_HANDOFF:
            utter_handoff(dispatcher, tracker)
        else:
            dispatcher.utter_message(response="utter_please_rephrase")
        return []


class ActionDefaultFallback(ActionFallback):
    """Rasa's core fallback (the policies are unsure what to do next), counted the same way.
    Like Rasa's own default, it takes the misunderstood message out of the history."""

    def name(self) -> str:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        await super().run(dispatcher, tracker, domain)
        return [UserUtteranceReverted()]


class ActionAskStop(Action):
    """Runs right after the form was paused: remember it and ask whether to drop it."""

    def name(self) -> str:
        return "action_ask_stop"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_ask_confirm_stop")
        return [SlotSet("stopped_form", last_active_form(tracker.events))]


class ActionDropForm(Action):
    """The applicant confirmed: forget what the stopped form collected, and a certificate
    choice (the next form run must not show it)."""

    def name(self) -> str:
        return "action_drop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        form = tracker.get_slot("stopped_form")
        form_slots = ((domain.get("forms") or {}).get(form) or {}).get("required_slots") or []
        dispatcher.utter_message(response="utter_form_stopped")
        cleared = [SlotSet(slot, None) for slot in form_slots if tracker.get_slot(slot) is not None]
        return [*cleared, *forget_choice(tracker), SlotSet("stopped_form", None), SlotSet("requested_slot", None),
                SlotSet("idempotency_key", None), SlotSet("confirm_submission", None)]


class ActionResumeForm(Action):
    """The applicant wants to go on: the rule runs the form again right after this."""

    def name(self) -> str:
        return "action_resume_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_form_resumed")
        return [SlotSet("stopped_form", None)]
