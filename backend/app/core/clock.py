"""Dates are Chinese dates: 'today' is today in China (UTC+8), whatever the server's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.core.config import get_settings

CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> dt.date:
    """FIXED_TODAY (tests, rehearsals) wins over the real date."""
    return get_settings().fixed_today or dt.datetime.now(CHINA).date()


def china_date(moment: dt.datetime) -> dt.date:
    """The Chinese date of a stored moment (SQLite gives stored UTC moments back naive)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(CHINA).date()
