"""WeChat's 5-second rule: one turn per MsgId whatever the retries, passive reply within
the budget, `success` and a customer-service message otherwise."""

from __future__ import annotations

import asyncio
import time

from wechat_helpers import Bot, event_xml, next_msg_id, openid, reply_content, text_xml
from recorder import CUSTOM_SEND


async def wait_sent(recorder, path: str, count: int = 1, timeout: float = 5.0):
    return await asyncio.to_thread(recorder.wait_for, path, count, timeout)


async def test_three_deliveries_of_one_msgid_run_one_turn(wechat, recorder):
    bot = Bot(replies=["您的证书已可领取。"])
    harness = await wechat(bot)
    xml = text_xml("查询证书状态", msg_id=next_msg_id())
    answers = [await harness.post(xml) for _ in range(3)]
    assert len(bot.received) == 1
    # The retries repeat the passive reply: WeChat only retries when it missed the first.
    assert {reply_content(body)["Content"] for _, body in answers} == {"您的证书已可领取。"}
    await asyncio.sleep(0.3)
    assert recorder.sent(CUSTOM_SEND) == []


async def test_concurrent_deliveries_of_one_msgid_run_one_turn(wechat, recorder):
    bot = Bot(replies=["好的。"], delay=0.2)
    harness = await wechat(bot)
    xml = text_xml("你好", msg_id=next_msg_id())
    answers = await asyncio.gather(*(harness.post(xml) for _ in range(3)))
    assert len(bot.received) == 1
    assert all(reply_content(body)["Content"] == "好的。" for _, body in answers)
    assert recorder.sent(CUSTOM_SEND) == []


async def test_different_msgids_are_different_turns(wechat):
    bot = Bot()
    harness = await wechat(bot)
    await harness.post(text_xml("一", msg_id=next_msg_id()))
    await harness.post(text_xml("一", msg_id=next_msg_id()))
    assert bot.texts == ["一", "一"]


async def test_repeated_subscribe_event_is_one_turn(wechat):
    bot = Bot(replies=["欢迎！"])
    harness = await wechat(bot)
    created = int(time.time())
    for _ in range(3):
        _, body = await harness.post(event_xml("subscribe", sender=openid(9), create_time=created))
        assert reply_content(body)["Content"] == "欢迎！"
    assert bot.texts == ["/greet"]


async def test_slow_bot_gets_success_at_once_and_the_answer_by_customer_service(wechat, recorder):
    bot = Bot(replies=["已为您查询：证书正在制作中。"], delay=1.0)
    harness = await wechat(bot, reply_budget=0.3)
    started = time.monotonic()
    status, body = await harness.post(text_xml("查询证书状态", sender=openid(2)))
    elapsed = time.monotonic() - started
    assert (status, body) == (200, "success")
    assert elapsed < 0.9
    sent = await wait_sent(recorder, CUSTOM_SEND)
    assert sent == [{"touser": openid(2), "msgtype": "text", "text": {"content": "已为您查询：证书正在制作中。"}}]
    assert recorder.token_requests == 1


async def test_retry_while_the_turn_runs_starts_no_second_turn(wechat, recorder):
    bot = Bot(replies=["答复。"], delay=1.2)
    harness = await wechat(bot, reply_budget=0.3)
    xml = text_xml("邮寄证书", msg_id=next_msg_id(), sender=openid(4))
    assert (await harness.post(xml))[1] == "success"
    assert (await harness.post(xml))[1] == "success"  # the retry also waits 0.3 s, in vain
    assert len(bot.received) == 1
    sent = await wait_sent(recorder, CUSTOM_SEND)
    assert [m["text"]["content"] for m in sent] == ["答复。"]
    # A retry after the answer went out by customer service gets `success` only.
    assert (await harness.post(xml))[1] == "success"
    await asyncio.sleep(0.2)
    assert len(recorder.sent(CUSTOM_SEND)) == 1
    assert len(bot.received) == 1


async def test_retry_that_sees_the_turn_finish_carries_the_passive_reply(wechat, recorder):
    bot = Bot(replies=["稍慢的答复。"], delay=0.8)
    harness = await wechat(bot, reply_budget=0.5)
    xml = text_xml("问题", msg_id=next_msg_id())
    assert (await harness.post(xml))[1] == "success"  # 0.5 s: the turn is still running
    _, body = await harness.post(xml)  # the turn finishes about 0.3 s into this wait
    assert reply_content(body)["Content"] == "稍慢的答复。"
    assert len(bot.received) == 1
    await asyncio.sleep(0.3)
    assert recorder.sent(CUSTOM_SEND) == []  # answered once, passively


async def test_slow_answer_with_buttons_is_pushed_as_numbered_text(wechat, recorder):
    buttons = [{"title": "本人领取", "payload": "/inform{\"pickup_method\": \"本人\"}"},
               {"title": "委托代领", "payload": "/request_proxy"}]
    bot = Bot(replies=[{"text": "请选择领取方式：", "buttons": buttons}], delay=0.6)
    harness = await wechat(bot, reply_budget=0.2)
    assert (await harness.post(text_xml("我要领证", sender=openid(6))))[1] == "success"
    sent = await wait_sent(recorder, CUSTOM_SEND)
    assert sent[0]["text"]["content"] == "请选择领取方式：\n1. 本人领取\n2. 委托代领"


async def test_long_answer_goes_out_as_separate_customer_service_messages(wechat, recorder):
    long_text = "长" * 800  # 2400 bytes: more than a passive reply carries
    bot = Bot(replies=[long_text, "第二条。"])
    harness = await wechat(bot)
    assert (await harness.post(text_xml("全部说明")))[1] == "success"
    sent = await wait_sent(recorder, CUSTOM_SEND, 2)
    assert [m["text"]["content"] for m in sent] == [long_text, "第二条。"]


async def test_bot_failure_answers_success_and_pushes_nothing(wechat, recorder):
    async def broken(message):
        raise RuntimeError("agent failed")

    harness = await wechat(broken)
    assert (await harness.post(text_xml("你好")))[1] == "success"
    await asyncio.sleep(0.3)
    assert recorder.calls == []


async def test_numbered_choice_is_sent_as_the_button_payload(wechat):
    buttons = [{"title": "本人领取", "payload": "/choose_self"}, {"title": "委托代领", "payload": "/request_proxy"}]
    bot = Bot(replies=lambda text: [{"text": "请选择：", "buttons": buttons}] if text == "领证" else ["好的。"])
    harness = await wechat(bot)
    _, body = await harness.post(text_xml("领证", sender=openid(8)))
    assert reply_content(body)["Content"] == "请选择：\n1. 本人领取\n2. 委托代领"
    await harness.post(text_xml("２", sender=openid(8)))  # a full-width digit, as phones type it
    # The buttons applied to that one answer; a number typed later is just a number.
    await harness.post(text_xml("1", sender=openid(8)))
    assert bot.texts == ["领证", "/request_proxy", "1"]
    # Another user typing "1" has seen no buttons: the text goes as it is.
    await harness.post(text_xml("1", sender=openid(10)))
    assert bot.texts[-1] == "1"


async def test_a_number_beyond_the_buttons_goes_as_text(wechat):
    buttons = [{"title": "是", "payload": "/affirm"}, {"title": "否", "payload": "/deny"}]
    bot = Bot(replies=[{"text": "确认吗？", "buttons": buttons}])
    harness = await wechat(bot)
    await harness.post(text_xml("确认", sender=openid(11)))
    await harness.post(text_xml("3", sender=openid(11)))
    await harness.post(text_xml("1", sender=openid(11)))
    assert bot.texts == ["确认", "3", "/affirm"]
