"""Validation shared by every form that asks for people and a final confirmation.

Domain entries the subclasses rely on: the responses named by the `check_*` functions
in `actions.validation` (`utter_invalid_*`), `utter_submission_restart`, and the slots
`id_masked`, `proxy_id_masked`, `collector_id_masked`, `idempotency_key`.

Every form's validation action is a `TaskFormValidation`: a message that asks for another
task fills none of the form's slots, so that the switch question comes (see there).
"""

from __future__ import annotations

import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecutionRejected, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.formatting import china_today
from actions.forms.registry import INTERRUPTING_INTENTS, TASK_FORMS, switches_task  # noqa: F401 (re-exported)
from actions.validation import Check, check_id_number, check_person_name, find_id_number, mask_id, plainly_a_name

SURE = 0.8


def leaves_the_question(tracker: Tracker) -> bool:
    """True when the latest message, by its intent, is not an answer to the form's question:
    a question or a notice the rules answer mid-form, or another task."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    name = intent.get("name")
    return name in INTERRUPTING_INTENTS or switches_task(name, tracker.active_loop_name)


def free_text_answer(tracker: Tracker, slot: str, check: Callable[[str], Check], *,
                     over_entity: bool = False, plainly: Callable[[str], bool] | None = None) -> dict[str, Any]:
    """The latest message's text as a candidate for `slot`, when the form just asked for it.

    Names and addresses are often classified as something else (a bare name as `affirm`,
    an address as `request_mail` inside the mail form); their text is still the answer.
    Only a message that confidently leaves the question (a question, a pushed notice,
    another task: `leaves_the_question`), or does so unsurely with a text that is not a
    valid answer, is left to the rules; not even then when `plainly(text)` says the text
    is surely an answer (a name made of this domain's words: 王依法). Button payloads and
    values an entity already gave are not overwritten, unless `over_entity` and the whole
    text is itself a valid answer (entity extraction often cuts names and addresses short:
    吴建国 -> 建国)."""
    if tracker.get_slot("requested_slot") != slot:
        return {}
    from_entity = slot in tracker.slots_to_validate()
    if from_entity and not over_entity:
        return {}
    message = tracker.latest_message or {}
    text = (message.get("text") or "").strip()
    if not text or text.startswith("/") or (from_entity and not check(text).ok):
        return {}
    pushed = ((message.get("intent") or {}).get("name") or "").startswith("EXTERNAL_")
    if plainly is not None and not pushed and plainly(text):
        return {slot: text}
    if leaves_the_question(tracker):
        # An intent without a confidence was not guessed by the classifier: a pushed notice
        # (Rasa's trigger_intent, text "EXTERNAL: …") or a button payload.
        confidence = (message.get("intent") or {}).get("confidence", 1.0)
        if confidence is None or confidence >= SURE or not check(text).ok:
            return {}
    return {slot: text}


def name_answer(tracker: Tracker, slot: str) -> dict[str, Any]:
    """The reply to a name question (`person_name`, `proxy_name`, `collector_name`): a reply
    that is plainly a name is the name, whatever the classifier made of it."""
    return free_text_answer(tracker, slot, check_person_name, over_entity=True, plainly=plainly_a_name)


def checked(slot: str, value: Any, check: Callable[[Any], Check], dispatcher: CollectingDispatcher,
            **also: Any) -> dict[str, Any]:
    """The slot (and `also`) when the value is valid; otherwise explain and re-ask.

    A value of None is a slot being cleared (by an action, or a deny), not an answer:
    nothing to explain."""
    if value is None:
        return {slot: None}
    result = check(value)
    if result.ok:
        return {slot: result.value, **also}
    dispatcher.utter_message(response=result.problem)
    return {slot: None}


def name_slot(slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    if value is not None and not check_person_name(value).ok and find_id_number(value):
        # An ID number where the name was asked: the ID slot took it; just ask the name again.
        return {slot: None}
    return checked(slot, value, check_person_name, dispatcher)


def id_slot(slot: str, masked_slot: str, value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    result = checked(slot, value, lambda text: check_id_number(text, today=china_today()), dispatcher)
    if result[slot] is None:
        return result
    return {**result, masked_slot: mask_id(result[slot])}


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


# Events after which a tracker's slots start again from their initial values.
_SLOTS_RESET = frozenset({"restart", "reset_slots", "session_started"})


def value_before(events: list[dict[str, Any]], slot: str, *, until: int | None = None) -> Any:
    """The slot's value just before the event at index `until` (default: the latest user
    message), as the tracker's history sets it."""
    if until is None:
        until = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    value = None
    for event in events[:until]:
        if event.get("event") == "slot" and event.get("name") == slot:
            value = event.get("value")
        elif event.get("event") in _SLOTS_RESET:
            value = None
    return value


# No form may loop: from the second refusal of the same question in a row, the applicant is
# offered the way out (the office's phone, 12333, a person, stopping) and keeps what was given.
REFUSED_ANSWERS = "refused_answers"
REFUSALS_BEFORE_WAY_OUT = 2


def count_refusal(tracker: Tracker, key: str, refused: bool) -> tuple[list[EventType], bool]:
    """The events that count (or, answered well, forget) the refusals of `key`, and whether
    the way out is due now."""
    counts = dict(tracker.get_slot(REFUSED_ANSWERS) or {})
    if refused:
        counts[key] = counts.get(key, 0) + 1
    elif counts.pop(key, None) is None:
        return [], False
    return [SlotSet(REFUSED_ANSWERS, counts or None)], refused and counts[key] >= REFUSALS_BEFORE_WAY_OUT


def forget_refusals(tracker: Tracker) -> list[EventType]:
    """When the form is done with (submitted, stopped, left for another task)."""
    return [SlotSet(REFUSED_ANSWERS, None)] if tracker.get_slot(REFUSED_ANSWERS) else []


def utter_way_out(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(response="utter_form_way_out", office_name=tracker.get_slot("office_name") or "",
                             office_phone=tracker.get_slot("office_phone"))


class TaskFormValidation(FormValidationAction, ABC):
    """The validation action of every form: a message that asks for another task fills none
    of the form's slots.

    Rasa's slot mappings fill slots from entities before the form runs: "帮陈小明查进度"
    inside the mail form would give the mail form's `person_name` the name, the form would
    take it as an answer and go on, and the switch question (data/rules/forms.yml) would
    never come. Here such a message (`switches_task`) puts back every slot of the form that
    it set and rejects the form's execution, exactly as a message that fills nothing does;
    the rules then ask whether to switch, and `action_switch_task` gives the new task the
    holder the message named. Only when the classifier was unsure and the text itself
    answers the form's question (`free_text_answer`) is the message an answer after all."""

    @abstractmethod
    def name(self) -> str:
        """`validate_<form name>`."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        if switches_task(intent, self.form_name()):
            form_slots = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
            filled = [slot for slot, value in tracker.slots_to_validate().items()
                      if slot in form_slots and value is not None]
            if filled and not await self.get_extraction_events(dispatcher, tracker, domain):
                return [*(SlotSet(slot, value_before(tracker.events, slot)) for slot in filled),
                        ActionExecutionRejected(self.form_name())]
        # Read before the validation runs: it adds its verdicts to the tracker's events.
        asked = tracker.get_slot("requested_slot")
        answered = asked is not None and tracker.slots_to_validate().get(asked) is not None
        events = await super().run(dispatcher, tracker, domain)
        if not answered:
            return events
        return [*events, *self.refusals_counted(dispatcher, tracker, asked, events)]

    @staticmethod
    def refusals_counted(dispatcher: CollectingDispatcher, tracker: Tracker, asked: str,
                         events: list[EventType]) -> list[EventType]:
        """Count a refused answer to the question just asked (forget the count once it is
        answered well); from the second refusal in a row, offer the way out."""
        outcome = [e for e in events if e.get("event") == "slot" and e.get("name") == asked]
        if not outcome:
            return []
        counted, way_out = count_refusal(tracker, asked, refused=outcome[-1].get("value") is None)
        if way_out:
            utter_way_out(dispatcher, tracker)
        return counted


class ApplicantFormValidation(TaskFormValidation, ABC):
    """Name and ID number of the applicant, for every form that asks for them."""

    async def extract_person_name(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        return name_answer(tracker, "person_name")

    async def extract_id_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: DomainDict) -> dict[str, Any]:
        return free_text_answer(tracker, "id_number", check_id_number)

    async def validate_person_name(self, value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return name_slot("person_name", value, dispatcher)

    async def validate_id_number(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return id_slot("id_number", "id_masked", value, dispatcher)


# A typed answer to a summary's 修改 button ("修改", "我要改一下", "重填"): the NLU may take
# it for ask_correction (wrong data printed on a certificate); at a summary it is a deny.
CHANGE_REQUEST = re.compile(r"^(?:我)?(?:要|想|需要)?(?:修改|改|重填|重新填|重新输入)(?:一下|下|一改)?[。！!.～~]*$")


class SubmissionFormValidation(ApplicantFormValidation, ABC):
    """A form that ends with a summary: affirm confirms it and fixes the submission's
    idempotency key; deny clears the form so that it starts over."""

    async def extract_confirm_submission(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                         domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "confirm_submission":
            return {}
        text = ((tracker.latest_message or {}).get("text") or "").strip()
        return {"confirm_submission": False} if CHANGE_REQUEST.match(text) else {}

    async def validate_confirm_submission(self, value: Any, dispatcher: CollectingDispatcher,
                                          tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if value is None:  # cleared by an action, not answered
            return {"confirm_submission": None}
        if value is True:
            return {"confirm_submission": True, "idempotency_key": new_idempotency_key()}
        dispatcher.utter_message(response="utter_submission_restart")
        cleared = {slot: None for slot in self.domain_slots(domain)}
        return {**cleared, "idempotency_key": None}
