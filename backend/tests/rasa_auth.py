"""Rasa's check of the backend's calls, as `rasa run --jwt-secret` makes it (sanic-jwt in
rasa/server.py `requires_auth`): a Bearer JWT, HS256, not expired, role admin."""

from __future__ import annotations

import jwt

RASA_JWT_SECRET = "rasa-jwt-secret-for-tests-0123456789abcdef"


def rasa_accepts(authorization: str | None, query: dict, secret: str = RASA_JWT_SECRET) -> bool:
    """True when Rasa would let the call through; a token in the query string never counts here
    (Rasa logs query strings)."""
    if "token" in query:
        return False
    prefix, _, token = (authorization or "").partition(" ")
    if prefix != "Bearer" or not token:
        return False
    try:
        payload = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp"]})
    except jwt.InvalidTokenError:
        return False
    return (payload.get("user") or {}).get("role") == "admin"
