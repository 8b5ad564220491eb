"""Conversation repair: fallbacks, handover to people, stopping a form, and leaving a form
for another task.

Stopping and switching share one paused state: the form is deactivated and `stopped_form`
names it. `stop` asks "确定不办了吗？"; another task's intent asks "要先停下来，改为…吗？" and
also sets `switch_to`, the form of the wanted task (data/rules/forms.yml, pausing.yml). Yes
drops the form (and starts the wanted task); no, or an answer to the form's question, resumes
it. The rules only see whether a form is paused; these actions read which one, so the same
few rules serve every form (actions/forms/registry.py)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import follow_up_reading, read_again_as
from actions.formatting import china_today
from actions.forms.base import forget_refusals, value_before
from actions.forms.registry import TASK_FORMS, TASK_INTROS, TASK_LABELS
from actions.forms.certificates import forget_choice
from actions.validation import IDENTITY_SLOTS, check_id_number, check_person_name, mask_id

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
    """A short follow-up of a topic is read as the classifier's best topic reading
    (actions/context.py); otherwise ask to rephrase, and after the second misunderstanding
    in a row, hand over."""

    def name(self) -> str:
        return "action_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        reading = follow_up_reading(tracker) if self.name() == "action_fallback" else None
        if reading:
            return read_again_as(tracker, reading)
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


def forget_switch(tracker: Tracker) -> list[EventType]:
    """Clear the wanted task of a switch question, when one was asked."""
    return [SlotSet("switch_to", None)] if tracker.get_slot("switch_to") is not None else []


def forget_form(tracker: Tracker, domain: DomainDict, *, keep: Collection[str] = ()) -> list[EventType]:
    """Clear what the stopped form collected (its required slots but `keep`, a certificate
    choice) and the paused state."""
    form = tracker.get_slot("stopped_form")
    form_slots = ((domain.get("forms") or {}).get(form) or {}).get("required_slots") or []
    cleared = [SlotSet(slot, None) for slot in form_slots
               if slot not in keep and tracker.get_slot(slot) is not None]
    return [*cleared, *forget_choice(tracker), SlotSet("stopped_form", None), *forget_switch(tracker),
            SlotSet("requested_slot", None), SlotSet("idempotency_key", None), SlotSet("confirm_submission", None),
            *forget_refusals(tracker)]


class ActionDropForm(Action):
    """The applicant confirmed: forget what the stopped form collected."""

    def name(self) -> str:
        return "action_drop_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_form_stopped")
        return forget_form(tracker, domain)


class ActionResumeForm(Action):
    """The applicant wants to go on: the paused form is made active again, so that RulePolicy
    runs it next (its loop happy path), whichever form it is."""

    def name(self) -> str:
        return "action_resume_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        return resume(dispatcher, tracker)


def resume(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    dispatcher.utter_message(response="utter_form_resumed")
    form = tracker.get_slot("stopped_form")
    events: list[EventType] = [SlotSet("stopped_form", None), *forget_switch(tracker)]
    return [*events, ActiveLoop(form)] if form in TASK_LABELS else events


def utter_pause_question(dispatcher: CollectingDispatcher, form: str | None, wanted: str | None) -> None:
    """The question of a paused form: leave it for the wanted task, or (none wanted) stop."""
    if wanted in TASK_LABELS:
        dispatcher.utter_message(response="utter_ask_switch_task", current_task=TASK_LABELS.get(form or "", ""),
                                 new_task=TASK_LABELS[wanted])
    else:
        dispatcher.utter_message(response="utter_ask_confirm_stop")


class ActionRepeatPauseQuestion(Action):
    """A pushed notice came in while the applicant was being asked whether to stop or to
    switch (data/rules/notices.yml): after the notice, the same question again, so that the
    next answer still has its question. The paused state stays as it is."""

    def name(self) -> str:
        return "action_repeat_pause_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        utter_pause_question(dispatcher, tracker.get_slot("stopped_form"), tracker.get_slot("switch_to"))
        return []


class ActionAskSwitch(Action):
    """Runs right after a form was paused by another task's intent: remember the form and
    the wanted task, and ask once whether to leave the one for the other."""

    def name(self) -> str:
        return "action_ask_switch"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        form = last_active_form(tracker.events)
        wanted = TASK_FORMS.get(((tracker.latest_message or {}).get("intent") or {}).get("name"))
        utter_pause_question(dispatcher, form, wanted)
        if wanted is None:  # no task asked for: the plain stop question
            return [SlotSet("stopped_form", form)]
        return [SlotSet("stopped_form", form), SlotSet("switch_to", wanted)]


def task_request(tracker: Tracker) -> tuple[dict[str, Any], int | None]:
    """The message that asked for the task being switched to (its parse data) and the index
    of its event: the latest message when it names a task itself (the answer to the stop or
    switch question), else the message the switch question was asked for. ({}, None) when
    there is none."""
    user_events = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    latest = tracker.latest_message or {}
    if ((latest.get("intent") or {}).get("name")) in TASK_FORMS:
        return latest, (user_events[-1] if user_events else None)
    asked = False
    for index in range(len(tracker.events) - 1, -1, -1):
        event = tracker.events[index]
        if event.get("event") == "action" and event.get("name") == "action_ask_switch":
            asked = True
        elif asked and event.get("event") == "user":
            return event.get("parse_data") or {}, index
    return {}, None


def holder_named(message: dict[str, Any]) -> dict[str, str]:
    """The holder's name and ID number as the message gives them (entities), when valid."""
    checks = {"person_name": check_person_name, "id_number": lambda v: check_id_number(v, today=china_today())}
    named: dict[str, str] = {}
    for entity in message.get("entities") or []:
        slot = entity.get("entity")
        if slot in checks and slot not in named:
            result = checks[slot](entity.get("value"))
            if result.ok:
                named[slot] = result.value
    return named


def holder_for_new_task(kept: dict[str, Any], named: dict[str, str]) -> dict[str, Any]:
    """Who the new task is for, when the message that asked for it named a holder: that
    holder, completed with what the form had only when nothing named contradicts it (the
    same person); a different person's name never travels with the old ID number, nor an
    old name with a different ID number."""
    same = all(kept.get(slot) in (None, value) for slot, value in named.items())
    holder = {**kept, **named} if same else dict(named)
    holder_id = holder.get("id_number")
    return {"person_name": holder.get("person_name"), "id_number": holder_id,
            "id_masked": mask_id(holder_id) if holder_id else None}


class ActionSwitchTask(Action):
    """The applicant confirmed the switch (yes, or a task's intent as the answer to the
    switch or stop question: that task is the one wanted; the paused form's own task resumes
    it, as `action_resume_form` does): forget what the stopped form
    collected except who the holder is (name, ID number), and start the wanted task's form
    at once. When the message that asked for the task named a holder ("帮陈小明查进度"), the
    new task is for that holder (`holder_for_new_task`). The form is made active here (as
    `actions.applications.back_to_form` does), so that the policies predict it after this
    action just as the follow-up runs it."""

    def name(self) -> str:
        return "action_switch_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        form = tracker.get_slot("stopped_form")
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        wanted = TASK_FORMS.get(intent) or tracker.get_slot("switch_to")
        if wanted not in TASK_LABELS:  # nothing to switch to: a confirmed stop
            dispatcher.utter_message(response="utter_form_stopped")
            return forget_form(tracker, domain)
        if wanted == form:  # the paused form's own task: it goes on
            return resume(dispatcher, tracker)
        labels = {"current_task": TASK_LABELS.get(form, ""), "new_task": TASK_LABELS[wanted]}
        message, at = task_request(tracker)
        named = holder_named(message)
        holder_events: list[EventType] = []
        if not named:
            dispatcher.utter_message(response="utter_task_switched", **labels)
        else:
            kept = {slot: value_before(tracker.events, slot, until=at) for slot in ("person_name", "id_number")}
            holder = holder_for_new_task(kept, named)
            holder_events = [SlotSet(slot, value) for slot, value in holder.items() if tracker.get_slot(slot) != value]
            if holder["person_name"] and holder["id_masked"]:
                dispatcher.utter_message(response="utter_task_switched_to_holder_id", person_name=holder["person_name"],
                                         id_masked=holder["id_masked"], **labels)
            elif holder["person_name"]:
                dispatcher.utter_message(response="utter_task_switched_to_holder", person_name=holder["person_name"],
                                         **labels)
            else:
                dispatcher.utter_message(response="utter_task_switched_to_id", id_masked=holder["id_masked"], **labels)
        if wanted in TASK_INTROS:
            dispatcher.utter_message(response=TASK_INTROS[wanted])
        return [*forget_form(tracker, domain, keep=IDENTITY_SLOTS), *holder_events, ActiveLoop(wanted),
                FollowupAction(wanted)]
