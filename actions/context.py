"""The previous turn's topic, for reading a short follow-up ("他去帮我领，要带什么" after a
proxy question, "那要多久" after a mail question).

The classifier reads one message at a time; what the applicant asked just before is the
context a person would use. It is used in two places only: the materials form takes the
pickup method of a proxy or organisation question asked just before, and the fallback
(`actions.conversation.ActionFallback`) takes the classifier's best topic reading of a short
message it was unsure of when the previous turn had a topic, instead of asking to rephrase."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, UserUttered, UserUtteranceReverted

# Questions that set a topic a short follow-up can continue.
TOPIC_INTENTS = frozenset({
    "ask_materials", "ask_location", "ask_office_hours", "ask_deadline", "ask_pickup_notice", "request_mail",
    "request_proxy", "ask_organization_pickup", "check_status", "ask_fee", "ask_verify", "ask_lost",
    "ask_e_certificate", "ask_correction", "ask_legal_basis", "subscribe_notice",
})
# The pickup method a materials question continues from the topic before it.
TOPIC_METHODS = {"request_proxy": "代领", "ask_organization_pickup": "单位"}
# A follow-up is short ("那要多久", "他要带什么"); a longer message says what it is about.
FOLLOW_UP_MAX_CHARS = 16
# The least confidence of a topic reading taken for a follow-up (the fallback's is 0.4).
FOLLOW_UP_MIN_CONFIDENCE = 0.15


def intent_of(message: dict[str, Any] | None) -> str | None:
    return ((message or {}).get("intent") or {}).get("name")


def user_turns(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The user events still in the history: a `rewind` (UserUtteranceReverted) takes the
    last one out."""
    users: list[dict[str, Any]] = []
    for event in events:
        if event.get("event") == "user":
            users.append(event)
        elif event.get("event") == "rewind" and users:
            users.pop()
    return users


def previous_topic(tracker: Tracker) -> str | None:
    """The intent of the user turn before the latest one, when it set a topic."""
    users = user_turns(tracker.events)
    if len(users) < 2:
        return None
    intent = intent_of(users[-2].get("parse_data"))
    return intent if intent in TOPIC_INTENTS else None


def follow_up_reading(tracker: Tracker) -> str | None:
    """The topic a short, unsure message is read as after a topic turn: the classifier's best
    topic reading when it reaches FOLLOW_UP_MIN_CONFIDENCE, else None (ask to rephrase)."""
    message = tracker.latest_message or {}
    if previous_topic(tracker) is None or len(str(message.get("text") or "").strip()) > FOLLOW_UP_MAX_CHARS:
        return None
    for reading in message.get("intent_ranking") or []:
        if reading.get("name") in TOPIC_INTENTS:
            return reading["name"] if reading.get("confidence", 0.0) >= FOLLOW_UP_MIN_CONFIDENCE else None
    return None


def read_again_as(tracker: Tracker, intent: str) -> list[EventType]:
    """Events that replace the latest message by the same text read as `intent`, so that the
    policies answer it as that intent (as Rasa's two-stage fallback does once affirmed)."""
    message = dict(tracker.latest_message or {})
    parse_data = {**message, "intent": {"name": intent, "confidence": 1.0}, "follow_up_of": previous_topic(tracker)}
    return [UserUtteranceReverted(), ActionExecuted("action_listen"),
            UserUttered(message.get("text"), parse_data=parse_data, input_channel=message.get("input_channel"))]
