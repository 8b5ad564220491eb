"""The look-up limiter in Redis (REDIS_URL): the same rules as in memory, counted together
by every replica, against a real redis-server."""

from __future__ import annotations

import pytest
import redis

from app.api.deps import lookup_limiter, staff_lookup_limiter
from app.core.config import Settings
from app.rules.rate_limit import BRAKED_MISSES_PER_CLIENT_ID, LookupLimiter, RedisLookupLimiter
from tests.conftest import STAFF_TOKEN, make_client
from tests.factories import list_group, offices_loaded, people, publish_batches
from tests.staff_accounts import account, sign_in
from tests.test_lookup_limits import LIMITS, Clock, _guess, _status


def _replicas(fresh_redis, clock, count=2):
    """Limiters of `count` backend replicas sharing one Redis."""
    return [RedisLookupLimiter(fresh_redis, LIMITS, clock=clock) for _ in range(count)]


def test_the_same_rules_as_in_memory(fresh_redis):
    """Every client's sequence of look-ups gets the same answers from both limiters."""
    clock = Clock()
    memory, shared = LookupLimiter(LIMITS, clock=clock), RedisLookupLimiter(fresh_redis, LIMITS, clock=clock)
    holders = people(14)
    script = [("203.0.113.7", holders[0][1], False)] * 7 + [("203.0.113.8", i, False) for _, i in holders[1:13]]
    script += [("203.0.113.9", holders[13][1], True)] * 3
    for client, id_number, right in script:
        assert _guess(memory, client, id_number, right=right) == _guess(shared, client, id_number, right=right)
        wait_memory, wait_shared = memory.admit(client, id_number), shared.admit(client, id_number)
        assert (wait_memory is None) == (wait_shared is None)
        if wait_memory is not None:
            assert wait_shared == pytest.approx(wait_memory)


def test_replicas_count_a_strangers_guesses_together(fresh_redis):
    first, second = _replicas(fresh_redis, Clock())
    [(_, id_number)] = people(1)
    # Five wrong names spread over both replicas: the sixth is refused on either.
    assert [_guess((first, second)[n % 2], "203.0.113.7", id_number) for n in range(6)] == [True] * 5 + [False]
    assert first.admit("203.0.113.7", id_number) is not None
    assert second.admit("203.0.113.7", id_number) is not None
    # The holder, from another client, is let through by both.
    assert first.admit("198.51.100.20", id_number) is None
    assert second.admit("198.51.100.20", id_number) is None


def test_the_brake_and_the_windows_hold_across_replicas(fresh_redis):
    clock = Clock()
    first, second = _replicas(fresh_redis, clock)
    [(_, id_number)] = people(1)
    for n in range(10):
        replica = (first, second)[n % 2]
        assert [_guess(replica, f"203.0.113.{n}", id_number) for _ in range(6)] == [True] * 5 + [False]
    fresh = [_guess(second, "192.0.2.99", id_number) for _ in range(4)]
    assert fresh == [True] * BRAKED_MISSES_PER_CLIENT_ID + [False] * (4 - BRAKED_MISSES_PER_CLIENT_ID)
    assert _guess(first, "198.51.100.20", id_number, right=True)
    wait = first.admit("192.0.2.99", id_number)
    assert wait is not None and 1 <= wait <= 600
    clock.now += 3601
    assert [_guess(second, "192.0.2.97", id_number) for _ in range(5)] == [True] * 5
    # Windows that have passed leave nothing behind in Redis but the salt.
    clock.now += 3601
    first.admit("192.0.2.96", id_number)
    assert all(fresh_redis.ttl(key) <= 3600 for key in fresh_redis.keys("zj-cert:lookup:*")
               if not key.endswith(b":salt"))


def test_id_numbers_are_in_redis_only_as_hashes_with_a_shared_salt(fresh_redis):
    first, second = _replicas(fresh_redis, Clock())
    [(_, id_number)] = people(1)
    _guess(first, "203.0.113.7", id_number)
    stored = b"".join(fresh_redis.keys("*"))
    for key in fresh_redis.keys("*"):
        if fresh_redis.type(key) == b"zset":
            stored += b"".join(fresh_redis.zrange(key, 0, -1))
    assert id_number.encode() not in stored and id_number[6:14].encode() not in stored
    assert first.id_key(id_number) == second.id_key(id_number)
    assert first.id_key(id_number).encode() in stored


def test_an_outage_of_redis_falls_back_to_this_replicas_counts(redis_server, fresh_redis):
    clock = Clock()
    limiter = RedisLookupLimiter(redis.Redis.from_url(redis_server.url, socket_timeout=0.3,
                                                      socket_connect_timeout=0.3), LIMITS, clock=clock)
    [(_, id_number)] = people(1)
    redis_server.stop()
    # Neither refused for the outage nor let through unchecked: the sixth wrong guess is refused.
    assert [_guess(limiter, "203.0.113.7", id_number) for _ in range(6)] == [True] * 5 + [False]
    assert limiter.admit("198.51.100.20", id_number) is None
    redis_server.start()
    assert limiter.admit("198.51.100.20", id_number) is None
    assert redis.Redis.from_url(redis_server.url).keys("zj-cert:lookup:lookups:198.51.100.20")


def test_redis_url_makes_the_backend_use_redis(redis_server, fresh_redis, db_url):
    settings = Settings(environment="test", database_url=db_url, staff_token=STAFF_TOKEN)
    assert isinstance(lookup_limiter(settings), LookupLimiter)
    settings = settings.model_copy(update={"redis_url": redis_server.url})
    assert isinstance(lookup_limiter(settings), RedisLookupLimiter)


@pytest.fixture
def replicas(settings, engine, redis_server, fresh_redis):
    """Two backend apps on one database and one Redis, as two replicas behind nginx."""
    limited = settings.model_copy(update={
        "lookup_limit_per_client": 30, "lookup_misses_per_client": 10, "lookup_misses_per_client_id": 5,
        "trusted_forwarders": ["testclient"], "redis_url": redis_server.url})
    with make_client(limited, engine) as first, make_client(limited, engine) as second:
        yield first, second


def test_a_stranger_moving_between_replicas_is_still_limited(replicas, staff, session):
    first, second = replicas
    offices_loaded(first, staff)
    [(name, id_number)] = people(1)
    list_group(session, batch_no="浙人社鉴〔2026〕32号", occupation="电工", level="四级", holders=[(name, id_number)])
    publish_batches(first, staff, ["浙人社鉴〔2026〕32号"])
    guesses = ("王建国", "李秀英", "张国强", "刘卫东", "陈红梅", "杨志刚")
    codes = [_status((first, second)[n % 2], "stranger", guess, id_number).status_code
             for n, guess in enumerate(guesses)]
    assert codes == [404] * 5 + [429]
    assert _status(second, "holder", name, id_number).status_code == 200
    assert _status(first, "holder", name, id_number).status_code == 200


def test_an_agents_look_ups_count_across_replicas_under_their_own_keys(settings, engine, session, staff,
                                                                        redis_server, fresh_redis):
    """The staff limiter follows REDIS_URL too: an agent moving between replicas keeps one
    allowance, kept apart from the applicants' counts (an agent's misses brake no applicant)."""
    limited = settings.model_copy(update={"redis_url": redis_server.url, "staff_lookup_limit_per_account": 4})
    assert isinstance(staff_lookup_limiter(limited), RedisLookupLimiter)
    with make_client(limited, engine) as first, make_client(limited, engine) as second:
        offices_loaded(first, staff)
        account(session, "hotline.redis", "city", "330100")
        [(name, id_number)] = people(1)
        list_group(session, batch_no="浙人社鉴〔2026〕41号", occupation="育婴员", level="四级",
                   holders=[(name, id_number)])
        publish_batches(first, staff, ["浙人社鉴〔2026〕41号"])
        agent = sign_in(first, "hotline.redis")
        codes = [replica.post("/api/v1/staff/status", headers=agent,
                              json={"name": name, "id_number": id_number}).status_code
                 for replica in (first, second, first, second, first)]
        assert codes == [200] * 4 + [429]
    assert fresh_redis.keys("zj-cert:staff-lookup:lookups:staff:hotline.redis")
    assert not fresh_redis.keys("zj-cert:lookup:lookups:staff:*")
