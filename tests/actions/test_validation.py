"""Pure parsing and validation helpers (actions/validation.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from pickup_rules.testing import BATCH_NUMBER_STYLES

from actions.validation import (
    check_address,
    check_batch_no,
    check_headcount,
    check_id_number,
    check_level,
    check_person_name,
    check_phone,
    check_pickup_method,
    pickup_method_named,
    check_visit_date,
    mask_id,
    mask_ids_in_text,
)

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize("id_number", [
    "330106199001010018", "33020319880512002X", "330302199203150030", "33040219951120004X",
    "330106198707070018",
])
def test_demo_ids_pass_the_gb11643_check(id_number: str) -> None:
    assert check_id_number(id_number, TODAY).value == id_number


@pytest.mark.parametrize("raw, problem", [
    ("330106199001010019", "utter_invalid_id_checksum"),
    ("33010619900101001", "utter_invalid_id_format"),
    ("3301061990010100188", "utter_invalid_id_format"),
    ("330106199013010018", "utter_invalid_id_birth_date"),  # month 13
    ("330106203001010018", "utter_invalid_id_birth_date"),  # born in the future
    ("990106199001010018", "utter_invalid_id_region"),  # no such province
    ("339999197001010018", "utter_invalid_id_region"),  # no such district
    ("", "utter_invalid_id_format"),
])
def test_bad_ids_name_the_problem(raw: str, problem: str) -> None:
    assert check_id_number(raw, TODAY).problem == problem


def test_id_found_in_a_sentence_lower_case_x() -> None:
    assert check_id_number("身份证是 33020319880512002x 谢谢", TODAY).value == "33020319880512002X"


def test_masking_keeps_six_and_four() -> None:
    assert mask_id("330106199001010018") == "330106********0018"
    assert mask_ids_in_text("号码330106199001010018有误") == "号码330106********0018有误"


@pytest.mark.parametrize("raw, name", [
    ("陈小明", "陈小明"), ("我叫林晓红", "林晓红"), ("姓名：赵大伟。", "赵大伟"),
    ("阿卜杜拉·买买提", "阿卜杜拉·买买提"), ("Zhang San", "Zhang San"), ("我叫 陈小明", "陈小明"),
    ("陈小明 330106199001010018", "陈小明"), ("陈小明，身份证号：330106199001010018", "陈小明"),
])
def test_names(raw: str, name: str) -> None:
    assert check_person_name(raw).value == name


@pytest.mark.parametrize("raw", ["好的", "陈", "330106199001010018", "需要带什么材料呢请问一下可以吗谢谢您了啊", ""])
def test_not_names(raw: str) -> None:
    assert check_person_name(raw).problem == "utter_invalid_name"


@pytest.mark.parametrize("raw, value", [
    ("13800138000", "13800138000"), ("138 0013 8000", "13800138000"), ("+86 13800138000", "13800138000"),
    ("0571-88888888", "057188888888"), ("电话是0574-87654321", "057487654321"),
    ("我的手机是 139 1234 5678 谢谢", "13912345678"),
])
def test_phones(raw: str, value: str) -> None:
    assert check_phone(raw).value == value


@pytest.mark.parametrize("raw, problem", [
    ("1380013800", "utter_invalid_phone_mobile"), ("138001380001", "utter_invalid_phone_mobile"),
    ("8888888", "utter_invalid_phone"), ("", "utter_invalid_phone"),
    ("0574-8765432", "utter_invalid_phone"),  # Ningbo numbers have 8 digits: the backend refuses it too
])
def test_bad_phones(raw: str, problem: str) -> None:
    assert check_phone(raw).problem == problem


def test_addresses() -> None:
    assert check_address("浙江省杭州市西湖区文三路8号").ok
    assert check_address("地址：上海徐汇区漕溪北路100号").value == "上海徐汇区漕溪北路100号"
    assert check_address("西湖区文三路8号").problem == "utter_invalid_address_city"
    assert check_address("杭州市西湖区").problem == "utter_invalid_address_detail"


@pytest.mark.parametrize("raw, method", [("本人", "本人"), ("我自己去拿", "本人"), ("让我爸代领", "代领"),
                                         ("委托朋友", "代领"), ("公司统一领", "单位")])
def test_pickup_methods(raw: str, method: str) -> None:
    assert check_pickup_method(raw).value == method


@pytest.mark.parametrize("question, method", [
    ("代领要带什么", "代领"), ("不是本人去领要带些什么", "代领"), ("本人到不了场，别人去拿要带什么", "代领"),
    ("帮我爸领证要带啥", "代领"), ("請人代領要帶什麼", "代领"), ("公司帮员工领证要带什么", "单位"),
    ("经办人要带什么证件", "单位"), ("我一个人去领要带什么东西", "本人"), ("领证要带什么", None),
    ("帮我查下领证要带什么", None),
])
def test_the_method_a_materials_question_names(question: str, method: str | None) -> None:
    assert pickup_method_named(question) == method


@pytest.mark.parametrize("raw, level", [("四级", "四级"), ("高级技师", "一级"), ("高级工", "三级"),
                                        ("中级", "四级"), ("3级", "三级"), ("五級", "五级")])
def test_levels(raw: str, level: str) -> None:
    assert check_level(raw).value == level


@pytest.mark.parametrize("raw, count", [("12", 12), ("12人", 12), ("十五个人", 15), ("一百二十", 120), ("两", 2)])
def test_headcounts(raw: str, count: int) -> None:
    assert check_headcount(raw).value == count


def test_headcount_out_of_range() -> None:
    assert check_headcount("0").problem == "utter_invalid_headcount"
    assert check_headcount("很多").problem == "utter_invalid_headcount"


@pytest.mark.parametrize("style", BATCH_NUMBER_STYLES)
def test_batch_numbers_of_every_province_style_are_taken(style: str) -> None:
    # Whether it was published is the backend's answer; the format is nobody's guess.
    assert check_batch_no(style).ok


def test_batch_numbers_are_normalised_as_the_backend_does() -> None:
    assert check_batch_no("批次号 jd20260101").value == "JD20260101"
    assert check_batch_no("鉴定批次号：浙鉴２０２６第15批").value == "浙鉴2026第15批"
    assert check_batch_no("———").problem == "utter_invalid_batch_no"


@pytest.mark.parametrize("raw, day", [
    ("明天", "2026-11-27"), ("2026-12-03", "2026-12-03"), ("12月3日", "2026-12-03"),
    ("1月5日", "2027-01-05"), ("2026年12月1日上午", "2026-12-01"),
])
def test_visit_dates(raw: str, day: str) -> None:
    assert check_visit_date(raw, TODAY).value == day


def test_visit_dates_are_only_read_here() -> None:
    # Whether a visit may fall on the day is the backend's rule (the batch's pickup window).
    assert check_visit_date("2026-11-25", TODAY).value == "2026-11-25"
    assert check_visit_date("2027-06-01", TODAY).value == "2027-06-01"
    assert check_visit_date("下周吧", TODAY).problem == "utter_invalid_visit_date"
