"""Dates are Chinese dates: 'today' is today in China (UTC+8), whatever the server's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


def china_today() -> dt.date:
    return dt.datetime.now(CHINA).date()
