import pytest
from sqlalchemy import func, select

from app.models import Application
from tests.conftest import make_client
from tests.utils import import_rows, load_offices, person_on_published_list, publish, valid_id

ADDRESS = "浙江省杭州市西湖区文三路100号3幢201室"


def mail(name, id_number, **extra):
    return {"kind": "mail", "name": name, "id_number": id_number, "phone": "13800138000",
            "address": ADDRESS, **extra}


def _apply(client, body, key="key-00000001"):
    return client.post("/api/v1/applications", json=body, headers={"Idempotency-Key": key})


def _count(session):
    return session.scalar(select(func.count()).select_from(Application))


def test_mail_application_for_a_listed_holder(client, staff, session):
    name, id_number, _ = person_on_published_list(client, staff)
    response = _apply(client, mail(name, id_number))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["number"].startswith("SQ20260930")
    assert body["state"] == "applied" and body["state_label"] == "申请"
    # 5 working days from 2026-09-30, as if decided that day.
    assert body["delivery_due_on"] == "2026-10-13" and body["delivery_due_basis"] == "application_date"
    assert id_number not in response.text


def test_not_on_a_published_list_creates_nothing(client, staff, session):
    load_offices(client, staff)
    pending_id = valid_id()
    import_rows(client, staff, [("未发布", pending_id, "ZS-P1", "电工", "四级", "JD-UNPUB")])
    for body in (mail("无名", valid_id()), mail("未发布", pending_id)):
        response = _apply(client, body, key=f"key-{body['id_number']}")
        assert response.status_code == 422
        assert response.json()["code"] == "not_on_list"
        assert "名单" in response.json()["message"]
    assert _count(session) == 0


def test_second_application_for_the_same_certificate_is_refused(client, staff, session):
    name, id_number, _ = person_on_published_list(client, staff)
    first = _apply(client, mail(name, id_number), key="key-first-1")
    proxy = {"kind": "proxy", "name": name, "id_number": id_number, "proxy_name": "代领人",
             "proxy_id_number": valid_id("330102")}
    second = _apply(client, proxy, key="key-second-1")
    assert second.status_code == 409
    assert second.json()["code"] == "duplicate_application"
    assert first.json()["number"] in second.json()["message"]
    assert second.json()["details"] == {"number": first.json()["number"]}
    # The live application may be a stranger's: the holder is told whom to turn to.
    assert "联系领证机构" in second.json()["message"]
    assert _count(session) == 1


def test_retried_post_with_the_same_key_creates_no_second_application(client, staff, session):
    name, id_number, _ = person_on_published_list(client, staff)
    first = _apply(client, mail(name, id_number), key="retry-key-1")
    again = _apply(client, mail(name, id_number), key="retry-key-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["number"] == again.json()["number"]
    assert _count(session) == 1
    other = _apply(client, mail(name, id_number, address="浙江省杭州市上城区解放路1号"), key="retry-key-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_idempotency_key_is_required(client, staff):
    name, id_number, _ = person_on_published_list(client, staff)
    response = client.post("/api/v1/applications", json=mail(name, id_number))
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_required"


@pytest.mark.parametrize(("field", "value", "code"), [
    ("phone", "1380013800", "invalid_phone"),
    ("address", "西湖区文三路100号", "invalid_address"),
    ("address", "杭州市", "invalid_address"),
    ("id_number", "33010619900101123", "invalid_id_number"),
])
def test_bad_fields_get_clear_errors_and_create_nothing(client, staff, session, field, value, code):
    name, id_number, _ = person_on_published_list(client, staff)
    body = mail(name, id_number)
    body[field] = value
    response = _apply(client, body)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert _count(session) == 0


def test_proxy_application(client, staff):
    name, id_number, _ = person_on_published_list(client, staff)
    proxy_id = valid_id("330102")
    body = {"kind": "proxy", "name": name, "id_number": id_number, "proxy_name": "代领人", "proxy_id_number": proxy_id}
    response = _apply(client, body)
    assert response.status_code == 201 and response.json()["kind"] == "proxy"
    assert proxy_id not in response.text and id_number not in response.text
    same = _apply(client, {**body, "proxy_id_number": id_number}, key="key-same-person")
    assert same.json()["code"] in ("proxy_is_applicant", "duplicate_application")


def test_proxy_cannot_be_the_applicant(client, staff):
    name, id_number, _ = person_on_published_list(client, staff)
    body = {"kind": "proxy", "name": name, "id_number": id_number, "proxy_name": name, "proxy_id_number": id_number}
    response = _apply(client, body)
    assert response.status_code == 422 and response.json()["code"] == "proxy_is_applicant"


def test_holder_with_two_ready_certificates_must_choose(client, staff, session):
    load_offices(client, staff)
    id_number = valid_id()
    import_rows(client, staff, [("双证", id_number, "ZS-A", "电工", "四级", "JD-TWO"),
                                ("双证", id_number, "ZS-B", "焊工", "三级", "JD-TWO")])
    publish(client, staff, ["JD-TWO"])
    ambiguous = _apply(client, mail("双证", id_number))
    assert ambiguous.status_code == 409 and ambiguous.json()["code"] == "certificate_ambiguous"
    assert {c["certificate_no"] for c in ambiguous.json()["details"]["certificates"]} == {"ZS-A", "ZS-B"}
    chosen = _apply(client, mail("双证", id_number, certificate_no="ZS-B"), key="key-chosen-b")
    assert chosen.status_code == 201
    # ZS-B has a live application now: the only free certificate needs no choice.
    proxy = {"kind": "proxy", "name": "双证", "id_number": id_number, "proxy_name": "代领人",
             "proxy_id_number": valid_id("330102")}
    rest = _apply(client, proxy, key="key-the-rest")
    assert rest.status_code == 201
    status = client.post("/api/v1/status", json={"name": "双证", "id_number": id_number}).json()
    kinds = {c["certificate_no"]: c["application"]["kind"] for c in status["certificates"]}
    assert kinds == {"ZS-A": "proxy", "ZS-B": "mail"}
    none_left = _apply(client, mail("双证", id_number), key="key-none-left")
    assert none_left.status_code == 409 and none_left.json()["code"] == "duplicate_application"


def test_the_application_names_the_certificate_it_is_for(client, staff):
    name, id_number, cert_no = person_on_published_list(client, staff, occupation="焊工", level="三级")
    batch_no = client.post("/api/v1/status", json={"name": name, "id_number": id_number}).json()[
        "certificates"][0]["batch_no"]
    proxy = {"kind": "proxy", "name": name, "id_number": id_number, "proxy_name": "代领人",
             "proxy_id_number": valid_id("330102")}
    # The only certificate is taken without asking: the answer says which one it was.
    created = _apply(client, proxy, key="key-names-cert")
    assert created.status_code == 201
    expected = {"certificate_no": cert_no, "occupation": "焊工", "level": "三级", "batch_no": batch_no}
    assert created.json()["certificate"] == expected
    # A retried POST gets the same answer, certificate included.
    replay = _apply(client, proxy, key="key-names-cert")
    assert replay.status_code == 200 and replay.json()["certificate"] == expected
    for response in (created, replay):
        assert id_number not in response.text and proxy["proxy_id_number"] not in response.text
        assert id_number[6:14] not in response.text  # not even the birth date


def test_the_application_names_the_chosen_certificate_and_the_one_left(client, staff):
    load_offices(client, staff)
    id_number = valid_id()
    import_rows(client, staff, [("双证", id_number, "ZS-NA", "电工", "四级", "JD-NAME"),
                                ("双证", id_number, "ZS-NB", "焊工", "三级", "JD-NAME")])
    publish(client, staff, ["JD-NAME"])
    chosen = _apply(client, mail("双证", id_number, certificate_no="ZS-NB"), key="key-name-b")
    assert chosen.json()["certificate"] == {"certificate_no": "ZS-NB", "occupation": "焊工", "level": "三级",
                                            "batch_no": "JD-NAME"}
    rest = _apply(client, mail("双证", id_number), key="key-name-rest")
    assert rest.json()["certificate"] == {"certificate_no": "ZS-NA", "occupation": "电工", "level": "四级",
                                          "batch_no": "JD-NAME"}


def test_every_answer_about_an_application_names_its_certificate(client, staff):
    name, id_number, cert_no = person_on_published_list(client, staff)
    created = _apply(client, mail(name, id_number)).json()
    assert created["certificate"]["certificate_no"] == cert_no
    moved = _move(client, staff, created["number"], "accepted")
    assert moved.status_code == 200 and moved.json()["certificate"] == created["certificate"]
    status = client.post("/api/v1/status", json={"name": name, "id_number": id_number}).json()
    assert status["certificates"][0]["application"]["certificate"] == created["certificate"]
    # The API docs say so.
    described = client.get("/openapi.json").json()["paths"]["/api/v1/applications"]["post"]["description"]
    assert "`certificate`" in described


def _organization(batch="JD-ORG", level="四级", headcount=2, **extra):
    return {"kind": "organization", "organization_name": "示例培训学校", "batch_no": batch,
            "occupation": "电工", "level": level, "headcount": headcount, "collector_name": "领证员",
            "collector_id_number": valid_id("330102"), "visit_date": "2026-10-09", **extra}


@pytest.fixture
def org_list(client, staff):
    load_offices(client, staff)
    rows = [(f"学员{i}", valid_id(), f"ZS-ORG-{i}", "电工", "四级" if i < 3 else "三级", "JD-ORG") for i in range(5)]
    assert import_rows(client, staff, rows).status_code == 201
    assert publish(client, staff, ["JD-ORG"]).status_code == 201


def test_organization_application_and_its_contact_form(client, org_list):
    response = _apply(client, _organization())
    assert response.status_code == 201, response.text
    body = response.json()
    page = client.get(body["contact_form_path"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    for text in ("领取技能人员国家职业资格证书联系单", "杭州市职业技能鉴定指导中心（示例）", "JD-ORG", "电工",
                 "四级", "示例培训学校", "10</span>月<span class=\"fill\">9", "size: A4", "签收单"):
        assert text in html
    assert _organization()["collector_id_number"][6:14] not in html
    forged = client.get(body["contact_form_path"].split("token=")[0] + "token=wrong")
    assert forged.status_code == 404


@pytest.mark.parametrize(("body", "code"), [
    (_organization(headcount=4), "headcount_exceeds_list"),
    (_organization(batch="JD-NONE"), "not_on_list"),
    (_organization(level="九级"), "invalid_level"),
    (_organization(visit_date="2026-09-01"), "visit_date_outside_window"),
])
def test_organization_errors(client, org_list, session, body, code):
    response = _apply(client, body)
    assert response.json()["code"] == code
    assert _count(session) == 0


def test_an_organization_application_is_for_a_batch_not_one_certificate(client, org_list):
    body = _apply(client, _organization()).json()
    assert "certificate" in body and body["certificate"] is None


def test_organisation_applications_hold_no_group(client, org_list, session):
    """Several organisations may have staff in one group, and anyone may file for a published
    batch: a second application for the same group is an application of its own."""
    assert _apply(client, _organization(), key="org-key-1").status_code == 201
    again = _apply(client, _organization(organization_name="另一家示例单位"), key="org-key-2")
    assert again.status_code == 201, again.text
    other_level = _apply(client, _organization(level="高级工", headcount=2), key="org-key-3")
    assert other_level.status_code == 201
    assert _count(session) == 3


def _move(client, staff, number, to, **extra):
    return client.post(f"/api/v1/staff/applications/{number}/transitions", headers=staff, json={"to": to, **extra})


def test_mail_application_moves_through_every_step(client, staff, settings, engine):
    name, id_number, _ = person_on_published_list(client, staff)
    number = _apply(client, mail(name, id_number)).json()["number"]
    assert _move(client, staff, number, "accepted").status_code == 200
    assert _move(client, staff, number, "completed").json()["code"] == "invalid_transition"
    assert _move(client, staff, number, "reviewing").status_code == 200
    import datetime as dt

    with make_client(settings, engine, today=dt.date(2026, 2, 10)) as later:
        completed = _move(later, staff, number, "completed").json()
    assert completed["state_label"] == "办结"
    assert completed["delivery_due_on"] == "2026-02-24" and completed["delivery_due_basis"] == "decision_date"
    assert _move(client, staff, number, "delivered").json()["code"] == "tracking_required"
    delivered = _move(client, staff, number, "delivered", express_company="示例快递", tracking_no="SF123").json()
    assert [s["label"] for s in delivered["steps"]] == ["申请", "受理", "审核", "办结", "送达"]
    status = client.post("/api/v1/status", json={"name": name, "id_number": id_number}).json()
    cert = status["certificates"][0]
    assert cert["state"] == "mailed"
    assert cert["application"]["delivery"]["tracking_no"] == "SF123"


def test_rejection_needs_a_reason_and_frees_the_certificate(client, staff, session):
    name, id_number, _ = person_on_published_list(client, staff)
    number = _apply(client, mail(name, id_number)).json()["number"]
    assert _move(client, staff, number, "rejected").json()["code"] == "reason_required"
    rejected = _move(client, staff, number, "rejected", reason="地址无法投递").json()
    assert rejected["state_label"] == "不予受理" and rejected["reason"] == "地址无法投递"
    assert _apply(client, mail(name, id_number), key="key-after-reject").status_code == 201


def test_transitions_need_the_staff_token(client, staff):
    name, id_number, _ = person_on_published_list(client, staff)
    number = _apply(client, mail(name, id_number)).json()["number"]
    assert _move(client, {}, number, "accepted").status_code == 401
    assert _move(client, staff, "SQ-NOPE", "accepted").json()["code"] == "application_not_found"
