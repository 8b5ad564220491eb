import datetime as dt
import logging

import pytest

from app.core.errors import AppError
from app.rules.identity import MaskIdNumbersFilter, mask_id, mask_ids_in_text, normalize_id, normalize_phone
from app.demo import id_with_check_digit

GOOD = id_with_check_digit("33010619900101123")


def test_mask_matches_the_documented_shape():
    assert mask_id("330106199001011234") == "330106********1234"
    assert mask_id(GOOD) == GOOD[:6] + "********" + GOOD[-4:]


def test_mask_in_free_text_covers_lowercase_x():
    text = "查询 11010519491231002x 和 330106199001011234。"
    assert mask_ids_in_text(text) == "查询 110105********002x 和 330106********1234。"
    assert "19491231" not in mask_ids_in_text(text)


def test_valid_id_is_normalised():
    assert normalize_id(" 11010519491231002x ") == "11010519491231002X"


@pytest.mark.parametrize(("value", "fragment"), [
    ("33010619900101123", "18位"),
    (GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"), "校验位"),
    (id_with_check_digit("33010619901301123"), "出生日期"),
    ("abc", "18位"),
])
def test_invalid_ids_get_clear_chinese_messages(value, fragment):
    with pytest.raises(AppError) as exc:
        normalize_id(value)
    assert exc.value.code == "invalid_id_number"
    assert fragment in exc.value.message


def test_birth_date_in_the_future_is_refused():
    future = id_with_check_digit("33010620300101123")
    with pytest.raises(AppError) as exc:
        normalize_id(future, today=dt.date(2026, 11, 26))
    assert "晚于今天" in exc.value.message


@pytest.mark.parametrize(("raw", "normal"), [("13800138000", "13800138000"), ("138 0013 8000", "13800138000"),
                                             ("+86 13800138000", "13800138000"), ("0571-87654321", "057187654321")])
def test_phones(raw, normal):
    assert normalize_phone(raw) == normal


@pytest.mark.parametrize(("raw", "fragment"), [("1380013800", "11位"), ("138001380001", "11位"), ("0571-123", "电话号码")])
def test_bad_phones(raw, fragment):
    with pytest.raises(AppError) as exc:
        normalize_phone(raw)
    assert exc.value.code == "invalid_phone" and fragment in exc.value.message


def test_log_filter_masks_ids(caplog):
    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskIdNumbersFilter())
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info("look-up for %s", GOOD)
    assert GOOD not in caplog.text
    assert mask_id(GOOD) in caplog.text
