"""The last day to collect a certificate, read one way everywhere.

The seed (办事指南（十三）办理时限): "自证书领取通知发布之日起10个工作日。全国统考证书自空白证书送达后
30个工作日。" A local certificate's last day is the 10th working day after its pickup notice
was published; a 全国统考 certificate's is the 30th working day after the blank certificates
arrived, whether or not its notice is out yet. Status, notices, organisation forms and pushed
notices all ask `pickup_deadline`.

The status answer also says how many working days are left (`working_days_left`), counted as
the periods are: today does not count (期间开始的当日不计入), the last day does, so 0 on the last
day itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

from app.models import ExamType
from app.rules.working_days import (
    NATIONAL_EXAM_WORKING_DAYS,
    PICKUP_WINDOW_WORKING_DAYS,
    WorkCalendar,
)

DeadlineRule = Literal["notice", "national_exam"]


class BatchFacts(Protocol):
    exam_type: str
    blanks_arrived_on: dt.date | None


@dataclass(frozen=True)
class PickupDeadline:
    date: dt.date
    estimated: bool  # the calendar of a year in the span is not known yet
    rule: DeadlineRule
    counted_from: dt.date  # the notice's publication, or the blanks' arrival

    def public(self, today: dt.date) -> dict:
        return {"date": self.date.isoformat(), "estimated": self.estimated, "passed": self.date < today,
                "rule": self.rule, "counted_from": self.counted_from.isoformat()}


def pickup_deadline(batch: BatchFacts, published_on: dt.date | None,
                    calendar: WorkCalendar) -> PickupDeadline | None:
    """None while it cannot be known: a local certificate before its notice (or a 全国统考
    batch imported without the blanks' arrival date)."""
    if batch.exam_type == ExamType.NATIONAL:
        start, days, rule = batch.blanks_arrived_on, NATIONAL_EXAM_WORKING_DAYS, "national_exam"
    else:
        start, days, rule = published_on, PICKUP_WINDOW_WORKING_DAYS, "notice"
    if start is None:
        return None
    due = calendar.add_working_days(start, days)
    return PickupDeadline(date=due.due, estimated=due.estimated, rule=rule, counted_from=start)


def working_days_left(deadline: PickupDeadline, today: dt.date, calendar: WorkCalendar) -> int | None:
    """Working days after `today` up to and including the last day; None once it has passed.
    As estimated as the deadline itself (the same calendar years)."""
    if deadline.date < today:
        return None
    days = (deadline.date - today).days
    return sum(1 for n in range(1, days + 1) if calendar.is_workday(today + dt.timedelta(days=n)))
