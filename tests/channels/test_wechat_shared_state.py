"""WeChat with several Rasa processes (REDIS_URL): a MsgId runs one turn whichever process it
reaches, and the processes share one access token; against a real redis-server. Each
process is a channel of its own in its own Sanic server here."""

from __future__ import annotations

import asyncio

from recorder import CUSTOM_SEND
from wechat_helpers import Bot, next_msg_id, openid, reply_content, text_xml


async def test_a_retry_reaching_another_process_starts_no_second_turn(wechat, redis_server, fresh_redis):
    first_bot, second_bot = Bot(replies=["您的证书已可领取。"]), Bot(replies=["您的证书已可领取。"])
    first = await wechat(first_bot, redis_url=redis_server.url)
    second = await wechat(second_bot, redis_url=redis_server.url)
    msg_id = next_msg_id()
    xml = text_xml("查询证书状态", msg_id=msg_id, sender=openid(21))
    _, body = await first.post(xml)
    assert reply_content(body)["Content"] == "您的证书已可领取。"
    assert await second.post(xml) == (200, "success")
    assert await second.post(xml) == (200, "success")
    assert len(first_bot.received) == 1 and second_bot.received == []
    # Only the key is kept, for WeChat's retry period; no text of the message.
    assert fresh_redis.keys("zj-cert:wechat:turn:*") == [f"zj-cert:wechat:turn:msg:{msg_id}".encode()]
    assert 0 < fresh_redis.ttl(f"zj-cert:wechat:turn:msg:{msg_id}") <= 300
    # Another message goes to the process it reaches.
    await second.post(text_xml("邮寄证书", msg_id=next_msg_id(), sender=openid(21)))
    assert second_bot.texts == ["邮寄证书"]


async def test_concurrent_deliveries_in_one_process_share_its_turn(wechat, redis_server, fresh_redis):
    bot = Bot(replies=["好的。"], delay=0.2)
    harness = await wechat(bot, redis_url=redis_server.url)
    xml = text_xml("你好", msg_id=next_msg_id())
    answers = await asyncio.gather(*(harness.post(xml) for _ in range(3)))
    assert len(bot.received) == 1
    assert all(reply_content(body)["Content"] == "好的。" for _, body in answers)


async def test_the_processes_share_one_access_token(wechat, recorder, redis_server, fresh_redis):
    bots = [Bot(replies=["已为您查询：证书正在制作中。"], delay=0.6) for _ in range(2)]
    harnesses = [await wechat(bot, redis_url=redis_server.url, reply_budget=0.2) for bot in bots]
    for n, harness in enumerate(harnesses):
        assert await harness.post(text_xml("查询证书状态", msg_id=next_msg_id(), sender=openid(30 + n))) == (
            200, "success")
        await asyncio.to_thread(recorder.wait_for, CUSTOM_SEND, n + 1, 5.0)
    assert [m["touser"] for m in recorder.sent(CUSTOM_SEND)] == [openid(30), openid(31)]
    assert recorder.token_requests == 1
    [key] = fresh_redis.keys("zj-cert:wechat:*access_token*")
    assert 0 < fresh_redis.ttl(key) <= 7200


async def test_without_redis_each_process_goes_on_alone(wechat, recorder, redis_server, fresh_redis):
    bot = Bot(replies=["已为您查询：证书正在制作中。"], delay=0.6)
    harness = await wechat(bot, redis_url=redis_server.url, reply_budget=0.2)
    redis_server.stop()
    xml = text_xml("查询证书状态", msg_id=next_msg_id(), sender=openid(40))
    assert await harness.post(xml) == (200, "success")
    assert await harness.post(xml) == (200, "success")  # WeChat's retry: this process remembers it
    sent = await asyncio.to_thread(recorder.wait_for, CUSTOM_SEND, 1, 5.0)
    assert [m["touser"] for m in sent] == [openid(40)]
    assert bot.texts == ["查询证书状态"]
