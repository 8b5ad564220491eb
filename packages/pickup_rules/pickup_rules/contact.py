"""Phone numbers and postal addresses of applicants."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from pickup_rules.errors import RuleError

PHONE = "phone"
MOBILE_INVALID = "mobile"  # starts with 1 but is no mainland mobile number
PHONE_INVALID = "invalid"

ADDRESS = "address"
ADDRESS_NO_CITY = "city"
ADDRESS_NO_DETAIL = "detail"
ADDRESS_TOO_LONG = "too_long"
MAX_ADDRESS_LENGTH = 300


def normalize_phone(raw: object) -> str:
    """A mainland mobile (11 digits) or a landline with its area code, as digits
    ('0571-8888 8888' -> '057188888888'); python-stdnum has no Chinese phone module, so
    phonenumbers (region CN) decides."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    digits = re.sub(r"[\s\-()（）]", "", text)
    digits = re.sub(r"^(\+?86)(?=1\d{10}$)", "", digits)
    digits = re.sub(r"^\+86", "", digits)
    try:
        parsed = phonenumbers.parse(digits, "CN")
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        raise RuleError(PHONE, MOBILE_INVALID if digits.startswith("1") else PHONE_INVALID)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")


_REGION = re.compile(r"(省|市|自治区|自治州|地区|盟|州)|^(北京|上海|天津|重庆)")
_DETAIL = re.compile(r"(路|街|道|号|村|弄|巷|组|室|栋|幢|大厦|小区|苑|园|楼)")


def normalize_address(raw: object) -> str:
    """A postal address a courier can deliver to: a city (or municipality) and a street-level
    detail, without spaces."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw or "")))
    if len(value) > MAX_ADDRESS_LENGTH:
        raise RuleError(ADDRESS, ADDRESS_TOO_LONG)
    if not _REGION.search(value):
        raise RuleError(ADDRESS, ADDRESS_NO_CITY)
    if len(value) < 8 or not _DETAIL.search(value):
        raise RuleError(ADDRESS, ADDRESS_NO_DETAIL)
    return value
