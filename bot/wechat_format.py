"""Rasa bot messages as WeChat text, and the small per-process memories the channel keeps.

WeChat has no buttons in passive replies or customer-service text: buttons become
numbered lines, and a bare number typed back is turned into that button's payload.
Images and attachments become links. Several messages of one turn are joined by blank
lines into one passive reply.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import OrderedDict
from typing import Any, Callable, Dict, Generic, Hashable, Iterable, List, Optional, TypeVar

_CHOICE = re.compile(r"^\d{1,2}$")

V = TypeVar("V")


def render_buttons(text: str, buttons: Iterable[Dict[str, Any]]) -> str:
    lines = [text] if text else []
    lines += [f"{i}. {button.get('title') or button.get('payload', '')}"
              for i, button in enumerate(buttons, start=1)]
    return "\n".join(lines)


def render_message(message: Dict[str, Any]) -> str:
    """One Rasa bot message (as `CollectingOutputChannel` stores it) as plain text."""
    parts: List[str] = []
    text = (message.get("text") or "").strip()
    buttons = message.get("buttons") or message.get("quick_replies") or []
    if buttons:
        parts.append(render_buttons(text, buttons))
    elif text:
        parts.append(text)
    for key in ("image", "attachment"):
        link = message.get(key)
        if isinstance(link, dict):  # attachments may be {"type": ..., "payload": {"src": ...}}
            link = (link.get("payload") or {}).get("src") or link.get("url")
        if isinstance(link, str) and link:
            parts.append(link)
    return "\n".join(parts)


def join_messages(messages: Iterable[Dict[str, Any]]) -> str:
    """All bot messages of a turn as one text, separated by blank lines."""
    return "\n\n".join(t for t in (render_message(m) for m in messages) if t)


def last_buttons(messages: Iterable[Dict[str, Any]]) -> List[Dict[str, Any]]:
    found: List[Dict[str, Any]] = []
    for message in messages:
        buttons = message.get("buttons") or message.get("quick_replies")
        if buttons:
            found = list(buttons)
    return found


class TTLCache(Generic[V]):
    """A bounded in-memory map whose entries expire. Lives in ONE process: with several
    Rasa processes, WeChat's retries may reach another process (see README)."""

    def __init__(self, ttl: float, maxsize: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.maxsize = maxsize
        self._clock = clock
        self._data: "OrderedDict[Hashable, tuple[float, V]]" = OrderedDict()

    def get(self, key: Hashable) -> Optional[V]:
        item = self._data.get(key)
        if item is None:
            return None
        expires, value = item
        if expires <= self._clock():
            del self._data[key]
            return None
        return value

    def put(self, key: Hashable, value: V) -> None:
        self._data.pop(key, None)
        self._data[key] = (self._clock() + self.ttl, value)
        now = self._clock()
        while self._data:
            oldest_key, (expires, _) = next(iter(self._data.items()))
            if len(self._data) <= self.maxsize and expires > now:
                break
            del self._data[oldest_key]

    def pop(self, key: Hashable) -> Optional[V]:
        value = self.get(key)
        self._data.pop(key, None)
        return value

    def __len__(self) -> int:
        return len(self._data)


class ButtonMemory:
    """The buttons last shown to each user, so that typing "2" picks the second one.
    They apply to the user's next message only: `resolve` forgets them."""

    def __init__(self, ttl: float = 3600, maxsize: int = 10_000) -> None:
        self._cache: TTLCache[List[Dict[str, Any]]] = TTLCache(ttl, maxsize)

    def remember(self, sender_id: str, messages: Iterable[Dict[str, Any]]) -> None:
        buttons = last_buttons(messages)
        if buttons:
            self._cache.put(sender_id, buttons)

    def resolve(self, sender_id: str, text: str) -> str:
        """The payload of the chosen button when `text` is just its number, else `text`."""
        buttons = self._cache.pop(sender_id) or []
        choice = unicodedata.normalize("NFKC", text or "").strip()
        if not _CHOICE.match(choice):
            return text
        index = int(choice) - 1
        if 0 <= index < len(buttons) and buttons[index].get("payload"):
            return str(buttons[index]["payload"])
        return text
