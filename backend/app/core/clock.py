"""Dates are Chinese dates: 'today' is today in China (UTC+8), whatever the server's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from app.core.config import get_settings

CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> dt.date:
    """FIXED_TODAY (tests, rehearsals) wins over the real date."""
    return get_settings().fixed_today or dt.datetime.now(CHINA).date()
