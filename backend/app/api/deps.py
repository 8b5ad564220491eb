"""Dependencies shared by the routers."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import get_session
from app.core.clock import china_today
from app.core.edge import bearer_token_matches
from app.core.errors import AppError, unauthorized
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


def enforce_lookup_limits(request: Request, client: str, id_number: str) -> None:
    """Per client and per ID number, so the list cannot be walked through either way."""
    limiters = request.app.state.lookup_limiters
    id_key = hashlib.sha256(id_number.encode()).hexdigest()
    for limiter, key in ((limiters["client"], client), (limiters["id"], id_key)):
        wait = limiter.hit(key)
        if wait is not None:
            raise AppError(429, "too_many_requests", "查询过于频繁，请稍后再试。",
                           headers={"Retry-After": str(int(wait))})
