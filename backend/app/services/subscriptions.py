"""Notice subscriptions. The answer never says whether the person is on a list."""

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


def subscribe(session: Session, request: SubscriptionRequest, *, actor: str, today: dt.date,
              push_channels: list[str]) -> dict:
    id_number = normalize_id(request.id_number, today=today)
    name = normalize_name(request.name)
    existing = session.scalar(select(NoticeSubscription).where(
        NoticeSubscription.channel == request.channel,
        NoticeSubscription.conversation_id == request.conversation_id,
        NoticeSubscription.id_number == id_number))
    created = existing is None
    subscription = existing or NoticeSubscription(
        channel=request.channel, conversation_id=request.conversation_id, id_number=id_number)
    subscription.holder_name = name
    session.add(subscription)
    audit.record(session, actor=actor, action="notice_subscribed", target=mask_id(id_number),
                 detail={"channel": request.channel})
    try:
        session.flush()
        queue_for_subscription(session, subscription, push_channels)
        session.commit()
    except IntegrityError:  # the same subscription sent twice at once
        session.rollback()
        created = False
    return {"subscribed": True, "created": created, "channel": request.channel,
            "push_supported": request.channel in push_channels,
            "id_number_masked": mask_id(id_number)}
