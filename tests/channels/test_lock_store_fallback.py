"""The Redis lock store of the cluster (bot/lock_store.py) against a real redis-server: two
Rasa processes take a conversation's turns one at a time, and while Redis is away each
process goes on with its own locks instead of answering with silence."""

from __future__ import annotations

import asyncio

import pytest
import redis
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import FallbackRedisLockStore


@pytest.fixture
def stores(redis_server, fresh_redis):
    """The lock stores of two Rasa processes, made as Rasa makes a custom one."""
    config = EndpointConfig(url="127.0.0.1", type="bot.lock_store.FallbackRedisLockStore",
                            port=str(redis_server.port), db="1", key_prefix="zjcert", socket_timeout="0.5")
    return [FallbackRedisLockStore(endpoint_config=config) for _ in range(2)]


async def test_a_turn_in_one_process_holds_the_conversation_in_the_other(stores, redis_server):
    first, second = stores
    order: list[str] = []

    async def turn(store, name: str, seconds: float) -> None:
        async with store.lock("wx-oW3kd9-conversation", wait_time_in_seconds=0.05):
            order.append(f"{name} starts")
            await asyncio.sleep(seconds)
            order.append(f"{name} ends")

    await asyncio.gather(turn(first, "first", 0.3), _after(0.05, turn(second, "second", 0)))
    assert order == ["first starts", "first ends", "second starts", "second ends"]
    keys = redis.Redis.from_url(redis_server.url.replace("/0", "/1")).keys("*")
    assert keys == []  # each lock is deleted when its turn ends


async def _after(seconds: float, coroutine):
    await asyncio.sleep(seconds)
    return await coroutine


async def test_without_redis_each_process_locks_alone_and_shares_again_when_it_returns(stores, redis_server):
    first, second = stores
    redis_server.stop()
    order: list[str] = []

    async def turn(name: str, seconds: float) -> None:
        async with first.lock("web-5f2c", wait_time_in_seconds=0.05):
            order.append(f"{name} starts")
            await asyncio.sleep(seconds)
            order.append(f"{name} ends")

    # Within one process the turns still come one at a time.
    await asyncio.gather(turn("a", 0.2), _after(0.05, turn("b", 0)))
    assert order == ["a starts", "a ends", "b starts", "b ends"]
    assert first.local.get_lock("web-5f2c") is None  # nothing left behind

    redis_server.start()
    async with first.lock("web-5f2c"):
        assert second.get_lock("web-5f2c") is not None  # shared through Redis again


def test_rasa_s_own_redis_lock_store_fails_without_redis(stores, redis_server):
    """What the fallback is for: Rasa's store raises, and Rasa answers with silence."""
    from rasa.core.lock_store import RedisLockStore

    plain = RedisLockStore(host="127.0.0.1", port=redis_server.port, db=1, socket_timeout=0.5)
    redis_server.stop()
    with pytest.raises(LockError):
        plain.issue_ticket("web-5f2c")
