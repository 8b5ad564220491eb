"""Official names and the labels shown to applicants, kept in one place. Levels and names
are the shared rules' (`pickup_rules.vocabulary`)."""

from __future__ import annotations

import datetime as dt
import re

from pickup_rules.vocabulary import LEVELS, find_level, normalize_name

from app.models import ApplicationState, CertificateState

__all__ = ["LEVELS", "find_level", "normalize_name", "STEP_LABELS", "CERTIFICATE_STATE_LABELS",
           "PICKUP_METHODS", "canonical_city", "chinese_date"]

STEP_LABELS = {
    ApplicationState.APPLIED: "申请",
    ApplicationState.ACCEPTED: "受理",
    ApplicationState.REVIEWING: "审核",
    ApplicationState.COMPLETED: "办结",
    ApplicationState.DELIVERED: "送达",
    ApplicationState.REJECTED: "不予受理",
    ApplicationState.RETURNED: "退回",
}

CERTIFICATE_STATE_LABELS = {
    CertificateState.PENDING: "尚未发布领取通知",
    CertificateState.READY: "可领取",
    CertificateState.COLLECTED: "已领取",
    CertificateState.MAILED: "已寄出",
}

PICKUP_METHODS = ("本人", "代领", "单位", "快递")


def canonical_city(value: str) -> str:
    """杭州市 -> 杭州; the region key offices are stored under."""
    value = (value or "").strip()
    return re.sub(r"(市|地区)$", "", value) if len(value) > 2 else value


def chinese_date(day: dt.date) -> str:
    """2026-10-09 -> 2026年10月9日, as messages to applicants write dates."""
    return f"{day.year}年{day.month}月{day.day}日"
