"""Notice subscriptions: a conversation linked to a person (name + ID number), told of their
pickup notices and of the decisions on their applications. The answer never says whether
the person is on a list."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import NoticeSubscription
from app.rules.identity import mask_id, normalize_id
from app.rules.vocabulary import normalize_name
from app.schemas import SubscriptionRequest
from app.services import audit
from app.services.notifications import queue_for_subscription


def link_conversation(session: Session, *, channel: str, conversation_id: str, name: str,
                      id_number: str) -> tuple[NoticeSubscription, bool]:
    """(subscription, created), flushed; `id_number` already canonical."""
    existing = session.scalar(select(NoticeSubscription).where(
        NoticeSubscription.channel == channel, NoticeSubscription.conversation_id == conversation_id,
        NoticeSubscription.id_number == id_number))
    subscription = existing or NoticeSubscription(
        channel=channel, conversation_id=conversation_id, id_number=id_number)
    subscription.holder_name = normalize_name(name)
    session.add(subscription)
    session.flush()
    return subscription, existing is None


def subscribe(session: Session, request: SubscriptionRequest, *, actor: str, today: dt.date,
              push_channels: list[str]) -> dict:
    id_number = normalize_id(request.id_number, today=today)
    audit.record(session, actor=actor, action="notice_subscribed", target=mask_id(id_number),
                 detail={"channel": request.channel})
    try:
        with session.begin_nested():
            subscription, created = link_conversation(
                session, channel=request.channel, conversation_id=request.conversation_id,
                name=request.name, id_number=id_number)
            queue_for_subscription(session, subscription, push_channels)
    except IntegrityError:  # the same subscription sent twice at once
        created = False
    return {"subscribed": True, "created": created, "channel": request.channel,
            "push_supported": request.channel in push_channels,
            "id_number_masked": mask_id(id_number)}


def subscribe_applicant(session: Session, *, channel: str, conversation_id: str, name: str,
                        id_number: str, actor: str) -> None:
    """The conversation that applied hears each decision. Its pickup notice is not queued:
    someone who has just applied knows it. In a savepoint of its own: the application stands
    even when this fails."""
    try:
        with session.begin_nested():
            _, created = link_conversation(session, channel=channel, conversation_id=conversation_id,
                                           name=name, id_number=id_number)
            if created:
                audit.record(session, actor=actor, action="notice_subscribed", target=mask_id(id_number),
                             detail={"channel": channel, "by": "application"})
    except IntegrityError:  # the same conversation linked at the same moment: it is linked
        pass
