"""The 签收单 the console prints for an organisation's application: the seed's wording, the
office and the unit, the roster with masked IDs, only for the application's office."""

from __future__ import annotations

from tests.factories import list_group, offices_loaded, people, publish_batches
from tests.staff_accounts import account, sign_in

BATCH = "浙人社鉴〔2026〕57号"


def _apply(client, body, key):
    response = client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})
    assert response.status_code == 201, response.text
    return response.json()["number"]


def _organization(collector, headcount):
    return {"kind": "organization", "organization_name": "杭州市示例建设集团有限公司", "batch_no": BATCH,
            "occupation": "电工", "level": "四级", "headcount": headcount, "collector_name": collector[0],
            "collector_id_number": collector[1], "visit_date": "2026-10-09"}


def test_the_receipt_lists_the_groups_collectable_certificates_then_those_collected(client, staff, session):
    offices_loaded(client, staff)
    account(session, "hz.receipt", "city", "330100")
    account(session, "yh.receipt", "county", "330110")
    holders = people(4)
    collector = people(1)[0]
    certs = list_group(session, batch_no=BATCH, occupation="电工", level="四级", holders=holders)
    publish_batches(client, staff, [BATCH])
    # One holder has the certificate mailed: it is not the unit's to collect.
    mailed = _apply(client, {"kind": "mail", "name": holders[0][0], "id_number": holders[0][1],
                             "phone": "13957112345", "address": "浙江省杭州市拱墅区湖墅南路88号2单元501室"}, "receipt-mail-01")
    number = _apply(client, _organization(collector, 3), "receipt-org-0001")

    page = client.get(f"/staff/applications/{number}/receipt", headers=sign_in(client, "hz.receipt"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for text in ("签收单", "今领到国家职业资格证书", "发证名册", "核对无误", "签 收 人", "经办人员", "联系电话",
                 "杭州市示例建设集团有限公司", "杭州市职业技能鉴定指导中心", BATCH, "电工", "四级", "共 3 本", number):
        assert text in html, text
    for (name, id_number), cert in zip(holders[1:], certs[1:]):
        assert f"<td>{name}</td><td>{id_number[:6]}********{id_number[-4:]}</td><td>{cert.certificate_no}</td>" in html
    assert certs[0].certificate_no not in html
    for _, id_number in [*holders, collector]:
        assert id_number not in html and id_number[6:14] not in html
    assert "script-src 'sha256-" in page.headers["Content-Security-Policy"]

    # Another office's account, an anonymous browser, a mail application: nothing to print.
    assert client.get(f"/staff/applications/{number}/receipt",
                      headers=sign_in(client, "yh.receipt")).json()["code"] == "office_forbidden"
    assert client.get(f"/staff/applications/{number}/receipt").status_code == 401
    assert client.get(f"/staff/applications/{mailed}/receipt", headers=staff).status_code == 404

    # Collected: the receipt lists what was handed over.
    for step in ("accepted", "reviewing", "completed"):
        moved = client.post(f"/api/v1/staff/applications/{number}/transitions", headers=staff, json={"to": step})
        assert moved.status_code == 200, moved.text
    handed = [certs[1].certificate_no, certs[3].certificate_no]
    collected = client.post("/api/v1/staff/collections", headers=staff, json={
        "certificate_nos": handed, "method": "单位", "collector_name": collector[0], "receipt_signed": True,
        "application_number": number})
    assert collected.status_code == 201, collected.text
    html = client.get(f"/staff/applications/{number}/receipt", headers=staff).text
    assert "共 2 本" in html and all(no in html for no in handed) and certs[2].certificate_no not in html
