"""Official names and the labels shown to applicants, kept in one place."""

from __future__ import annotations

import re

from app.models import ApplicationState, CertificateState

LEVELS = ("五级", "四级", "三级", "二级", "一级")
LEVEL_SYNONYMS = {
    "初级": "五级", "初级工": "五级", "5级": "五级", "五級": "五级",
    "中级": "四级", "中级工": "四级", "4级": "四级", "四級": "四级",
    "高级": "三级", "高级工": "三级", "3级": "三级", "三級": "三级",
    "技师": "二级", "2级": "二级", "二級": "二级",
    "高级技师": "一级", "1级": "一级", "一級": "一级",
}

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


def canonical_level(value: str) -> str | None:
    value = (value or "").strip().replace("（", "(").split("(")[0].strip()
    if value in LEVELS:
        return value
    return LEVEL_SYNONYMS.get(value)


def canonical_city(value: str) -> str:
    """杭州市 -> 杭州; the region key offices are stored under."""
    value = (value or "").strip()
    return re.sub(r"(市|地区)$", "", value) if len(value) > 2 else value


def normalize_name(value: str) -> str:
    value = re.sub(r"\s+", "", value or "")
    return re.sub(r"[•・∙‧.．]", "·", value)
