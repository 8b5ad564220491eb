"""WeChat's server API as the channel uses it: customer-service text messages and, for
people outside the 48-hour window, template messages. All HTTP goes through wechatpy's
`WeChatClient` (requests, blocking) in a worker thread with a timeout.

Assumed template layout (an approved 公众号 template of the kind "业务办理通知"):

    {{first.DATA}}
    业务：{{keyword1.DATA}}
    ...
    {{keywordN.DATA}}
    {{remark.DATA}}

The notice's text is split at blank lines: the first paragraph goes to `first`, the
last to `remark` (when there are three or more), the ones between to `keyword1`,
`keyword2`, ... in order. Write the pushed response in domain.yml with as many
paragraphs as the template has fields.

Since 2023-05-04 WeChat drops `first` and `remark` when it delivers a template
message, and shows each keyword only up to 20 characters, on one line (公告《关于规范
公众号模板消息的再次公告》, developers.weixin.qq.com/community/develop/doc/
000a2ae286cdc0f41a8face4c51801). So the keyword paragraphs must carry what matters,
short; line breaks inside them become spaces here, and longer ones are logged.

The access token lives in this process unless a Redis client is given (REDIS_URL; several
Rasa processes): then every process uses the one token in Redis, which expires there when
WeChat says, instead of each fetching its own (WeChat counts the fetches and a new token
retires the old one). While Redis cannot be reached the process keeps its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Dict, Optional

import requests
from urllib3.exceptions import NewConnectionError
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage

from pickup_rules import mask_for_log

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com/cgi-bin/"
# 45015: "response out of time limit or subscription is canceled" (48-hour window).
OUT_OF_WINDOW = 45015
KEYWORD_MAX_CHARS = 20

# What became of a message: WeChat accepted it, it surely did not reach WeChat (or
# WeChat refused it), or nobody knows (the request left, no answer came back).
SENT, FAILED, UNKNOWN = "sent", "failed", "unknown"


def _never_sent(error: requests.RequestException) -> bool:
    """True when the request cannot have reached WeChat (no connection was made)."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(error, requests.ConnectionError) and isinstance(reason, NewConnectionError)


class _TimeoutSession(requests.Session):
    """wechatpy fetches the access token without a timeout; give every call one."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(*args, **kwargs)


class SharedTokenStorage(SessionStorage):
    """wechatpy's session (the access token) in Redis, shared by the Rasa processes; in this
    process's memory for as long as Redis fails."""

    def __init__(self, redis_client: Any, prefix: str = "zj-cert:wechat") -> None:
        self.redis = redis_client
        self.prefix = prefix
        self.local = MemoryStorage()

    def _unreachable(self, error: Exception) -> None:
        logger.warning("wechat.token_store_unreachable error=%s: this process keeps its own token",
                       type(error).__name__)

    def get(self, key: str, default: Any = None) -> Any:
        import redis

        try:
            value = self.redis.get(f"{self.prefix}:{key}")
        except redis.RedisError as e:
            self._unreachable(e)
            return self.local.get(key, default)
        return default if value is None else json.loads(value)

    def set(self, key: str, value: Any, ttl: Optional[int] = None) -> None:
        import redis

        if value is None:
            return
        self.local.set(key, value, ttl)
        try:
            self.redis.set(f"{self.prefix}:{key}", json.dumps(value), ex=ttl)
        except redis.RedisError as e:
            self._unreachable(e)

    def delete(self, key: str) -> None:
        import redis

        self.local.delete(key)
        try:
            self.redis.delete(f"{self.prefix}:{key}")
        except redis.RedisError as e:
            self._unreachable(e)


class _Client(WeChatClient):
    """wechatpy's client with the API base URL (token endpoint included) configurable."""

    def __init__(self, appid: str, secret: str, api_base_url: str, timeout: float,
                 session: Optional[SessionStorage] = None) -> None:
        super().__init__(appid, secret, session=session, timeout=timeout)
        self.API_BASE_URL = api_base_url
        self._http = _TimeoutSession(timeout)

    def fetch_access_token(self) -> Dict[str, Any]:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


def template_data(text: str) -> Dict[str, Dict[str, str]]:
    """The notice text in the assumed template layout (see the module docstring)."""
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    if not paragraphs:
        return {}
    data = {"first": {"value": paragraphs[0]}}
    middle = paragraphs[1:-1] if len(paragraphs) >= 3 else paragraphs[1:]
    for i, paragraph in enumerate(middle, start=1):
        value = " ".join(paragraph.split())
        if len(value) > KEYWORD_MAX_CHARS:
            logger.warning("wechat.template.keyword_too_long keyword%d has %d characters; WeChat shows %d",
                           i, len(value), KEYWORD_MAX_CHARS)
        data[f"keyword{i}"] = {"value": value}
    if len(paragraphs) >= 3:
        data["remark"] = {"value": paragraphs[-1]}
    return data


class WeChatApi:
    """Sends text to an OpenID: customer-service message first; on 45015 a template
    message when `template_id` is set. Never raises: the outcome is returned (SENT,
    FAILED or UNKNOWN) and every failure logged, with ID numbers masked."""

    def __init__(self, appid: str, secret: str, *, api_base_url: str = DEFAULT_API_BASE_URL,
                 template_id: Optional[str] = None, timeout: float = 5.0,
                 token_storage: Optional[SessionStorage] = None) -> None:
        if not api_base_url.endswith("/"):
            api_base_url += "/"
        self.appid = appid
        self.secret = secret
        self.api_base_url = api_base_url
        self.template_id = template_id or None
        self.timeout = timeout
        self.token_storage = token_storage
        self._client: Optional[_Client] = None
        # One call at a time: requests.Session and wechatpy's token refresh are not
        # made for concurrent threads, and the volume here is small.
        self._lock = threading.Lock()

    @property
    def configured(self) -> bool:
        return bool(self.appid and self.secret)

    def _call(self, name: str, *args: Any) -> Dict[str, Any]:
        with self._lock:
            if self._client is None:
                self._client = _Client(self.appid, self.secret, self.api_base_url, self.timeout,
                                       self.token_storage)
            return getattr(self._client.message, name)(*args)

    async def _send(self, name: str, *args: Any) -> tuple[str, Optional[int]]:
        """The outcome of one API call and WeChat's errcode when it answered one."""
        try:
            await asyncio.to_thread(self._call, name, *args)
            return SENT, 0
        except WeChatClientException as e:
            return FAILED, e.errcode
        except requests.RequestException as e:
            outcome = FAILED if _never_sent(e) else UNKNOWN
            logger.error("wechat.api.unreachable call=%s error=%s outcome=%s", name, type(e).__name__, outcome)
            return outcome, None

    async def send_text(self, openid: str, text: str) -> str:
        if not self.configured:
            logger.error("wechat.api.not_configured: appid and secret are needed to send to %s", openid)
            return FAILED
        outcome, errcode = await self._send("send_text", openid, text)
        if errcode == OUT_OF_WINDOW and self.template_id:
            return await self.send_template(openid, text)
        if outcome != SENT:
            logger.error("wechat.api.custom_send_failed openid=%s errcode=%s outcome=%s text=%s",
                         openid, errcode, outcome, mask_for_log(text)[:80])
        return outcome

    async def send_template(self, openid: str, text: str) -> str:
        data = template_data(text)
        outcome, errcode = await self._send("send_template", openid, self.template_id, data)
        if outcome == SENT:
            logger.info("wechat.api.template_sent openid=%s", openid)
        else:
            logger.error("wechat.api.template_send_failed openid=%s errcode=%s outcome=%s text=%s",
                         openid, errcode, outcome, mask_for_log(text)[:80])
        return outcome
