"""Accounts instead of one shared token: sign-in, the cookie, CSRF, sign-out, lock-out without
telling whether a name exists, office scoping, the auditor, audit rows with the account name."""

from __future__ import annotations

import datetime as dt
import io
import statistics as stats
import time

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.core.staff_session import COOKIE_NAME
from app.models import AuditEntry, StaffAccount
from app.services import audit
from app.services.staff_accounts import LOCK_AFTER_FAILURES
from app.staff_user import main as staff_user_main
from tests.conftest import make_client
from tests.factories import list_group, offices_loaded, people, publish_batches
from tests.staff_accounts import PASSWORD, account, set_cookie, sign_in, without_csrf
from tests.utils import csv_bytes

WEST_LAKE = {"code": "330106", "level": "县", "region": "杭州", "district": "西湖区",
             "name": "杭州市西湖区职业技能鉴定所（测试）", "address": "杭州市西湖区测试路1号",
             "phone": "0571-00000006", "hours": "工作日 9:00-17:00"}


@pytest.fixture
def offices(client, staff):
    offices_loaded(client, staff)
    assert client.put("/api/v1/staff/offices", headers=staff, json=[WEST_LAKE]).status_code == 200


def test_make_staff_user_creates_and_updates_an_account(session, settings, monkeypatch, client, staff, offices):
    monkeypatch.setenv("STAFF_PASSWORD", PASSWORD)
    monkeypatch.setattr("app.staff_user.get_settings", lambda: settings)
    assert staff_user_main(["--username", "yuhang.li", "--role", "county", "--office", "330110"]) == 0
    row = session.scalar(select(StaffAccount).where(StaffAccount.username == "yuhang.li"))
    assert row.role == "county" and row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    # A county role on a city office, an unknown role, a short password: refused, nothing written.
    assert staff_user_main(["--username", "wrong.level", "--role", "county", "--office", "330100"]) == 2
    assert staff_user_main(["--username", "wrong.role", "--role", "admin", "--office", "330100"]) == 2
    monkeypatch.setenv("STAFF_PASSWORD", "short")
    assert staff_user_main(["--username", "short.pw", "--role", "city", "--office", "330100"]) == 2
    session.expire_all()
    assert session.scalars(select(StaffAccount.username)).all() == ["yuhang.li"]
    # Updating: a new password signs the old sessions out.
    headers = sign_in(client, "yuhang.li")
    monkeypatch.setenv("STAFF_PASSWORD", "another long password 9")
    assert staff_user_main(["--username", "yuhang.li", "--role", "county", "--office", "330110"]) == 0
    assert client.get("/api/v1/staff/session", headers=headers).status_code == 401
    sign_in(client, "yuhang.li", "another long password 9")


def test_sign_in_sets_a_strict_http_only_secure_cookie_and_answers_the_csrf_token(client, session, offices):
    account(session, "hz.wang", "city", "330100")
    response = client.post("/api/v1/staff/session", json={"username": "hz.wang", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["username"] == "hz.wang" and body["role"] == "city" and len(body["csrf_token"]) == 64
    assert {o["code"] for o in body["offices"]} == {"330100", "330110", "330106"}
    header = response.headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=strict" in header and "Secure" in header
    assert "Path=/" in header
    cookie = set_cookie(response)[COOKIE_NAME]
    assert int(cookie["max-age"]) == 8 * 3600
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "staff_signed_in")).one()
    assert entry.actor == "hz.wang"


def test_the_cookie_is_not_secure_in_development(settings, engine, session):
    dev = settings.model_copy(update={"environment": "development"})
    with make_client(dev, engine) as client:
        client.put("/api/v1/staff/offices", headers={"Authorization": f"Bearer {settings.staff_token}"},
                   json=[WEST_LAKE])
        account(session, "dev.zhao", "county", "330106")
        response = client.post("/api/v1/staff/session", json={"username": "dev.zhao", "password": PASSWORD})
        assert response.status_code == 200
        assert "Secure" not in response.headers["set-cookie"]
        assert "HttpOnly" in response.headers["set-cookie"]


def test_unsafe_requests_with_the_cookie_need_the_csrf_token(client, session, offices):
    account(session, "hz.chen", "city", "330100")
    headers = sign_in(client, "hz.chen")
    notice = {"office_code": "330100", "batch_nos": ["JD-NONE"], "published_on": "2026-09-30"}
    for sent in (without_csrf(headers), {**headers, "X-CSRF-Token": "0" * 64},
                 {**headers, "X-CSRF-Token": headers["X-CSRF-Token"][:-1]}):
        response = client.post("/api/v1/staff/notices", headers=sent, json=notice)
        assert response.status_code == 403
        assert response.json()["code"] == "csrf_failed"
    # The multipart upload too, refused before its body is read.
    upload = client.post("/api/v1/staff/lists", headers=without_csrf(headers), data={"office_code": "330100"},
                         files={"file": ("l.csv", b"x" * 1000, "text/csv")})
    assert upload.status_code == 403 and upload.json()["code"] == "csrf_failed"
    # Safe methods need none; with it, the notice reaches the rules (an unknown batch).
    assert client.get("/api/v1/staff/applications", headers=without_csrf(headers)).status_code == 200
    response = client.post("/api/v1/staff/notices", headers=headers, json=notice)
    assert response.status_code not in (401, 403), response.text


def test_a_forged_or_foreign_cookie_is_refused_at_the_edge(client, session, settings, offices):
    account(session, "hz.sun", "city", "330100")
    headers = sign_in(client, "hz.sun")
    token, _, mac = headers["Cookie"].split("=", 1)[1].rpartition(".")
    forged = {"Cookie": f"{COOKIE_NAME}={token}x.{mac}", "X-CSRF-Token": headers["X-CSRF-Token"]}
    response = client.get("/api/v1/staff/applications", headers=forged)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    # A cookie signed by another deployment (another staff token) means nothing here.
    other = settings.model_copy(update={"staff_token": "another-deployment-token-0123456789"})
    from app.core.staff_session import cookie_value, signing_key
    foreign = {"Cookie": f"{COOKIE_NAME}={cookie_value(signing_key(other.staff_token), token)}"}
    assert client.get("/api/v1/staff/applications", headers=foreign).status_code == 401


def test_sign_out_ends_the_session(client, session, offices):
    account(session, "hz.zhou", "city", "330100")
    headers = sign_in(client, "hz.zhou")
    assert client.get("/api/v1/staff/session", headers=headers).json()["username"] == "hz.zhou"
    assert client.delete("/api/v1/staff/session", headers=without_csrf(headers)).status_code == 403
    response = client.delete("/api/v1/staff/session", headers=headers)
    assert response.status_code == 204
    assert f'{COOKIE_NAME}=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    again = client.get("/api/v1/staff/session", headers=headers)
    assert again.status_code == 401 and again.json()["code"] == "session_expired"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "hz.zhou")).all()
    assert "staff_signed_out" in actions


def _attempt(client, username, password):
    started = time.perf_counter()
    response = client.post("/api/v1/staff/session", json={"username": username, "password": password})
    return response, time.perf_counter() - started


def test_wrong_passwords_lock_the_name_and_do_not_tell_whether_it_exists(client, session, offices):
    account(session, "hz.xu", "city", "330100")
    real, unknown = [], []
    for i in range(1, LOCK_AFTER_FAILURES + 1):
        for name, times in (("hz.xu", real), ("hz.nobody", unknown)):
            response, took = _attempt(client, name, f"wrong password {i}")
            times.append(took)
            if i < LOCK_AFTER_FAILURES:
                assert response.status_code == 401, response.text
                assert response.json() == {"code": "invalid_credentials", "message": "用户名或密码错误。"}
            else:
                assert response.status_code == 429
                assert response.json()["code"] == "sign_in_locked"
                assert int(response.headers["Retry-After"]) > 14 * 60
    # Both names took the argon2 check's time: the median of each within a factor of three.
    assert stats.median(unknown) * 3 > stats.median(real) and stats.median(real) * 3 > stats.median(unknown)
    # Locked: even the right password is refused, with the same answer an unknown name gets.
    right, _ = _attempt(client, "hz.xu", PASSWORD)
    nobody, _ = _attempt(client, "hz.nobody", PASSWORD)
    assert right.status_code == nobody.status_code == 429
    assert right.json()["message"] == nobody.json()["message"]
    assert "set-cookie" not in right.headers


def test_the_lock_ends_and_a_right_password_clears_the_count(client, session, offices, monkeypatch):
    from app.services import staff_accounts

    account(session, "hz.he", "city", "330100")
    for i in range(LOCK_AFTER_FAILURES):
        _attempt(client, "hz.he", f"wrong {i}")
    later = dt.datetime.now(dt.timezone.utc) + staff_accounts.LOCK_DURATION + dt.timedelta(seconds=5)
    monkeypatch.setattr(staff_accounts, "_now", lambda: later)
    assert _attempt(client, "hz.he", PASSWORD)[0].status_code == 200
    # Counting starts again from zero: four wrong ones do not lock.
    for i in range(LOCK_AFTER_FAILURES - 1):
        assert _attempt(client, "hz.he", f"wrong again {i}")[0].status_code == 401
    assert _attempt(client, "hz.he", PASSWORD)[0].status_code == 200


def _group(session, office_code, batch_no, count=2):
    holders = people(count)
    list_group(session, batch_no=batch_no, occupation="电工", level="四级", holders=holders,
               office_code=office_code)
    return holders


def _mail(client, name, id_number, key):
    response = client.post("/api/v1/applications", headers={"Idempotency-Key": key}, json={
        "kind": "mail", "name": name, "id_number": id_number, "phone": "13912345678",
        "address": "浙江省杭州市余杭区文一西路969号5幢301室"})
    assert response.status_code == 201, response.text
    return response.json()["number"]


def test_an_account_sees_and_changes_only_its_offices(client, staff, session, offices):
    account(session, "yuhang.lin", "county", "330110")
    account(session, "xihu.ma", "county", "330106")
    account(session, "hz.luo", "city", "330100")
    yuhang = _group(session, "330110", "2026-33-0110")
    xihu = _group(session, "330106", "2026-33-0106")
    publish_batches(client, staff, ["2026-33-0110"], office_code="330110")
    publish_batches(client, staff, ["2026-33-0106"], office_code="330106")
    yuhang_app = _mail(client, *yuhang[0], key="scope-yuhang-0001")
    xihu_app = _mail(client, *xihu[0], key="scope-xihu-00001")
    county = sign_in(client, "yuhang.lin")
    city = sign_in(client, "hz.luo")

    own = client.get("/api/v1/staff/applications", headers=county)
    assert [a["number"] for a in own.json()["applications"]] == [yuhang_app]
    refused = client.get("/api/v1/staff/applications?office_code=330106", headers=county)
    assert refused.status_code == 403 and refused.json()["code"] == "office_forbidden"
    assert client.get("/api/v1/staff/applications?office_code=330100", headers=county).status_code == 403
    both = client.get("/api/v1/staff/applications", headers=city).json()["applications"]
    assert {a["number"] for a in both} == {yuhang_app, xihu_app}
    # Changing another county's application, publishing or importing for it: refused.
    move = client.post(f"/api/v1/staff/applications/{xihu_app}/transitions", headers=county,
                       json={"to": "accepted"})
    assert move.status_code == 403
    assert client.post("/api/v1/staff/notices", headers=county, json={
        "office_code": "330106", "batch_nos": ["2026-33-0106"], "published_on": "2026-09-30"}).status_code == 403
    upload = client.post("/api/v1/staff/lists", headers=county, data={"office_code": "330106", "dry_run": "true"},
                         files={"file": ("l.csv", csv_bytes([]), "text/csv")})
    assert upload.status_code == 403
    # Holidays and offices are the province's.
    assert client.put("/api/v1/staff/offices", headers=city, json=[WEST_LAKE]).status_code == 403
    # Its own application moves, and the step and audit row carry the account's name.
    moved = client.post(f"/api/v1/staff/applications/{yuhang_app}/transitions", headers=county,
                        json={"to": "accepted"})
    assert moved.status_code == 200, moved.text
    row = session.scalars(select(AuditEntry).where(AuditEntry.action == "application_accepted")).one()
    assert row.actor == "yuhang.lin" and row.target == yuhang_app
    # The city account's statistics count its offices only; a county's, its own.
    stats_city = client.get("/api/v1/staff/statistics?start=2026-01-01&end=2026-12-31", headers=city)
    assert stats_city.status_code == 200
    assert client.get("/api/v1/staff/statistics?start=2026-01-01&end=2026-12-31&office_code=330106",
                      headers=county).status_code == 403


def test_the_auditor_reads_and_changes_nothing(client, staff, session, offices):
    account(session, "audit.qian", "auditor", None)
    account(session, "hz.ye", "city", "330100")
    holders = _group(session, "330110", "浙鉴2026第15批", count=1)
    publish_batches(client, staff, ["浙鉴2026第15批"], office_code="330110")
    number = _mail(client, *holders[0], key="auditor-case-0001")
    city = sign_in(client, "hz.ye")
    assert client.post(f"/api/v1/staff/applications/{number}/transitions", headers=city,
                       json={"to": "accepted"}).status_code == 200
    auditor = sign_in(client, "audit.qian")
    assert [a["number"] for a in client.get("/api/v1/staff/applications", headers=auditor)
            .json()["applications"]] == [number]
    refused = client.post(f"/api/v1/staff/applications/{number}/transitions", headers=auditor,
                          json={"to": "reviewing"})
    assert refused.status_code == 403 and refused.json()["code"] == "read_only"
    log = client.get("/api/v1/staff/audit", headers=auditor)
    assert log.status_code == 200
    entries = log.json()["entries"]
    assert any(e["actor"] == "hz.ye" and e["action"] == "application_accepted" and e["target"] == number
               for e in entries)
    assert entries == sorted(entries, key=lambda e: -e["id"])
    assert holders[0][1] not in log.text
    # Working accounts do not read the audit log.
    assert client.get("/api/v1/staff/audit", headers=city).status_code == 403
    # The machine client keeps its token, named "staff" in the log.
    assert client.get("/api/v1/staff/audit", headers=staff).status_code == 200


def test_the_work_queue_puts_overdue_first_then_by_due_date(client, staff, session, settings, engine, offices):
    account(session, "hz.tang", "city", "330100")
    early = _group(session, "330100", "JD20260101", count=1)
    late = _group(session, "330100", "330100202603015", count=1)
    publish_batches(client, staff, ["JD20260101"], published_on="2026-09-14")
    publish_batches(client, staff, ["330100202603015"], published_on="2026-09-14")
    # The early application was made on 2026-09-15: due 2026-09-22, overdue by 2026-09-30.
    with make_client(settings, engine, today=dt.date(2026, 9, 15)) as earlier:
        overdue = _mail(earlier, *early[0], key="queue-early-0001")
    recent = _mail(client, *late[0], key="queue-late-00001")
    queue = client.get("/api/v1/staff/applications", headers=sign_in(client, "hz.tang")).json()["applications"]
    assert [a["number"] for a in queue] == [overdue, recent]
    assert queue[0]["overdue"] is True and queue[1]["overdue"] is False
    assert queue[0]["due_on"] < queue[1]["due_on"]
    assert [s["label"] for s in queue[0]["next_states"]] == ["受理", "不予受理"]
    assert early[0][1] not in str(queue) and queue[0]["applicant_id_masked"].count("*") >= 8


def test_the_staff_status_look_up_is_limited_per_account_and_audited(settings, engine, session, staff):
    limited = settings.model_copy(update={"staff_lookup_limit_per_account": 3})
    with make_client(limited, engine) as client:
        offices_loaded(client, staff)
        account(session, "hotline.01", "city", "330100")
        account(session, "hotline.02", "city", "330100")
        holders = _group(session, "330110", "2026-33-0015", count=1)
        publish_batches(client, staff, ["2026-33-0015"], office_code="330110")
        name, id_number = holders[0]
        agent1, agent2 = sign_in(client, "hotline.01"), sign_in(client, "hotline.02")
        for _ in range(3):
            found = client.post("/api/v1/staff/status", headers=agent1, json={"name": name, "id_number": id_number})
            assert found.status_code == 200, found.text
            assert id_number not in found.text and found.json()["certificates"][0]["state"] == "ready"
        over = client.post("/api/v1/staff/status", headers=agent1, json={"name": name, "id_number": id_number})
        assert over.status_code == 429 and "Retry-After" in over.headers
        # The other agent, at the same address, has its own allowance.
        assert client.post("/api/v1/staff/status", headers=agent2,
                           json={"name": name, "id_number": id_number}).status_code == 200
    audit.flush()
    rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "staff_status_lookup")).all()
    assert [r.actor for r in rows].count("hotline.01") == 3
    assert all(id_number not in (r.target or "") and "*" in r.target for r in rows)


def test_a_county_account_does_not_find_another_countys_holder(client, staff, session, offices):
    account(session, "xihu.cao", "county", "330106")
    holders = _group(session, "330110", "2026-33-0016", count=1)
    publish_batches(client, staff, ["2026-33-0016"], office_code="330110")
    response = client.post("/api/v1/staff/status", headers=sign_in(client, "xihu.cao"),
                           json={"name": holders[0][0], "id_number": holders[0][1]})
    assert response.status_code == 404


def test_statistics_export_as_xlsx_with_months_and_on_time_rate(settings, engine, staff, session):
    """Today is the real day here: the delivery's step is stamped with the real time."""
    today = dt.date.today()
    with make_client(settings, engine, today=today) as client:
        offices_loaded(client, staff)
        _statistics_case(client, staff, session, today)


def _statistics_case(client, staff, session, today):
    account(session, "hz.deng", "city", "330100")
    holders = _group(session, "330100", "JD20260930", count=2)
    publish_batches(client, staff, ["JD20260930"])
    city = sign_in(client, "hz.deng")
    number = _mail(client, *holders[0], key="stats-mail-000001")
    for step in ("accepted", "reviewing", "completed"):
        assert client.post(f"/api/v1/staff/applications/{number}/transitions", headers=city,
                           json={"to": step}).status_code == 200
    delivered = client.post(f"/api/v1/staff/applications/{number}/transitions", headers=city, json={
        "to": "delivered", "express_company": "中国邮政EMS", "tracking_no": "1123456789012"})
    assert delivered.status_code == 200, delivered.text
    period = f"start={today - dt.timedelta(days=2)}&end={today + dt.timedelta(days=2)}"
    body = client.get(f"/api/v1/staff/statistics?{period}", headers=city).json()
    assert body["cases"] == 1 and body["on_time"] == {"delivered": 1, "on_time": 1, "rate": 1.0}
    assert [(r["method"], r["cases"]) for r in body["by_month"]] == [("快递", 1)]
    xlsx = client.get(f"/api/v1/staff/statistics?{period}&format=xlsx", headers=city)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(xlsx.content))
    rows = list(book["按机构"].iter_rows(values_only=True))
    assert ("330100", "杭州市职业技能鉴定指导中心（示例）", 1, 1, 0, 1) in rows
    assert list(book["按月份和方式"].iter_rows(values_only=True))[1][1:] == ("快递", 1)
