"""Values shaped for the domain's responses (dates, labels). The sentences themselves live
in the domain; these helpers only format the values passed into them."""

from __future__ import annotations

import datetime as dt
import os

CHINA_TZ = dt.timezone(dt.timedelta(hours=8))

APPLICATION_KIND_LABELS = {"mail": "邮寄送达", "proxy": "委托代领", "organization": "单位领取"}


def china_today() -> dt.date:
    """Today in China (UTC+8, no daylight saving), whatever the server's zone. FIXED_TODAY
    (YYYY-MM-DD, tests and rehearsals) pins it, as it pins the backend's."""
    fixed = os.environ.get("FIXED_TODAY")
    return dt.date.fromisoformat(fixed) if fixed else dt.datetime.now(CHINA_TZ).date()


def cn_date(value: object) -> str:
    """'2026-12-08' -> '2026年12月8日'; anything else is returned as text."""
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        return str(value or "")
    return f"{day.year}年{day.month}月{day.day}日"
