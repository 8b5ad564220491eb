"""Event classes found by name from a table give what Rasa's walk over the classes gives
(bot/event_types.py)."""

from __future__ import annotations

import pytest
import rasa.shared.utils.common
from rasa.shared.core.events import Event, SlotSet, UserUttered, deserialise_events

import bot  # noqa: F401 (installs the table, as the Rasa server does when it imports the channels)


def walked(type_name: str, default: type | None = None) -> type | None:
    """Rasa 3.6's `Event.resolve_by_type`, as written there."""
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    if type_name == "topic":
        return None
    if default is not None:
        return default
    raise ValueError(f"Unknown event name '{type_name}'.")


def test_every_event_name_resolves_to_the_class_rasas_walk_finds() -> None:
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert {"user", "slot", "action", "bot", "active_loop", "session_started"} <= names
    for name in sorted(names) + ["topic"]:
        for _ in range(2):  # the second answer comes from the table
            assert Event.resolve_by_type(name) is walked(name)


def test_unknown_names_are_refused_as_before_and_defaults_kept() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="Unknown event name 'no_such_event'"):
            Event.resolve_by_type("no_such_event")
    assert Event.resolve_by_type("no_such_event", default=UserUttered) is UserUttered
    assert deserialise_events([{"event": "slot", "name": "phone", "value": None}]) == [SlotSet("phone", None)]


def test_a_class_defined_later_is_found() -> None:
    assert Event.resolve_by_type("test_later_event", default=UserUttered) is UserUttered

    class LaterEvent(Event):
        type_name = "test_later_event"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, LaterEvent)

        def __hash__(self) -> int:
            return hash(self.type_name)

        def as_story_string(self) -> None:
            return None

    assert walked("test_later_event", UserUttered) is LaterEvent
    assert Event.resolve_by_type("test_later_event", default=UserUttered) is LaterEvent
