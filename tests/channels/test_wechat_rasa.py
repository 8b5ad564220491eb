"""The channel as Rasa 3.6 itself loads it: from a credentials file with the block the
project's credentials.yml gets, registered under /webhooks/ by Rasa's `register`, and
found by the server's `trigger_intent` output-channel lookup."""

from __future__ import annotations

import socket
from types import SimpleNamespace

import aiohttp
import pytest
from wechat_helpers import APPID, SECRET, TOKEN, Bot, openid, reply_content, signed_query, text_xml
from recorder import CUSTOM_SEND
from sanic import Sanic

from rasa.core.channels.channel import register
from rasa.core.run import create_http_input_channels
from rasa.server import _get_output_channel

from bot.wechat import WeChatInput, WeChatOutput

# The block for the project's credentials.yml (secrets come from the environment).
CREDENTIALS_BLOCK = """\
rest:

bot.wechat.WeChatInput:
  # token, appid, secret and aes_key left empty are read from WECHAT_TOKEN,
  # WECHAT_APPID, WECHAT_SECRET and WECHAT_AES_KEY (safe mode when set);
  # template_id from WECHAT_NOTICE_TEMPLATE_ID. Never write the secrets here.
  token:
  appid:
  secret:
  aes_key:
  template_id:
  api_base_url: "https://api.weixin.qq.com/cgi-bin/"
  reply_budget: 4.0
"""


@pytest.fixture
def credentials_file(tmp_path, monkeypatch, recorder):
    monkeypatch.setenv("WECHAT_TOKEN", TOKEN)
    monkeypatch.setenv("WECHAT_APPID", APPID)
    monkeypatch.setenv("WECHAT_SECRET", SECRET)
    monkeypatch.delenv("WECHAT_AES_KEY", raising=False)
    monkeypatch.delenv("WECHAT_NOTICE_TEMPLATE_ID", raising=False)
    path = tmp_path / "credentials.yml"
    path.write_text(CREDENTIALS_BLOCK.replace("https://api.weixin.qq.com/cgi-bin/", recorder.base_url),
                    encoding="utf-8")
    return str(path)


def test_rasa_loads_the_channel_from_the_credentials_block(credentials_file):
    channels = create_http_input_channels(None, credentials_file)
    wechat = [c for c in channels if c.name() == "wechat"]
    assert len(wechat) == 1 and isinstance(wechat[0], WeChatInput)
    assert (wechat[0].token, wechat[0].appid, wechat[0].crypto) == (TOKEN, APPID, None)
    assert wechat[0].reply_budget == 4.0


def test_trigger_intent_output_channel_lookup_finds_the_wechat_output(credentials_file):
    channels = create_http_input_channels(None, credentials_file)
    request = SimpleNamespace(args={"output_channel": "wechat"},
                              app=SimpleNamespace(ctx=SimpleNamespace(input_channels=channels)))
    assert isinstance(_get_output_channel(request, None), WeChatOutput)


async def test_route_registered_by_rasa_answers_and_pushes(credentials_file, recorder, monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)
    bot = Bot(replies=["您好！"])
    app = Sanic("wechat_rasa_route_test", configure_logging=False)
    app.ctx.agent = SimpleNamespace(handle_message=bot)  # Rasa's handler calls agent.handle_message
    register(create_http_input_channels("bot.wechat.WeChatInput", credentials_file), app, "/webhooks/")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/wechat/webhook"
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(url, params={**signed_query(), "echostr": "ok123"}) as resp:
                assert await resp.text() == "ok123"
            async with session.post(url, params=signed_query(),
                                    data=text_xml("你好", sender=openid(30)).encode()) as resp:
                assert reply_content(await resp.text())["Content"] == "您好！"
        assert bot.texts == ["你好"]
        # A pushed notice through the channel Rasa's server would pick.
        output = _get_output_channel(SimpleNamespace(args={"output_channel": "wechat"}, app=app), None)
        await output.send_response(openid(30), {"text": "证书可以领取了。"})
        assert [m["text"]["content"] for m in recorder.sent(CUSTOM_SEND)] == ["证书可以领取了。"]
    finally:
        server.close()
        await server.wait_closed()
        sock.close()
