import logging

from sqlalchemy import select

from app.models import AuditEntry
from app.rules.identity import mask_id
from app.services import audit
from tests.utils import person_on_published_list, valid_id


def test_holder_sees_own_certificate_with_masked_id(client, staff):
    name, id_number, cert_no = person_on_published_list(client, staff)
    response = client.post("/api/v1/status", json={"name": name, "id_number": id_number})
    assert response.status_code == 200
    body = response.json()
    assert body["id_number_masked"] == mask_id(id_number)
    assert id_number not in response.text
    [cert] = body["certificates"]
    assert cert["certificate_no"] == cert_no
    assert cert["state"] == "ready"
    assert cert["notice"]["published_on"] == "2026-09-30" and set(cert["notice"]) == {"id", "published_on"}
    assert cert["deadline"] == {"date": "2026-10-20", "estimated": False, "passed": False, "rule": "notice",
                                "counted_from": "2026-09-30", "working_days_left": 10}
    assert cert["application"] is None and cert["refused_application"] is None
    assert cert["office"]["code"] == "330100" and "示例" in cert["office"]["name"]


def test_name_and_id_must_both_match_and_the_answer_does_not_tell_which(client, staff):
    name, id_number, _ = person_on_published_list(client, staff)
    wrong_name = client.post("/api/v1/status", json={"name": "别人", "id_number": id_number})
    unknown_id = client.post("/api/v1/status", json={"name": name, "id_number": valid_id("330102")})
    assert wrong_name.status_code == unknown_id.status_code == 404
    assert wrong_name.json() == unknown_id.json()
    assert wrong_name.json()["code"] == "not_found"


def test_invalid_id_is_refused_before_any_look_up(client, session):
    response = client.post("/api/v1/status", json={"name": "某人", "id_number": "123"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_id_number"
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "status_lookup")).all() == []


def test_every_look_up_is_audited_with_a_masked_id(client, staff, session):
    name, id_number, _ = person_on_published_list(client, staff)
    client.post("/api/v1/status", json={"name": name, "id_number": id_number})
    audit.flush()  # written apart from the request
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "status_lookup")).all()
    assert entry.target == mask_id(id_number)
    assert entry.detail == {"found": True}


def test_pending_national_exam_certificate_reports_its_deadline(client, staff):
    from tests.utils import import_rows, load_offices

    load_offices(client, staff)
    id_number = valid_id()
    response = import_rows(client, staff, [("全国甲", id_number, "ZS-N-0001", "电工", "三级", "QG2026-01")],
                           exam_type="national", blanks_arrived_on="2026-01-20")
    assert response.status_code == 201, response.text
    cert = client.post("/api/v1/status", json={"name": "全国甲", "id_number": id_number}).json()["certificates"][0]
    assert cert["state"] == "pending" and cert["notice"] is None
    # 全国统考: the 30th working day after the blanks arrived, before any notice.
    assert cert["deadline"] == {"date": "2026-03-09", "estimated": False, "passed": True,
                                "rule": "national_exam", "counted_from": "2026-01-20", "working_days_left": None}
    assert "expected_ready" not in cert


def test_no_full_id_in_server_logs(client, staff, caplog):
    name, id_number, _ = person_on_published_list(client, staff)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("uvicorn.error").info("request body %s", {"id_number": id_number})
        client.post("/api/v1/status", json={"name": name, "id_number": id_number})
    assert id_number not in caplog.text
