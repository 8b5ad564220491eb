"""Conversations that survive a restart of Rasa, with no personal data readable at rest.

Rasa's `SQLTrackerStore` keeps every event as JSON text: the applicant's messages and the
slots, full ID numbers and phone numbers included, since a form needs them until it submits.
This store is the same (SQLite under `make run`, PostgreSQL in deployment: any dialect Rasa's
store takes) with each event's JSON sealed by Fernet (AES-128-CBC + HMAC-SHA256, from
`cryptography`) under a key only the Rasa processes hold (`TRACKER_STORE_KEY`). The columns
Rasa queries (sender, event type, intent and action names, timestamp) stay as they are.

endpoints.yml:
    tracker_store:
      type: bot.tracker_store.EncryptedSQLTrackerStore
      dialect: sqlite
      db: var/tracker.db
      key: ${TRACKER_STORE_KEY}
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any, Optional, Text

from cryptography.fernet import Fernet
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

MIN_KEY_LENGTH = 32


def fernet_for(secret: str | None) -> Fernet:
    """Any secret string of 32+ characters, stretched to Fernet's 32-byte key."""
    if not secret or secret.startswith("${") or len(secret) < MIN_KEY_LENGTH:
        raise ValueError(f"TRACKER_STORE_KEY must be set to a secret of at least {MIN_KEY_LENGTH} characters: "
                         "conversations hold ID numbers and phone numbers")
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()))


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` whose `events.data` column holds sealed JSON."""

    def __init__(self, *args: Any, key: Optional[Text] = None, **kwargs: Any) -> None:
        # Refused before connecting: Rasa would otherwise start with a store nobody can read.
        self._fernet = fernet_for(key or os.environ.get("TRACKER_STORE_KEY"))
        super().__init__(*args, **kwargs)
        # After a restart of PostgreSQL the pooled connections are dead: test each before use
        # (Rasa's engine does not), or the first turn of every conversation afterwards would
        # find no tracker and start the conversation afresh.
        self.engine.pool._pre_ping = True

    def seal(self, data: dict) -> str:
        return self._fernet.encrypt(json.dumps(data).encode()).decode("ascii")

    def unseal(self, text: str) -> dict:
        return json.loads(self._fernet.decrypt(text.encode("ascii")))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As `SQLTrackerStore.save`, with each event sealed. The new events go to the event
        broker from the same count of stored rows: Rasa's `stream_events` reads the whole
        conversation back (unsealing and replaying every event) only to find them, which
        was a third of a turn's time in the store (docs/per-turn-cost.md)."""
        with self.session_scope() as session:
            new_events = [event.as_dict() for event in self._additional_events(session, tracker)]
            # published before the rows are written, as Rasa does: a failed publish fails the save
            self.publish(tracker.sender_id, new_events)
            for data in new_events:
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=data.get("event"),
                    timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=self.seal(data),
                ))
            session.commit()

    def publish(self, sender_id: Text, events: list[dict]) -> None:
        """The events to the broker as Rasa streams them, in one go when the broker can."""
        if self.event_broker is None or not events:
            return
        bodies = [{"sender_id": sender_id, **data} for data in events]
        publish_all = getattr(self.event_broker, "publish_all", None)
        if publish_all is not None:
            publish_all(bodies)
            return
        for body in bodies:
            self.event_broker.publish(body)

    async def _retrieve(self, sender_id: Text,
                        fetch_events_from_all_sessions: bool) -> Optional[DialogueStateTracker]:
        """As `SQLTrackerStore._retrieve`, unsealing. Events sealed under another key (a key
        changed without re-sealing) raise `InvalidToken`: loudly, since starting such a
        conversation afresh would not work either (`save` counts the stored rows)."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=fetch_events_from_all_sessions).all()
            events = [self.unseal(row.data) for row in rows]
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
