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
# A name may hold any Han character: the CJK extensions (陈䶮, 李𬌗), compatibility
# ideographs and 〇 as well as the common block.
_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U000323af"
_NAME_PREFIX = re.compile(r"^(我的名字是|我的名字叫|名字是|名字叫|名字|姓名是|姓名|我叫|我是|叫|是|本人)[：:\s]*")
_NAME_SUFFIX = re.compile(r"[。.!！,，~～]*$")
_CHINESE_NAME = re.compile(f"[{_HAN}]{{1,6}}(·[{_HAN}]{{1,10}})*")
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z .'-]{1,48}[A-Za-z]")
_DOT = re.compile(f"[•・∙‧.．](?=[{_HAN}])")
# Short replies that are never a name: courtesies, yes and no, and the short commands and
# questions applicants type at any prompt. Several start with a surname (查, 单, 何, 费, 时,
# 申…), so a name-shaped reply is checked against this table before anything else.
NOT_A_NAME = frozenset({
    "你好", "您好", "好的", "好滴", "是的", "不是", "对的", "对对", "谢谢", "多谢", "不知道", "没有", "不用", "可以",
    "算了", "再见", "拜拜", "在吗", "确认", "确定", "修改", "重填", "继续", "收到", "明白", "知道了", "哈哈",
    "不办了", "不查了", "不要了", "不用了", "取消", "退出", "停止", "结束", "返回", "重来", "重新开始",
    "人工", "转人工", "人工客服", "客服", "帮助", "菜单",
    "查询", "查一下", "查下", "查查", "查看", "查进度", "查询进度", "查状态", "查证书", "查结果", "查名单",
    "进度", "状态", "单位", "单位领", "单位领取", "单位领证", "公司领", "公司领取", "代领", "代办", "委托",
    "邮寄", "寄到家", "快递", "本人", "本人领取", "自己领", "申请", "申请邮寄", "申请代领",
    "何时", "何时领", "何地", "何处", "几时", "多久", "多少钱", "费用", "收费", "时间", "明天", "今天", "地址",
    "电话", "材料", "通知", "通知我", "期限", "补办", "依据", "全国统考",
})
# The commoner single surnames (about 400) and the compound ones.
COMMON_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖萧田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武"
    "戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪"
    "梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车"
    "项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲"
    "虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚"
    "花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌"
    "母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智"
    "幸奉植衡富尧闭由寿")
COMPOUND_SURNAMES = ("欧阳", "上官", "司马", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
                     "司徒", "夏侯", "令狐", "端木", "南宫", "独孤", "呼延", "西门", "钟离", "轩辕", "闻人",
                     "万俟", "澹台", "公冶", "太史", "申屠", "濮阳", "拓跋", "百里", "东郭", "完颜", "左丘")
# Never in a name: pronouns and sentence particles; a question mark or a final 吗, 呢, 不…
# asks something.
_PARTICLES = re.compile(r"[我你您咱俺他她它们們这這的了吗嗎呢吧么麼啊呀哦嗯呗唄啦嘛噢喔诶欸喂嘿呵?？]")
_QUESTION_END = re.compile(r"[?？]|[吗嗎呢么麼嘛吧啊呀哦呗不没]$")
_NEGATION = re.compile(r"[不没沒]")
# Words of a question, a request, a greeting or this domain, in simplified and traditional
# characters: a reply holding one reads as a sentence, unless it is a surname with a short
# given name (王依法, 周证, 郑多久 are names).
_SENTENCE_WORDS = (
    # questions
    "什么", "甚么", "啥", "怎", "咋", "哪", "几", "幾", "多少", "多久", "多长", "何", "谁", "誰", "是否", "能否",
    # requests, refusals, stopping
    "不", "没", "沒", "别", "別", "要", "能", "会", "會", "想", "请", "請", "帮", "幫", "给", "給", "可以", "需要",
    "取消", "撤销", "停", "放弃", "中止", "终止", "退", "打住", "算了", "订阅", "訂閱", "转", "轉", "找", "真人",
    # greetings and chit-chat
    "好", "早安", "晚安", "再见", "再見", "见", "見", "谢", "謝", "感", "个", "個", "讲", "講", "说", "說", "唱",
    "写", "寫", "聊", "吃", "玩", "天气", "天氣", "诗", "詩",
    # this domain
    "证", "證", "书", "書", "领", "領", "寄", "邮", "郵", "递", "遞", "办", "辦", "查", "补", "補", "带", "帶",
    "材料", "地址", "电话", "電話", "费", "費", "钱", "錢", "时间", "時間", "期限", "通知", "人工", "客服",
    "进度", "進度", "状态", "狀態", "申请", "申請", "代", "委托", "委託", "单位", "單位", "公司", "身份",
    "名字", "姓名", "电子", "電子", "扫", "掃", "码", "碼", "验", "驗", "依据", "依據", "政策", "法律", "条文",
    "原文", "遗失", "遺失", "丢", "丟",
)
_SENTENCE = re.compile("|".join(_SENTENCE_WORDS))
_NUMBER_LABEL = re.compile(r"(身份证号码|身份证号|身份证|电话号码|电话|手机号码|手机号|手机)[是为：:]?\s*[\dXx\-]*")


def surname_and_given_name(text: str) -> bool:
    """王依法, 宇文知秋: a common or compound surname, then a given name of one or two characters."""
    surname = next((s for s in COMPOUND_SURNAMES if text.startswith(s)),
                   text[:1] if text[:1] in COMMON_SURNAMES else None)
    return surname is not None and 1 <= len(text) - len(surname) <= 2


def reads_as_a_sentence(text: str) -> bool:
    """True for Han text that is a sentence rather than a name: a pronoun or particle, or a
    word of a question or request (要多久, 委托别人领) outside a surname with a short given name."""
    return bool(_PARTICLES.search(text)) or (not surname_and_given_name(text) and bool(_SENTENCE.search(text)))


def _without_numbers(raw: object) -> str:
    """The reply without the ID number or phone it may carry, nor their labels: only when it
    carries digits, so that 皇甫电话 stays a name."""
    text = str(raw or "").strip()
    if not re.search(r"\d", text):
        return text
    found_id = find_id_number(text)
    text = text.replace(found_id, " ") if found_id else text
    return _NUMBER_LABEL.sub(" ", text).strip()


def check_person_name(raw: object) -> Check:
    """A name typed alone or with other details ("陈小明，身份证3301…"): the first part.
    A question (吗, 呢, ？), a short command (`NOT_A_NAME`) or a sentence
    (`reads_as_a_sentence`) is not one."""
    text = _NAME_PREFIX.sub("", _without_numbers(raw))
    parts = [p for p in re.split(r"[\s,，;；、]+", text) if p]
    text = parts[0] if parts else ""
    if re.fullmatch(r"[A-Za-z]+", text) and len(parts) > 1 and all(re.fullmatch(r"[A-Za-z]+", p) for p in parts):
        text = " ".join(parts)
    text = _DOT.sub("·", _NAME_SUFFIX.sub("", _NAME_PREFIX.sub("", text)).strip())
    if _QUESTION_END.search(text) or text in NOT_A_NAME:
        return Check(problem="utter_invalid_name")
    if _CHINESE_NAME.fullmatch(text) and 2 <= len(text) <= 20 and not reads_as_a_sentence(text):
        return Check(text)
    if _LATIN_NAME.fullmatch(text):
        return Check(text)
    return Check(problem="utter_invalid_name")


def plainly_a_name(raw: object) -> bool:
    """True when a reply to "what is the name" is surely a name, whatever the classifier
    thinks of it: names made of this domain's words (王依法, 郑多久) read as questions to it.

    Surely a name: the reply is a name alone (`check_person_name`, which lets a surname with
    a short given name hold any word) and either has a middle dot (阿依古丽·买买提) or is
    two to four Han characters without a negation (王依法, 宇文知秋, 巴特尔)."""
    text = _DOT.sub("·", re.sub(r"[\s,，;；、。.!！~～]+$", "", _NAME_PREFIX.sub("", _without_numbers(raw))))
    if check_person_name(text).value != text:  # not a name, or not the name alone
        return False
    return "·" in text or (bool(re.fullmatch(f"[{_HAN}]{{2,4}}", text)) and not _NEGATION.search(text))


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
    """The date the message names. Whether a visit may fall on it (a working day inside the
    batch's pickup window) is the backend's rule: the organisation form asks it."""
    day = parse_date(raw, today)
    return Check(day.isoformat()) if day else Check(problem="utter_invalid_visit_date")


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
