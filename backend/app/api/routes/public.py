"""Endpoints anyone may call: health, working days, offices, holidays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import text

from app import answers
from app.api.deps import CalendarDep, SessionDep, TodayDep
from app.api.params import RowId
from app.core.errors import AppError, error_responses
from app.rules.working_days import MAX_PERIOD_DAYS
from app.models import PickupNotice
from app.schemas import IsoDate, OfficeCode
from app.services.calendar import year_overview
from app.services.notices import notice_public
from app.services.offices import find_offices, office_by_code, office_public

router = APIRouter(tags=["public"])


@router.get("/health", response_model=answers.Health)
def health(session: SessionDep) -> dict:
    session.execute(text("SELECT 1"))
    return {"status": "ok"}


@router.get("/working-days/due", response_model=answers.DueDate, responses=error_responses(422))
def working_days_due(calendar: CalendarDep, start: Annotated[IsoDate, Query()],
                     days: Annotated[int, Query(ge=1, le=MAX_PERIOD_DAYS)]) -> dict:
    due = calendar.add_working_days(start, days)
    return {"start": start.isoformat(), "days": days, "due": due.due.isoformat(),
            "estimated": due.estimated}


@router.get("/working-days/check", response_model=answers.WorkingDayCheck, responses=error_responses(422))
def working_day_check(calendar: CalendarDep, today: TodayDep,
                      date: Annotated[IsoDate | None, Query()] = None) -> dict:
    """Without a date: today in China, as the service counts it."""
    date = date or today
    return {"date": date.isoformat(), "workday": calendar.is_workday(date),
            "estimated": not calendar.is_known_year(date.year)}


@router.get("/holidays/{year}", response_model=answers.HolidayYear, responses=error_responses(422))
def holidays(session: SessionDep, year: int) -> dict:
    if not 2000 <= year <= 2100:
        raise AppError(422, "invalid_year", "年份应在2000至2100之间。")
    return year_overview(session, year)


@router.get("/offices", response_model=answers.OfficeList, responses=error_responses(422))
def offices(session: SessionDep,
            city: Annotated[str | None, Query(max_length=50, pattern=r"^[^\x00]*$")] = None) -> dict:
    found = find_offices(session, city=city)
    return {"city": city, "offices": [office_public(o) for o in found]}


@router.get("/offices/{code}", response_model=answers.Office, responses=error_responses(404, 422))
def office(session: SessionDep, code: Annotated[OfficeCode, Path()]) -> dict:
    return office_public(office_by_code(session, code))


@router.get("/notices/{notice_id}", response_model=answers.Notice, responses=error_responses(404, 422))
def notice(session: SessionDep, notice_id: RowId, calendar: CalendarDep, today: TodayDep) -> dict:
    """A published notice is public: where, which batches, and each batch's own last day
    (`batches[].deadline`: `date`, `estimated`, `passed`, `rule` notice | national_exam,
    `counted_from`)."""
    found = session.get(PickupNotice, notice_id)
    if found is None:
        raise AppError(404, "notice_not_found", "未找到该领证通知。")
    return notice_public(session, found, calendar, today)
