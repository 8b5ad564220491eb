"""Resident ID numbers (公民身份号码, GB 11643-1999).

python-stdnum gives the check digit and the birth date. Its birthplace check is not used:
it requires the district code to have existed in the holder's birth year, but a card
carries the code of the district that issued it (first cards 1984; districts created later
issue their codes to people born long before), so it refuses most genuine IDs of people
born before 1985. Here a district code is valid when any edition of GB/T 2260 listed it:
stdnum's table of codes, read without their years.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from pickup_rules.errors import RuleError

FIELD = "id_number"
# What is wrong with a refused number, checked in this order: a date or a district that
# cannot be tells the applicant where the slip is; a wrong check digit only that one is.
FORMAT = "format"  # not 17 digits and a digit or X
CHECKSUM = "checksum"  # the last character does not match the first 17
BIRTH_DATE = "birth_date"  # digits 7-14 are not a calendar date
FUTURE_BIRTH = "future_birth"
IMPLAUSIBLE_BIRTH = "implausible_birth"  # too old or too young to hold or collect a certificate
REGION = "region"  # no edition of GB/T 2260 listed the first six digits

# Nobody alive was born before 1900; nobody under 14 has passed a vocational skill
# assessment or may collect a certificate for someone else.
EARLIEST_BIRTH = dt.date(1900, 1, 1)
MIN_AGE_YEARS = 14
# Residence permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证, 2018) carry
# these codes; 830000 is in no edition of GB/T 2260.
RESIDENCE_PERMIT_CODES = frozenset({"810000", "820000", "830000"})
# Listed since python-stdnum 2.2's table was drawn up, or left out of it: Hangzhou's 2021
# reorganisation created 临平区 and 钱塘区 (the table ends 下城区 and 江干区 in 2021).
LISTED_OUTSIDE_TABLE = frozenset({"330113", "330114"})

_SHAPE = re.compile(r"\d{17}[\dX]")
_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_SEPARATORS = re.compile(r"[\s\-_.·•]")


def compact_id(raw: object) -> str:
    """Full-width digits, spaces and hyphens as people type them: '３３０１０６ 1990-0101 0018' -> digits."""
    text = unicodedata.normalize("NFKC", str(raw or ""))
    return _SEPARATORS.sub("", text).upper()


def with_check_digit(first17: str) -> str:
    """The 18-character number whose first 17 digits are given (stdnum's calc_check_digit
    ignores the last character of what it is passed)."""
    return first17 + ric.calc_check_digit(first17 + "0")


def find_id_number(text: object) -> str | None:
    """The first ID-shaped run of characters in a free-text message, not validated; typed in
    groups ('3301 0619 9001 0100 18') when no run is whole."""
    normal = unicodedata.normalize("NFKC", str(text or ""))
    for candidate in (normal, re.sub(r"(?<=\d)[\s\-]+(?=[\dXx])", "", normal)):
        found = _IN_TEXT.search(candidate)
        if found:
            return found.group(0).upper()
    return None


@lru_cache(maxsize=8192)
def district_code_listed(code: str) -> bool:
    """Whether any edition of GB/T 2260 listed this six-digit code (or it is a residence permit's)."""
    if code in RESIDENCE_PERMIT_CODES or code in LISTED_OUTSIDE_TABLE:
        return True
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and "county" in parts[-1][1]


def birth_date(value: str) -> dt.date:
    """The birth date of a compact 18-character number; RuleError(birth_date) if not a date."""
    try:
        return ric.get_birth_date(value)
    except stdnum_errors.ValidationError:
        raise RuleError(FIELD, BIRTH_DATE) from None


def _years_between(born: dt.date, today: dt.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_id_number(raw: object, *, today: dt.date) -> str:
    """The canonical 18-character number (upper-case X), or RuleError with what is wrong."""
    value = compact_id(raw)
    if not _SHAPE.fullmatch(value):
        raise RuleError(FIELD, FORMAT)
    born = birth_date(value)
    if born > today:
        raise RuleError(FIELD, FUTURE_BIRTH)
    if born < EARLIEST_BIRTH or _years_between(born, today) < MIN_AGE_YEARS:
        raise RuleError(FIELD, IMPLAUSIBLE_BIRTH)
    if not district_code_listed(value[:6]):
        raise RuleError(FIELD, REGION)
    if ric.calc_check_digit(value) != value[-1]:
        raise RuleError(FIELD, CHECKSUM)
    return value
