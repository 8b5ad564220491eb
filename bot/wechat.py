"""WeChat Official Account (微信公众号) channel for Rasa: `bot.wechat.WeChatInput`.

Route `/webhooks/wechat/webhook`:
- GET verifies the server URL (signature, timestamp, nonce) and echoes `echostr`.
- POST receives a message. The signature and a replay window on the timestamp are
  checked first (hmac.compare_digest); in safe mode (`encrypt_type=aes`) also
  `msg_signature`, and the body is decrypted with wechatpy's `WeChatCrypto`.

WeChat waits 5 s for an answer and retries three times with the same MsgId. Each
message therefore becomes one *turn*, remembered under its MsgId (events: FromUserName
+ CreateTime + Event) in a bounded TTL cache of this process. With several Rasa processes
(REDIS_URL) the MsgId is also claimed in Redis (SET NX, same TTL) before a turn starts:
a delivery that reaches another process than the one running its turn (nginx keeps an
openid on one process, so only after that process died) starts no second turn and answers
`success`. While Redis cannot be reached each process remembers alone. The turn
runs `on_new_message` once, as a background task; every delivery of the message
(first or retry) waits for it at most `reply_budget` seconds:
- the turn finishes within a delivery's wait: that delivery answers passively (XML reply
  in the HTTP response; encrypted in safe mode), and a later retry repeats the same
  passive reply (WeChat only retries when it did not get the earlier one);
- no delivery is waiting when the turn finishes (all answered `success` already): the
  answer goes out through the customer-service API (`message/custom/send`).
The decision is taken without awaiting in between, so exactly one of the two happens.

Subscribing sends `/greet` to Rasa, so the welcome text comes from domain.yml. Voice
with `Recognition` counts as text. Other message types and events get the domain's
`utter_text_only` (read from the running agent's domain, like every sentence the applicant
reads), except the `SILENT_EVENTS` (unsubscribe, WeChat's own reports).
Buttons become numbered lines; a bare number typed next picks that button's payload.

Settings (credentials.yml keys, or the environment when a key is empty): token
WECHAT_TOKEN (required), appid WECHAT_APPID, secret WECHAT_SECRET, aes_key
WECHAT_AES_KEY (safe mode), template_id WECHAT_NOTICE_TEMPLATE_ID, api_base_url
WECHAT_API_BASE_URL, reply_budget WECHAT_REPLY_BUDGET, replay_window WECHAT_REPLAY_WINDOW,
redis_url REDIS_URL (MsgIds and the access token shared by the Rasa processes).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text, Tuple

import xmltodict
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.messages import BaseMessage
from wechatpy.replies import create_reply
from wechatpy.utils import WeChatSigner

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException

from pickup_rules import mask_for_log

from bot.wechat_api import DEFAULT_API_BASE_URL, FAILED, SharedTokenStorage, WeChatApi
from bot.wechat_format import ButtonMemory, TTLCache, join_messages, render_message

logger = logging.getLogger(__name__)

CHANNEL = "wechat"
# Sent to Rasa when someone follows the account: the welcome comes from the domain.
WELCOME_TEXT = "/greet"
# The answer to what never reaches Rasa (images, locations, voice without recognition): a
# response of the domain, read from the agent that serves the channel.
TEXT_ONLY_RESPONSE = "utter_text_only"
# Events that nobody should answer: the user left, or WeChat reports on its own work.
SILENT_EVENTS = frozenset({"unsubscribe", "location", "templatesendjobfinish", "masssendjobfinish"})
WELCOME_EVENTS = frozenset({"subscribe", "subscribe_scan"})

DEFAULT_REPLY_BUDGET = 4.0  # seconds; WeChat gives up after 5
DEFAULT_REPLAY_WINDOW = 300  # seconds between WeChat's timestamp and our clock
DEDUP_TTL = 300.0  # WeChat's three retries come within about 15 s
DEDUP_MAXSIZE = 10_000
PASSIVE_MAX_BYTES = 2048  # longer answers go out as several customer-service messages
MAX_BODY_BYTES = 64 * 1024
# Per call to WeChat's API. A push may take three calls (token, custom message,
# template): 9 s stays under the 10 s the backend's dispatcher waits for Rasa.
API_TIMEOUT = 3.0

PASSIVE, PUSHED = "passive", "pushed"
ELSEWHERE = "elsewhere"  # another Rasa process runs the turn and answers it
REDIS_PREFIX = "zj-cert:wechat"
REDIS_TIMEOUT = 0.5  # seconds; past that this process decides alone


def signature_of(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """WeChat's SHA1 signature: the sorted values joined, as wechatpy computes it."""
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *extra)
    return signer.signature


def text_only_reply(app: Any) -> str:
    """The domain's `utter_text_only`, as the agent serving this channel loaded it ("" when it
    has none: WeChat then gets `success` and shows nothing)."""
    agent = getattr(app.ctx, "agent", None)
    domain = getattr(agent, "domain", None)
    variants = domain.responses.get(TEXT_ONLY_RESPONSE) if domain is not None else None
    return str(variants[0].get("text") or "") if variants else ""


def signature_valid(token: str, signature: Optional[str], timestamp: Optional[str],
                    nonce: Optional[str], *extra: str) -> bool:
    """Constant-time comparison (wechatpy's own check_signature uses `!=`)."""
    if not (token and signature and timestamp and nonce):
        return False
    expected = signature_of(token, timestamp, nonce, *extra)
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


def timestamp_fresh(timestamp: Optional[str], window: float, now: Optional[float] = None) -> bool:
    try:
        sent = int(timestamp or "")
    except ValueError:
        return False
    return abs((time.time() if now is None else now) - sent) <= window


class WeChatCollector(CollectingOutputChannel):
    """Collects one turn's bot messages; named `wechat` so that responses with a
    `channel: wechat` variation are chosen for this channel."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL


class WeChatDeliveryError(RasaException):
    """WeChat surely did not take a pushed message."""


class WeChatOutput(OutputChannel):
    """Pushes bot messages through the customer-service API (template message on 45015).
    Used for `trigger_intent` with `output_channel=wechat` and, not strict, for answers
    that missed the passive-reply budget.

    Strict: a message WeChat surely did not take raises WeChatDeliveryError. Rasa's
    trigger_intent then answers 500 without saving the turn, so the caller (the
    backend's notice dispatcher) can retry it. When the outcome is unknown (the request
    left but no answer came) nothing is raised: better a notice possibly lost, and
    logged, than one told twice."""

    def __init__(self, api: WeChatApi, buttons: Optional[ButtonMemory] = None, *, strict: bool = True) -> None:
        self.api = api
        self.buttons = buttons
        self.strict = strict

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        text = render_message(message)
        if not text:
            return
        if self.buttons is not None:
            self.buttons.remember(recipient_id, [message])
        if await self.api.send_text(recipient_id, text) == FAILED and self.strict:
            raise WeChatDeliveryError(f"WeChat did not take the message to {recipient_id}")

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})


class SharedTurnClaims:
    """MsgIds claimed in Redis, so that one message runs one turn whichever process it
    reaches. Nothing but the key (MsgId, or openid + time + event) is stored."""

    def __init__(self, redis_client: Any, ttl: float = DEDUP_TTL, prefix: str = REDIS_PREFIX) -> None:
        self.redis = redis_client
        self.ttl = ttl
        self.prefix = prefix

    def claim(self, key: str) -> bool:
        """True when this process is the first to see the message (or Redis is unreachable)."""
        import redis

        try:
            return bool(self.redis.set(f"{self.prefix}:turn:{key}", "1", nx=True, ex=int(self.ttl)))
        except redis.RedisError as e:
            logger.warning("wechat.turn_store_unreachable error=%s: this process decides alone", type(e).__name__)
            return True


def _redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)


@dataclass
class _Turn:
    """One user message and the conversation turn it started (see module docstring)."""

    sender_id: str
    collector: WeChatCollector = field(default_factory=WeChatCollector)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    finished: bool = False
    waiters: int = 0
    delivery: Optional[str] = None  # PASSIVE, PUSHED or ELSEWHERE once decided
    passive_text: str = ""


class WeChatInput(InputChannel):
    """WeChat Official Account input channel (plaintext and safe mode)."""

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        """Values from credentials.yml; WECHAT_* environment variables fill the gaps."""
        credentials = credentials or {}

        def setting(key: str, env: str, default: Any = None) -> Any:
            value = credentials.get(key)
            if value is None or value == "":
                value = os.environ.get(env) or default
            return value

        def text(key: str, env: str, default: Optional[str] = None) -> Optional[str]:
            value = setting(key, env, default)  # YAML may read a numeric token as int
            return None if value is None else str(value)

        def seconds(key: str, env: str, default: float) -> float:
            value = setting(key, env, default)
            try:
                return float(value)
            except (TypeError, ValueError):
                raise RasaException(f"wechat {key} must be a number of seconds, not {value!r}") from None

        return cls(
            token=text("token", "WECHAT_TOKEN"),
            appid=text("appid", "WECHAT_APPID"),
            secret=text("secret", "WECHAT_SECRET"),
            aes_key=text("aes_key", "WECHAT_AES_KEY"),
            api_base_url=text("api_base_url", "WECHAT_API_BASE_URL") or DEFAULT_API_BASE_URL,
            template_id=text("template_id", "WECHAT_NOTICE_TEMPLATE_ID"),
            reply_budget=seconds("reply_budget", "WECHAT_REPLY_BUDGET", DEFAULT_REPLY_BUDGET),
            replay_window=seconds("replay_window", "WECHAT_REPLAY_WINDOW", DEFAULT_REPLAY_WINDOW),
            redis_url=text("redis_url", "REDIS_URL"),
        )

    def __init__(self, token: Optional[str], appid: Optional[str] = None, secret: Optional[str] = None,
                 aes_key: Optional[str] = None, *, api_base_url: str = DEFAULT_API_BASE_URL,
                 template_id: Optional[str] = None, reply_budget: float = DEFAULT_REPLY_BUDGET,
                 replay_window: float = DEFAULT_REPLAY_WINDOW, redis_url: Optional[str] = None) -> None:
        if not token:
            raise RasaException(
                "The wechat channel needs the token set in the WeChat console (开发 → 基本配置): "
                "set WECHAT_TOKEN or `token` under bot.wechat.WeChatInput in credentials.yml.")
        if not 0 < reply_budget < 5:
            raise RasaException("wechat reply_budget must be between 0 and 5 seconds (WeChat waits 5 s).")
        self.token = token
        self.appid = appid or ""
        self.crypto: Optional[WeChatCrypto] = None
        if aes_key:
            if not appid:
                raise RasaException("The wechat channel needs WECHAT_APPID to use WECHAT_AES_KEY (safe mode).")
            try:
                self.crypto = WeChatCrypto(token, aes_key, appid)
            except (AssertionError, ValueError) as e:
                raise RasaException("WECHAT_AES_KEY must be the 43-character EncodingAESKey.") from e
        if not (appid and secret):
            logger.warning("wechat: no appid/secret, so slow answers and pushed messages cannot be sent")
        shared = _redis_client(redis_url) if redis_url else None
        self.claims = SharedTurnClaims(shared) if shared is not None else None
        self.api = WeChatApi(self.appid, secret or "", api_base_url=api_base_url,
                             template_id=template_id, timeout=API_TIMEOUT,
                             token_storage=SharedTokenStorage(shared, REDIS_PREFIX) if shared is not None else None)
        self.reply_budget = reply_budget
        self.replay_window = replay_window
        self.buttons = ButtonMemory()
        self._turns: TTLCache[_Turn] = TTLCache(DEDUP_TTL, DEDUP_MAXSIZE)
        self._background_tasks: Set[asyncio.Task] = set()

    def get_output_channel(self) -> WeChatOutput:
        return WeChatOutput(self.api, self.buttons)

    # -- requests ---------------------------------------------------------------------

    def _authentic(self, request: Request) -> bool:
        args = request.args
        timestamp, nonce = args.get("timestamp"), args.get("nonce")
        if not signature_valid(self.token, args.get("signature"), timestamp, nonce):
            return False
        return timestamp_fresh(timestamp, self.replay_window)

    def _decode(self, request: Request) -> Tuple[Optional[BaseMessage], bool]:
        """The message of a POST (decrypted in safe mode) and whether it was encrypted.
        Raises InvalidSignatureException when msg_signature does not match."""
        body = request.body
        if request.args.get("encrypt_type", "raw").lower() != "aes":
            return parse_message(body), False
        if self.crypto is None:
            raise InvalidSignatureException()  # safe mode without our key: cannot trust it
        envelope = xmltodict.parse(body.decode("utf-8"))["xml"]
        args = request.args
        if not signature_valid(self.token, args.get("msg_signature"), args.get("timestamp"),
                               args.get("nonce"), envelope.get("Encrypt") or ""):
            raise InvalidSignatureException()
        xml = self.crypto.decrypt_message(envelope, args.get("msg_signature"),
                                          args.get("timestamp"), args.get("nonce"))
        return parse_message(xml), True

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not self._authentic(request):
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self._authentic(request):
                logger.warning("wechat.signature_rejected")
                return response.text("forbidden", status=403)
            if len(request.body or b"") > MAX_BODY_BYTES:
                return response.text("too large", status=413)
            try:
                message, encrypted = self._decode(request)
            except (InvalidSignatureException, InvalidAppIdException):
                logger.warning("wechat.msg_signature_rejected")
                return response.text("forbidden", status=403)
            except Exception:  # malformed XML or envelope
                logger.warning("wechat.malformed_body", exc_info=True)
                return response.text("bad request", status=400)
            if message is None or not message.source:
                return response.text("bad request", status=400)

            reply = await self._answer(message, on_new_message, text_only_reply(request.app))
            if not reply:
                return response.text("success")
            xml = create_reply(reply, message, render=True)
            if encrypted and self.crypto is not None:
                xml = self.crypto.encrypt_message(xml, request.args.get("nonce"), request.args.get("timestamp"))
            return response.text(xml, content_type="application/xml; charset=utf-8")

        return webhook

    # -- messages and turns -----------------------------------------------------------

    @staticmethod
    def _user_text(message: BaseMessage) -> Optional[str]:
        """What to send to Rasa: the text, `/greet` on subscribe, None when unsupported."""
        if message.type == "text":
            return message.content or ""
        if message.type == "voice" and message.recognition:
            return message.recognition
        if message.type == "event" and message.event in WELCOME_EVENTS:
            return WELCOME_TEXT
        return None

    @staticmethod
    def _dedup_key(message: BaseMessage) -> str:
        if message.id:
            return f"msg:{message.id}"
        return f"event:{message.source}:{message.time}:{getattr(message, 'event', '')}"

    async def _answer(self, message: BaseMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                      unsupported_reply: str) -> str:
        """The passive reply text, or "" to answer `success`."""
        sender_id = message.source
        text = self._user_text(message)
        logger.info("wechat.message openid=%s type=%s event=%s msg_id=%s", sender_id, message.type,
                    getattr(message, "event", ""), message.id)
        if text is None:
            if message.type == "event" and message.event in SILENT_EVENTS:
                return ""
            return unsupported_reply
        key = self._dedup_key(message)
        turn = self._turns.get(key)
        if turn is None:
            turn = _Turn(sender_id)
            self._turns.put(key, turn)  # before awaiting: a concurrent delivery joins this turn
            if self.claims is not None and not await asyncio.to_thread(self.claims.claim, key):
                # Another process runs this message's turn and answers it (module docstring).
                logger.info("wechat.retry_elsewhere openid=%s key=%s", sender_id, key)
                turn.delivery = ELSEWHERE
                turn.done.set()
                return ""
            text = self.buttons.resolve(sender_id, text)
            logger.debug("wechat.turn_started openid=%s text=%s", sender_id, mask_for_log(text))
            self._spawn(self._run_turn(turn, on_new_message, UserMessage(
                text, turn.collector, sender_id, input_channel=CHANNEL,
                message_id=str(message.id) if message.id else None,
                metadata={"wechat": {"msg_type": message.type, "to": message.target}})))
        else:
            logger.info("wechat.retry openid=%s key=%s delivery=%s", sender_id, key, turn.delivery)
        return await self._wait_for(turn)

    async def _wait_for(self, turn: _Turn) -> str:
        if turn.delivery is None:
            turn.waiters += 1
            try:
                try:
                    await asyncio.wait_for(turn.done.wait(), self.reply_budget)
                except asyncio.TimeoutError:
                    pass
                if turn.finished and turn.delivery is None:
                    self._deliver_passively(turn)
            finally:
                turn.waiters -= 1
                self._settle(turn)
        return turn.passive_text if turn.delivery == PASSIVE else ""

    def _deliver_passively(self, turn: _Turn) -> None:
        text = join_messages(turn.collector.messages)
        if len(text.encode("utf-8")) > PASSIVE_MAX_BYTES:
            self._push(turn)
            return
        turn.delivery = PASSIVE
        turn.passive_text = text
        self.buttons.remember(turn.sender_id, turn.collector.messages)

    def _settle(self, turn: _Turn) -> None:
        """Push the answer when the turn is over and no delivery is waiting for it."""
        if turn.finished and turn.waiters == 0 and turn.delivery is None:
            self._push(turn)

    def _push(self, turn: _Turn) -> None:
        turn.delivery = PUSHED
        if turn.collector.messages:
            logger.info("wechat.push openid=%s messages=%d", turn.sender_id, len(turn.collector.messages))
            output = WeChatOutput(self.api, self.buttons, strict=False)
            self._spawn(self._send_all(output, turn))

    @staticmethod
    async def _send_all(output: WeChatOutput, turn: _Turn) -> None:
        for message in turn.collector.messages:
            await output.send_response(turn.sender_id, dict(message))

    async def _run_turn(self, turn: _Turn, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                        user_message: UserMessage) -> None:
        try:
            await on_new_message(user_message)
        except Exception:
            logger.exception("wechat.turn_failed openid=%s", turn.sender_id)
        finally:
            turn.finished = True
            turn.done.set()
            self._settle(turn)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        # Keep a reference, or the event loop may drop a running task (as slack.py does).
        task = asyncio.ensure_future(coroutine)
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)
