"""Rasa's event classes found by name from a table instead of a walk over every class.

Rasa 3.6 turns each stored or received event back into an object with
`Event.resolve_by_type(name)`, which walks all subclasses of `Event` (recursively, checking
each for abstractness) until one has that `type_name`. A turn does it for every event of the
conversation read from the tracker store and for every event the action server sends back:
~2 ms of each 5 ms read of the store (cProfile of `bot/tracker_store.py`). Here the answer of
the walk is remembered per name, and forgotten whenever a new subclass of `Event` is defined
(`__init_subclass__`), so the class found is always the one Rasa's walk would find.
"""

from __future__ import annotations

from typing import Any, Optional


def resolve_event_types_from_a_table() -> None:
    """Idempotent: Rasa may import the channels more than once."""
    from rasa.shared.core.events import Event

    if getattr(Event.resolve_by_type, "_from_a_table", False):
        return
    walk = Event.resolve_by_type
    found: dict[tuple[str, Any], Optional[type]] = {}

    def resolve_by_type(type_name: str, default: Optional[type] = None) -> Optional[type]:
        key = (type_name, default)
        if key not in found:
            found[key] = walk(type_name, default)  # raises for an unknown name: not remembered
        return found[key]

    previous_hook = Event.__dict__.get("__init_subclass__")

    def __init_subclass__(cls: type, **kwargs: Any) -> None:  # noqa: N807
        found.clear()
        if previous_hook is not None:
            previous_hook.__func__(cls, **kwargs)
        else:
            super(Event, cls).__init_subclass__(**kwargs)

    resolve_by_type._from_a_table = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]
    Event.__init_subclass__ = classmethod(__init_subclass__)  # type: ignore[method-assign,assignment]
