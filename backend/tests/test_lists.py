import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from app.models import AuditEntry, Certificate
from app.services.lists import HEADER
from tests.utils import csv_bytes, import_rows, load_offices, valid_id


@pytest.fixture
def offices(client, staff):
    load_offices(client, staff)


def _count(session):
    return session.scalar(select(func.count()).select_from(Certificate))


def test_csv_import_creates_pending_certificates(client, staff, offices, session):
    rows = [("张甲", valid_id(), "ZS0001", "电工", "中级工", "JD2026-01"),
            ("李乙", valid_id(), "ZS0002", "焊工", "三级", "jd2026-01")]
    response = import_rows(client, staff, rows)
    assert response.status_code == 201, response.text
    assert response.json()["imported"] == 2
    assert {b["level"] for b in response.json()["batches"]} == {"四级", "三级"}  # 中级工 -> 四级
    assert _count(session) == 2
    assert {c.state for c in session.scalars(select(Certificate))} == {"pending"}
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "list_imported")) is not None


def test_xlsx_import(client, staff, offices, session):
    book = Workbook()
    sheet = book.active
    sheet.append(list(HEADER))
    sheet.append(["王丙", valid_id(), "ZS0101", "育婴员", "五级", "JD2026-02"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = import_rows(client, staff, [], filename="list.xlsx", data=buffer.getvalue())
    assert response.status_code == 201, response.text
    assert _count(session) == 1


def test_gbk_csv_as_excel_saves_it(client, staff, offices, session):
    data = csv_bytes([("赵丁", valid_id(), "ZS0201", "钳工", "四级", "JD2026-03")], encoding="gbk")
    assert import_rows(client, staff, [], data=data).status_code == 201
    assert session.scalar(select(Certificate.holder_name)) == "赵丁"


def test_bad_rows_are_reported_by_line_and_nothing_is_written(client, staff, offices, session):
    good = valid_id()
    rows = [("张甲", good, "ZS0001", "电工", "四级", "JD2026-01"),
            ("李乙", good[:-1] + ("1" if good[-1] != "1" else "2"), "ZS0002", "电工", "四级", "JD2026-01"),
            ("", valid_id(), "ZS0003", "电工", "九级", "JD2026-01"),
            ("周戊", valid_id(), "ZS0001", "电工", "四级", "JD2026-01")]
    response = import_rows(client, staff, rows)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_rejected"
    lines = {e["line"]: e["reason"] for e in body["details"]["errors"]}
    assert set(lines) == {3, 4, 5}
    assert "校验位" in lines[3]
    assert "姓名" in lines[4] and "等级" in lines[4]
    assert "第2行重复" in lines[5]
    assert _count(session) == 0


def test_wrong_header_is_rejected(client, staff, offices, session):
    data = csv_bytes([("张甲", valid_id(), "ZS0001", "电工", "四级", "JD1")], header=("name", "id", "no", "occ", "lvl", "batch"))
    response = import_rows(client, staff, [], data=data)
    assert response.status_code == 422 and response.json()["code"] == "invalid_header"
    assert _count(session) == 0


def test_reimport_is_idempotent_and_conflicts_are_errors(client, staff, offices, session):
    row = ("张甲", valid_id(), "ZS0001", "电工", "四级", "JD2026-01")
    assert import_rows(client, staff, [row]).json()["imported"] == 1
    again = import_rows(client, staff, [row]).json()
    assert again["imported"] == 0 and again["unchanged"] == 1
    changed = import_rows(client, staff, [("张乙", *row[1:])])
    assert changed.status_code == 422
    assert changed.json()["details"]["errors"][0]["line"] == 2
    assert _count(session) == 1


def test_national_list_needs_blanks_date(client, staff, offices):
    response = import_rows(client, staff, [("张甲", valid_id(), "ZS0001", "电工", "四级", "QG01")], exam_type="national")
    assert response.status_code == 422 and response.json()["code"] == "blanks_date_required"


def test_staff_token_is_required(client, staff, offices, session):
    rows = [("张甲", valid_id(), "ZS0001", "电工", "四级", "JD2026-01")]
    no_token = import_rows(client, {}, rows)
    wrong = import_rows(client, {"Authorization": "Bearer nope"}, rows)
    assert no_token.status_code == wrong.status_code == 401
    assert no_token.json()["code"] == "unauthorized"
    assert _count(session) == 0


def test_unknown_office(client, staff, offices):
    response = import_rows(client, staff, [("张甲", valid_id(), "ZS0001", "电工", "四级", "JD1")], office_code="999999")
    assert response.status_code == 404 and response.json()["code"] == "office_not_found"


def test_empty_and_garbage_files(client, staff, offices):
    assert import_rows(client, staff, []).json()["code"] == "empty_file"
    garbage = import_rows(client, staff, [], filename="x.xlsx", data=b"PK\x03\x04garbage")
    assert garbage.status_code == 422 and garbage.json()["code"] == "invalid_file"
