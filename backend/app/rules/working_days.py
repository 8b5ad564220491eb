"""Chinese working days: the mainland calendar with 调休, and staff overrides for later years.

A period of N working days "from" a date does not count that date (期间开始的当日不计入);
the Nth following working day is the last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import chinese_calendar

# The year's loaded overrides (day -> is_workday), or None when staff have loaded none.
YearLoader = Callable[[int], "dict[dt.date, bool] | None"]

MAX_PERIOD_DAYS = 400

# The service's periods (办事指南（十三）办理时限、（十五）结果送达), in working days.
PICKUP_WINDOW_WORKING_DAYS = 10  # from the publication of the pickup notice
NATIONAL_EXAM_WORKING_DAYS = 30  # 全国统考: after the blank certificates arrive
DELIVERY_WORKING_DAYS = 5  # after the decision (办结)


@dataclass(frozen=True)
class DueDate:
    start: dt.date
    days: int
    due: dt.date
    estimated: bool


def _library_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


class WorkCalendar:
    """Answers 'is this a working day?' from, in order: staff overrides, chinesecalendar,
    and, for years neither knows, the plain weekend rule flagged as estimated."""

    def __init__(self, load_year: YearLoader | None = None) -> None:
        self._load_year = load_year or (lambda _year: None)
        self._years: dict[int, tuple[str, dict[dt.date, bool]]] = {}

    def _year(self, year: int) -> tuple[str, dict[dt.date, bool]]:
        if year not in self._years:
            overrides = self._load_year(year)
            if overrides is not None:
                self._years[year] = ("overrides", overrides)
            elif _library_knows(year):
                self._years[year] = ("library", {})
            else:
                self._years[year] = ("weekends", {})
        return self._years[year]

    def is_known_year(self, year: int) -> bool:
        return self._year(year)[0] != "weekends"

    def is_workday(self, day: dt.date) -> bool:
        source, overrides = self._year(day.year)
        if source == "overrides":
            return overrides.get(day, day.weekday() < 5)
        if source == "library":
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def add_working_days(self, start: dt.date, days: int) -> DueDate:
        if not 0 < days <= MAX_PERIOD_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_PERIOD_DAYS}")
        day, counted, estimated = start, 0, False
        while counted < days:
            day += dt.timedelta(days=1)
            estimated = estimated or not self.is_known_year(day.year)
            if self.is_workday(day):
                counted += 1
        return DueDate(start=start, days=days, due=day, estimated=estimated)
