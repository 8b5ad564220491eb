"""Settings of the action server, read from the environment in one place.

Read on each call (not at import), so that tests and deployments can change the
environment without reloading modules.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_BACKEND_URL = "http://127.0.0.1:8000"
DEFAULT_BACKEND_TIMEOUT = 3.0


@dataclass(frozen=True)
class Settings:
    backend_url: str
    backend_timeout: float
    backend_public_url: str


def _timeout(raw: str | None) -> float:
    try:
        value = float(raw) if raw else DEFAULT_BACKEND_TIMEOUT
    except ValueError:
        return DEFAULT_BACKEND_TIMEOUT
    return value if value > 0 else DEFAULT_BACKEND_TIMEOUT


def get_settings() -> Settings:
    backend_url = (os.environ.get("BACKEND_URL") or DEFAULT_BACKEND_URL).rstrip("/")
    public_url = (os.environ.get("BACKEND_PUBLIC_URL") or backend_url).rstrip("/")
    return Settings(
        backend_url=backend_url,
        backend_timeout=_timeout(os.environ.get("BACKEND_TIMEOUT")),
        backend_public_url=public_url,
    )
