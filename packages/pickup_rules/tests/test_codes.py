"""The one list of error codes: stable snake_case values, each once, usable as text on both
Python versions (the action server runs 3.10: no StrEnum)."""

from __future__ import annotations

import json
import re

import pytest

from pickup_rules import ErrorCode


def test_codes_are_snake_case_and_unique():
    values = [code.value for code in ErrorCode]
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", v) for v in values)
    assert len(values) == len(set(values))


def test_a_code_is_its_text():
    assert ErrorCode.NOT_FOUND == "not_found" and str(ErrorCode.NOT_FOUND) == "not_found"
    assert f"{ErrorCode.NOT_ON_LIST}" == "not_on_list"
    assert json.dumps({"code": ErrorCode.NOT_FOUND}) == '{"code": "not_found"}'
    assert {"not_found": 1}.get(ErrorCode.NOT_FOUND) == 1 and ErrorCode.NOT_ON_LIST in {"not_on_list"}


def test_an_unknown_code_is_refused():
    with pytest.raises(ValueError):
        ErrorCode("no_such_code")
