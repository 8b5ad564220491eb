"""The working-day calendar backed by the database's holiday overrides."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import HolidayOverride, HolidayYear
from app.schemas import IsoDate
from app.rules.working_days import WorkCalendar


def calendar_for(session: Session) -> WorkCalendar:
    def load_year(year: int) -> dict[dt.date, bool] | None:
        if session.get(HolidayYear, year) is None:
            return None
        rows = session.scalars(select(HolidayOverride).where(HolidayOverride.year == year))
        return {row.day: row.is_workday for row in rows}

    return WorkCalendar(load_year)


class HolidayDay(BaseModel):
    date: IsoDate
    type: str = Field(pattern="^(holiday|workday)$")
    name: str = Field(min_length=1, max_length=50)


class HolidayFile(BaseModel):
    """The override file format (see README, "Holiday overrides")."""

    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1, max_length=300)
    days: list[HolidayDay]


def parse_holiday_file(data: Any) -> HolidayFile:
    try:
        parsed = HolidayFile.model_validate(data)
    except ValidationError as exc:
        fields = [".".join(str(p) for p in e["loc"]) for e in exc.errors()]
        raise AppError(422, "invalid_holiday_file", "节假日文件格式不正确。",
                       details={"fields": fields}) from None
    wrong_year = [d.date.isoformat() for d in parsed.days if d.date.year != parsed.year]
    if wrong_year:
        raise AppError(422, "invalid_holiday_file", "节假日文件中有日期不属于所声明的年份。",
                       details={"dates": wrong_year})
    seen = Counter(d.date.isoformat() for d in parsed.days)
    twice = sorted(day for day, count in seen.items() if count > 1)
    if twice:
        raise AppError(422, "invalid_holiday_file", "节假日文件中有日期重复出现，每个日期只能写一次。",
                       details={"dates": twice})
    return parsed


def replace_year(session: Session, holidays: HolidayFile) -> None:
    """Replace everything known about one year, in the caller's transaction."""
    session.execute(delete(HolidayOverride).where(HolidayOverride.year == holidays.year))
    year = session.get(HolidayYear, holidays.year)
    if year is None:
        session.add(HolidayYear(year=holidays.year, source=holidays.source))
    else:
        year.source = holidays.source
        year.loaded_at = dt.datetime.now(dt.timezone.utc)
    session.flush()
    session.add_all(
        HolidayOverride(day=d.date, year=holidays.year, is_workday=d.type == "workday", name=d.name)
        for d in holidays.days
    )


def year_overview(session: Session, year: int) -> dict:
    loaded = session.get(HolidayYear, year)
    cal = calendar_for(session)
    days = []
    if loaded is not None:
        rows = session.scalars(
            select(HolidayOverride).where(HolidayOverride.year == year).order_by(HolidayOverride.day)
        )
        days = [{"date": r.day.isoformat(), "type": "workday" if r.is_workday else "holiday",
                 "name": r.name} for r in rows]
    return {
        "year": year,
        "source": "overrides" if loaded else ("chinesecalendar" if cal.is_known_year(year) else None),
        "known": cal.is_known_year(year),
        "override_source": loaded.source if loaded else None,
        "days": days,
    }
