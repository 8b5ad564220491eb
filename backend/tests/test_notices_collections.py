import csv
import io

import pytest
from sqlalchemy import select

from app.models import Certificate
from tests.utils import import_rows, load_offices, publish, valid_id


@pytest.fixture
def listed(client, staff):
    load_offices(client, staff)
    rows = [(f"学员{i}", valid_id(), f"ZS-{i}", "电工", "四级" if i < 3 else "三级", "JD-N1") for i in range(5)]
    rows.append(("单人", valid_id(), "ZS-S", "焊工", "五级", "JD-N2"))
    assert import_rows(client, staff, rows).status_code == 201
    return rows


def test_publishing_makes_the_list_collectable_with_a_computed_deadline(client, staff, listed, session):
    response = publish(client, staff, ["JD-N1"], published_on="2026-09-30")
    assert response.status_code == 201, response.text
    notice = response.json()
    assert [(b["occupation"], b["level"]) for b in notice["batches"]] == [("电工", "四级"), ("电工", "三级")]
    for batch in notice["batches"]:
        assert batch["deadline"] == {"date": "2026-10-20", "estimated": False, "passed": False, "rule": "notice",
                                     "counted_from": "2026-09-30"}
    assert notice["certificates"] == 5 and notice["warnings"] == []
    states = dict(session.execute(select(Certificate.certificate_no, Certificate.state)).all())
    assert {states[f"ZS-{i}"] for i in range(5)} == {"ready"} and states["ZS-S"] == "pending"


def test_deadline_in_an_unknown_year_is_flagged(client, staff, listed):
    notice = publish(client, staff, ["JD-N1"], published_on="2026-12-24").json()
    assert notice["batches"][0]["deadline"]["estimated"] is True


def test_publishing_errors(client, staff, listed):
    unknown = publish(client, staff, ["JD-NOPE"])
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_batch"
    wrong_office = publish(client, staff, ["JD-N1"], office_code="330200")
    assert wrong_office.json()["code"] == "unknown_batch"
    assert publish(client, staff, ["JD-N1"]).status_code == 201
    again = publish(client, staff, ["JD-N1"])
    assert again.status_code == 409 and again.json()["code"] == "already_published"
    # A supplementary list for a published batch gets a notice (and a deadline) of its own.
    extra_id = valid_id()
    assert import_rows(client, staff, [("补充", extra_id, "ZS-X", "电工", "四级", "JD-N1")]).status_code == 201
    supplement = publish(client, staff, ["JD-N1"], published_on="2026-02-10")
    assert supplement.status_code == 201 and supplement.json()["certificates"] == 1
    first = client.post("/api/v1/status", json={"name": listed[0][0], "id_number": listed[0][1]}).json()
    assert first["certificates"][0]["deadline"]["date"] == "2026-10-20"
    extra = client.post("/api/v1/status", json={"name": "补充", "id_number": extra_id}).json()
    assert extra["certificates"][0]["deadline"]["date"] == "2026-03-02"
    assert extra["certificates"][0]["deadline"]["passed"] is True
    assert publish(client, {}, ["JD-N2"]).status_code == 401


def _collect(client, staff, numbers, method="本人", **extra):
    return client.post("/api/v1/staff/collections", headers=staff, json={
        "certificate_nos": numbers, "method": method, "collector_name": "领取人", "receipt_signed": True, **extra})


def test_collection_needs_a_published_certificate(client, staff, listed):
    response = _collect(client, staff, ["ZS-S"])
    assert response.status_code == 409 and response.json()["code"] == "not_collectable"
    assert _collect(client, staff, ["ZS-NONE"]).json()["code"] == "certificate_not_found"


def _organization_collects(client, staff, level, numbers, key):
    app = client.post("/api/v1/applications", headers={"Idempotency-Key": key}, json={
        "kind": "organization", "organization_name": "示例企业", "batch_no": "JD-N1", "occupation": "电工",
        "level": level, "headcount": len(numbers), "collector_name": "领证员",
        "collector_id_number": valid_id("330102"), "visit_date": "2026-10-09"}).json()
    for step in ("accepted", "reviewing", "completed"):
        client.post(f"/api/v1/staff/applications/{app['number']}/transitions", headers=staff, json={"to": step})
    response = _collect(client, staff, numbers, method="单位", application_number=app["number"])
    assert response.status_code == 201, response.text
    return app["number"]


def test_counting_rule_one_occupation_two_levels_is_two_cases(client, staff, listed):
    publish(client, staff, ["JD-N1", "JD-N2"])
    _organization_collects(client, staff, "四级", ["ZS-0", "ZS-1", "ZS-2"], "org-four-1")
    _organization_collects(client, staff, "三级", ["ZS-3", "ZS-4"], "org-three-1")
    assert _collect(client, staff, ["ZS-S"]).status_code == 201
    stats = client.get("/api/v1/staff/statistics", headers=staff,
                       params={"start": "2026-01-01", "end": "2099-12-31"}).json()
    assert stats["organization_cases"] == 2
    assert stats["individual_cases"] == 1
    assert stats["cases"] == 3 and stats["certificates"] == 6
    exported = client.get("/api/v1/staff/statistics", headers=staff,
                          params={"start": "2026-01-01", "end": "2099-12-31", "format": "csv"})
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["机构代码", "机构名称", "办件数"]
    assert rows[-1][:3] == ["合计", "", "3"]


def test_organization_collection_must_match_its_application(client, staff, listed):
    publish(client, staff, ["JD-N1", "JD-N2"])
    app = client.post("/api/v1/applications", headers={"Idempotency-Key": "org-mismatch"}, json={
        "kind": "organization", "organization_name": "示例企业", "batch_no": "JD-N1", "occupation": "电工",
        "level": "四级", "headcount": 2, "collector_name": "领证员",
        "collector_id_number": valid_id("330102"), "visit_date": "2026-10-09"}).json()
    early = _collect(client, staff, ["ZS-0"], method="单位", application_number=app["number"])
    assert early.json()["code"] == "application_not_completed"
    for step in ("accepted", "reviewing", "completed"):
        client.post(f"/api/v1/staff/applications/{app['number']}/transitions", headers=staff, json={"to": step})
    too_many = _collect(client, staff, ["ZS-0", "ZS-1", "ZS-2"], method="单位", application_number=app["number"])
    other_level = _collect(client, staff, ["ZS-3"], method="单位", application_number=app["number"])
    assert too_many.json()["code"] == other_level.json()["code"] == "certificate_mismatch"
    assert _collect(client, staff, ["ZS-0"], method="单位").json()["code"] == "application_required"


def test_statistics_period_and_token(client, staff):
    assert client.get("/api/v1/staff/statistics", params={"start": "2026-01-01", "end": "2026-02-01"}).status_code == 401
    bad = client.get("/api/v1/staff/statistics", headers=staff, params={"start": "2026-02-01", "end": "2026-01-01"})
    assert bad.json()["code"] == "invalid_period"
