"""The edge: what a request meets before FastAPI reads a byte of its body.

FastAPI reads a multipart body (spooling files to disk) while it resolves the endpoint's
parameters, before any dependency runs: a staff dependency alone would let an anonymous
upload fill the disk before its 401. So staff paths are checked for the token here, and
every body is held to its route's cap here, whether it declares its length or comes
chunked. Plain ASGI: nothing is buffered, nothing is read that is not passed on.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import CSRF_MESSAGE, UNAUTHORIZED_MESSAGE, error_body
from app.core.staff_session import (
    SAFE_METHODS,
    SIGN_IN_PATH,
    cookie_from_header,
    csrf_matches,
    signing_key,
    token_from_cookie,
)

KB = 1024
MB = 1024 * KB
# The published list as a file; the multipart form around it (boundaries, the other fields)
# gets a little more, so that a file just over the cap is still answered by the import itself.
LIST_UPLOAD_BYTES = 50 * MB
LIST_UPLOAD_PATH = "/api/v1/staff/lists"
# Paths whose every endpoint needs the staff token (checked again by each endpoint).
STAFF_PREFIXES = ("/api/v1/staff/", "/api/v1/hotline/")
_DECIMAL = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class BodyCap:
    limit: int
    message: str


LIST_UPLOAD_CAP = BodyCap(LIST_UPLOAD_BYTES + 64 * KB, "文件过大（上限50MB），请拆分后上传。")
# Staff JSON: a collection of up to 5,000 certificate numbers, a province's offices.
STAFF_JSON_CAP = BodyCap(2 * MB, "提交的内容过大（上限2MB），请分批提交。")
# Everything an applicant sends is a short form.
DEFAULT_CAP = BodyCap(64 * KB, "提交的内容过大，请检查后重试。")


def body_cap(method: str, path: str) -> BodyCap:
    if method == "POST" and path == LIST_UPLOAD_PATH:
        return LIST_UPLOAD_CAP
    if path == SIGN_IN_PATH:
        return DEFAULT_CAP
    if path.startswith(STAFF_PREFIXES):
        return STAFF_JSON_CAP
    return DEFAULT_CAP


def bearer_token_matches(authorization: str | None, expected: str | None) -> bool:
    """`Bearer <token>`, compared in constant time (as bytes: any character may come)."""
    scheme, _, token = (authorization or "").partition(" ")
    return (scheme.lower() == "bearer" and bool(token) and bool(expected)
            and hmac.compare_digest(token.encode(), (expected or "").encode()))


class _BodyTooLarge(Exception):
    """Raised from `receive` once a body passes its cap; the app's own answer is replaced."""


async def send_error(send: Send, status: int, code: str, message: str,
                     headers: dict[str, str] | None = None) -> None:
    body = json.dumps(error_body(code, message), ensure_ascii=False).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                   # The body is not read: the connection cannot carry another request.
                   (b"connection", b"close")]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def _route_path(scope: Scope) -> str:
    """The path as the router matches it (without a mount's root path)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _declared_length(scope: Scope) -> int:
    """Content-Length as a number (0 when absent or not one: the server refuses those itself)."""
    declared = (_header(scope, b"content-length") or "").strip()
    if not _DECIMAL.fullmatch(declared):
        return 0
    return int(declared) if len(declared) <= 18 else 10 ** 18


class EdgeGuard:
    """On staff paths, before anything else: the staff token, or a session cookie this server
    signed (with its CSRF token on unsafe methods); signing in needs neither. Each route's
    body cap on all paths."""

    def __init__(self, app: ASGIApp, *, staff_token: str | None) -> None:
        self.app = app
        self.staff_token = staff_token
        self.session_key = signing_key(staff_token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = _route_path(scope)
        if path.startswith(STAFF_PREFIXES) and not (scope["method"] == "POST" and path == SIGN_IN_PATH):
            refusal = self._staff_refusal(scope)
            if refusal is not None:
                await refusal(send)
                return
        cap = body_cap(scope["method"], path)
        if _declared_length(scope) > cap.limit:
            await send_error(send, 413, "body_too_large", cap.message)
            return
        await self._within_cap(scope, receive, send, cap)

    def _staff_refusal(self, scope: Scope):
        if bearer_token_matches(_header(scope, b"authorization"), self.staff_token):
            return None
        token = token_from_cookie(self.session_key, cookie_from_header(_header(scope, b"cookie")))
        if token is None:
            return lambda send: send_error(send, 401, "unauthorized", UNAUTHORIZED_MESSAGE,
                                           {"WWW-Authenticate": "Bearer"})
        if scope["method"] not in SAFE_METHODS and not csrf_matches(
                self.session_key, token, _header(scope, b"x-csrf-token")):
            return lambda send: send_error(send, 403, "csrf_failed", CSRF_MESSAGE)
        return None

    async def _within_cap(self, scope: Scope, receive: Receive, send: Send, cap: BodyCap) -> None:
        received = 0
        exceeded = False
        started = False

        async def counted_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > cap.limit:
                    exceeded = True
                    raise _BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if exceeded:
                return  # the app's answer to a body cut short (FastAPI makes it a 400)
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except _BodyTooLarge:
            pass
        if exceeded and not started:
            await send_error(send, 413, "body_too_large", cap.message)


# Every answer: no sniffing, no framing, no referrer (the contact form's link carries its
# token). Pages set their own Content-Security-Policy; everything else gets none to run.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
}


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
