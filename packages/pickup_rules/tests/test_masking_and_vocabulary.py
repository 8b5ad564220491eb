"""Masking, phones, addresses, levels, names and codes."""

from __future__ import annotations

import logging

import pytest

from pickup_rules import RuleError, mask_for_log, mask_id, mask_ids_in_text
from pickup_rules.contact import normalize_address, normalize_phone
from pickup_rules.masking import MaskingFilter
from pickup_rules.testing import BATCH_NUMBER_STYLES, CERTIFICATE_NUMBER_STYLES
from pickup_rules.vocabulary import certificate_no_warnings, find_level, normalize_code, normalize_name

ID = "330106199001010018"


def test_mask_id() -> None:
    assert mask_id(ID) == "330106********0018"
    assert mask_id("33020319880512002x") == "330203********002X"
    assert mask_id("123") == "***"


def test_messages_keep_certificate_numbers_and_mask_ids() -> None:
    text = f"身份证{ID}，证书S000033010002234000123，编号0833010130400123"
    assert mask_ids_in_text(text) == "身份证330106********0018，证书S000033010002234000123，编号0833010130400123"


@pytest.mark.parametrize("line", [
    f"GET /api/v1/x?q=%20{ID} HTTP/1.1", f"id{ID}", f"\\u8bc1{ID}", "old 330106900101001",
    f"{ID}5",
])
def test_logs_mask_every_long_number(line: str) -> None:
    assert ID not in mask_for_log(line) and "330106900101001" not in mask_for_log(line)


@pytest.mark.parametrize(("line", "secret", "kept"), [
    ('"GET /api/v1/applications/SQ20260930000001/contact-form?token=Zr8_kq-2LwX HTTP/1.1" 200',
     "Zr8_kq-2LwX", "contact-form?token=***"),
    ("POST /conversations/u1/trigger_intent?output_channel=wechat&token=s3cr3t", "s3cr3t", "output_channel=wechat"),
    ("Authorization: Bearer eyJhbGciOi.eyJ1c2VyIjp7.sig", "eyJhbGciOi", "Bearer ***"),
    ('"GET /api/v1/applications/SQ1/contact-form?x=1&tok%65n=Fq9zW1xY HTTP/1.1" 404', "Fq9zW1xY", "&tok%65n=***"),
    ('"GET /api/v1/applications/SQ1/contact-form?Access_%54oken=Fq9zW1xY HTTP/1.1" 404', "Fq9zW1xY", "?Access_%54oken=***"),
    ("phone=13905710000 address=…", "13905710000", "139****0000"),
    ("电话 139-0571-0000，备用 139 0571 0001", "0571", "139****0000"),
    ('DETAIL:  Key (channel, conversation_id, id_number)=(socketio, c1, 33010619900101001X) already exists.',
     "socketio, c1", "Key (channel, conversation_id, id_number)=(…) already exists."),
    ("DETAIL:  Failing row contains (7, mail, 王秀英, 13905710000, 浙江省杭州市西湖区文三路100号, tok).",
     "文三路", "Failing row contains (…)."),
])
def test_logs_mask_phones_credentials_and_quoted_rows(line: str, secret: str, kept: str) -> None:
    masked = mask_for_log(line)
    assert secret not in masked and kept in masked


def test_log_masking_leaves_ordinary_numbers() -> None:
    line = '127.0.0.1:51234 - "POST /api/v1/status HTTP/1.1" 404 (12.5 ms, 2026-09-30, 电工 四级, 1733567890123)'
    assert mask_for_log(line) == line


def _record(msg: str, args: object) -> logging.LogRecord:
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, msg, args, None)


def test_filter_keeps_arguments_that_formatters_read() -> None:
    record = _record('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5", "GET", f"/x?id={ID}", "1.1", 200))
    MaskingFilter().filter(record)
    assert record.args[4] == 200  # uvicorn's access formatter reads the status code from here
    assert ID not in record.getMessage() and "330106********0018" in record.getMessage()


def test_filter_masks_numbers_made_by_formatting() -> None:
    record = _record("%s%s", ("330106", "199001010018"))
    MaskingFilter().filter(record)
    assert ID not in record.getMessage()


def test_filter_masks_objects_and_tracebacks() -> None:
    record = _record("slots %s", ({"id_number": ID},))
    MaskingFilter().filter(record)
    assert ID not in record.getMessage()
    try:
        raise ValueError(f"bad {ID}")
    except ValueError:
        import sys
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    MaskingFilter().filter(record)
    assert ID not in record.exc_text


@pytest.mark.parametrize("raw,value", [
    ("13912345678", "13912345678"), ("139 1234 5678", "13912345678"), ("+86 139-1234-5678", "13912345678"),
    ("0571-88888888", "057188888888"), ("（021）88888888", "02188888888"), ("１３９１２３４５６７８", "13912345678"),
])
def test_phones(raw: str, value: str) -> None:
    assert normalize_phone(raw) == value


@pytest.mark.parametrize("raw,code", [("1391234567", "mobile"), ("12345678901", "mobile"), ("88888888", "invalid"),
                                      ("", "invalid")])
def test_bad_phones(raw: str, code: str) -> None:
    with pytest.raises(RuleError) as caught:
        normalize_phone(raw)
    assert caught.value.code == code


def test_addresses() -> None:
    assert normalize_address("浙江省 杭州市西湖区 某某路8号") == "浙江省杭州市西湖区某某路8号"
    assert normalize_address("上海浦东新区世纪大道100号") == "上海浦东新区世纪大道100号"
    for raw, code in (("西湖区某某路8号", "city"), ("杭州市", "detail"), ("杭州市" + "路" * 300, "too_long")):
        with pytest.raises(RuleError) as caught:
            normalize_address(raw)
        assert caught.value.code == code


@pytest.mark.parametrize("text,level", [
    ("四级", "四级"), ("四级（中级工）", "四级"), ("国家职业资格四级", "四级"), ("中级", "四级"), ("中级工", "四级"),
    ("高级技师", "一级"), ("技师", "二级"), ("二级/技师", "二级"), ("4级", "四级"), ("4", "四级"), ("三級", "三级"),
    ("初级", "五级"), ("高级", "三级"), ("我们是高级工", "三级"), ("", None), ("电工", None), ("三级四级都有", None),
    ("6", None),
])
def test_levels(text: str, level: str | None) -> None:
    assert find_level(text) == level


def test_names() -> None:
    assert normalize_name(" 阿依古丽 • 买买提 ") == "阿依古丽·买买提"
    assert normalize_name("欧阳 知秋") == "欧阳知秋"


@pytest.mark.parametrize("raw", [*BATCH_NUMBER_STYLES, *CERTIFICATE_NUMBER_STYLES])
def test_real_code_styles_are_accepted(raw: str) -> None:
    assert normalize_code(raw)


def test_codes_are_normalised() -> None:
    assert normalize_code(" jd 2026 0101 ") == "JD20260101"
    assert normalize_code("ＪＤ２０２６０１０１") == "JD20260101"
    assert normalize_code("浙鉴（2026）15号") == "浙鉴(2026)15号"
    for raw, code in (("", "empty"), ("---", "invalid"), ("A" * 41, "too_long"), ("AB\x00C", "invalid")):
        with pytest.raises(RuleError) as caught:
            normalize_code(raw)
        assert caught.value.code == code


def test_certificate_number_warnings() -> None:
    assert certificate_no_warnings("0833010130400123", "四级") == []
    assert certificate_no_warnings("0833010130400123", "三级") == ["level_digit_mismatch"]
    assert certificate_no_warnings("S000033010002234000123", "四级") == []
    assert certificate_no_warnings("ZS2026900001", "四级") == ["unusual_certificate_no"]
