"""Pushed pickup notices: queued in the database when a notice is published, delivered
through Rasa's trigger_intent by a dispatcher that retries with backoff.

trigger_intent has no idempotency key (a second call runs the turn twice), so the
(notice, subscription) row is unique and a delivery whose fate is unknown after a crash
is never sent again: a person hears of one notice at most once per conversation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from urllib.parse import quote

import requests
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from app.models import (
    Certificate,
    CertificateState,
    DeliveryState,
    NoticeDelivery,
    NoticeSubscription,
)

log = logging.getLogger("notifications")

NOTICE_INTENT = "EXTERNAL_pickup_notice"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def queue_for_notice(session: Session, notice_id: int, push_channels: list[str]) -> int:
    """One delivery per subscribed conversation of a person on this notice's list."""
    subscriptions = session.scalars(
        select(NoticeSubscription).join(Certificate, and_(
            Certificate.id_number == NoticeSubscription.id_number,
            Certificate.holder_name == NoticeSubscription.holder_name))
        .where(Certificate.notice_id == notice_id, NoticeSubscription.channel.in_(push_channels))
        .distinct()
    ).all()
    return _queue(session, [(notice_id, s.id) for s in subscriptions])


def queue_for_subscription(session: Session, subscription: NoticeSubscription,
                           push_channels: list[str]) -> int:
    """A person who subscribes after their notice was published is told at once."""
    if subscription.channel not in push_channels:
        return 0
    notice_ids = session.scalars(
        select(Certificate.notice_id).where(
            Certificate.id_number == subscription.id_number,
            Certificate.holder_name == subscription.holder_name,
            Certificate.state == CertificateState.READY, Certificate.notice_id.is_not(None))
        .distinct()
    ).all()
    return _queue(session, [(n, subscription.id) for n in notice_ids])


def _queue(session: Session, pairs: list[tuple[int, int]]) -> int:
    queued = 0
    for notice_id, subscription_id in pairs:
        exists = session.scalar(select(NoticeDelivery.id).where(
            NoticeDelivery.notice_id == notice_id, NoticeDelivery.subscription_id == subscription_id))
        if exists is None:
            session.add(NoticeDelivery(notice_id=notice_id, subscription_id=subscription_id))
            queued += 1
    return queued


class DeliveryError(Exception):
    """The notice did not reach Rasa, or Rasa refused it: safe to try again."""


class DeliveryUnknown(Exception):
    """The request left but no answer came: the turn may have run, so it is not retried."""


class RasaNotifier:
    """Runs the notice turn in the subscriber's conversation, on their channel."""

    def __init__(self, base_url: str, token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def send(self, subscription: NoticeSubscription, notice_id: int) -> None:
        url = f"{self.base_url}/conversations/{quote(subscription.conversation_id, safe='')}/trigger_intent"
        params = {"output_channel": subscription.channel}
        if self.token:
            params["token"] = self.token
        body = {"name": NOTICE_INTENT, "entities": {"notice_id": str(notice_id)}}
        try:
            response = requests.post(url, params=params, json=body, timeout=self.timeout)
        except requests.ReadTimeout:
            raise DeliveryUnknown(f"Rasa did not answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            raise DeliveryError(f"Rasa unreachable: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise DeliveryError(f"Rasa answered {response.status_code}")


class NoticeDispatcher:
    def __init__(self, session_factory: Callable[[], Session], notifier: RasaNotifier, *,
                 max_attempts: int = 5, backoff_seconds: float = 30.0, lease_seconds: float = 300.0,
                 batch_size: int = 20) -> None:
        self.session_factory = session_factory
        self.notifier = notifier
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size

    def run_once(self, now: dt.datetime | None = None) -> int:
        """Send every due delivery once; return how many were attempted."""
        now = now or _now()
        with self.session_factory() as session:
            session.execute(
                update(NoticeDelivery)
                .where(NoticeDelivery.state == DeliveryState.SENDING,
                       NoticeDelivery.claimed_at < now - dt.timedelta(seconds=self.lease_seconds))
                .values(state=DeliveryState.UNKNOWN, last_error="dispatcher stopped mid-send")
            )
            due = session.scalars(
                select(NoticeDelivery.id)
                .where(NoticeDelivery.state == DeliveryState.PENDING, NoticeDelivery.next_attempt_at <= now)
                .order_by(NoticeDelivery.next_attempt_at).limit(self.batch_size)
            ).all()
            session.commit()
            attempted = 0
            for delivery_id in due:
                claimed = session.execute(
                    update(NoticeDelivery)
                    .where(NoticeDelivery.id == delivery_id, NoticeDelivery.state == DeliveryState.PENDING)
                    .values(state=DeliveryState.SENDING, claimed_at=now)
                ).rowcount
                session.commit()
                if claimed:
                    attempted += 1
                    self._deliver(session, session.get(NoticeDelivery, delivery_id), now)
            return attempted

    def _deliver(self, session: Session, delivery: NoticeDelivery, now: dt.datetime) -> None:
        delivery.attempts += 1
        try:
            self.notifier.send(delivery.subscription, delivery.notice_id)
        except DeliveryUnknown as exc:
            delivery.state, delivery.last_error = DeliveryState.UNKNOWN, str(exc)[:300]
            log.warning("notice %s to %s: outcome unknown, not retried: %s", delivery.notice_id,
                        delivery.subscription.channel, exc)
        except DeliveryError as exc:
            delivery.last_error = str(exc)[:300]
            if delivery.attempts >= self.max_attempts:
                delivery.state = DeliveryState.FAILED
            else:
                delivery.state = DeliveryState.PENDING
                delay = self.backoff_seconds * 2 ** (delivery.attempts - 1)
                delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
            log.warning("notice %s to %s failed (attempt %d): %s", delivery.notice_id,
                        delivery.subscription.channel, delivery.attempts, exc)
        else:
            delivery.state, delivery.sent_at, delivery.last_error = DeliveryState.SENT, _now(), None
        session.commit()

    async def run_forever(self, poll_seconds: float) -> None:
        while True:
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:  # keep the loop alive; the rows say what happened
                log.exception("notice dispatch round failed")
            await asyncio.sleep(poll_seconds)


def deliveries_public(session: Session, notice_id: int) -> list[dict]:
    rows = session.scalars(select(NoticeDelivery).where(NoticeDelivery.notice_id == notice_id)
                           .order_by(NoticeDelivery.id)).all()
    return [{"channel": d.subscription.channel, "conversation_id": d.subscription.conversation_id,
             "state": d.state, "attempts": d.attempts, "last_error": d.last_error,
             "sent_at": d.sent_at.isoformat() if d.sent_at else None} for d in rows]
