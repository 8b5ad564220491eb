"""ID numbers of real people: older holders in districts created after their birth."""

from __future__ import annotations

import datetime as dt

import pytest

from pickup_rules import RuleError, find_id_number, validate_id_number
from pickup_rules.identity import district_code_listed
from pickup_rules.testing import (
    DISTRICTS_ABOLISHED,
    DISTRICTS_CREATED_LATER,
    NEVER_LISTED,
    make_id,
    older_holders,
)

TODAY = dt.date(2026, 12, 7)


def refusal(raw: object) -> str:
    with pytest.raises(RuleError) as caught:
        validate_id_number(raw, today=TODAY)
    return caught.value.code


@pytest.mark.parametrize("code,district,created", DISTRICTS_CREATED_LATER)
@pytest.mark.parametrize("year", [1950, 1958, 1965, 1972, 1980])
def test_holders_born_before_their_district_existed_are_valid(code: str, district: str, created: int,
                                                              year: int) -> None:
    id_number = make_id(code, dt.date(year, 3, 15), 27)
    assert validate_id_number(id_number, today=TODAY) == id_number


@pytest.mark.parametrize("code,district", DISTRICTS_ABOLISHED)
def test_codes_of_abolished_districts_stay_valid(code: str, district: str) -> None:
    id_number = make_id(code, dt.date(1968, 7, 1), 5)
    assert validate_id_number(id_number, today=TODAY) == id_number


def test_every_zhejiang_district_code_ever_listed_is_valid_for_a_1965_birth() -> None:
    from stdnum import numdb

    # Every county-level code of Zhejiang in stdnum's table, whatever its years: 107 of the
    # 113 in force in 2020 were refused for a 1965 birth by the birth-year check.
    table = numdb.get("cn/loc")
    codes = [f"33{c:04d}" for c in range(100, 1200) if table.info(f"33{c:04d}")[-1][1].get("county")]
    assert len(codes) > 150
    refused = [c for c in codes if _refused(make_id(c, dt.date(1965, 5, 5), 11))]
    assert refused == []


def _refused(id_number: str) -> bool:
    try:
        validate_id_number(id_number, today=TODAY)
    except RuleError:
        return True
    return False


def test_generated_older_holders_are_all_valid() -> None:
    people = older_holders(300)
    assert len({i for _, i in people}) > 290
    assert all(not _refused(i) for _, i in people)


@pytest.mark.parametrize("code", NEVER_LISTED)
def test_never_listed_codes_are_refused(code: str) -> None:
    assert refusal(make_id(code, dt.date(1970, 1, 1), 1)) == "region"


def test_residence_permits_of_hong_kong_macao_taiwan_residents_are_valid() -> None:
    for code in ("810000", "820000", "830000"):
        assert not _refused(make_id(code, dt.date(1975, 2, 2), 3))


@pytest.mark.parametrize("raw,code", [
    ("33010619900101001", "format"),
    ("3301061990010100188", "format"),
    ("33010619900101001A", "format"),
    ("", "format"),
    (None, "format"),
    ("330106199001010019", "checksum"),
])
def test_malformed_numbers(raw: object, code: str) -> None:
    assert refusal(raw) == code


def test_birth_dates() -> None:
    assert refusal(make_id("330106", dt.date(2030, 1, 1), 1)) == "future_birth"
    assert refusal(make_id("330106", dt.date(1899, 12, 31), 1)) == "implausible_birth"
    assert refusal(make_id("330106", dt.date(2015, 6, 1), 1)) == "implausible_birth"
    assert not _refused(make_id("330106", dt.date(2012, 12, 7), 1))  # 14 today
    assert refusal(make_id("330106", dt.date(2012, 12, 8), 1)) == "implausible_birth"
    first17 = "33010619900230001"  # 30 February
    from stdnum.cn import ric
    assert refusal(first17 + ric.calc_check_digit(first17 + "0")) == "birth_date"


def test_typed_forms_are_normalised() -> None:
    assert validate_id_number(" 3301 0619 9001 0100 18 ", today=TODAY) == "330106199001010018"
    assert validate_id_number("３３０１０６１９９００１０１００１８", today=TODAY) == "330106199001010018"
    assert validate_id_number("33020319880512002x", today=TODAY) == "33020319880512002X"


def test_listed_codes() -> None:
    assert district_code_listed("330110") and district_code_listed("110000")
    assert not district_code_listed("339999")


@pytest.mark.parametrize("text,found", [
    ("我的身份证是330106199001010018，谢谢", "330106199001010018"),
    ("陈小明 3301 0619 9001 0100 18", "330106199001010018"),
    ("33020319880512002x", "33020319880512002X"),
    ("电话13912345678 身份证330106199001010018", "330106199001010018"),
    ("证书编号1733010000000400012345", None),
    ("没有号码", None),
])
def test_find_id_number_in_messages(text: str, found: str | None) -> None:
    assert find_id_number(text) == found
