"""Pushed messages (`trigger_intent?output_channel=wechat` calls the input channel's
`get_output_channel()`), the template fallback outside the 48-hour window, credentials,
and ID numbers kept out of the logs."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import pytest
from wechat_helpers import AES_KEY, APPID, SECRET, TOKEN, Bot, openid, text_xml
from recorder import CUSTOM_SEND, TEMPLATE_SEND

from rasa.shared.exceptions import RasaException

from bot.wechat import WeChatDeliveryError, WeChatInput, WeChatOutput
from bot.wechat_api import DEFAULT_API_BASE_URL, FAILED, SENT, UNKNOWN, WeChatApi, template_data
from bot.wechat_format import TTLCache, render_message

NOTICE = ("您的技能人员国家职业资格证书已可领取。\n\n"
          "电工 四级\n\n"
          "最迟于2026年10月20日（含当日）\n\n"
          "领取时请携带本人身份证原件。")


def channel_for(recorder, **credentials) -> WeChatInput:
    return WeChatInput.from_credentials({"token": TOKEN, "appid": APPID, "secret": SECRET,
                                         "api_base_url": recorder.base_url, **credentials})


async def test_output_channel_pushes_through_customer_service(recorder):
    output = channel_for(recorder).get_output_channel()
    assert isinstance(output, WeChatOutput) and output.name() == "wechat"
    # What Rasa's processor does with each bot message of the triggered turn.
    await output.send_response(openid(20), {"text": NOTICE})
    await output.send_response(openid(20), {"text": "请选择：", "buttons": [{"title": "邮寄", "payload": "/request_mail"}]})
    await output.send_image_url(openid(20), "https://example.org/map.png")
    assert recorder.sent(CUSTOM_SEND) == [
        {"touser": openid(20), "msgtype": "text", "text": {"content": NOTICE}},
        {"touser": openid(20), "msgtype": "text", "text": {"content": "请选择：\n1. 邮寄"}},
        {"touser": openid(20), "msgtype": "text", "text": {"content": "https://example.org/map.png"}},
    ]
    assert recorder.sent(TEMPLATE_SEND) == []
    assert recorder.token_requests == 1  # the access token is fetched once and reused


async def test_out_of_window_falls_back_to_the_template_message(recorder):
    recorder.out_of_window.add(openid(21))
    output = channel_for(recorder, template_id="TPL_pickup_notice").get_output_channel()
    await output.send_text_message(openid(21), NOTICE)
    assert len(recorder.sent(CUSTOM_SEND)) == 1  # tried first, answered 45015
    assert recorder.sent(TEMPLATE_SEND) == [{
        "touser": openid(21),
        "template_id": "TPL_pickup_notice",
        "data": {
            "first": {"value": "您的技能人员国家职业资格证书已可领取。"},
            "keyword1": {"value": "电工 四级"},
            "keyword2": {"value": "最迟于2026年10月20日（含当日）"},
            "remark": {"value": "领取时请携带本人身份证原件。"},
        },
    }]


async def test_template_id_from_the_environment(recorder, monkeypatch):
    monkeypatch.setenv("WECHAT_NOTICE_TEMPLATE_ID", "TPL_from_env")
    recorder.out_of_window.add(openid(22))
    await channel_for(recorder).get_output_channel().send_text_message(openid(22), "证书可以领取了。")
    assert [t["template_id"] for t in recorder.sent(TEMPLATE_SEND)] == ["TPL_from_env"]


async def test_out_of_window_without_template_is_logged_not_raised(recorder, monkeypatch, caplog):
    monkeypatch.delenv("WECHAT_NOTICE_TEMPLATE_ID", raising=False)
    recorder.out_of_window.add(openid(23))
    api = channel_for(recorder).api
    with caplog.at_level(logging.ERROR, logger="bot.wechat_api"):
        assert await api.send_text(openid(23), "证书可以领取了。") == FAILED
    assert "errcode=45015" in caplog.text
    assert recorder.sent(TEMPLATE_SEND) == []


async def test_wechat_unreachable_is_logged_not_raised(recorder, caplog):
    channel = WeChatInput.from_credentials({"token": TOKEN, "appid": APPID, "secret": SECRET,
                                            "api_base_url": "http://127.0.0.1:9/cgi-bin/"})
    with caplog.at_level(logging.ERROR, logger="bot.wechat_api"):
        assert await channel.api.send_text(openid(24), "你好") == FAILED  # nothing listens there
    assert "unreachable" in caplog.text


async def test_wrong_secret_is_logged_not_raised(recorder, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.wechat_api"):
        assert await channel_for(recorder, secret="wrong").api.send_text(openid(25), "你好") == FAILED
    assert "errcode=40125" in caplog.text
    assert recorder.calls == []


async def test_push_that_wechat_refused_raises_so_the_caller_can_retry(recorder, monkeypatch):
    monkeypatch.delenv("WECHAT_NOTICE_TEMPLATE_ID", raising=False)
    recorder.out_of_window.add(openid(27))
    output = channel_for(recorder).get_output_channel()
    with pytest.raises(WeChatDeliveryError):
        await output.send_response(openid(27), {"text": "证书可以领取了。"})


async def test_unknown_outcome_is_not_raised(caplog):
    """WeChat got the request but never answered: raising would let the caller send
    the notice again, so the channel only logs it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    api = WeChatApi(APPID, SECRET, api_base_url=f"http://127.0.0.1:{listener.getsockname()[1]}/cgi-bin/",
                    timeout=0.5)
    try:
        with caplog.at_level(logging.ERROR, logger="bot.wechat_api"):
            assert await api.send_text(openid(28), "你好") == UNKNOWN
        await WeChatOutput(api).send_response(openid(28), {"text": "你好"})  # no exception
    finally:
        for conn, _ in accepted:
            conn.close()
        listener.close()
    assert "outcome=unknown" in caplog.text


async def test_sent_outcome(recorder):
    assert await channel_for(recorder).api.send_text(openid(29), "你好") == SENT


def test_template_layout(caplog):
    assert template_data("只有一段") == {"first": {"value": "只有一段"}}
    assert template_data("标题\n\n内容") == {"first": {"value": "标题"}, "keyword1": {"value": "内容"}}
    assert template_data("") == {}
    # WeChat shows keywords on one line, up to 20 characters
    with caplog.at_level(logging.WARNING, logger="bot.wechat_api"):
        data = template_data("标题\n\n电工\n四级\n\n" + "很" * 21 + "\n\n备注")
    assert data["keyword1"] == {"value": "电工 四级"}
    assert "keyword2 has 21 characters" in caplog.text


# -- credentials ------------------------------------------------------------------------

def test_refuses_to_start_without_a_token(monkeypatch):
    monkeypatch.delenv("WECHAT_TOKEN", raising=False)
    with pytest.raises(RasaException, match="WECHAT_TOKEN"):
        WeChatInput.from_credentials({"appid": APPID, "secret": SECRET})
    with pytest.raises(RasaException, match="WECHAT_TOKEN"):
        WeChatInput.from_credentials(None)


def test_environment_fills_what_credentials_leave_out(monkeypatch):
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_APPID", APPID)
    monkeypatch.setenv("WECHAT_SECRET", SECRET)
    monkeypatch.setenv("WECHAT_AES_KEY", AES_KEY)
    monkeypatch.delenv("WECHAT_API_BASE_URL", raising=False)
    channel = WeChatInput.from_credentials({"token": None, "api_base_url": ""})
    assert (channel.token, channel.appid, channel.api.secret) == (TOKEN, APPID, SECRET)
    assert channel.crypto is not None
    assert channel.api.api_base_url == DEFAULT_API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"
    assert channel.name() == "wechat" and channel.url_prefix() == "wechat"
    # credentials.yml wins over the environment
    assert WeChatInput.from_credentials({"token": "from-file"}).token == "from-file"
    assert WeChatInput.from_credentials({"token": 20260930}).token == "20260930"  # YAML reads digits as int


def test_bad_aes_key_and_budget_are_refused(monkeypatch):
    for name in ("WECHAT_AES_KEY", "WECHAT_APPID", "WECHAT_REPLY_BUDGET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(RasaException, match="43-character"):
        WeChatInput.from_credentials({"token": TOKEN, "appid": APPID, "aes_key": "short"})
    with pytest.raises(RasaException, match="WECHAT_APPID"):
        WeChatInput.from_credentials({"token": TOKEN, "aes_key": AES_KEY})
    with pytest.raises(RasaException, match="reply_budget"):
        WeChatInput.from_credentials({"token": TOKEN, "reply_budget": 5})
    with pytest.raises(RasaException, match="reply_budget"):
        WeChatInput.from_credentials({"token": TOKEN, "reply_budget": "soon"})


def test_nothing_is_fetched_at_start(recorder):
    channel_for(recorder)
    assert recorder.token_requests == 0 and recorder.calls == []


# -- ID numbers in logs -----------------------------------------------------------------

async def test_id_numbers_never_reach_the_logs_in_full(wechat, recorder, caplog):
    recorder.out_of_window.add(openid(26))
    bot = Bot(replies=lambda text: [f"已收到：{text}"], delay=0.6)
    harness = await wechat(bot, reply_budget=0.2)
    with caplog.at_level(logging.DEBUG):
        await harness.post(text_xml("陈小明 330106199001010018", sender=openid(26)))
        await asyncio.to_thread(recorder.wait_for, CUSTOM_SEND, 1, 5)
        await asyncio.sleep(0.2)
    assert bot.texts == ["陈小明 330106199001010018"]  # the bot itself gets the real number
    wechat_lines = [r.getMessage() for r in caplog.records if r.name.startswith("bot.")]
    assert any("330106********0018" in line for line in wechat_lines)
    assert not any("330106199001010018" in r.getMessage() for r in caplog.records)


# -- small helpers ----------------------------------------------------------------------

def test_render_message():
    assert render_message({"text": "看这里", "image": "https://example.org/a.png"}) == "看这里\nhttps://example.org/a.png"
    assert render_message({"attachment": {"type": "file", "payload": {"src": "https://example.org/f.pdf"}}}) \
        == "https://example.org/f.pdf"
    assert render_message({"custom": {"x": 1}}) == ""
    assert render_message({"text": "选：", "quick_replies": [{"title": "是", "payload": "/affirm"}]}) == "选：\n1. 是"


def test_ttl_cache_expires_and_stays_bounded():
    now = [0.0]
    cache: TTLCache[int] = TTLCache(ttl=10, maxsize=3, clock=lambda: now[0])
    for i in range(5):
        cache.put(i, i)
    assert len(cache) == 3 and cache.get(0) is None and cache.get(4) == 4
    now[0] = 11
    assert cache.get(4) is None
    cache.put("new", 1)
    assert len(cache) == 1
