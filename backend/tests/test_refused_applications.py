"""A rejected or returned application is told: in the status, and to whoever holds its token."""

from __future__ import annotations

import datetime as dt

import pytest
from pickup_rules.testing import make_id

from sqlalchemy import select

from app.core.clock import china_date
from app.models import AuditEntry
from tests.factories import list_group, offices_loaded, people, publish_batches

ADDRESS = "浙江省宁波市海曙区中山西路88号2单元501室"


@pytest.fixture
def holder(client, staff, session):
    """An older holder (born 1950-1980, district created after the birth), ready to collect."""
    offices_loaded(client, staff)
    [cert] = list_group(session, batch_no="杭人社鉴〔2026〕3号", occupation="养老护理员", level="五级",
                        holders=people(1))
    publish_batches(client, staff, ["杭人社鉴〔2026〕3号"])
    return cert


def _mail(client, cert, key):
    response = client.post("/api/v1/applications", headers={"Idempotency-Key": key}, json={
        "kind": "mail", "name": cert.holder_name, "id_number": cert.id_number, "phone": "13905741234",
        "address": ADDRESS})
    assert response.status_code == 201, response.text
    return response.json()


def _move(client, staff, number, to, **extra):
    response = client.post(f"/api/v1/staff/applications/{number}/transitions", headers=staff,
                           json={"to": to, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def _status(client, cert):
    response = client.post("/api/v1/status", json={"name": cert.holder_name, "id_number": cert.id_number})
    assert response.status_code == 200
    return response


def test_a_returned_mail_application_is_shown_with_its_reason_masked(client, staff, holder, session):
    created = _mail(client, holder, "mail-returned-1")
    _move(client, staff, created["number"], "accepted")
    # Staff quote the ID number in the reason: the applicant sees it masked.
    reason = f"身份证号{holder.id_number}与快递实名信息不一致，请核对后重新申请"
    _move(client, staff, created["number"], "returned", reason=reason)
    response = _status(client, holder)
    assert holder.id_number not in response.text
    [cert] = response.json()["certificates"]
    assert cert["state"] == "ready" and cert["application"] is None
    refused = cert["refused_application"]
    assert refused == {
        "number": created["number"], "kind": "mail", "state": "returned", "state_label": "退回",
        "reason": f"身份证号{holder.id_number[:6]}********{holder.id_number[-4:]}与快递实名信息不一致，请核对后重新申请",
        "decided_on": china_date(dt.datetime.now(dt.timezone.utc)).isoformat(),
        "certificate": created["certificate"],
    }
    # The audit log keeps the reason masked too.
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "application_returned"))
    assert entry.detail == {"reason": refused["reason"]}


def test_a_rejected_proxy_application_and_a_new_one(client, staff, holder):
    proxy = people(1)[0]
    first = client.post("/api/v1/applications", headers={"Idempotency-Key": "proxy-rejected-1"}, json={
        "kind": "proxy", "name": holder.holder_name, "id_number": holder.id_number,
        "proxy_name": proxy[0], "proxy_id_number": proxy[1]}).json()
    _move(client, staff, first["number"], "rejected", reason="委托书未签名")
    refused = _status(client, holder).json()["certificates"][0]["refused_application"]
    assert (refused["kind"], refused["state_label"], refused["reason"]) == ("proxy", "不予受理", "委托书未签名")
    # Applying again: the live application replaces the refusal in the status.
    second = _mail(client, holder, "mail-after-rejection")
    cert = _status(client, holder).json()["certificates"][0]
    assert cert["application"]["number"] == second["number"] and cert["refused_application"] is None
    # Refused again: the latest refusal is the one shown.
    _move(client, staff, second["number"], "rejected", reason="地址不详")
    refused = _status(client, holder).json()["certificates"][0]["refused_application"]
    assert (refused["number"], refused["reason"]) == (second["number"], "地址不详")


def test_the_application_by_number_needs_its_token_in_a_header(client, staff, holder):
    created = _mail(client, holder, "mail-by-token")
    token = client.post("/api/v1/applications", headers={"Idempotency-Key": "mail-by-token"}, json={
        "kind": "mail", "name": holder.holder_name, "id_number": holder.id_number, "phone": "13905741234",
        "address": ADDRESS}).json()["access_token"]
    _move(client, staff, created["number"], "rejected", reason=f"请本人{holder.id_number}到窗口办理")
    url = f"/api/v1/applications/{created['number']}"
    found = client.get(url, headers={"X-Application-Token": token})
    assert found.status_code == 200
    body = found.json()
    assert (body["number"], body["state_label"], body["certificate"]) == (created["number"], "不予受理",
                                                                          created["certificate"])
    assert holder.id_number not in found.text and "access_token" not in body
    assert body["steps"][-1]["reason"] == body["reason"] and "********" in body["reason"]
    misses = [client.get(url, headers={"X-Application-Token": token[:-1] + ("A" if token[-1] != "A" else "B")}),
              client.get(url),
              client.get(url, params={"token": token}),  # never in the URL
              client.get("/api/v1/applications/SQ20260930999999", headers={"X-Application-Token": token})]
    assert {m.status_code for m in misses} == {404}
    assert len({m.text for m in misses}) == 1 and misses[0].json()["code"] == "not_found"


def test_a_holder_never_refused_has_no_refused_application(client, staff, holder):
    assert _status(client, holder).json()["certificates"][0]["refused_application"] is None
    # A proxy's ID is never in the refusal either.
    proxy_id = make_id("440305", dt.date(1962, 4, 9), 77)
    created = client.post("/api/v1/applications", headers={"Idempotency-Key": "proxy-no-id"}, json={
        "kind": "proxy", "name": holder.holder_name, "id_number": holder.id_number, "proxy_name": "欧阳依法",
        "proxy_id_number": proxy_id}).json()
    _move(client, staff, created["number"], "rejected", reason="受托人身份证复印件未签名")
    response = _status(client, holder)
    assert proxy_id not in response.text and "欧阳依法" not in response.text
