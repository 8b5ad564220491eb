"""Helpers of the WeChat channel tests: credentials, raw XML as WeChat sends it (one
sample per message type), WeChat's signature computed independently of the channel, a
small bot that answers through the `UserMessage.output_channel` it is given (the
interface Rasa's agent uses), and the harness that talks to the channel over HTTP.

A module of its own rather than conftest.py: tests/conftest.py is also named
`conftest`, so importing helpers from a conftest would depend on collection order.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import aiohttp
import xmltodict
from wechatpy.crypto import WeChatCrypto

from rasa.core.channels.channel import UserMessage
from rasa.shared.core.domain import Domain

from bot.wechat import TEXT_ONLY_RESPONSE, WeChatInput

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"


@functools.lru_cache(maxsize=1)
def project_domain() -> Domain:
    """The project's domain, as `rasa run` gives the channel's app (`app.ctx.agent.domain`)."""
    return Domain.load(str(DOMAIN_FILE))


def text_only_reply() -> str:
    return project_domain().responses[TEXT_ONLY_RESPONSE][0]["text"]

TOKEN = "token-" + secrets.token_hex(8)
APPID = "wx" + secrets.token_hex(8)
SECRET = secrets.token_hex(16)
AES_KEY = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
ACCOUNT = "gh_0123456789ab"
ROUTE = "/webhooks/wechat/webhook"

_msg_ids = itertools.count(6_000_000_000_000_000_001)

Reply = Union[str, Dict[str, Any]]


def openid(n: int = 1) -> str:
    return f"oTest{n:023d}"  # 28 characters, like a real OpenID


def next_msg_id() -> int:
    return next(_msg_ids)


def sign(*values: str) -> str:
    """WeChat's signature, computed here independently of the channel's code."""
    return hashlib.sha1("".join(sorted(values)).encode()).hexdigest()


def signed_query(token: str = TOKEN, timestamp: Optional[int] = None) -> Dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(5)
    return {"signature": sign(token, ts, nonce), "timestamp": ts, "nonce": nonce}


# -- raw XML as WeChat sends it, one sample per message type ----------------------------

def text_xml(content: str, *, sender: str = openid(), msg_id: Optional[int] = None) -> str:
    return f"""<xml>
<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>
<FromUserName><![CDATA[{sender}]]></FromUserName>
<CreateTime>{int(time.time())}</CreateTime>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[{content}]]></Content>
<MsgId>{msg_id or next_msg_id()}</MsgId>
</xml>"""


def voice_xml(recognition: Optional[str], *, sender: str = openid()) -> str:
    field_ = f"<Recognition><![CDATA[{recognition}]]></Recognition>\n" if recognition is not None else ""
    return f"""<xml>
<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>
<FromUserName><![CDATA[{sender}]]></FromUserName>
<CreateTime>{int(time.time())}</CreateTime>
<MsgType><![CDATA[voice]]></MsgType>
<MediaId><![CDATA[media_id_voice_1]]></MediaId>
<Format><![CDATA[amr]]></Format>
{field_}<MsgId>{next_msg_id()}</MsgId>
</xml>"""


def image_xml(*, sender: str = openid()) -> str:
    return f"""<xml>
<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>
<FromUserName><![CDATA[{sender}]]></FromUserName>
<CreateTime>{int(time.time())}</CreateTime>
<MsgType><![CDATA[image]]></MsgType>
<PicUrl><![CDATA[http://mmbiz.qpic.cn/example.jpg]]></PicUrl>
<MediaId><![CDATA[media_id_image_1]]></MediaId>
<MsgId>{next_msg_id()}</MsgId>
</xml>"""


def location_xml(*, sender: str = openid()) -> str:
    return f"""<xml>
<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>
<FromUserName><![CDATA[{sender}]]></FromUserName>
<CreateTime>{int(time.time())}</CreateTime>
<MsgType><![CDATA[location]]></MsgType>
<Location_X>30.274085</Location_X>
<Location_Y>120.155070</Location_Y>
<Scale>15</Scale>
<Label><![CDATA[浙江省杭州市西湖区]]></Label>
<MsgId>{next_msg_id()}</MsgId>
</xml>"""


def event_xml(event: str, *, sender: str = openid(), create_time: Optional[int] = None) -> str:
    return f"""<xml>
<ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>
<FromUserName><![CDATA[{sender}]]></FromUserName>
<CreateTime>{create_time or int(time.time())}</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[{event}]]></Event>
</xml>"""


def reply_content(xml: str) -> Dict[str, Any]:
    return xmltodict.parse(xml)["xml"]


# -- the bot side -----------------------------------------------------------------------

@dataclass
class Bot:
    """Plays Rasa's agent: records each UserMessage and answers through its output channel."""

    replies: Union[Sequence[Reply], Callable[[str], Sequence[Reply]]] = ("收到",)
    delay: float = 0.0
    received: List[UserMessage] = field(default_factory=list)

    @property
    def texts(self) -> List[str]:
        return [m.text for m in self.received]

    async def __call__(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        replies = self.replies(message.text) if callable(self.replies) else self.replies
        for reply in replies:
            body = {"text": reply} if isinstance(reply, str) else dict(reply)
            await message.output_channel.send_response(message.sender_id, body)


# -- the channel in a real Sanic server -------------------------------------------------

@dataclass
class Harness:
    channel: WeChatInput
    bot: Bot
    url: str
    session: aiohttp.ClientSession
    crypto: WeChatCrypto

    async def get(self, params: Dict[str, str]) -> aiohttp.ClientResponse:
        async with self.session.get(self.url, params=params) as resp:
            await resp.read()
            return resp

    async def post(self, xml: str, *, safe: bool = False,
                   query: Optional[Dict[str, str]] = None) -> tuple[int, str]:
        """Deliver `xml` as WeChat does: signed, and in safe mode encrypted."""
        params = dict(signed_query() if query is None else query)
        body = xml
        if safe:
            envelope = reply_content(self.crypto.encrypt_message(xml, params["nonce"], params["timestamp"]))
            params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
            body = (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
                    f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        async with self.session.post(self.url, params=params, data=body.encode("utf-8"),
                                     headers={"Content-Type": "text/xml"}) as resp:
            return resp.status, await resp.text()

    def decrypt(self, xml: str) -> Dict[str, Any]:
        """Read an encrypted reply as WeChat would."""
        envelope = reply_content(xml)
        plain = self.crypto.decrypt_message(xml, envelope["MsgSignature"], envelope["TimeStamp"],
                                            envelope["Nonce"])
        return reply_content(plain)
