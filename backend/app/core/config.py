"""Settings from the environment, read in one place."""

from __future__ import annotations

import datetime as dt
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[3]
VAR_DIR = REPO_ROOT / "var"


MIN_SECRET_LENGTH = 24
MIN_SECRET_DISTINCT_CHARACTERS = 8


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

    # Anything but an explicit ENVIRONMENT=development is treated as production: a server
    # started without it refuses weak or missing secrets instead of running with them.
    environment: str = "production"
    database_url: str = f"sqlite:///{VAR_DIR / 'backend.db'}"
    # Staff endpoints need this bearer token. In development a random one is kept
    # in var/staff_token so that `make run` works without set-up; elsewhere it is
    # required, and refused when weak (`weak_secret`).
    staff_token: str | None = None
    # Database: seconds to wait for a PostgreSQL connection; the longest a PostgreSQL
    # statement may run (0: no limit); how long a SQLite write waits for another's lock;
    # connections per engine (pool size plus overflow is the budget of each process).
    database_connect_timeout_seconds: int = 10
    database_statement_timeout_ms: int = 30_000
    database_busy_timeout_seconds: float = 30.0
    database_pool_size: int = 10
    database_max_overflow: int = 10
    # Look-ups of personal data (app.rules.rate_limit): per client, all look-ups and wrong
    # guesses in the window, and wrong guesses per ID number; the brake tightens every
    # client's allowance for an ID number that many clients guess at.
    lookup_limit_per_client: int = 30
    lookup_misses_per_client: int = 10
    lookup_misses_per_client_id: int = 5
    lookup_window_seconds: int = 600
    lookup_brake_misses_per_id: int = 50
    lookup_brake_window_seconds: int = 3600
    # Staff look-ups (the hotline agents' and the counter's status look-up): per account, in
    # the same window; wrong guesses count as for applicants.
    staff_lookup_limit_per_account: int = 120
    staff_lookup_misses_per_account: int = 40
    # Refused staff sign-ins one address may make in the window, whatever the names
    # (`sign_in_throttled`); the per-name lock-out (five in 15 minutes) is apart from it.
    # Throttled attempts themselves write no audit row (a flood would fill the table); the
    # refused sign-ins before the throttle each have theirs.
    sign_in_misses_per_address: int = 20
    sign_in_window_seconds: int = 15 * 60
    # Several backend replicas (deploy/, `make cluster`) share the limiter's windows in this
    # Redis (redis://host:port/db); unset, each process counts alone (`make run`).
    redis_url: str | None = None
    # Seconds a call to Redis may take before the limiter counts alone for that call.
    redis_timeout_seconds: float = 0.5
    # Requests from these addresses may name the end client in X-Client-Id (the
    # action server speaks for many applicants from one address).
    trusted_forwarders: list[str] = ["127.0.0.1", "::1"]
    # Pushed pickup notices go through Rasa's HTTP API (trigger_intent); off without RASA_URL.
    # Calls carry a short-lived JWT signed with RASA_JWT_SECRET (Rasa's --jwt-secret).
    rasa_url: str | None = None
    rasa_jwt_secret: str | None = None
    push_channels: list[str] = ["socketio", "wechat"]
    notify_poll_seconds: float = 2.0
    notify_max_attempts: int = 5
    notify_backoff_seconds: float = 30.0
    # The web widget on /demo talks to Rasa from the browser: Rasa's address as browsers
    # reach it (RASA_URL, then http://127.0.0.1:5005, when unset).
    rasa_public_url: str | None = None
    # Rasa's SQL event broker's database (endpoints.yml `event_broker`), read by the console's
    # "unanswered questions"; in development the SQLite file `make run`'s Rasa writes.
    rasa_events_url: str | None = None
    # config.yml's FallbackClassifier threshold (a test keeps the two equal).
    nlu_fallback_threshold: float = 0.4
    # The hotline guide waits this long for each call to Rasa (REST turn, tracker).
    hotline_timeout_seconds: float = 10.0
    # Tests and rehearsals pin "today" (YYYY-MM-DD) so that every date the service
    # computes is reproducible; development only.
    fixed_today: dt.date | None = None

    @model_validator(mode="after")
    def _staff_token_outside_development(self) -> "Settings":
        if self.fixed_today and self.environment != "development":
            raise ValueError("FIXED_TODAY is for development only")
        if self.rasa_jwt_secret and self.environment != "development" and len(self.rasa_jwt_secret) < 32:
            raise ValueError("RASA_JWT_SECRET must be at least 32 characters outside development")
        if self.rasa_events_url is None and self.environment == "development":
            self.rasa_events_url = f"sqlite:///{VAR_DIR / 'rasa_events.db'}"
        if self.staff_token:
            if self.environment != "development" and weak_secret(self.staff_token):
                raise ValueError(f"STAFF_TOKEN is too weak outside development: at least {MIN_SECRET_LENGTH} "
                                 f"characters, {MIN_SECRET_DISTINCT_CHARACTERS} of them different")
            return self
        if self.environment != "development":
            raise ValueError("STAFF_TOKEN must be set outside development")
        self.staff_token = _development_staff_token()
        return self


def weak_secret(secret: str) -> bool:
    """Too short, or a long run of few characters ("aaaa…", "12121212…")."""
    return len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_SECRET_DISTINCT_CHARACTERS


def _development_staff_token() -> str:
    path = VAR_DIR / "staff_token"
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    path.write_text(token + "\n")
    path.chmod(0o600)
    return token


@lru_cache
def get_settings() -> Settings:
    return Settings()
