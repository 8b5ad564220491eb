"""Dependencies shared by the routers."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import get_session
from app.core.clock import china_today
from app.core.edge import bearer_token_matches
from app.core.errors import AppError, unauthorized
from app.rules.rate_limit import LookupLimiter, LookupLimits, RedisLookupLimiter
from app.rules.working_days import WorkCalendar
from app.services.calendar import calendar_for

SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_calendar(session: SessionDep) -> WorkCalendar:
    return calendar_for(session)


def get_today() -> dt.date:
    return china_today()


CalendarDep = Annotated[WorkCalendar, Depends(get_calendar)]
TodayDep = Annotated[dt.date, Depends(get_today)]


def staff_actor(settings: SettingsDep, authorization: Annotated[str | None, Header()] = None) -> str:
    """Checked again here: the edge (`EdgeGuard`) has already refused a wrong token on staff paths."""
    if not bearer_token_matches(authorization, settings.staff_token):
        raise unauthorized()
    return "staff"


StaffDep = Annotated[str, Depends(staff_actor)]


def client_key(request: Request, settings: SettingsDep,
               x_client_id: Annotated[str | None, Header()] = None) -> str:
    """The end client: the caller's address, or the applicant a trusted forwarder names."""
    host = request.client.host if request.client else "unknown"
    if x_client_id and host in settings.trusted_forwarders:
        return f"{host}/{x_client_id[:128]}"
    return host


ClientDep = Annotated[str, Depends(client_key)]


def lookup_limiter(settings: Settings) -> LookupLimiter | RedisLookupLimiter:
    """In Redis when REDIS_URL is set (replicas count together), else in this process."""
    limits = LookupLimits(
        per_client=settings.lookup_limit_per_client,
        misses_per_client=settings.lookup_misses_per_client,
        misses_per_client_id=settings.lookup_misses_per_client_id,
        window_seconds=settings.lookup_window_seconds,
        brake_misses_per_id=settings.lookup_brake_misses_per_id,
        brake_window_seconds=settings.lookup_brake_window_seconds,
    )
    if not settings.redis_url:
        return LookupLimiter(limits)
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout_seconds,
                                  socket_connect_timeout=settings.redis_timeout_seconds)
    return RedisLookupLimiter(client, limits)


@dataclass
class LookupGuard:
    """A look-up let through; `missed()` when the name and ID number matched nothing."""

    limiter: LookupLimiter | RedisLookupLimiter
    client: str
    id_number: str

    def missed(self) -> None:
        self.limiter.missed(self.client, self.id_number)


def enforce_lookup_limits(request: Request, client: str, id_number: str) -> LookupGuard:
    """Refuses a client over its own limits (app.rules.rate_limit); nobody else's guesses count."""
    limiter: LookupLimiter | RedisLookupLimiter = request.app.state.lookup_limiter
    wait = limiter.admit(client, id_number)
    if wait is not None:
        raise AppError(429, "too_many_requests", "查询过于频繁，请稍后再试。",
                       headers={"Retry-After": str(math.ceil(wait))})
    return LookupGuard(limiter, client, id_number)
