"""WeChat's wire protocol: signatures, URL verification, plaintext and safe mode, and
what each message type gets."""

from __future__ import annotations

import time

from wechat_helpers import (AES_KEY, ACCOUNT, APPID, TOKEN, Bot, event_xml, image_xml, location_xml,
                      openid, reply_content, sign, signed_query, text_only_reply, text_xml, voice_xml)

from bot.wechat import WELCOME_TEXT, signature_valid, timestamp_fresh


# -- signatures -------------------------------------------------------------------------

def test_known_good_signature_vector():
    # The vector of wechatpy's tests/test_utils.py.
    assert signature_valid("test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "1410685589", "test")
    assert not signature_valid("test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443fe", "1410685589", "test")
    assert not signature_valid("test", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "1410685589", "tesT")
    assert not signature_valid("other", "f21891de399b4e33a1a93c9a7b8a8fffb5a443ff", "1410685589", "test")


def test_signature_rejects_missing_and_odd_values():
    assert not signature_valid("test", None, "1410685589", "test")
    assert not signature_valid("test", "", "1410685589", "test")
    assert not signature_valid("test", "签名", "1410685589", "test")
    assert not signature_valid("", sign("", "1", "2"), "1", "2")


def test_replay_window():
    now = 1_800_000_000
    assert timestamp_fresh(str(now - 299), 300, now=now)
    assert timestamp_fresh(str(now + 299), 300, now=now)
    assert not timestamp_fresh(str(now - 301), 300, now=now)
    assert not timestamp_fresh("", 300, now=now)
    assert not timestamp_fresh("yesterday", 300, now=now)


# -- URL verification (GET) -------------------------------------------------------------

async def test_get_with_good_signature_echoes_echostr(wechat):
    harness = await wechat(Bot())
    resp = await harness.get({**signed_query(), "echostr": "8712369283741"})
    assert resp.status == 200
    assert await resp.text() == "8712369283741"


async def test_get_with_forged_signature_is_403(wechat):
    harness = await wechat(Bot())
    forged = {**signed_query(token="not-the-token"), "echostr": "8712369283741"}
    resp = await harness.get(forged)
    assert resp.status == 403
    assert "8712369283741" not in await resp.text()


async def test_get_with_stale_timestamp_is_403(wechat):
    harness = await wechat(Bot())
    stale = {**signed_query(timestamp=int(time.time()) - 3600), "echostr": "1"}
    assert (await harness.get(stale)).status == 403


async def test_health(wechat):
    harness = await wechat(Bot())
    async with harness.session.get(harness.url.rsplit("/", 1)[0] + "/") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok"}


# -- POST: forged requests never reach the bot ------------------------------------------

async def test_post_with_forged_signature_is_403_and_bot_not_called(wechat):
    bot = Bot()
    harness = await wechat(bot)
    query = signed_query()
    query["signature"] = sign("not-the-token", query["timestamp"], query["nonce"])
    status, _ = await harness.post(text_xml("查询证书状态"), query=query)
    assert status == 403
    status, _ = await harness.post(text_xml("查询证书状态"), query={})
    assert status == 403
    assert bot.received == []


async def test_post_replayed_with_old_timestamp_is_403(wechat):
    bot = Bot()
    harness = await wechat(bot)
    status, _ = await harness.post(text_xml("你好"), query=signed_query(timestamp=int(time.time()) - 600))
    assert status == 403
    assert bot.received == []


async def test_safe_mode_with_forged_msg_signature_is_403(wechat):
    bot = Bot()
    harness = await wechat(bot)
    query = signed_query()
    envelope = reply_content(harness.crypto.encrypt_message(text_xml("你好"), query["nonce"], query["timestamp"]))
    query.update(encrypt_type="aes", msg_signature="0" * 40)
    body = f"<xml><ToUserName>{ACCOUNT}</ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    async with harness.session.post(harness.url, params=query, data=body.encode()) as resp:
        assert resp.status == 403
    assert bot.received == []


async def test_malformed_body_is_400(wechat):
    bot = Bot()
    harness = await wechat(bot)
    status, _ = await harness.post("<xml><MsgType>text")
    assert status == 400
    status, _ = await harness.post("<xml><MsgType>text</MsgType><Content>无发送人</Content></xml>")
    assert status == 400
    assert bot.received == []


# -- text in and out --------------------------------------------------------------------

async def test_text_in_plaintext_mode_gets_passive_xml_reply(wechat):
    bot = Bot(replies=["请提供您的姓名和身份证号。"])
    harness = await wechat(bot)
    status, body = await harness.post(text_xml("查询证书状态", sender=openid(7)))
    assert status == 200
    reply = reply_content(body)
    assert reply["MsgType"] == "text"
    assert reply["Content"] == "请提供您的姓名和身份证号。"
    assert reply["ToUserName"] == openid(7)
    assert reply["FromUserName"] == ACCOUNT
    assert bot.texts == ["查询证书状态"]
    message = bot.received[0]
    assert message.sender_id == openid(7)  # the conversation is the user's OpenID
    assert message.input_channel == "wechat"
    assert message.output_channel.name() == "wechat"


async def test_safe_mode_reply_is_encrypted_and_decrypts_to_the_bot_text(wechat):
    bot = Bot(replies=["领证需要带身份证原件。"])
    harness = await wechat(bot)
    status, body = await harness.post(text_xml("领证要带什么"), safe=True)
    assert status == 200
    assert "领证需要带身份证原件" not in body
    assert "<Encrypt>" in body
    reply = harness.decrypt(body)
    assert reply["Content"] == "领证需要带身份证原件。"
    assert reply["ToUserName"] == openid()
    assert bot.texts == ["领证要带什么"]


async def test_several_bot_messages_joined_by_blank_lines(wechat):
    bot = Bot(replies=["第一条。", {"text": "第二条。", "image": "https://example.org/map.png"}])
    harness = await wechat(bot)
    _, body = await harness.post(text_xml("地址在哪里"))
    # Rasa hands text and image over as two messages; the image becomes its link.
    assert reply_content(body)["Content"] == "第一条。\n\n第二条。\n\nhttps://example.org/map.png"


# -- other message types ----------------------------------------------------------------

async def test_voice_with_recognition_reaches_the_bot_as_text(wechat):
    bot = Bot(replies=lambda text: [f"您说的是：{text}"])
    harness = await wechat(bot)
    _, body = await harness.post(voice_xml("证书什么时候能领"))
    assert bot.texts == ["证书什么时候能领"]
    assert reply_content(body)["Content"] == "您说的是：证书什么时候能领"


async def test_voice_without_recognition_gets_the_polite_text(wechat):
    bot = Bot()
    harness = await wechat(bot)
    _, body = await harness.post(voice_xml(None))
    assert reply_content(body)["Content"] == text_only_reply()
    assert bot.received == []


async def test_image_gets_the_polite_text_without_calling_the_bot(wechat):
    bot = Bot()
    harness = await wechat(bot)
    status, body = await harness.post(image_xml(sender=openid(3)))
    assert status == 200
    reply = reply_content(body)
    assert reply["Content"] == text_only_reply()
    assert reply["ToUserName"] == openid(3)
    assert bot.received == []


async def test_location_and_unknown_event_get_the_polite_text(wechat):
    bot = Bot()
    harness = await wechat(bot)
    for xml in (location_xml(), event_xml("some_new_event")):
        _, body = await harness.post(xml)
        assert reply_content(body)["Content"] == text_only_reply()
    assert bot.received == []


async def test_image_in_safe_mode_gets_an_encrypted_polite_text(wechat):
    harness = await wechat(Bot())
    _, body = await harness.post(image_xml(), safe=True)
    assert harness.decrypt(body)["Content"] == text_only_reply()


async def test_subscribe_is_welcomed_through_rasa(wechat):
    welcome = "您好！我是技能人员国家职业资格证书领取助手。"
    bot = Bot(replies=lambda text: [welcome] if text == WELCOME_TEXT else ["?"])
    harness = await wechat(bot)
    _, body = await harness.post(event_xml("subscribe", sender=openid(5)))
    assert bot.texts == ["/greet"]
    assert bot.received[0].sender_id == openid(5)
    assert reply_content(body)["Content"] == welcome


async def test_unsubscribe_is_not_answered(wechat):
    bot = Bot()
    harness = await wechat(bot)
    status, body = await harness.post(event_xml("unsubscribe"))
    assert (status, body) == (200, "success")
    assert bot.received == []


def test_constants_are_what_the_channel_promises():
    assert WELCOME_TEXT == "/greet"
    assert "文字" in text_only_reply()
    assert APPID.startswith("wx") and len(AES_KEY) == 43 and TOKEN
