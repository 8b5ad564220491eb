"""Dependencies shared by the routers."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import get_session
from app.core.clock import china_today
from app.core.edge import bearer_token_matches
from app.core.errors import AppError, csrf_refused, unauthorized
from app.core.staff_session import (
    COOKIE_NAME,
    CSRF_HEADER,
    SAFE_METHODS,
    csrf_matches,
    signing_key,
    token_from_cookie,
)
from app.rules.rate_limit import LookupLimiter, LookupLimits, RedisLookupLimiter
from app.rules.working_days import WorkCalendar
from app.services.calendar import calendar_for
from app.services.staff_accounts import MACHINE, Principal, account_of_session, principal_of



def unit_of_work(session: Annotated[Session, Depends(get_session, scope="function")]) -> Iterator[Session]:
    """The one commit of a request: when the handler has answered and before the response goes
    out (scope "function"), so that a failing commit is an error answer, never a 2xx for nothing
    stored. A refusal rolls back, unless it keeps what was recorded on the way
    (`AppError.keeping_writes`: the audit row of a refused sign-in, its failure count)."""
    try:
        yield session
    except AppError as exc:
        if exc.keep_writes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    try:
        session.commit()
    except BaseException:
        # SQLite keeps the transaction open after a failed COMMIT (busy, disk full): ended here
        # before the connection goes back to the pool.
        session.rollback()
        raise


SessionDep = Annotated[Session, Depends(unit_of_work, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_calendar(session: SessionDep) -> WorkCalendar:
    return calendar_for(session)


def get_today() -> dt.date:
    return china_today()


CalendarDep = Annotated[WorkCalendar, Depends(get_calendar)]
TodayDep = Annotated[dt.date, Depends(get_today)]


def staff_principal(request: Request, settings: SettingsDep, session: SessionDep,
                    authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The bearer token (a machine client) or a signed-in account's session cookie, with its
    CSRF token on unsafe methods. Checked again here: the edge (`EdgeGuard`) has already refused
    anything else on staff paths. An auditor changes nothing."""
    if bearer_token_matches(authorization, settings.staff_token):
        return MACHINE
    key = signing_key(settings.staff_token)
    token = token_from_cookie(key, request.cookies.get(COOKIE_NAME))
    if token is None:
        raise unauthorized()
    if request.method not in SAFE_METHODS and not csrf_matches(key, token, request.headers.get(CSRF_HEADER)):
        raise csrf_refused()
    account = account_of_session(session, token)
    if account is None:
        raise AppError(401, "session_expired", "登录已失效，请重新登录。")
    principal = principal_of(session, account)
    if principal.read_only and request.method not in SAFE_METHODS:
        raise AppError(403, "read_only", "审计账号只能查看，不能办理业务。")
    return principal


PrincipalDep = Annotated[Principal, Depends(staff_principal)]


def staff_actor(principal: PrincipalDep) -> str:
    """The name in audit rows and application steps: the account's, or "staff" for the token."""
    return principal.name


StaffDep = Annotated[str, Depends(staff_actor)]


def client_key(request: Request, settings: SettingsDep,
               x_client_id: Annotated[str | None, Header()] = None) -> str:
    """The end client: the caller's address, or the applicant a trusted forwarder names."""
    host = request.client.host if request.client else "unknown"
    if x_client_id and host in settings.trusted_forwarders:
        return f"{host}/{x_client_id[:128]}"
    return host


ClientDep = Annotated[str, Depends(client_key)]


def applicant_lookup_limits(settings: Settings) -> LookupLimits:
    return LookupLimits(
        per_client=settings.lookup_limit_per_client,
        misses_per_client=settings.lookup_misses_per_client,
        misses_per_client_id=settings.lookup_misses_per_client_id,
        window_seconds=settings.lookup_window_seconds,
        brake_misses_per_id=settings.lookup_brake_misses_per_id,
        brake_window_seconds=settings.lookup_brake_window_seconds,
    )


def _limiter(settings: Settings, limits: LookupLimits, prefix: str) -> LookupLimiter | RedisLookupLimiter:
    """In Redis when REDIS_URL is set (replicas count together), else in this process."""
    if not settings.redis_url:
        return LookupLimiter(limits)
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout_seconds,
                                  socket_connect_timeout=settings.redis_timeout_seconds)
    return RedisLookupLimiter(client, limits, prefix=prefix)


def lookup_limiter(settings: Settings) -> LookupLimiter | RedisLookupLimiter:
    return _limiter(settings, applicant_lookup_limits(settings), "zj-cert:lookup")


def staff_lookup_limiter(settings: Settings) -> LookupLimiter | RedisLookupLimiter:
    """Each signed-in agent's own allowance: a call centre behind one address is not one client.
    Its own keys: an agent's misses do not brake an applicant's look-ups, as in memory."""
    return _limiter(settings, replace(applicant_lookup_limits(settings),
                                      per_client=settings.staff_lookup_limit_per_account,
                                      misses_per_client=settings.staff_lookup_misses_per_account),
                    "zj-cert:staff-lookup")


def sign_in_limits(settings: Settings) -> LookupLimits:
    """Wrong sign-ins one address may make in the window, whatever names it tries. The per-name
    lock-out stops the guessing of one password; this stops one address walking through names
    (or locking every colleague out). The answer names no account: nothing to enumerate."""
    misses = settings.sign_in_misses_per_address
    window = settings.sign_in_window_seconds
    return LookupLimits(per_client=max(300, misses), misses_per_client=misses, misses_per_client_id=misses,
                        window_seconds=window, brake_misses_per_id=10**9, brake_window_seconds=window)


def sign_in_limiter(settings: Settings) -> LookupLimiter | RedisLookupLimiter:
    return _limiter(settings, sign_in_limits(settings), "zj-cert:sign-in")


@dataclass
class LookupGuard:
    """A look-up let through; `missed()` when the name and ID number matched nothing."""

    limiter: LookupLimiter | RedisLookupLimiter
    client: str
    id_number: str

    def missed(self) -> None:
        self.limiter.missed(self.client, self.id_number)


def enforce_lookup_limits(request: Request, client: str, id_number: str, *,
                          limiter_name: str = "lookup_limiter") -> LookupGuard:
    """Refuses a client over its own limits (app.rules.rate_limit); nobody else's guesses count."""
    limiter: LookupLimiter | RedisLookupLimiter = getattr(request.app.state, limiter_name)
    wait = limiter.admit(client, id_number)
    if wait is not None:
        raise AppError(429, "too_many_requests", "查询过于频繁，请稍后再试。",
                       headers={"Retry-After": str(math.ceil(wait))})
    return LookupGuard(limiter, client, id_number)


def admit_sign_in(request: Request, client: str, username: str) -> LookupGuard:
    """Refuses an address over its wrong sign-ins; `missed()` on each refusal it gets."""
    limiter: LookupLimiter | RedisLookupLimiter = request.app.state.sign_in_limiter
    wait = limiter.admit(client, username.strip().lower())
    if wait is not None:
        raise AppError(429, "sign_in_throttled", "此网络的登录失败次数过多，请稍后再试。",
                       headers={"Retry-After": str(math.ceil(wait))})
    return LookupGuard(limiter, client, username.strip().lower())
