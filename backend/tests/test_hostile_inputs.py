"""Inputs an attacker's schemathesis run (`--checks all`) answered with 500s or took wrongly on
main: each is now a 4xx in the one error shape. Realistic people: born 1950-1980 in districts
created after their birth (`pickup_rules.testing`)."""

from __future__ import annotations

import csv
import io
import re

import pytest
from pickup_rules.testing import older_holders
from sqlalchemy import update

from app.models import Office
from tests.conftest import make_client
from tests.utils import csv_bytes, import_rows, load_offices, publish

HOLDERS = older_holders(8, seed=1958)
COLLECTOR_NAME, COLLECTOR_ID = older_holders(1, seed=1972)[0]


def _refused(response, status: int = 422, code: str = "invalid_request") -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert re.search(r"[\u4e00-\u9fff]", body["message"])
    return body


# -- numbers past the database's integer -------------------------------------------------------

@pytest.mark.parametrize("notice_id", ["9223372036854775808", "2147483648", "99999999999999999999999", "0", "-1"])
def test_a_notice_id_past_the_database_integer(client, staff, notice_id):
    _refused(client.get(f"/api/v1/notices/{notice_id}"))
    _refused(client.get(f"/api/v1/staff/notices/{notice_id}/deliveries", headers=staff))


def test_the_largest_notice_id_is_simply_not_found(client, staff):
    _refused(client.get("/api/v1/notices/2147483647"), 404, "notice_not_found")
    assert client.get("/api/v1/staff/notices/2147483647/deliveries", headers=staff).json()["deliveries"] == []


# -- dates: only YYYY-MM-DD, only 1900-2100 ------------------------------------------------------

@pytest.mark.parametrize("params", [
    {"start": "9999-12-31", "days": 1},
    {"start": "0001-01-01", "days": 1},
    {"start": "1700000000", "days": 1},
    {"start": "2026-09-30T00:00:00", "days": 1},
    {"start": "２０２６-09-30", "days": 1},
])
def test_working_days_due_refuses_dates_off_the_calendar(client, params):
    body = _refused(client.get("/api/v1/working-days/due", params=params))
    assert body["details"]["field"] == "start"


def test_working_days_at_the_edge_of_the_range(client):
    last = client.get("/api/v1/working-days/due", params={"start": "2100-12-31", "days": 400}).json()
    assert last["estimated"] is True and last["due"] > "2102-01-01"
    assert client.get("/api/v1/working-days/due", params={"start": "2026-09-30", "days": 10}).json()["due"] == "2026-10-20"


@pytest.mark.parametrize("date", ["0", "1700000000", "1700000000.5", "2026-10-01T00:00:00", "2026-02-30",
                                  "9999-12-31", "20261001", "2026-1-1"])
def test_working_days_check_reads_only_iso_dates(client, date):
    _refused(client.get("/api/v1/working-days/check", params={"date": date}))


def test_working_days_check_still_answers_iso_dates(client):
    assert client.get("/api/v1/working-days/check", params={"date": "2026-10-08"}).json() == {
        "date": "2026-10-08", "workday": True, "estimated": False}
    assert client.get("/api/v1/working-days/check").json()["date"] == "2026-09-30"


@pytest.mark.parametrize("end", ["9999-12-31", "2101-01-01", "1700000000"])
def test_statistics_with_a_far_end_date(client, staff, end):
    body = _refused(client.get("/api/v1/staff/statistics", headers=staff, params={"start": "2026-01-01", "end": end}))
    assert body["details"]["field"] == "end"


@pytest.mark.parametrize("value", [0, 1700000000, "1700000000", "2026-10-09T00:00:00", "9999-12-31"])
def test_dates_in_bodies_are_iso_dates_too(client, staff, value):
    load_offices(client, staff)
    body = _refused(client.post("/api/v1/applications/check", json={"visit_date": value}))
    assert body["details"]["field"] == "visit_date"
    notice = client.post("/api/v1/staff/notices", headers=staff,
                         json={"office_code": "330100", "batch_nos": ["JD1"], "published_on": value})
    assert _refused(notice)["details"]["field"] == "published_on"
    listed = import_rows(client, staff, [], data=csv_bytes([(*HOLDERS[0], "ZS0001", "电工", "四级", "JD1")]),
                         exam_type="national", blanks_arrived_on=str(value))
    _refused(listed)
    holidays = client.put("/api/v1/staff/holidays/2027", headers=staff, json={
        "year": 2027, "source": "国务院办公厅通知（示例）", "days": [{"date": value, "type": "holiday", "name": "元旦"}]})
    _refused(holidays, code="invalid_holiday_file")


# -- the contact form: the same 404 whatever the number ----------------------------------------

@pytest.fixture
def organization_and_mail(client, staff):
    """An organisation's application and an individual's, for the same published batch."""
    load_offices(client, staff)
    rows = [(name, id_number, f"ZS-EDGE-{i}", "电工", "四级", "JD-EDGE") for i, (name, id_number) in enumerate(HOLDERS)]
    assert import_rows(client, staff, rows).status_code == 201
    assert publish(client, staff, ["JD-EDGE"]).status_code == 201
    org = client.post("/api/v1/applications", headers={"Idempotency-Key": "edge-org-0001"}, json={
        "kind": "organization", "organization_name": "示例职业培训学校", "batch_no": "JD-EDGE",
        "occupation": "电工", "level": "四级", "headcount": 2, "collector_name": COLLECTOR_NAME,
        "collector_id_number": COLLECTOR_ID, "visit_date": "2026-10-09"})
    assert org.status_code == 201, org.text
    name, id_number = HOLDERS[-1]
    mail = client.post("/api/v1/applications", headers={"Idempotency-Key": "edge-mail-0001"}, json={
        "kind": "mail", "name": name, "id_number": id_number, "phone": "13800138000",
        "address": "浙江省杭州市西湖区文三路100号3幢201室", "certificate_no": "ZS-EDGE-7"})
    assert mail.status_code == 201, mail.text
    return org.json(), mail.json()


@pytest.mark.parametrize("token", ["令牌", "é", "\u00ff" * 32, "%00", "x" * 200, ""])
def test_a_contact_form_token_of_any_characters_gets_the_same_404(client, organization_and_mail, token):
    org, mail = organization_and_mail
    answers = set()
    for number in (org["number"], mail["number"], "SQ20260930999999"):
        response = client.get(f"/api/v1/applications/{number}/contact-form", params={"token": token})
        assert response.status_code == 404, (number, response.text)
        answers.add(response.text)
    assert len(answers) == 1


def test_the_contact_form_page_runs_only_its_own_script(client, organization_and_mail):
    import base64
    import hashlib

    org, _ = organization_and_mail
    page = client.get(org["contact_form_path"])
    assert page.status_code == 200
    assert "onclick" not in page.text
    policy = page.headers["Content-Security-Policy"]
    script = re.search(r"<script>(.*?)</script>", page.text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Frame-Options"] == "DENY"


# -- text the database cannot hold ----------------------------------------------------------------

def test_nul_characters_are_refused_as_input(client, staff):
    name, id_number = HOLDERS[0]
    _refused(client.get("/api/v1/offices/33%0000"))
    _refused(client.get("/api/v1/offices", params={"city": "杭州\x00"}))
    _refused(client.get("/api/v1/applications/SQ%00"))
    _refused(client.post("/api/v1/status", json={"name": f"{name}\x00", "id_number": id_number}))
    _refused(client.post("/api/v1/applications/check", json={"batch_no": "JD\x001"}))
    _refused(client.post("/api/v1/subscriptions", json={"channel": "wechat", "conversation_id": "o\x00",
                                                        "name": name, "id_number": id_number}))
    office = {"code": "330100", "level": "市", "region": "杭州", "name": "示例\x00", "address": "示例路1号",
              "phone": "0571-00000000", "hours": "工作日"}
    _refused(client.put("/api/v1/staff/offices", headers=staff, json=[office]))
    _refused(client.put("/api/v1/staff/holidays/2027", headers=staff,
                        json={"year": 2027, "source": "国务院办公厅\x00", "days": []}))
    _refused(client.post("/api/v1/staff/collections", headers=staff, json={
        "certificate_nos": ["ZS\x00"], "method": "本人", "collector_name": name, "receipt_signed": True}))


def test_a_forwarders_long_client_id_does_not_break_the_audit(settings, engine):
    name, id_number = HOLDERS[1]
    forwarded = settings.model_copy(update={"trusted_forwarders": ["testclient"]})
    with make_client(forwarded, engine) as client:
        response = client.post("/api/v1/status", json={"name": name, "id_number": id_number},
                               headers={"X-Client-Id": "rest-" + "x" * 123})
    _refused(response, 404, "not_found")


# -- office links and the statistics export ---------------------------------------------------------

def _office(**extra) -> dict:
    return {"code": "330100", "level": "市", "region": "杭州", "name": "杭州市职业技能鉴定指导中心（示例）",
            "address": "杭州市示例区示例路1号（示例地址）", "phone": "0571-00000000（示例号码）",
            "hours": "工作日 9:00-17:00（示例）", **extra}


@pytest.mark.parametrize("map_url", ["javascript:alert(document.cookie)", "JavaScript:alert(1)",
                                     "data:text/html,<script>alert(1)</script>", "//evil.example/x",
                                     "https://", "vbscript:msgbox(1)", "http://map.example.cn/a b",
                                     "http://[::1"])
def test_an_office_map_link_must_be_http(client, staff, map_url):
    body = _refused(client.put("/api/v1/staff/offices", headers=staff, json=[_office(map_url=map_url)]))
    assert body["details"]["field"] == "map_url"


def test_http_map_links_are_kept_and_old_bad_ones_not_shown(client, staff, session):
    link = "https://map.example.gov.cn/?q=杭州市职业技能鉴定指导中心"
    assert client.put("/api/v1/staff/offices", headers=staff, json=[_office(map_url=link)]).status_code == 200
    assert client.get("/api/v1/offices/330100").json()["map_url"] == link
    # Rows loaded before links were checked.
    for stored in ("javascript:alert(1)", "http://[::1"):
        session.execute(update(Office).where(Office.code == "330100").values(map_url=stored))
        session.commit()
        assert client.get("/api/v1/offices/330100").json()["map_url"] is None


def test_statistics_csv_cells_that_look_like_formulas_are_text(client, staff):
    formula = "=HYPERLINK(\"http://evil.example\",\"点击\")"
    offices = [_office(name=formula), _office(code="-330200", region="宁波", name="+SUM(1,2)"),
               _office(code="330300", region="温州", name="@cmd|' /C calc'!A0")]
    assert client.put("/api/v1/staff/offices", headers=staff, json=offices).status_code == 200
    for office_code, batch, (name, id_number) in zip(("330100", "-330200", "330300"), ("JD-F1", "JD-F2", "JD-F3"),
                                                    HOLDERS):
        cert = f"ZS-{batch}"
        assert import_rows(client, staff, [(name, id_number, cert, "电工", "四级", batch)],
                           office_code=office_code).status_code == 201
        assert publish(client, staff, [batch], office_code=office_code).status_code == 201
        assert client.post("/api/v1/staff/collections", headers=staff, json={
            "certificate_nos": [cert], "method": "本人", "collector_name": name, "receipt_signed": True}).status_code == 201
    exported = client.get("/api/v1/staff/statistics", headers=staff,
                          params={"start": "2000-01-01", "end": "2100-12-31", "format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    cells = {cell for row in rows[1:] for cell in row}
    assert {"'" + formula, "'+SUM(1,2)", "'@cmd|' /C calc'!A0", "'-330200"} <= cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    assert rows[-1][:3] == ["合计", "", "3"]
