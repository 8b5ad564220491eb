"""Pushed messages: a published pickup notice, or a decision on an application, queued in
the database for each subscribed conversation of the person concerned and delivered through
Rasa's trigger_intent by a dispatcher that retries with backoff.

trigger_intent has no idempotency key (a second call runs the turn twice), so the
(event, subscription) row is unique, each delivery is claimed by one dispatcher only (every
backend replica runs one), and a delivery whose fate is unknown after a crash is never sent
again: a person hears of one event at most once per conversation.
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
    ApplicationKind,
    ApplicationState,
    ApplicationStep,
    Certificate,
    CertificateState,
    DeliveryState,
    NoticeSubscription,
    PushDelivery,
)
from app.rules.deadlines import pickup_deadline
from app.rules.identity import mask_ids_in_text
from app.services.assistant import rasa_auth_headers
from app.services.calendar import calendar_for

log = logging.getLogger("notifications")

NOTICE_INTENT = "EXTERNAL_pickup_notice"
APPLICATION_INTENT = "EXTERNAL_application_update"
# The decisions a holder is told of. 送达 only for mail (with the tracking number): a proxy's
# or an organisation's delivery happens at the counter.
PUSHED_STEPS = {ApplicationState.ACCEPTED, ApplicationState.REJECTED, ApplicationState.RETURNED,
                ApplicationState.COMPLETED, ApplicationState.DELIVERED}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _subscriptions_of(session: Session, *, name: str, id_number: str,
                      push_channels: list[str]) -> list[NoticeSubscription]:
    return list(session.scalars(select(NoticeSubscription).where(
        NoticeSubscription.id_number == id_number, NoticeSubscription.holder_name == name,
        NoticeSubscription.channel.in_(push_channels)).order_by(NoticeSubscription.id)))


def queue_for_notice(session: Session, notice_id: int, push_channels: list[str]) -> int:
    """One delivery per subscribed conversation of a person on this notice's list."""
    subscriptions = session.scalars(
        select(NoticeSubscription).join(Certificate, and_(
            Certificate.id_number == NoticeSubscription.id_number,
            Certificate.holder_name == NoticeSubscription.holder_name))
        .where(Certificate.notice_id == notice_id, NoticeSubscription.channel.in_(push_channels))
        .distinct()
    ).all()
    return _queue(session, [{"notice_id": notice_id, "subscription_id": s.id} for s in subscriptions])


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
    return _queue(session, [{"notice_id": n, "subscription_id": subscription.id} for n in notice_ids])


def queue_for_step(session: Session, step: ApplicationStep, push_channels: list[str]) -> int:
    """A decision on a mail or proxy application, to every subscribed conversation of the
    certificate's holder. An organisation's application has no holder to tell."""
    app = step.application
    cert = app.certificate
    if cert is None or step.state not in PUSHED_STEPS:
        return 0
    if step.state == ApplicationState.DELIVERED and app.kind != ApplicationKind.MAIL:
        return 0
    subscriptions = _subscriptions_of(session, name=cert.holder_name, id_number=cert.id_number,
                                      push_channels=push_channels)
    return _queue(session, [{"application_step_id": step.id, "subscription_id": s.id}
                            for s in subscriptions])


def _queue(session: Session, events: list[dict]) -> int:
    queued = 0
    for event in events:
        exists = session.scalar(select(PushDelivery.id).filter_by(**event))
        if exists is None:
            session.add(PushDelivery(**event))
            queued += 1
    return queued


def notice_entities(session: Session, delivery: PushDelivery) -> dict:
    """The notice, and the subscriber's own last day: the earliest of their certificates on it."""
    subscription = delivery.subscription
    certs = session.scalars(select(Certificate).where(
        Certificate.notice_id == delivery.notice_id, Certificate.id_number == subscription.id_number,
        Certificate.holder_name == subscription.holder_name)).all()
    calendar = calendar_for(session)
    deadlines = [d for d in (pickup_deadline(c.batch, delivery.notice.published_on, calendar) for c in certs) if d]
    entities: dict[str, object] = {"notice_id": str(delivery.notice_id)}
    if deadlines:
        earliest = min(deadlines, key=lambda d: d.date)
        entities.update(deadline=earliest.date.isoformat(), deadline_estimated=earliest.estimated)
    return entities


def step_entities(step: ApplicationStep) -> dict:
    """What the holder is told of a decision: never a name or an ID number. Keys that do not
    apply are left out."""
    app = step.application
    cert = app.certificate
    entities: dict[str, object] = {
        "application_number": app.number, "kind": app.kind, "state": step.state,
        "reason": mask_ids_in_text(step.reason) if step.reason else None,
        # Not `occupation` / `level`: those are the NLU's entities, and the organisation form
        # fills its slots from them; a decision pushed during that form must fill none.
        "certificate_occupation": cert.occupation, "certificate_level": cert.level,
        "certificate_no": cert.certificate_no,
    }
    if step.state in (ApplicationState.COMPLETED, ApplicationState.DELIVERED) and app.delivery_due_on:
        entities.update(delivery_due_on=app.delivery_due_on.isoformat(),
                        delivery_due_estimated=app.delivery_due_estimated)
    if step.state == ApplicationState.DELIVERED and app.delivery is not None:
        entities.update(express_company=app.delivery.express_company, tracking_no=app.delivery.tracking_no)
    return {k: v for k, v in entities.items() if v is not None}


def push_message(session: Session, delivery: PushDelivery) -> tuple[str, dict]:
    """(intent, entities) of a delivery, read when it is sent."""
    if delivery.notice_id is not None:
        return NOTICE_INTENT, notice_entities(session, delivery)
    return APPLICATION_INTENT, step_entities(delivery.application_step)


class DeliveryError(Exception):
    """The message did not reach Rasa, or Rasa refused it: safe to try again."""


class DeliveryUnknown(Exception):
    """The request left but no answer came: the turn may have run, so it is not retried."""


class RasaNotifier:
    """Runs the pushed turn in the subscriber's conversation, on their channel."""

    def __init__(self, base_url: str, jwt_secret: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.jwt_secret = jwt_secret
        self.timeout = timeout

    def send(self, subscription: NoticeSubscription, intent: str, entities: dict) -> None:
        url = f"{self.base_url}/conversations/{quote(subscription.conversation_id, safe='')}/trigger_intent"
        body = {"name": intent, "entities": entities}
        try:
            response = requests.post(url, params={"output_channel": subscription.channel}, json=body,
                                     headers=rasa_auth_headers(self.jwt_secret), timeout=self.timeout)
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
        """Send every due delivery once; return how many were attempted. Any number of
        dispatchers (one per backend replica) may run at once: each delivery is claimed by
        exactly one (`_claim`)."""
        now = now or _now()
        with self.session_factory() as session:
            session.execute(
                update(PushDelivery)
                .where(PushDelivery.state == DeliveryState.SENDING,
                       PushDelivery.claimed_at < now - dt.timedelta(seconds=self.lease_seconds))
                .values(state=DeliveryState.UNKNOWN, last_error="dispatcher stopped mid-send")
            )
            session.commit()
            tried: list[int] = []  # a delivery due again at once waits for the next round
            while len(tried) < self.batch_size:
                delivery_id = self._claim(session, now, tried)
                if delivery_id is None:
                    break
                tried.append(delivery_id)
                self._deliver(session, session.get(PushDelivery, delivery_id), now)
            return len(tried)

    @staticmethod
    def _claim(session: Session, now: dt.datetime, tried: list[int]) -> int | None:
        """The next due delivery, marked SENDING in a transaction of its own. On PostgreSQL
        `FOR UPDATE SKIP LOCKED`: a row another dispatcher is claiming is passed over, never
        waited for nor taken twice. SQLite has no row locks (one process writes at a time);
        there the conditional UPDATE alone decides."""
        while True:
            delivery_id = session.scalar(
                select(PushDelivery.id)
                .where(PushDelivery.state == DeliveryState.PENDING, PushDelivery.next_attempt_at <= now,
                       PushDelivery.id.not_in(tried))
                .order_by(PushDelivery.next_attempt_at, PushDelivery.id).limit(1)
                .with_for_update(skip_locked=True)
            )
            if delivery_id is None:
                session.rollback()
                return None
            claimed = session.execute(
                update(PushDelivery)
                .where(PushDelivery.id == delivery_id, PushDelivery.state == DeliveryState.PENDING)
                .values(state=DeliveryState.SENDING, claimed_at=now)
            ).rowcount
            session.commit()
            if claimed:
                return delivery_id

    def _deliver(self, session: Session, delivery: PushDelivery, now: dt.datetime) -> None:
        delivery.attempts += 1
        try:
            intent, entities = push_message(session, delivery)
            self.notifier.send(delivery.subscription, intent, entities)
        except DeliveryUnknown as exc:
            delivery.state, delivery.last_error = DeliveryState.UNKNOWN, str(exc)[:300]
            log.warning("%s to %s: outcome unknown, not retried: %s", _event(delivery),
                        delivery.subscription.channel, exc)
        except DeliveryError as exc:
            delivery.last_error = str(exc)[:300]
            if delivery.attempts >= self.max_attempts:
                delivery.state = DeliveryState.FAILED
            else:
                delivery.state = DeliveryState.PENDING
                delay = self.backoff_seconds * 2 ** (delivery.attempts - 1)
                delivery.next_attempt_at = now + dt.timedelta(seconds=delay)
            log.warning("%s to %s failed (attempt %d): %s", _event(delivery),
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


def _event(delivery: PushDelivery) -> str:
    if delivery.notice_id is not None:
        return f"notice {delivery.notice_id}"
    return f"application step {delivery.application_step_id}"


def _deliveries_public(rows: list[PushDelivery]) -> list[dict]:
    return [{"channel": d.subscription.channel, "conversation_id": d.subscription.conversation_id,
             "state": d.state, "attempts": d.attempts, "last_error": d.last_error,
             "sent_at": d.sent_at.isoformat() if d.sent_at else None} for d in rows]


def deliveries_public(session: Session, notice_id: int) -> list[dict]:
    return _deliveries_public(session.scalars(
        select(PushDelivery).where(PushDelivery.notice_id == notice_id).order_by(PushDelivery.id)).all())


def application_deliveries_public(session: Session, application_id: int) -> list[dict]:
    rows = session.scalars(
        select(PushDelivery).join(ApplicationStep, ApplicationStep.id == PushDelivery.application_step_id)
        .where(ApplicationStep.application_id == application_id).order_by(PushDelivery.id)).all()
    return [{"step": d.application_step.state, **public}
            for d, public in zip(rows, _deliveries_public(rows), strict=True)]
