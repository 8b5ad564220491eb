"""Fixtures of the WeChat channel tests: the channel's blueprint in a real Sanic server on
a loopback port, driven by aiohttp as WeChat would call it (see wechat_helpers.py), and
a recorder standing in for WeChat's server API (recorder.py).
"""

from __future__ import annotations

import itertools
import socket
from types import SimpleNamespace
from typing import Any, Iterator

import aiohttp
import pytest
from pickup_rules.testing_servers import fresh_redis, redis_server  # noqa: F401 (fixtures of every module)
from recorder import Recorder
from sanic import Sanic
from wechat_helpers import AES_KEY, APPID, ROUTE, SECRET, TOKEN, Bot, Harness, project_domain
from wechatpy.crypto import WeChatCrypto

from bot.wechat import WeChatInput

_app_names = itertools.count()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    server = Recorder(APPID, SECRET).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def wechat(recorder: Recorder, monkeypatch: pytest.MonkeyPatch):
    """`await wechat(bot, **credentials)` starts the channel and returns a Harness."""
    # Several Sanic apps in one process, as sanic-testing allows it (route touch-ups
    # are redone from the originals instead of stacking).
    monkeypatch.setattr(Sanic, "test_mode", True)
    started: list = []

    async def start(bot: Bot, **credentials: Any) -> Harness:
        settings = {"token": TOKEN, "appid": APPID, "secret": SECRET, "aes_key": AES_KEY,
                    "api_base_url": recorder.base_url, "reply_budget": 0.5, **credentials}
        channel = WeChatInput.from_credentials(settings)
        app = Sanic(f"wechat_test_{next(_app_names)}", configure_logging=False)
        app.ctx.agent = SimpleNamespace(domain=project_domain())  # as rasa run gives the channel
        app.blueprint(channel.blueprint(bot), url_prefix=f"/webhooks/{channel.url_prefix()}")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
        await server.startup()  # create_server already awaited the asyncio server
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        started.append((server, session, sock))
        return Harness(channel, bot, f"http://127.0.0.1:{port}{ROUTE}", session,
                       WeChatCrypto(TOKEN, AES_KEY, APPID))

    yield start
    for server, session, sock in started:
        await session.close()
        server.close()
        await server.wait_closed()
        sock.close()
