"""Pure parsing of what applicants type. Written once, used by every form.

Each `check_*` returns a `Check`: the normalised `value`, or `problem`, the name of the
domain response that explains what is wrong (the form re-asks after it). No I/O here.

What makes a value valid is not decided here: ID numbers, phones, addresses, levels and
batch numbers are the shared rules' (`pickup_rules`, installed in the backend too, so the
assistant accepts exactly what the backend accepts). Here a value is only found in the
message ("我的身份证是…", "寄到…") and a refusal's code named by a response.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from pickup_rules import RuleError, find_id_number, mask_id, mask_ids_in_text, validate_id_number
from pickup_rules.contact import normalize_address, normalize_phone
from pickup_rules.vocabulary import LEVELS, find_level, normalize_code

from actions.formatting import china_today

__all__ = ["LEVELS", "find_id_number", "mask_id", "mask_ids_in_text"]


class Check(NamedTuple):
    value: object = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _refused(error: RuleError, responses: dict[str, str]) -> Check:
    return Check(problem=responses[error.code])


# -- ID numbers -----------------------------------------------------------------------

_ID_PROBLEMS = {
    "format": "utter_invalid_id_format",
    "checksum": "utter_invalid_id_checksum",
    "birth_date": "utter_invalid_id_birth_date",
    "future_birth": "utter_invalid_id_birth_date",
    "implausible_birth": "utter_invalid_id_birth_date",
    "region": "utter_invalid_id_region",
}


def check_id_number(raw: object, today: dt.date | None = None) -> Check:
    found = find_id_number(raw)
    if not found:
        return Check(problem=_ID_PROBLEMS["format"])
    try:
        return Check(validate_id_number(found, today=today or china_today()))
    except RuleError as error:
        return _refused(error, _ID_PROBLEMS)


# Who a task is for: forgotten before a new status look-up (actions/status.py), kept when the
# applicant leaves a form for another task (actions/conversation.py).
IDENTITY_SLOTS = ("person_name", "id_number", "id_masked")


# -- names ----------------------------------------------------------------------------

_NAME_PREFIX = re.compile(r"^(我的名字是|我的名字叫|名字是|名字叫|名字|姓名是|姓名|我叫|我是|叫|是|本人)[：:\s]*")
_NAME_SUFFIX = re.compile(r"[。.!！,，~～]*$")
_CHINESE_NAME = re.compile(r"[\u4e00-\u9fff]{1,6}([·•・][\u4e00-\u9fff]{1,10})*")
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z .'-]{1,48}[A-Za-z]")
_NOT_NAMES = {"你好", "您好", "好的", "是的", "不是", "对的", "谢谢", "不知道", "没有", "不用", "可以", "算了",
              "不办了", "取消", "不要了", "在吗", "人工", "转人工", "确认", "修改"}


def check_person_name(raw: object) -> Check:
    """A name typed alone or with other details ("陈小明，身份证3301…"): the first part."""
    raw_text = str(raw or "")
    found_id = find_id_number(raw_text)
    text = _NAME_PREFIX.sub("", (raw_text.replace(found_id, " ") if found_id else raw_text).strip())
    text = re.sub(r"(身份证号码|身份证号|身份证|电话|手机)[是为：:]?\s*[\dXx\-]*", " ", text)
    parts = [p for p in re.split(r"[\s,，;；、]+", text) if p]
    text = parts[0] if parts else ""
    if re.fullmatch(r"[A-Za-z]+", text) and len(parts) > 1 and all(re.fullmatch(r"[A-Za-z]+", p) for p in parts):
        text = " ".join(parts)
    text = _NAME_SUFFIX.sub("", _NAME_PREFIX.sub("", text)).strip()
    text = re.sub(r"[•・∙‧.．](?=[\u4e00-\u9fff])", "·", text)
    if _CHINESE_NAME.fullmatch(text) and 2 <= len(text) <= 20 and text not in _NOT_NAMES:
        return Check(text)
    if _LATIN_NAME.fullmatch(text):
        return Check(text)
    return Check(problem="utter_invalid_name")


# -- phone numbers and postal addresses -------------------------------------------------

_PHONE_PROBLEMS = {"mobile": "utter_invalid_phone_mobile", "invalid": "utter_invalid_phone"}
_PHONE_IN_TEXT = re.compile(r"\+?[\d（(][\d\s\-()（）－]{5,}\d")


def check_phone(raw: object) -> Check:
    """The first number in the message ("手机 139 1234 5678"), as the shared rule normalises it."""
    found = _PHONE_IN_TEXT.search(str(raw or "").replace("－", "-"))
    try:
        return Check(normalize_phone(found.group(0) if found else ""))
    except RuleError as error:
        return _refused(error, _PHONE_PROBLEMS)


_ADDRESS_PROBLEMS = {"city": "utter_invalid_address_city", "detail": "utter_invalid_address_detail",
                     "too_long": "utter_invalid_address_detail"}
_ADDRESS_PREFIX = re.compile(r"^(收件地址|邮寄地址|地址|寄到|寄往|寄)[是为：:\s]*")


def check_address(raw: object) -> Check:
    try:
        return Check(normalize_address(_ADDRESS_PREFIX.sub("", re.sub(r"\s+", "", str(raw or "")))))
    except RuleError as error:
        return _refused(error, _ADDRESS_PROBLEMS)


# -- cities and pickup methods --------------------------------------------------------

def canonical_city(raw: object) -> str:
    """杭州市 -> 杭州 (the key offices are stored under)."""
    value = re.sub(r"\s+", "", str(raw or ""))
    value = re.sub(r"^(我在|在|我是|是)", "", value)
    value = re.sub(r"(的|这边|那边)$", "", value)
    return re.sub(r"(市|地区)$", "", value) if len(value) > 2 else value


def check_city(raw: object) -> Check:
    city = canonical_city(raw)
    if 2 <= len(city) <= 10 and all("\u4e00" <= ch <= "\u9fff" for ch in city):
        return Check(city)
    return Check(problem="utter_invalid_city")


# Checked in this order: an organisation collecting for its staff ("公司帮员工领") is 单位,
# and "不是本人去领" names a proxy although it says 本人.
_PICKUP_PATTERNS = (
    ("单位", re.compile(r"单位|單位|经办人|經辦人|公司|机构|機構|集体|集體|批量|学校|學校|企业|企業|工厂|HR|统一领|統一領")),
    ("代领", re.compile(r"代领|代領|代取|代拿|代我|代理|委托|委託|受托|代办|非本人|不是本人|本人(不|没|來不|来不|到不)"
                       r"|别人|別人|他人|换个人|換個人|家人|家里人|家属|亲属|亲戚|朋友|同事|老婆|老公|爸|妈|儿子|女儿"
                       r"|[帮幫替给給][^查看问說说]{0,3}(领|領|拿|取)")),
    ("本人", re.compile(r"本人|自己|亲自|親自|个人|個人")),
)


def pickup_method_named(text: object) -> str | None:
    """The pickup method a message names, in an answer ("委托朋友") or a question
    ("代领要带什么"), or None."""
    value = str(text or "")
    return next((method for method, pattern in _PICKUP_PATTERNS if pattern.search(value)), None)


def check_pickup_method(raw: object) -> Check:
    method = pickup_method_named(raw)
    return Check(method) if method else Check(problem="utter_invalid_pickup_method")


# -- organisation pickup ---------------------------------------------------------------

def check_level(raw: object) -> Check:
    level = find_level(raw)
    return Check(level) if level else Check(problem="utter_invalid_level")


_BATCH_PREFIX = re.compile(r"^(鉴定批次号|批次号|批次|批号)[是为：:\s]*")


def check_batch_no(raw: object) -> Check:
    """A batch number in any province's style, as the shared rule normalises it."""
    try:
        return Check(normalize_code(_BATCH_PREFIX.sub("", str(raw or "").strip())))
    except RuleError:
        return Check(problem="utter_invalid_batch_no")


def check_free_text(raw: object, *, min_len: int, max_len: int, problem: str) -> Check:
    value = re.sub(r"\s+", " ", str(raw or "")).strip(" 。，,.")
    if not min_len <= len(value) <= max_len or re.fullmatch(r"[\d\W_]+", value):
        return Check(problem=problem)
    return Check(value)


def check_occupation(raw: object) -> Check:
    value = re.sub(r"^(职业|工种)[是为：:\s]*", "", str(raw or "").strip())
    return check_free_text(value, min_len=2, max_len=60, problem="utter_invalid_occupation")


def check_organization_name(raw: object) -> Check:
    value = re.sub(r"^(单位名称|单位|公司名称|公司|我们是|我们单位是)[是为：:\s]*", "", str(raw or "").strip())
    return check_free_text(value, min_len=2, max_len=100, problem="utter_invalid_organization_name")


_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int | None:
    """一百二十 -> 120, 十五 -> 15, 三 -> 3 (up to 9999)."""
    if not text or any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            total += (digit if digit is not None else 1) * _CN_UNITS[ch]
            digit = None
    return total + (digit or 0)


def check_headcount(raw: object) -> Check:
    text = str(raw or "")
    found = re.search(r"\d+", text)
    number = int(found.group(0)) if found else None
    if number is None:
        words = re.search(r"[零〇一二两三四五六七八九十百千]+", text)
        number = chinese_number(words.group(0)) if words else None
    if number is None or not 1 <= number <= 10000:
        return Check(problem="utter_invalid_headcount")
    return Check(number)


MAX_VISIT_DAYS_AHEAD = 90
_RELATIVE_DAYS = {"今天": 0, "今日": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}


def parse_date(raw: object, today: dt.date) -> dt.date | None:
    text = re.sub(r"\s+", "", str(raw or ""))
    for word in sorted(_RELATIVE_DAYS, key=len, reverse=True):
        if word in text:
            return today + dt.timedelta(days=_RELATIVE_DAYS[word])
    full = re.search(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})", text)
    short = re.search(r"(\d{1,2})[月/.-](\d{1,2})", text)
    try:
        if full:
            return dt.date(int(full.group(1)), int(full.group(2)), int(full.group(3)))
        if short:
            day = dt.date(today.year, int(short.group(1)), int(short.group(2)))
            return day if day >= today else dt.date(today.year + 1, day.month, day.day)
    except ValueError:
        return None
    return None


def check_visit_date(raw: object, today: dt.date) -> Check:
    day = parse_date(raw, today)
    if day is None:
        return Check(problem="utter_invalid_visit_date")
    if day < today or day > today + dt.timedelta(days=MAX_VISIT_DAYS_AHEAD):
        return Check(problem="utter_invalid_visit_date_range")
    return Check(day.isoformat())


# -- choosing among several ready certificates ----------------------------------------

_ORDINAL = re.compile(r"(?:我?(?:要|选择?|办|就|是))?第?([0-9]{1,2}|[一二两三四五六七八九十]{1,3})"
                      r"(?:本|个|個|张|張|项|号)?(?:证书?)?(?:吧|的|啊|呀)?")
_LAST = re.compile(r"(?:我?(?:要|选择?|办|就|是))?最后(?:一)?(?:本|个|张|项)?(?:证书?)?(?:吧|的|啊|呀)?")
_CODE_CHARS = re.compile(r"[^0-9A-Z]")


def _code(value: object) -> str:
    """ZS-2026 900001 -> ZS2026900001: a certificate number as typed, comparable."""
    return _CODE_CHARS.sub("", str(value or "").upper())


def certificate_position(raw: object, count: int) -> int | None:
    """第一本, 2, 第二个, 最后一本 -> the 0-based place in a list of `count`; None otherwise."""
    text = re.sub(r"[\s。.!！,，~～]", "", str(raw or ""))
    if _LAST.fullmatch(text):
        return count - 1 if count else None
    found = _ORDINAL.fullmatch(text)
    if not found:
        return None
    word = found.group(1)
    number = int(word) if word.isdigit() else chinese_number(word)
    return number - 1 if number and 1 <= number <= count else None


def check_certificate_choice(raw: object, choices: list[dict]) -> Check:
    """One of `choices` (the backend's `{certificate_no, occupation, level}`), picked by its
    number (or its last 4+ characters), by its place in the list (第一本, 2), or by occupation
    and/or level when that leaves exactly one. The value is the chosen dict; nothing outside
    `choices` is ever accepted."""
    text = re.sub(r"\s+", "", str(raw or "")).replace("級", "级")
    code = _code(text)
    if not choices or not text:
        return Check(problem="utter_invalid_certificate_no")
    numbers = [(c, _code(c.get("certificate_no"))) for c in choices]
    by_number = [c for c, number in numbers if number and number in code]
    if len(by_number) == 1:
        return Check(by_number[0])
    tails = re.findall(r"[0-9A-Z]{4,}", code)
    by_tail = [c for c, number in numbers if any(number.endswith(t) for t in tails)]
    if not by_number and len(by_tail) == 1:
        return Check(by_tail[0])
    position = certificate_position(text, len(choices))
    if position is not None:
        return Check(choices[position])
    picked = [c for c in choices if c.get("occupation") and c["occupation"] in text]
    # 维修电工 names 维修电工, not also 电工
    picked = [c for c in picked
              if not any(c["occupation"] != o["occupation"] and c["occupation"] in o["occupation"] for o in picked)]
    level = check_level(text) if re.search(r"级|初级|中级|高级|技师", text) else Check(problem="none")
    if level.ok:
        picked = [c for c in (picked or choices) if check_level(c.get("level")).value == level.value]
    if len(picked) == 1:
        return Check(picked[0])
    return Check(problem="utter_invalid_certificate_no")
