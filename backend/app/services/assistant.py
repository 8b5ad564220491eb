"""The assistant as the hotline guide uses it: one turn through Rasa's REST channel, then
that turn's bot messages read back from the conversation's tracker (Rasa's HTTP API),
each with the response it came from and the rule it rests on.

Rasa 3.6 puts the response name in a BotUttered event's `metadata.utter_action` and
a response's own `metadata:` map from domain.yml under `metadata.metadata`; the
citation is that map's `source`. Answers are never copied here: the same assistant
answers applicants and agents.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote

import jwt
import requests

# Marks our user message in the tracker, so that the turn is found even when the
# agent's conversation already holds the same question.
TURN_KEY = "hotline_turn"
# Each call to Rasa's HTTP API carries a JWT this many seconds long-lived.
RASA_JWT_SECONDS = 60


def rasa_auth_headers(jwt_secret: str | None) -> dict[str, str]:
    """`Authorization: Bearer <JWT>` for Rasa's HTTP API (`rasa run --jwt-secret`): role admin,
    which Rasa's `requires_auth` lets call every endpoint, HS256 as Rasa's default
    `--jwt-method`. A header, not `?token=`: Rasa logs query strings."""
    if not jwt_secret:
        return {}
    now = int(time.time())
    token = jwt.encode({"user": {"username": "pickup-backend", "role": "admin"}, "iat": now,
                        "exp": now + RASA_JWT_SECONDS}, jwt_secret, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


class AssistantUnavailable(Exception):
    """Rasa did not answer, answered with an error, or the turn is not in its tracker."""


@dataclass
class BotMessage:
    text: str | None
    response: str | None = None
    source: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    image: str | None = None
    attachment: object = None
    metadata: dict = field(default_factory=dict)

    def public(self) -> dict:
        return {"text": self.text, "response": self.response, "source": self.source,
                "buttons": self.buttons, "image": self.image, "attachment": self.attachment,
                "metadata": self.metadata}


def response_source(metadata: dict) -> str | None:
    """The citation of a BotUttered event. Rasa 3.6 keeps the response's own `metadata:`
    map under the event metadata's key `metadata` (next to `utter_action`); a flat
    `source` (a custom action's extra keyword) is accepted too."""
    nested = metadata.get("metadata")
    source = nested.get("source") if isinstance(nested, dict) else None
    if source is None:
        source = metadata.get("source")
    if source is None:
        return None
    return str(source).strip() or None


def _bot_message(event: dict) -> BotMessage:
    metadata = event.get("metadata") or {}
    data = event.get("data") or {}
    buttons = [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))}
               for b in (data.get("buttons") or data.get("quick_replies") or []) if isinstance(b, dict)]
    return BotMessage(
        text=event.get("text"),
        response=metadata.get("utter_action"),
        source=response_source(metadata),
        buttons=buttons,
        image=data.get("image"),
        attachment=data.get("attachment"),
        metadata=metadata,
    )


def turn_messages(events: list[dict], turn_id: str) -> list[BotMessage]:
    """The bot messages that follow the user message marked `turn_id`, up to the next user message."""
    start = None
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "user" and (event.get("metadata") or {}).get(TURN_KEY) == turn_id:
            start = index
            break
    if start is None:
        raise AssistantUnavailable("turn not found in the tracker")
    messages = []
    for event in events[start + 1:]:
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            messages.append(_bot_message(event))
    return messages


class RasaAssistant:
    """All HTTP to Rasa for the hotline: the REST webhook and the tracker endpoint."""

    def __init__(self, base_url: str, jwt_secret: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.jwt_secret = jwt_secret
        self.timeout = timeout

    def ask(self, sender_id: str, question: str) -> list[BotMessage]:
        turn_id = uuid.uuid4().hex
        try:
            sent = requests.post(f"{self.base_url}/webhooks/rest/webhook", timeout=self.timeout,
                                 json={"sender": sender_id, "message": question,
                                       "metadata": {TURN_KEY: turn_id}})
            if sent.status_code != 200:
                raise AssistantUnavailable(f"REST webhook answered {sent.status_code}")
            tracker = requests.get(f"{self.base_url}/conversations/{quote(sender_id, safe='')}/tracker",
                                   params={"include_events": "ALL"}, headers=rasa_auth_headers(self.jwt_secret),
                                   timeout=self.timeout)
            if tracker.status_code != 200:
                raise AssistantUnavailable(f"tracker endpoint answered {tracker.status_code}")
            events = tracker.json().get("events") or []
        except (requests.RequestException, ValueError) as exc:
            raise AssistantUnavailable(type(exc).__name__) from exc
        return turn_messages(events, turn_id)
