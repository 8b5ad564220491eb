"""The shared rules as the API states them: codes, the field concerned, Chinese messages."""

import datetime as dt
import logging

import pytest
from pickup_rules.masking import MaskingFilter
from pickup_rules.testing import older_holders

from app.core.errors import AppError
from pickup_rules.identity import with_check_digit as id_with_check_digit
from app.rules.identity import mask_id, mask_ids_in_text, normalize_address_field, normalize_id, normalize_phone_field

GOOD = id_with_check_digit("33010619900101123")


def test_mask_matches_the_documented_shape():
    assert mask_id("330106199001011234") == "330106********1234"
    assert mask_id(GOOD) == GOOD[:6] + "********" + GOOD[-4:]


def test_mask_in_free_text_covers_lowercase_x():
    text = "查询 11010519491231002x 和 330106199001011234。"
    assert mask_ids_in_text(text) == "查询 110105********002X 和 330106********1234。"
    assert "19491231" not in mask_ids_in_text(text)


def test_valid_id_is_normalised():
    assert normalize_id(" 11010519491231002x ") == "11010519491231002X"


def test_older_holders_in_districts_created_after_their_birth_are_valid():
    for _, id_number in older_holders(200):
        assert normalize_id(id_number) == id_number


@pytest.mark.parametrize(("value", "reason", "fragment"), [
    ("33010619900101123", "format", "18位"),
    (GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"), "checksum", "校验位"),
    (id_with_check_digit("33010619901301123"), "birth_date", "出生日期"),
    (id_with_check_digit("33999919700101123"), "region", "地区代码"),
    ("abc", "format", "18位"),
])
def test_invalid_ids_get_clear_chinese_messages(value, reason, fragment):
    with pytest.raises(AppError) as exc:
        normalize_id(value, field="proxy_id_number")
    assert exc.value.code == "invalid_id_number"
    assert exc.value.details == {"field": "proxy_id_number", "reason": reason}
    assert fragment in exc.value.message


def test_birth_date_in_the_future_is_refused():
    future = id_with_check_digit("33010620300101123")
    with pytest.raises(AppError) as exc:
        normalize_id(future, today=dt.date(2026, 11, 26))
    assert "晚于今天" in exc.value.message


@pytest.mark.parametrize(("raw", "normal"), [("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
                                             ("+86 13800138000", "13800138000"), ("0571-87654321", "057187654321")])
def test_phones(raw, normal):
    assert normalize_phone_field(raw) == normal


@pytest.mark.parametrize(("raw", "fragment"), [("1380013800", "11位"), ("138001380001", "11位"), ("0571-123", "电话号码")])
def test_bad_phones(raw, fragment):
    with pytest.raises(AppError) as exc:
        normalize_phone_field(raw)
    assert exc.value.code == "invalid_phone" and fragment in exc.value.message
    assert exc.value.details["field"] == "phone"


def test_bad_addresses_name_what_is_missing():
    with pytest.raises(AppError) as exc:
        normalize_address_field("西湖区某某路8号")
    assert exc.value.code == "invalid_address" and "城市" in exc.value.message


def test_log_filter_masks_ids(caplog):
    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info("look-up for %s", GOOD)
    assert GOOD not in caplog.text
    assert mask_id(GOOD) in caplog.text
