"""Levels, names, and the numbers of certificates and assessment batches."""

from __future__ import annotations

import re
import unicodedata

from pickup_rules.errors import RuleError

# -- levels -------------------------------------------------------------------------

LEVELS = ("五级", "四级", "三级", "二级", "一级")
LEVEL_WORDS = {
    **{level: level for level in LEVELS},
    "初级工": "五级", "初级": "五级", "5级": "五级",
    "中级工": "四级", "中级": "四级", "4级": "四级",
    "高级工": "三级", "高级": "三级", "3级": "三级",
    "高级技师": "一级", "1级": "一级",
    "技师": "二级", "2级": "二级",
}
_LEVEL_PATTERN = re.compile("|".join(sorted(map(re.escape, LEVEL_WORDS), key=len, reverse=True)))
_LONE_DIGIT = {"5": "五级", "4": "四级", "3": "三级", "2": "二级", "1": "一级"}


def find_level(text: object) -> str | None:
    """The one level a cell or a message names: '四级（中级工）', '国家职业资格四级', '中级',
    '高级技师', '4级', a lone '4'. None when it names none, or two different ones."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text or ""))).replace("級", "级")
    if value in _LONE_DIGIT:
        return _LONE_DIGIT[value]
    found = {LEVEL_WORDS[m.group(0)] for m in _LEVEL_PATTERN.finditer(value)}
    return found.pop() if len(found) == 1 else None


# -- names --------------------------------------------------------------------------

_DOTS = re.compile(r"[•・∙‧.．·]")


def normalize_name(value: object) -> str:
    """A holder's name as lists and applicants write it: no spaces, one kind of middle dot
    (阿依古丽•买买提 = 阿依古丽·买买提)."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFC", str(value or "")))
    return _DOTS.sub("·", text)


# -- certificate and batch numbers --------------------------------------------------

CODE = "code"
CODE_EMPTY = "empty"
CODE_TOO_LONG = "too_long"
CODE_INVALID = "invalid"  # control characters, or nothing but punctuation
MAX_CODE_LENGTH = 40
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MEANINGFUL = re.compile(r"[0-9A-Za-z\u3400-\u9fff]")


def normalize_code(raw: object) -> str:
    """A certificate or batch number in any real style ('0833010130400123',
    'S000033010002234000123', 'JD20260101', '浙鉴〔2026〕15号', '2026-33-0015'): full-width
    characters made half-width, spaces removed, letters upper-case. Styles differ by province
    and year, so nothing about the shape is refused."""
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(raw or ""))).upper()
    if not value:
        raise RuleError(CODE, CODE_EMPTY)
    if len(value) > MAX_CODE_LENGTH:
        raise RuleError(CODE, CODE_TOO_LONG)
    if _CONTROL.search(value) or not _MEANINGFUL.search(value):
        raise RuleError(CODE, CODE_INVALID)
    return value


# Certificate numbers as the national scheme writes them: 16 digits (year, province, city,
# kind and serial of the assessment body, a level digit 5 = 五级 … 1 = 一级, serial), 13
# digits in Shanghai's older lists, 22 characters in later ones.
_LEVEL_DIGIT = {"5": "五级", "4": "四级", "3": "三级", "2": "二级", "1": "一级"}
UNUSUAL_CERTIFICATE_NO = "unusual_certificate_no"
LEVEL_DIGIT_MISMATCH = "level_digit_mismatch"


def certificate_no_warnings(certificate_no: str, level: str | None) -> list[str]:
    """What looks unusual about a (normalised) certificate number, for an import preview.
    Only ever a warning: a row is never refused for its number's shape."""
    if re.fullmatch(r"\d{16}", certificate_no):
        digit = _LEVEL_DIGIT.get(certificate_no[10])
        return [LEVEL_DIGIT_MISMATCH] if level and digit and digit != level else []
    if re.fullmatch(r"\d{13}|[0-9A-Z]\d{21}", certificate_no):
        return []
    return [UNUSUAL_CERTIFICATE_NO]
