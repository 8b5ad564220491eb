"""Decisions on an application pushed to the holder's subscribed conversations
(EXTERNAL_application_update), with the pickup notices' exactly-once rules; the
conversation that applied is subscribed without being sent the notice again."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from app.models import DeliveryState, NoticeSubscription, PushDelivery
from app.services.notifications import APPLICATION_INTENT, NOTICE_INTENT, NoticeDispatcher, RasaNotifier
from tests.factories import list_group, offices_loaded, people, publish_batches
from tests.rasa_auth import RASA_JWT_SECRET
from tests.test_notifications import RasaRecorder

ADDRESS = "广东省深圳市南山区科技园南路18号A座1203室"


@pytest.fixture
def rasa():
    recorder = RasaRecorder()
    yield recorder
    recorder.server.shutdown()


@pytest.fixture
def dispatcher(engine, rasa):
    return NoticeDispatcher(sessionmaker(engine, expire_on_commit=False),
                            RasaNotifier(rasa.url, RASA_JWT_SECRET, timeout=2), max_attempts=3, backoff_seconds=30)


@pytest.fixture
def holder(client, staff, session):
    offices_loaded(client, staff)
    [cert, _other] = list_group(session, batch_no="2026年第3批", occupation="育婴员", level="四级", holders=people(2))
    publish_batches(client, staff, ["2026年第3批"])
    return cert


def _subscribe(client, channel, conversation, cert):
    response = client.post("/api/v1/subscriptions", json={
        "channel": channel, "conversation_id": conversation, "name": cert.holder_name, "id_number": cert.id_number})
    assert response.status_code == 201, response.text


def _apply(client, body, key):
    response = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})
    assert response.status_code in (200, 201), response.text
    return response.json()


def _mail(cert, **extra):
    return {"kind": "mail", "name": cert.holder_name, "id_number": cert.id_number, "phone": "13712345678",
            "address": ADDRESS, **extra}


def _move(client, staff, number, to, **extra):
    response = client.post(f"/api/v1/staff/applications/{number}/transitions", headers=staff,
                           json={"to": to, **extra})
    assert response.status_code == 200, response.text


def _sent(rasa, start=0):
    return [(c["path"].split("/")[2], c["query"]["output_channel"][0], c["body"]) for c in rasa.calls[start:]]


def test_each_decision_reaches_every_conversation_of_the_holder_once(client, staff, holder, dispatcher, rasa,
                                                                     session):
    _subscribe(client, "socketio", "web-holder", holder)
    _subscribe(client, "rest", "rest-holder", holder)  # cannot be pushed to
    assert dispatcher.run_once() == 1  # the pickup notice, to the conversation that asked for it
    app = _apply(client, _mail(holder, channel="wechat", conversation_id="openid-applicant"), key="push-mail-1")
    linked = session.scalar(select(NoticeSubscription).where(NoticeSubscription.conversation_id == "openid-applicant"))
    assert (linked.channel, linked.holder_name, linked.id_number) == ("wechat", holder.holder_name, holder.id_number)
    assert dispatcher.run_once() == 0  # the applicant is not sent the pickup notice again
    number, cert = app["number"], app["certificate"]
    common = {"application_number": number, "kind": "mail", "certificate_occupation": "育婴员",
              "certificate_level": "四级", "certificate_no": cert["certificate_no"]}

    _move(client, staff, number, "accepted")
    _move(client, staff, number, "reviewing")  # not a decision: not pushed
    assert dispatcher.run_once() == 2
    assert sorted(_sent(rasa, 1), key=lambda c: c[0]) == [
        ("openid-applicant", "wechat", {"name": APPLICATION_INTENT, "entities": {**common, "state": "accepted"}}),
        ("web-holder", "socketio", {"name": APPLICATION_INTENT, "entities": {**common, "state": "accepted"}})]

    _move(client, staff, number, "completed")
    _move(client, staff, number, "delivered", express_company="示例快递", tracking_no="SF1234567890")
    assert dispatcher.run_once() == 4
    assert dispatcher.run_once() == 0
    completed, delivered = ({**common, "state": "completed", "delivery_due_on": "2026-10-13",
                             "delivery_due_estimated": False},
                            {**common, "state": "delivered", "delivery_due_on": "2026-10-13",
                             "delivery_due_estimated": False, "express_company": "示例快递",
                             "tracking_no": "SF1234567890"})
    to_applicant = [body["entities"] for conv, _, body in _sent(rasa, 3) if conv == "openid-applicant"]
    assert to_applicant == [completed, delivered]
    for call in rasa.calls:
        assert holder.id_number not in str(call) and holder.holder_name not in str(call)

    deliveries = client.get(f"/api/v1/staff/applications/{number}/deliveries", headers=staff).json()["deliveries"]
    assert sorted((d["step"], d["channel"], d["state"]) for d in deliveries) == sorted(
        (step, channel, "sent") for step in ("accepted", "completed", "delivered")
        for channel in ("socketio", "wechat"))


def test_a_refusal_is_pushed_with_its_reason_masked(client, staff, holder, dispatcher, rasa):
    proxy = people(1)[0]
    app = _apply(client, {"kind": "proxy", "name": holder.holder_name, "id_number": holder.id_number,
                          "proxy_name": proxy[0], "proxy_id_number": proxy[1], "channel": "socketio",
                          "conversation_id": "web-proxy"}, key="push-proxy-1")
    _move(client, staff, app["number"], "rejected", reason=f"受托人{proxy[1]}的委托书未签名")
    assert dispatcher.run_once() == 1
    [(conversation, _, body)] = _sent(rasa)
    entities = body["entities"]
    assert conversation == "web-proxy" and body["name"] == APPLICATION_INTENT
    assert (entities["kind"], entities["state"]) == ("proxy", "rejected")
    assert entities["reason"] == f"受托人{proxy[1][:6]}********{proxy[1][-4:]}的委托书未签名"
    assert not {"express_company", "tracking_no", "delivery_due_on"} & set(entities)


def test_a_proxy_delivered_at_the_counter_and_organisations_are_not_pushed(client, staff, holder, dispatcher,
                                                                            rasa, session):
    _subscribe(client, "wechat", "openid-holder", holder)
    dispatcher.run_once()
    proxy = people(1)[0]
    app = _apply(client, {"kind": "proxy", "name": holder.holder_name, "id_number": holder.id_number,
                          "proxy_name": proxy[0], "proxy_id_number": proxy[1]}, key="push-proxy-2")
    for step in ("accepted", "reviewing", "completed"):
        _move(client, staff, app["number"], step)
    collected = client.post("/api/v1/staff/collections", headers=staff, json={
        "certificate_nos": [holder.certificate_no], "method": "代领", "collector_name": proxy[0],
        "receipt_signed": True, "application_number": app["number"]})
    assert collected.status_code == 201, collected.text
    assert [b["entities"]["state"] for _, _, b in _sent(rasa, 1)] == []
    assert dispatcher.run_once() == 2  # accepted, completed; not the counter's 送达
    assert [b["entities"]["state"] for _, _, b in _sent(rasa, 1)] == ["accepted", "completed"]

    collector = people(1)[0]
    org = _apply(client, {"kind": "organization", "organization_name": "示例家政服务有限公司",
                          "batch_no": "2026年第3批", "occupation": "育婴员", "level": "四级", "headcount": 1,
                          "collector_name": collector[0], "collector_id_number": collector[1],
                          "visit_date": "2026-10-12", "channel": "wechat", "conversation_id": "openid-org"},
                 key="push-org-1")
    for step in ("accepted", "reviewing", "completed"):
        _move(client, staff, org["number"], step)
    assert dispatcher.run_once() == 0
    assert session.scalar(select(func.count()).select_from(NoticeSubscription)
                          .where(NoticeSubscription.conversation_id == "openid-org")) == 0


def test_a_failed_push_is_retried_and_an_unknown_one_never(client, staff, holder, engine, rasa, session):
    dispatcher = NoticeDispatcher(sessionmaker(engine, expire_on_commit=False),
                                  RasaNotifier(rasa.url, RASA_JWT_SECRET, timeout=0.5), max_attempts=3, backoff_seconds=30)
    app = _apply(client, _mail(holder, channel="wechat", conversation_id="openid-retry"), key="push-retry-1")
    _move(client, staff, app["number"], "accepted")
    rasa.failures_left = 1
    t0 = dt.datetime.now(dt.timezone.utc)
    assert dispatcher.run_once(t0) == 1
    assert dispatcher.run_once(t0 + dt.timedelta(seconds=31)) == 1
    [delivery] = session.scalars(select(PushDelivery)).all()
    assert (delivery.state, delivery.attempts) == (DeliveryState.SENT, 2)

    rasa.delay = 1.5
    _move(client, staff, app["number"], "returned", reason="地址无法投递")
    assert dispatcher.run_once(t0 + dt.timedelta(seconds=60)) == 1
    assert dispatcher.run_once(t0 + dt.timedelta(hours=2)) == 0
    session.expire_all()
    states = sorted(d.state for d in session.scalars(select(PushDelivery)))
    assert states == [DeliveryState.SENT, DeliveryState.UNKNOWN]
    assert len(rasa.calls) == 3


def test_applying_again_links_the_conversation_once(client, staff, holder, session):
    def links():
        return session.scalar(select(func.count()).select_from(NoticeSubscription))

    body = _mail(holder, channel="socketio", conversation_id="web-twice")
    first = _apply(client, body, key="push-twice-1")
    again = _apply(client, body, key="push-twice-1")  # a retry of the same submission
    assert first["number"] == again["number"] and links() == 1
    _move(client, staff, first["number"], "rejected", reason="地址不详")
    second = _apply(client, body, key="push-twice-2")  # applying again from the same conversation
    assert links() == 1
    _move(client, staff, second["number"], "rejected", reason="地址不详")
    _apply(client, _mail(holder, channel="socketio"), key="push-no-conversation")  # no conversation id
    assert links() == 1


def test_a_pickup_notice_carries_the_subscribers_own_last_day(client, staff, session, dispatcher, rasa):
    offices_loaded(client, staff)
    [national] = list_group(session, batch_no="QG2026-0820", occupation="电工", level="三级", holders=people(1),
                            exam_type="national", blanks_arrived_on=dt.date(2026, 8, 20))
    _subscribe(client, "wechat", "openid-national", national)
    notice = publish_batches(client, staff, ["QG2026-0820"])
    assert dispatcher.run_once() == 1
    assert rasa.calls[0]["body"] == {"name": NOTICE_INTENT, "entities": {
        "notice_id": str(notice["id"]), "deadline": "2026-10-08", "deadline_estimated": False}}
    deliveries = client.get(f"/api/v1/staff/notices/{notice['id']}/deliveries", headers=staff).json()["deliveries"]
    assert [(d["conversation_id"], d["state"]) for d in deliveries] == [("openid-national", "sent")]


@pytest.mark.parametrize("kinds", [(), ("notice", "step")])
def test_a_delivery_is_for_exactly_one_event(client, staff, holder, session, kinds):
    _subscribe(client, "wechat", "openid-check", holder)
    app = _apply(client, _mail(holder), key="push-check-1")
    _move(client, staff, app["number"], "accepted")
    existing = session.scalars(select(PushDelivery)).all()
    notice_id = next(d.notice_id for d in existing if d.notice_id)
    step_id = next(d.application_step_id for d in existing if d.application_step_id)
    other = NoticeSubscription(channel="socketio", conversation_id="web-other", holder_name="x", id_number="1" * 18)
    session.add(other)
    session.commit()
    event = {"notice_id": notice_id if "notice" in kinds else None,
             "application_step_id": step_id if "step" in kinds else None}
    session.add(PushDelivery(subscription_id=other.id, **event))
    with pytest.raises(IntegrityError, match="(?i)check|ck_push_deliveries_one_event"):
        session.commit()
    session.rollback()
