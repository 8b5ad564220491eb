"""Rasa's SQL event broker with personal data masked before a row is written.

The staff console reads this table for what applicants asked that the assistant did not
understand (it is a copy of every event, kept for as long as the upkeep needs). Rasa writes
events as they are; here, before writing: every string has ID numbers and mobile numbers
masked (`pickup_rules.masking.mask_for_log`), and the values of the slots that hold a
person's name, ID number, phone or address are replaced by "***" (a name or an address
cannot be found inside free text; in a slot it is known for what it is).

endpoints.yml:
    event_broker:
      type: bot.event_broker.MaskingSQLEventBroker
      dialect: sqlite
      db: var/rasa_events.db
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Text

from rasa.core.brokers.sql import SQLEventBroker

from bot.store_engines import engine_for_store
from pickup_rules.masking import mask_for_log

PERSONAL_SLOTS = frozenset({
    "person_name", "id_number", "phone", "address", "proxy_name", "proxy_id_number",
    "collector_name", "collector_id_number", "idempotency_key",
})
HIDDEN = "***"


def masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_for_log(value)
    if isinstance(value, dict):
        return {key: masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def masked_event(event: Dict[Text, Any]) -> Dict[Text, Any]:
    event = masked(event)
    if event.get("event") == "slot" and event.get("name") in PERSONAL_SLOTS and event.get("value") is not None:
        event["value"] = HIDDEN
    return event


class MaskingSQLEventBroker(SQLEventBroker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # As the tracker store's (see there): a publish is part of saving a turn.
        self.engine = engine_for_store(self.engine)
        self.sessionmaker.configure(bind=self.engine)

    def publish(self, event: Dict[Text, Any]) -> None:
        self.publish_all([event])

    def publish_all(self, events: List[Dict[Text, Any]]) -> None:
        """A turn's events in one transaction (bot/tracker_store.py): one commit, not one each."""
        if not events:
            return
        rows = []
        for event in events:
            safe = masked_event(event)
            rows.append({"sender_id": safe.get("sender_id"), "data": json.dumps(safe)})
        with self.engine.begin() as connection:
            connection.execute(self.SQLBrokerEvent.__table__.insert(), rows)
