import io

import pytest
from openpyxl import Workbook
from pickup_rules.testing import older_holders
from sqlalchemy import func, select

from app.models import AssessmentBatch, AuditEntry, Certificate
from app.rules.identity import mask_id
from app.services.lists import HEADER, HEADER_VARIANTS
from tests.published_lists import CENTRE_HEADER, IGNORED, MAPPED, centre_list, csv_file, without_column, xlsx_file
from tests.utils import csv_bytes, import_rows, load_offices, publish, valid_id


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


# -- lists as centres publish them --------------------------------------------------------

def _post(client, staff, data: bytes, filename: str = "2026年第三批领证名单.csv", **form):
    return client.post("/api/v1/staff/lists", headers=staff, data={"office_code": "330100", **form},
                       files={"file": (filename, data, "application/octet-stream")})


def _warning_lines(body: dict, code: str) -> list[int]:
    return [w["line"] for w in body["warnings"] if w["code"] == code]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_list_as_a_centre_publishes_it(client, staff, offices, session, kind):
    published = centre_list(35, blank_row_above_header=kind == "xlsx")
    data = csv_file(published.rows) if kind == "csv" else xlsx_file(published.rows)
    response = _post(client, staff, data, filename=f"领证名单.{kind}")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["dry_run"] is False and body["imported"] == 35 and body["unchanged"] == 0
    assert body["columns"]["header_row"] == published.header_row == (3 if kind == "xlsx" else 2)
    assert body["columns"]["mapped"] == MAPPED
    assert list(body["columns"]["mapped"]) == [h for h in CENTRE_HEADER if h in MAPPED]  # column order
    assert body["columns"]["ignored"] == IGNORED
    assert body["batches"] == [
        {"batch_no": "2026-33-0015", "occupation": "中式烹调师", "level": "五级", "certificates": 11},
        {"batch_no": "杭人社鉴〔2026〕3号", "occupation": "育婴员", "level": "三级", "certificates": 12},
        {"batch_no": "浙鉴2026第15批", "occupation": "电工", "level": "四级", "certificates": 12},
    ]
    assert _warning_lines(body, "footer_ignored") == published.footer_lines
    assert "共35人" in body["warnings"][-1]["message"]
    assert _warning_lines(body, "level_digit_mismatch") == [published.level_digit_mismatch_line]
    assert _warning_lines(body, "unusual_certificate_no") == [published.unusual_certificate_line]
    assert body["warning_counts"] == {"footer_ignored": 2, "level_digit_mismatch": 1, "unusual_certificate_no": 1}

    stored = {c.certificate_no: c for c in session.scalars(select(Certificate))}
    assert len(stored) == 35
    for holder in published.holders:
        cert = stored[holder["certificate_no"]]
        assert (cert.holder_name, cert.id_number, cert.level, cert.batch.batch_no) == (
            holder["name"], holder["id_number"], holder["level"], holder["batch_no"])
    assert stored[published.holders[4]["certificate_no"]].holder_name == "阿依古丽·买买提"
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "list_imported")).all()
    assert entry.detail["columns"] == body["columns"]
    assert entry.detail["warning_counts"] == body["warning_counts"]


def test_holders_of_an_imported_list_are_found_once_their_notice_is_published(client, staff, offices):
    published = centre_list(12, seed=1958)
    assert _post(client, staff, csv_file(published.rows)).status_code == 201
    assert publish(client, staff, ["浙鉴2026第15批"]).status_code == 201
    for holder in published.holders:
        response = client.post("/api/v1/status", json={"name": holder["name"], "id_number": holder["id_number"]})
        assert response.status_code == 200, response.text
        [cert] = response.json()["certificates"]
        assert cert["certificate_no"] == holder["certificate_no"]
        assert cert["state"] == ("ready" if holder["batch_no"] == "浙鉴2026第15批" else "pending")
    # born 1950-1980 in districts created later: the look-up takes their IDs as they are
    assert all(1950 <= int(h["id_number"][6:10]) <= 1980 for h in published.holders)


def test_a_dry_run_answers_the_same_and_writes_nothing(client, staff, offices, session):
    published = centre_list(20, seed=1972)
    preview = _post(client, staff, csv_file(published.rows), dry_run="true")
    assert preview.status_code == 200, preview.text
    assert preview.json()["dry_run"] is True and preview.json()["imported"] == 20
    assert _count(session) == 0
    assert session.scalar(select(func.count()).select_from(AssessmentBatch)) == 0
    actions = session.scalars(select(AuditEntry.action)).all()
    assert "list_previewed" in actions and "list_imported" not in actions

    imported = _post(client, staff, csv_file(published.rows))
    assert imported.status_code == 201
    assert {k: v for k, v in imported.json().items() if k != "dry_run"} == \
        {k: v for k, v in preview.json().items() if k != "dry_run"}
    assert _count(session) == 20
    again = _post(client, staff, csv_file(published.rows), dry_run="true").json()
    assert (again["imported"], again["unchanged"]) == (0, 20)


def test_a_dry_run_shows_the_bad_rows_before_anything_is_written(client, staff, offices, session):
    published = centre_list(15, seed=1960)
    rows = published.rows
    bad_id_line, no_level_line = published.line_of(2), published.line_of(8)
    good = rows[bad_id_line - 1][3]
    rows[bad_id_line - 1][3] = good[:-1] + ("1" if good[-1] != "1" else "2")
    rows[no_level_line - 1][6] = ""
    response = _post(client, staff, csv_file(rows), dry_run="true")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "import_rejected" and body["details"]["dry_run"] is True
    assert [e["line"] for e in body["details"]["errors"]] == [bad_id_line, no_level_line]
    assert "校验位" in body["details"]["errors"][0]["reason"]
    assert "等级" in body["details"]["errors"][1]["reason"]
    assert body["details"]["columns"]["mapped"] == MAPPED
    assert good not in response.text
    assert _count(session) == 0
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "list_previewed")).all()
    assert entry.detail["refused"] == "import_rejected"

    real = _post(client, staff, csv_file(rows))
    assert real.status_code == 422 and real.json()["details"]["dry_run"] is False
    assert [e["line"] for e in real.json()["details"]["errors"]] == [bad_id_line, no_level_line]
    assert _count(session) == 0


@pytest.mark.parametrize("column, field", [("级别", "等级"), ("批次号", "鉴定批次号"), ("证书编号", "证书编号")])
def test_a_missing_column_is_named(client, staff, offices, session, column, field):
    published = centre_list(5)
    rows = without_column(published.rows, published.header_row, column)
    response = _post(client, staff, csv_file(rows))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_header"
    assert body["details"]["missing"] == [field]
    assert body["details"]["found"] == [h for h in CENTRE_HEADER if h != column]
    assert field in body["message"]
    assert _count(session) == 0


def test_two_columns_for_one_field_are_refused(client, staff, offices, session):
    published = centre_list(5)
    rows = [row + ([row[3]] if i else [""]) for i, row in enumerate(published.rows)]
    rows[published.header_row - 1][-1] = "证件号码"
    response = _post(client, staff, csv_file(rows))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_header"
    assert response.json()["details"]["duplicates"] == {"身份证号": ["身份证号码", "证件号码"]}
    assert "身份证号码、证件号码" in response.json()["message"]
    assert _count(session) == 0


@pytest.mark.parametrize("variant", range(5))
def test_header_variants_in_any_order(client, staff, offices, session, variant):
    header = [variants[variant % len(variants)] for variants in HEADER_VARIANTS.values()]
    header = [h.replace("姓名", "姓 名").replace("职业(工种)", "职业 (工种)") for h in header]
    order = [4, 0, 5, 2, 1, 3] if variant % 2 else [1, 3, 0, 5, 2, 4]
    name, id_number = older_holders(1, seed=variant)[0]
    values = [name, id_number, f"26330130404{variant:05d}", "电工", "四级", "JD2026-01"]
    rows = [["序号"] + [header[i] for i in order], [1] + [values[i] for i in order]]
    response = _post(client, staff, csv_file(rows))
    assert response.status_code == 201, response.text
    assert set(response.json()["columns"]["mapped"].values()) == set(HEADER)
    assert response.json()["columns"]["ignored"] == ["序号"]
    stored = session.scalar(select(Certificate))
    assert (stored.holder_name, stored.id_number, stored.batch.batch_no) == (name, id_number, "JD2026-01")


def test_the_header_must_be_within_the_first_ten_rows(client, staff, offices):
    published = centre_list(3)
    rows = [[f"说明第{i}行"] for i in range(1, 11)] + published.rows[1:]
    response = _post(client, staff, csv_file(rows))
    assert response.status_code == 422 and response.json()["code"] == "invalid_header"
    assert response.json()["details"]["missing"] == list(HEADER)


def test_a_file_of_data_without_a_header_does_not_echo_id_numbers(client, staff, offices):
    name, id_number = older_holders(1, seed=3)[0]
    response = _post(client, staff, csv_file([[name, id_number, "2633013040400001", "电工", "四级", "JD1"]]))
    assert response.status_code == 422 and response.json()["code"] == "invalid_header"
    assert id_number not in response.text
    assert response.json()["details"]["found"][1] == mask_id(id_number)


def test_ignored_header_cells_are_reported_masked(client, staff, offices):
    published = centre_list(3)
    stray_id = published.holders[0]["id_number"]
    published.rows[published.header_row - 1][-1] = f"备注（原{stray_id}）"
    response = _post(client, staff, csv_file(published.rows))
    assert response.status_code == 201, response.text
    assert response.json()["columns"]["ignored"][-1] == f"备注（原{mask_id(stray_id)}）"
    assert stray_id not in response.text


def test_a_note_between_holders_is_a_bad_row_not_a_footer(client, staff, offices, session):
    published = centre_list(9)
    note_line = published.line_of(5)
    published.rows.insert(note_line - 1, ["以下为补考人员"] + [""] * 9)
    response = _post(client, staff, csv_file(published.rows))
    assert response.status_code == 422
    assert [e["line"] for e in response.json()["details"]["errors"]] == [note_line]
    assert _count(session) == 0


def test_an_id_number_saved_as_a_number_is_named_as_such(client, staff, offices, session):
    published = centre_list(4)
    line = published.line_of(1)
    published.rows[line - 1][3] = int(published.holders[1]["id_number"][:17] + "0")
    response = _post(client, staff, xlsx_file(published.rows), filename="list.xlsx")
    assert response.status_code == 422
    [error] = response.json()["details"]["errors"]
    assert error["line"] == line and "存成了数字" in error["reason"]


def test_codes_too_long_or_meaningless_are_bad_rows(client, staff, offices, session):
    people = older_holders(3, seed=11)
    rows = [list(HEADER),
            [people[0][0], people[0][1], "Z" * 41, "电工", "四级", "JD1"],
            [people[1][0], people[1][1], "2633013040400002", "电工", "四级", "——"],
            [people[2][0], people[2][1], "2633013040400003", "电工", "四级", "JD1"]]
    response = _post(client, staff, csv_file(rows))
    assert response.status_code == 422
    errors = {e["line"]: e["reason"] for e in response.json()["details"]["errors"]}
    assert set(errors) == {2, 3}
    assert "证书编号超过40个字符" in errors[2] and "鉴定批次号" in errors[3]


def test_warnings_are_all_counted_and_the_first_of_each_kind_shown(client, staff, offices, session):
    people = older_holders(150, seed=1977)
    rows = [list(HEADER)] + [[n, i, f"ZS{k:08d}", "电工", "四级", "JD2026-07"] for k, (n, i) in enumerate(people)]
    rows += [["共150人"]]
    response = _post(client, staff, csv_file(rows), dry_run="1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["warning_counts"] == {"footer_ignored": 1, "unusual_certificate_no": 150}
    assert _warning_lines(body, "unusual_certificate_no") == list(range(2, 102))
    assert _warning_lines(body, "footer_ignored") == [152]
