"""The staff session cookie and its CSRF token, checkable without the database.

The cookie carries a random token and its HMAC, so that the edge refuses a forged cookie
before reading a byte of the body (as it does a wrong bearer token); the database says
whether a well-signed token is still signed in. The CSRF token is a second HMAC of the same
token: the page gets it in JSON, a cross-site form cannot read it, and no table holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

COOKIE_NAME = "staff_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SIGN_IN_PATH = "/api/v1/staff/session"


def signing_key(staff_token: str | None) -> bytes:
    """Derived from the staff token (required and strong outside development): no second secret
    to deploy; a new token signs everyone out."""
    return hashlib.sha256(b"staff-session\n" + (staff_token or "").encode()).digest()


def _mac(key: bytes, purpose: str, token: str) -> str:
    return hmac.new(key, f"{purpose}\n{token}".encode(), hashlib.sha256).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_value(key: bytes, token: str) -> str:
    return f"{token}.{_mac(key, 'cookie', token)}"


def token_from_cookie(key: bytes, value: str | None) -> str | None:
    """The token of a cookie this server signed, else None."""
    token, _, mac = (value or "").rpartition(".")
    if not token or len(value or "") > 200:
        return None
    return token if hmac.compare_digest(mac.encode(), _mac(key, "cookie", token).encode()) else None


def csrf_token(key: bytes, token: str) -> str:
    return _mac(key, "csrf", token)


def csrf_matches(key: bytes, token: str, header: str | None) -> bool:
    return bool(header) and hmac.compare_digest((header or "").encode(), csrf_token(key, token).encode())


def cookie_from_header(header: str | None) -> str | None:
    """The staff cookie's value in a Cookie header (the last one wins, as Starlette reads it)."""
    found = None
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE_NAME:
            found = value
    return found
