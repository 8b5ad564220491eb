"""ID numbers (GB 11643) and phone numbers: validation with python-stdnum and phonenumbers,
and the one masking rule used in every response and log."""

from __future__ import annotations

import datetime as dt
import logging
import re
from functools import lru_cache

import phonenumbers
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric

from app.core.clock import china_today
from app.core.errors import AppError

ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")


def mask_id(id_number: str) -> str:
    """330106199001011234 -> 330106********1234."""
    value = id_number.strip().upper()
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_ids_in_text(text: str) -> str:
    return ID_PATTERN.sub(lambda m: m.group(1) + "*" * 8 + m.group(3)[-4:], text)


def invalid_id(message: str) -> AppError:
    return AppError(422, "invalid_id_number", message)


@lru_cache(maxsize=65536)
def _area_assigned(area: str, year: int) -> bool:
    """Whether the district code existed in that year (python-stdnum's table; slow, so cached)."""
    try:
        ric.get_birth_place(f"{area}{year:04d}0101")
    except stdnum_errors.ValidationError:
        return False
    return True


def normalize_id(id_number: str, *, today: dt.date | None = None) -> str:
    """Return the canonical 18-character ID number or raise invalid_id_number.

    The same checks as ric.validate (check digit, birth date, district code assigned in the
    birth year), with the district look-up cached per (district, year)."""
    value = re.sub(r"\s+", "", id_number or "").upper()
    if not re.fullmatch(r"\d{17}[\dX]", value):
        raise invalid_id("身份证号码应为18位，最后一位可以是数字或X，请核对后重新输入。")
    if value[-1] != ric.calc_check_digit(value):
        raise invalid_id("身份证号码校验位不正确，请核对最后一位后重新输入。")
    try:
        birth = ric.get_birth_date(value)
    except stdnum_errors.ValidationError:
        raise invalid_id("身份证号码中的出生日期或地区代码不正确，请核对后重新输入。") from None
    if not _area_assigned(value[:6], birth.year):
        raise invalid_id("身份证号码中的出生日期或地区代码不正确，请核对后重新输入。")
    if birth > (today or china_today()):
        raise invalid_id("身份证号码中的出生日期晚于今天，请核对后重新输入。")
    return value


def normalize_phone(phone: str) -> str:
    """Mainland mobile (11 digits) or landline with area code; returned as digits."""
    raw = re.sub(r"[\s\-()（）]", "", phone or "")
    if raw.startswith("+86"):
        raw = raw[3:]
    try:
        parsed = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed) or parsed.country_code != 86:
        if raw.startswith("1"):
            raise AppError(422, "invalid_phone", "手机号码应为11位数字（以1开头），请核对后重新输入。")
        raise AppError(422, "invalid_phone", "电话号码不正确，请输入11位手机号码或带区号的固定电话。")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")


class MaskIdNumbersFilter(logging.Filter):
    """Installed on every handler: no full ID number reaches a log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_ids_in_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
