"""Pushed pickup notices. Rasa's HTTP API is played by a recorder on loopback here; the
end-to-end test with a real Rasa server lives with the channel tests."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from app.models import DeliveryState, NoticeSubscription, PushDelivery
from app.services.notifications import NOTICE_INTENT, DeliveryError, NoticeDispatcher, RasaNotifier
from tests.rasa_auth import RASA_JWT_SECRET, rasa_accepts
from tests.utils import import_rows, load_offices, publish, valid_id

PUSH = ["socketio", "wechat"]


class RasaRecorder:
    """Answers trigger_intent like Rasa's HTTP API and records every call."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.failures_left = 0
        self.delay = 0.0
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", 0))
                url = urlparse(self.path)
                query = parse_qs(url.query)
                recorder.calls.append({"path": url.path, "query": query,
                                       "body": json.loads(self.rfile.read(length) or b"{}")})
                time.sleep(recorder.delay)
                status = 500 if recorder.failures_left > 0 else 200
                if not rasa_accepts(self.headers.get("Authorization"), query):
                    status = 401
                recorder.failures_left -= 1
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"messages": []}')

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def rasa():
    recorder = RasaRecorder()
    yield recorder
    recorder.server.shutdown()


@pytest.fixture
def dispatcher(engine, rasa):
    return NoticeDispatcher(sessionmaker(engine, expire_on_commit=False),
                            RasaNotifier(rasa.url, RASA_JWT_SECRET, timeout=2),
                            max_attempts=3, backoff_seconds=30)


@pytest.fixture
def people(client, staff):
    load_offices(client, staff)
    people = [(f"订阅{i}", valid_id()) for i in range(3)]
    rows = [(n, i, f"ZS-SUB-{k}", "电工", "四级", "JD-SUB") for k, (n, i) in enumerate(people)]
    assert import_rows(client, staff, rows).status_code == 201
    return people


def _subscribe(client, channel, conversation, person):
    response = client.post("/api/v1/subscriptions", json={
        "channel": channel, "conversation_id": conversation, "name": person[0], "id_number": person[1]})
    assert response.status_code == 201, response.text
    return response.json()


def test_publishing_notifies_each_subscribed_conversation_exactly_once(client, staff, people, dispatcher, rasa, session):
    _subscribe(client, "socketio", "web-session-1", people[0])
    _subscribe(client, "wechat", "openid-abc", people[1])
    rest = _subscribe(client, "rest", "hotline-1", people[2])
    assert rest["push_supported"] is False
    _subscribe(client, "wechat", "openid-stranger", ("路人", valid_id()))  # not on this list
    notice = publish(client, staff, ["JD-SUB"]).json()
    assert notice["subscribers_queued"] == 2

    assert dispatcher.run_once() == 2
    assert dispatcher.run_once() == 0
    calls = {c["path"]: c for c in rasa.calls}
    assert set(calls) == {"/conversations/web-session-1/trigger_intent", "/conversations/openid-abc/trigger_intent"}
    wechat = calls["/conversations/openid-abc/trigger_intent"]
    # Authorised by a Bearer JWT (the recorder refuses anything else): no token in the query string.
    assert wechat["query"] == {"output_channel": ["wechat"]}
    assert wechat["body"] == {"name": NOTICE_INTENT, "entities": {
        "notice_id": str(notice["id"]), "deadline": "2026-10-20", "deadline_estimated": False}}
    deliveries = client.get(f"/api/v1/staff/notices/{notice['id']}/deliveries", headers=staff).json()["deliveries"]
    assert sorted(d["state"] for d in deliveries) == ["sent", "sent"]


def test_failures_are_retried_with_backoff_then_given_up(client, staff, people, dispatcher, rasa, session):
    _subscribe(client, "wechat", "openid-retry", people[0])
    publish(client, staff, ["JD-SUB"])
    rasa.failures_left = 10
    t0 = dt.datetime.now(dt.timezone.utc)
    assert dispatcher.run_once(t0) == 1
    [delivery] = session.scalars(select(PushDelivery)).all()
    assert delivery.state == DeliveryState.PENDING and delivery.attempts == 1
    assert "500" in delivery.last_error
    assert dispatcher.run_once(t0 + dt.timedelta(seconds=29)) == 0  # not due yet
    assert dispatcher.run_once(t0 + dt.timedelta(seconds=31)) == 1  # after 30 s
    assert dispatcher.run_once(t0 + dt.timedelta(seconds=31 + 59)) == 0  # backoff doubled
    assert dispatcher.run_once(t0 + dt.timedelta(seconds=31 + 61)) == 1
    session.expire_all()
    assert session.get(PushDelivery, delivery.id).state == DeliveryState.FAILED
    assert dispatcher.run_once(t0 + dt.timedelta(days=1)) == 0
    assert len(rasa.calls) == 3


def test_a_retry_that_succeeds(client, staff, people, dispatcher, rasa, session):
    _subscribe(client, "socketio", "web-retry", people[0])
    publish(client, staff, ["JD-SUB"])
    rasa.failures_left = 1
    t0 = dt.datetime.now(dt.timezone.utc)
    dispatcher.run_once(t0)
    dispatcher.run_once(t0 + dt.timedelta(seconds=31))
    [delivery] = session.scalars(select(PushDelivery)).all()
    assert delivery.state == DeliveryState.SENT and delivery.attempts == 2
    assert len(rasa.calls) == 2


def test_a_delivery_interrupted_mid_send_is_never_sent_again(client, staff, people, dispatcher, rasa, session):
    _subscribe(client, "wechat", "openid-crash", people[0])
    publish(client, staff, ["JD-SUB"])
    [delivery] = session.scalars(select(PushDelivery)).all()
    delivery.state, delivery.claimed_at = DeliveryState.SENDING, dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
    session.commit()
    assert dispatcher.run_once() == 0
    session.expire_all()
    assert session.get(PushDelivery, delivery.id).state == DeliveryState.UNKNOWN
    assert rasa.calls == []


def test_subscribing_after_publication_is_told_at_once_and_only_once(client, staff, people, dispatcher, rasa):
    publish(client, staff, ["JD-SUB"])
    _subscribe(client, "wechat", "openid-late", people[0])
    again = _subscribe(client, "wechat", "openid-late", people[0])
    assert again["created"] is False
    assert dispatcher.run_once() == 1
    assert dispatcher.run_once() == 0


def test_unreachable_rasa_is_a_recorded_failure(client, staff, people, engine):
    dispatcher = NoticeDispatcher(sessionmaker(engine, expire_on_commit=False),
                                  RasaNotifier("http://127.0.0.1:9", None, timeout=1), max_attempts=1)
    _subscribe(client, "socketio", "web-down", people[0])
    notice = publish(client, staff, ["JD-SUB"]).json()
    dispatcher.run_once()
    [delivery] = client.get(f"/api/v1/staff/notices/{notice['id']}/deliveries", headers=staff).json()["deliveries"]
    assert delivery["state"] == "failed" and "unreachable" in delivery["last_error"]


def test_rasa_refuses_a_notifier_without_the_shared_secret(client, staff, people, engine, rasa):
    """Rasa (--jwt-secret) answers 401 to a JWT signed with another secret, or to none."""
    dispatcher = NoticeDispatcher(sessionmaker(engine, expire_on_commit=False),
                                  RasaNotifier(rasa.url, "another-secret-0123456789abcdefghijkl", timeout=2),
                                  max_attempts=1)
    _subscribe(client, "socketio", "web-wrong-secret", people[0])
    notice = publish(client, staff, ["JD-SUB"]).json()
    assert dispatcher.run_once() == 1
    [delivery] = client.get(f"/api/v1/staff/notices/{notice['id']}/deliveries", headers=staff).json()["deliveries"]
    assert (delivery["state"], delivery["last_error"]) == ("failed", "Rasa answered 401")
    with pytest.raises(DeliveryError, match="401"):
        RasaNotifier(rasa.url, None, timeout=2).send(
            NoticeSubscription(channel="socketio", conversation_id="web-no-secret", holder_name=people[0][0],
                               id_number=people[0][1]), NOTICE_INTENT, {})


def test_public_notice_and_subscription_errors(client, staff, people):
    notice = publish(client, staff, ["JD-SUB"]).json()
    public = client.get(f"/api/v1/notices/{notice['id']}").json()
    assert public["batches"] == [{"batch_no": "JD-SUB", "occupation": "电工", "level": "四级", "exam_type": "local",
                                  "deadline": {"date": "2026-10-20", "estimated": False, "passed": False,
                                               "rule": "notice", "counted_from": "2026-09-30"}}]
    assert "deadline" not in public and "示例" in public["office"]["address"]
    assert client.get("/api/v1/notices/99999").json()["code"] == "notice_not_found"
    bad = client.post("/api/v1/subscriptions", json={"channel": "wechat", "conversation_id": "x",
                                                     "name": "某", "id_number": "123"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_id_number"
    assert client.get(f"/api/v1/staff/notices/{notice['id']}/deliveries").status_code == 401


def test_the_running_backend_dispatches_on_its_own(settings, engine, rasa, staff):
    import time

    from tests.conftest import make_client

    live = settings.model_copy(update={"rasa_url": rasa.url, "rasa_jwt_secret": RASA_JWT_SECRET,
                                       "notify_poll_seconds": 0.1})
    with make_client(live, engine) as client:
        load_offices(client, staff)
        person = ("自动", valid_id())
        import_rows(client, staff, [(*person, "ZS-AUTO", "电工", "四级", "JD-AUTO")])
        _subscribe(client, "socketio", "web-auto", person)
        publish(client, staff, ["JD-AUTO"])
        deadline = time.monotonic() + 10
        while not rasa.calls and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [c["path"] for c in rasa.calls] == ["/conversations/web-auto/trigger_intent"]


def test_no_answer_from_rasa_is_unknown_and_never_resent(client, staff, people, engine, rasa, session):
    dispatcher = NoticeDispatcher(sessionmaker(engine, expire_on_commit=False),
                                  RasaNotifier(rasa.url, RASA_JWT_SECRET, timeout=0.5), max_attempts=5)
    rasa.delay = 1.5
    _subscribe(client, "wechat", "openid-slow", people[0])
    publish(client, staff, ["JD-SUB"])
    assert dispatcher.run_once() == 1
    [delivery] = session.scalars(select(PushDelivery)).all()
    assert delivery.state == DeliveryState.UNKNOWN and "did not answer" in delivery.last_error
    assert dispatcher.run_once(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)) == 0
    assert len(rasa.calls) == 1
