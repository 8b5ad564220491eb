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
import itertools
import json
import os
from typing import Any, Optional, Text

import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.store_engines import engine_for_store

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
        # SQLite kept open with a write-ahead log; PostgreSQL's pooled connections tested
        # before use (see there: without it, after a restart of PostgreSQL, the first turn of
        # every conversation would find no tracker and start the conversation afresh).
        self.engine = engine_for_store(self.engine)
        self.sessionmaker.configure(bind=self.engine)

    def seal(self, data: dict) -> str:
        return self._fernet.encrypt(json.dumps(data).encode()).decode("ascii")

    def unseal(self, text: str) -> dict:
        return json.loads(self._fernet.decrypt(text.encode("ascii")))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """As `SQLTrackerStore.save`, with each event sealed, in SQLAlchemy Core: Rasa's ORM
        session cost more than the database (py-spy under `make bench`). The new events go to
        the event broker from the same count of stored rows: Rasa's `stream_events` reads the
        whole conversation back (unsealing and replaying every event) only to find them."""
        table = self.SQLEvent.__table__
        with self.engine.begin() as connection:
            stored = connection.execute(
                sa.select(sa.func.count()).select_from(table).where(self._latest_session(tracker.sender_id))
            ).scalar_one()
            new_events = [event.as_dict() for event in itertools.islice(tracker.events, stored, None)]
            if not new_events:
                return
            # published before the rows are written, as Rasa does: a failed publish fails the save
            self.publish(tracker.sender_id, new_events)
            connection.execute(table.insert(), [{
                "sender_id": tracker.sender_id,
                "type_name": data.get("event"),
                "timestamp": data.get("timestamp"),
                "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                "action_name": data.get("name"),
                "data": self.seal(data),
            } for data in new_events])

    def _latest_session(self, sender_id: Text) -> Any:
        """Rasa's `_event_query` filter: the sender's events from its latest `session_started`
        on, or all of them when it has none."""
        table = self.SQLEvent.__table__
        session_start = sa.select(sa.func.max(table.c.timestamp)).where(
            table.c.sender_id == sender_id, table.c.type_name == SessionStarted.type_name).scalar_subquery()
        return sa.and_(table.c.sender_id == sender_id,
                       sa.or_(table.c.timestamp >= session_start, session_start.is_(None)))

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
        table = self.SQLEvent.__table__
        query = sa.select(table.c.data).order_by(table.c.id)
        query = query.where(table.c.sender_id == sender_id if fetch_events_from_all_sessions
                            else self._latest_session(sender_id))
        with self.engine.connect() as connection:
            events = [self.unseal(data) for data in connection.execute(query).scalars()]
        if not self.domain or not events:
            return None
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
