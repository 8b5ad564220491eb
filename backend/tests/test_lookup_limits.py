"""Look-up limits: a stranger's wrong guesses limit the stranger, never the holder.

Clients are told apart as the backend tells them: by address, or by the `X-Client-Id` a
trusted forwarder (the action server: one conversation, one client) sends; the test client
is made a trusted forwarder here, so each `X-Client-Id` is a client of its own.
"""

from __future__ import annotations

import pytest

from app.rules.rate_limit import BRAKED_MISSES_PER_CLIENT_ID, LookupLimiter, LookupLimits
from tests.conftest import make_client
from tests.factories import list_group, offices_loaded, people, publish_batches

LIMITS = LookupLimits(per_client=30, misses_per_client=10, misses_per_client_id=5, window_seconds=600,
                      brake_misses_per_id=50, brake_window_seconds=3600)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _guess(limiter: LookupLimiter, client: str, id_number: str, *, right: bool = False) -> bool:
    """One look-up; True when let through. A wrong guess is recorded as a miss."""
    if limiter.admit(client, id_number) is not None:
        return False
    if not right:
        limiter.missed(client, id_number)
    return True


def test_a_strangers_wrong_guesses_limit_the_stranger_not_the_holder():
    limiter = LookupLimiter(LIMITS, clock=Clock())
    [(_, id_number)] = people(1)
    let_through = [_guess(limiter, "203.0.113.7", id_number) for _ in range(20)]
    assert let_through == [True] * 5 + [False] * 15
    # Refused even with the right name: the stranger may not go on guessing this ID number.
    assert limiter.admit("203.0.113.7", id_number) is not None
    assert limiter.admit("198.51.100.20", id_number) is None


def test_wrong_guesses_over_many_id_numbers_limit_the_client():
    limiter = LookupLimiter(LIMITS, clock=Clock())
    let_through = [_guess(limiter, "203.0.113.7", id_number) for _, id_number in people(12)]
    assert let_through == [True] * 10 + [False] * 2
    assert _guess(limiter, "198.51.100.20", people(1)[0][1])


def test_every_look_up_counts_per_client_and_the_window_passes():
    clock = Clock()
    limiter = LookupLimiter(LIMITS, clock=clock)
    holders = people(31)
    assert all(_guess(limiter, "203.0.113.7", id_number, right=True) for _, id_number in holders[:30])
    wait = limiter.admit("203.0.113.7", holders[30][1])
    assert wait is not None and 1 <= wait <= 600
    clock.now += 601
    assert limiter.admit("203.0.113.7", holders[30][1]) is None


def test_the_brake_lets_the_holder_in_and_makes_every_guess_cost_a_new_client():
    clock = Clock()
    limiter = LookupLimiter(LIMITS, clock=clock)
    [(_, id_number)] = people(1)
    # A guesser spread over ten addresses, five wrong names each: 50 misses, the brake is on.
    for n in range(10):
        assert [_guess(limiter, f"203.0.113.{n}", id_number) for _ in range(6)] == [True] * 5 + [False]
    # A fresh client gets only the braked allowance of wrong guesses on this ID number...
    fresh = [_guess(limiter, "192.0.2.99", id_number) for _ in range(4)]
    assert fresh == [True] * BRAKED_MISSES_PER_CLIENT_ID + [False] * (4 - BRAKED_MISSES_PER_CLIENT_ID)
    # ...while the holder, typing their own name once wrong, then right, is let through.
    assert _guess(limiter, "198.51.100.20", id_number)  # the typo
    assert _guess(limiter, "198.51.100.20", id_number, right=True)
    # Other ID numbers are not braked.
    assert [_guess(limiter, "192.0.2.98", other) for _, other in people(3)] == [True] * 3
    # The brake lifts when its window has passed.
    clock.now += 3601
    assert [_guess(limiter, "192.0.2.97", id_number) for _ in range(5)] == [True] * 5


def test_id_numbers_are_kept_only_as_keyed_hashes():
    limiter = LookupLimiter(LIMITS, clock=Clock())
    [(_, id_number)] = people(1)
    _guess(limiter, "203.0.113.7", id_number)
    windows = (limiter._lookups, limiter._client_misses, limiter._client_id_misses, limiter._id_misses)
    keys = "".join(key for window in windows for key in window._events)
    assert id_number not in keys and id_number[6:14] not in keys
    # Keyed per process: a hash seen in one process says nothing in another.
    assert LookupLimiter(LIMITS).id_key(id_number) != limiter.id_key(id_number)


@pytest.fixture
def holder(client, staff, session):
    """One holder on a published list: (name, ID number)."""
    offices_loaded(client, staff)
    [(name, id_number)] = people(1)
    list_group(session, batch_no="浙人社鉴〔2026〕31号", occupation="电工", level="四级", holders=[(name, id_number)])
    publish_batches(client, staff, ["浙人社鉴〔2026〕31号"])
    return name, id_number


@pytest.fixture
def limited_client(settings, engine):
    """The production limits; the test client forwards for several clients."""
    limited = settings.model_copy(update={
        "lookup_limit_per_client": 30, "lookup_misses_per_client": 10, "lookup_misses_per_client_id": 5,
        "trusted_forwarders": ["testclient"]})
    with make_client(limited, engine) as client:
        yield client


def _status(client, sender: str, name: str, id_number: str):
    return client.post("/api/v1/status", headers={"X-Client-Id": sender}, json={"name": name, "id_number": id_number})


def test_a_stranger_cannot_lock_the_holder_out(limited_client, holder):
    name, id_number = holder
    stranger = [_status(limited_client, "stranger", guess, id_number).status_code
                for guess in ("王建国", "李秀英", "张国强", "刘卫东", "陈红梅", "杨志刚", "黄淑珍", "赵德胜")]
    assert stranger == [404] * 5 + [429] * 3
    refused = _status(limited_client, "stranger", name, id_number)
    assert refused.status_code == 429 and refused.json()["code"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) >= 1
    # The holder, from another client: status, a subscription and an application all go through.
    assert _status(limited_client, "holder", name, id_number).status_code == 200
    subscribed = limited_client.post("/api/v1/subscriptions", headers={"X-Client-Id": "holder"}, json={
        "channel": "socketio", "conversation_id": "holder", "name": name, "id_number": id_number})
    assert subscribed.status_code == 201, subscribed.text
    applied = limited_client.post("/api/v1/applications", headers={"X-Client-Id": "holder", "Idempotency-Key":
                                  "holder-mail-0001"}, json={
        "kind": "mail", "name": name, "id_number": id_number, "phone": "13905710000",
        "address": "浙江省杭州市西湖区文三路100号3幢201室"})
    assert applied.status_code == 201, applied.text


def test_wrong_names_in_applications_and_subscriptions_count_as_guesses(limited_client, holder):
    name, id_number = holder
    for n, guess in enumerate(("王建国", "李秀英", "张国强")):
        response = limited_client.post("/api/v1/applications", headers={
            "X-Client-Id": "stranger", "Idempotency-Key": f"stranger-key-{n:04d}"}, json={
            "kind": "mail", "name": guess, "id_number": id_number, "phone": "13905710000",
            "address": "浙江省杭州市西湖区文三路100号3幢201室"})
        assert response.json()["code"] == "not_on_list"
    for guess in ("刘卫东", "陈红梅"):
        response = limited_client.post("/api/v1/subscriptions", headers={"X-Client-Id": "stranger"}, json={
            "channel": "socketio", "conversation_id": "stranger", "name": guess, "id_number": id_number})
        assert response.status_code == 201  # the answer tells nothing, but a pushed notice would
    assert _status(limited_client, "stranger", name, id_number).status_code == 429
    assert _status(limited_client, "holder", name, id_number).status_code == 200


def test_client_id_header_counts_only_from_trusted_forwarders(settings, engine):
    [(_, id_number)] = people(1)
    limited = settings.model_copy(update={"lookup_limit_per_client": 1, "trusted_forwarders": ["testclient"]})
    with make_client(limited, engine) as client:
        assert [_status(client, sender, "王建国", id_number).status_code for sender in ("a", "b", "c")] == [404] * 3
        assert _status(client, "a", "王建国", id_number).status_code == 429
    untrusted = settings.model_copy(update={"lookup_limit_per_client": 1, "trusted_forwarders": []})
    with make_client(untrusted, engine) as client:
        assert [_status(client, sender, "王建国", id_number).status_code for sender in ("x", "y")] == [404, 429]
