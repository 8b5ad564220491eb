"""The shared rules (`pickup_rules`) as the API states them: each refusal becomes an
`AppError` with a stable code, the field it concerns, and a message fit for an applicant."""

from __future__ import annotations

import datetime as dt

from pickup_rules import RuleError, mask_id, mask_ids_in_text, validate_id_number
from pickup_rules.contact import normalize_address, normalize_phone
from pickup_rules.identity import BIRTH_DATE, CHECKSUM, FORMAT, FUTURE_BIRTH, IMPLAUSIBLE_BIRTH, REGION

from app.core.clock import china_today
from app.core.errors import AppError

__all__ = ["mask_id", "mask_ids_in_text", "normalize_id", "normalize_phone_field", "normalize_address_field"]

ID_MESSAGES = {
    FORMAT: "身份证号码应为18位，最后一位可以是数字或X，请核对后重新输入。",
    CHECKSUM: "身份证号码校验位不正确，请核对最后一位后重新输入。",
    BIRTH_DATE: "身份证号码中的出生日期不正确，请核对后重新输入。",
    FUTURE_BIRTH: "身份证号码中的出生日期晚于今天，请核对后重新输入。",
    IMPLAUSIBLE_BIRTH: "身份证号码中的出生日期不符合持证人或领证人的年龄，请核对后重新输入。",
    REGION: "身份证号码前6位的地区代码不正确，请核对后重新输入。",
}
PHONE_MESSAGES = {
    "mobile": "手机号码应为11位数字（以1开头），请核对后重新输入。",
    "invalid": "电话号码不正确，请输入11位手机号码或带区号的固定电话。",
}
ADDRESS_MESSAGES = {
    "city": "收件地址中缺少城市，请按“省/市/区县/街道门牌号”填写完整地址。",
    "detail": "收件地址不够详细，请补充街道、门牌号或小区楼号。",
    "too_long": "收件地址过长，请只填写省、市、区县和街道门牌号。",
}


def normalize_id(id_number: str, *, today: dt.date | None = None, field: str = "id_number") -> str:
    """The canonical 18-character ID number, or 422 `invalid_id_number` naming the field
    (`id_number`, `proxy_id_number`, `collector_id_number`) and the reason."""
    try:
        return validate_id_number(id_number, today=today or china_today())
    except RuleError as exc:
        raise AppError(422, "invalid_id_number", ID_MESSAGES[exc.code],
                       details={"field": field, "reason": exc.code}) from None


def normalize_phone_field(phone: str, *, field: str = "phone") -> str:
    try:
        return normalize_phone(phone)
    except RuleError as exc:
        raise AppError(422, "invalid_phone", PHONE_MESSAGES[exc.code],
                       details={"field": field, "reason": exc.code}) from None


def normalize_address_field(address: str, *, field: str = "address") -> str:
    try:
        return normalize_address(address)
    except RuleError as exc:
        raise AppError(422, "invalid_address", ADDRESS_MESSAGES[exc.code],
                       details={"field": field, "reason": exc.code}) from None
