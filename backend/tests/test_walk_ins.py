"""现场申请: a proxy or an organisation at the counter with the seed's materials and no online
application is recorded as a `counter` application, its steps through 送达, and the collection,
in one transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from pickup_rules.testing import make_id
from sqlalchemy import func, select

from app.models import Application, CollectionRecord
from tests.factories import list_group, offices_loaded, people, publish_batches

BATCH = "浙鉴2026第15批"


@pytest.fixture
def batch(client, staff, session):
    """电工 四级 (3 holders) and 三级 (2), 焊工 五级 (1): published today."""
    offices_loaded(client, staff)
    groups = {
        ("电工", "四级"): list_group(session, batch_no=BATCH, occupation="电工", level="四级", holders=people(3)),
        ("电工", "三级"): list_group(session, batch_no=BATCH, occupation="电工", level="三级", holders=people(2)),
        ("焊工", "五级"): list_group(session, batch_no=BATCH, occupation="焊工", level="五级", holders=people(1)),
    }
    publish_batches(client, staff, [BATCH])
    return groups


def _collect(client, staff, certs, method, **extra):
    return client.post("/api/v1/staff/collections", headers=staff, json={
        "certificate_nos": [c.certificate_no for c in certs], "method": method, "receipt_signed": True, **extra})


def _count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def _stats(client, staff):
    return client.get("/api/v1/staff/statistics", headers=staff,
                      params={"start": "2020-01-01", "end": "2099-12-31"}).json()


def test_a_proxy_walk_in_is_recorded_through_every_step(client, staff, session, batch):
    holder = batch[("电工", "四级")][0]
    proxy_name, proxy_id = people(1)[0]
    response = _collect(client, staff, [holder], "代领",
                        walk_in={"proxy_name": proxy_name, "proxy_id_number": proxy_id})
    assert response.status_code == 201, response.text
    [number] = response.json()["applications"]
    app = session.scalar(select(Application).where(Application.number == number))
    assert (app.kind, app.channel, app.state, app.certificate_id) == ("proxy", "counter", "delivered", holder.id)
    assert (app.applicant_id_number, app.proxy_id_number, app.proxy_name) == (holder.id_number, proxy_id, proxy_name)
    assert [(s.state, s.actor) for s in app.steps] == [
        (state, "staff") for state in ("applied", "accepted", "reviewing", "completed", "delivered")]
    record = session.scalar(select(CollectionRecord).where(CollectionRecord.certificate_id == holder.id))
    assert (record.method, record.collector_name, record.application_id) == ("代领", proxy_name, app.id)
    status = client.post("/api/v1/status", json={"name": holder.holder_name, "id_number": holder.id_number}).json()
    [cert] = status["certificates"]
    assert cert["state"] == "collected" and cert["collection"]["method"] == "代领"
    assert [s["label"] for s in cert["application"]["steps"]] == ["申请", "受理", "审核", "办结", "送达"]
    assert proxy_id not in str(status)
    # Nobody collects twice, walk-in or not.
    again = _collect(client, staff, [holder], "代领", walk_in={"proxy_name": proxy_name, "proxy_id_number": proxy_id})
    assert again.status_code == 409 and again.json()["code"] == "not_collectable"
    assert _collect(client, staff, [holder], "本人", collector_name=holder.holder_name).json()["code"] == "not_collectable"
    assert _count(session, Application) == 1


def test_one_proxy_for_two_holders_gets_one_application_each(client, staff, session, batch):
    first, second = batch[("电工", "三级")]
    proxy_name, proxy_id = people(1)[0]
    response = _collect(client, staff, [first, second], "代领",
                        walk_in={"proxy_name": proxy_name, "proxy_id_number": proxy_id})
    assert response.status_code == 201 and len(response.json()["applications"]) == 2
    assert _stats(client, staff)["individual_cases"] == 2


@pytest.mark.parametrize(("walk_in", "code", "field"), [
    ({"proxy_name": "某人", "proxy_id_number": make_id("339999", dt.date(1966, 3, 3), 5)},
     "invalid_id_number", "proxy_id_number"),
    ("holder", "proxy_is_applicant", "proxy_id_number"),
])
def test_a_proxy_walk_in_refused_writes_nothing(client, staff, session, batch, walk_in, code, field):
    holder = batch[("电工", "四级")][0]
    if walk_in == "holder":
        walk_in = {"proxy_name": holder.holder_name, "proxy_id_number": holder.id_number}
    response = _collect(client, staff, [holder], "代领", walk_in=walk_in)
    assert response.status_code == 422 and response.json()["code"] == code
    assert response.json()["details"]["field"] == field
    assert _count(session, Application) == _count(session, CollectionRecord) == 0


def test_an_organisation_walk_in_is_one_application_per_occupation_and_level(client, staff, session, batch):
    collector_name, collector_id = people(1)[0]
    certs = batch[("电工", "四级")][:2] + batch[("电工", "三级")]
    response = _collect(client, staff, certs, "单位", walk_in={
        "organization_name": "示例职业培训学校", "collector_name": collector_name,
        "collector_id_number": collector_id})
    assert response.status_code == 201, response.text
    apps = session.scalars(select(Application).order_by(Application.id)).all()
    assert [(a.kind, a.channel, a.state, a.headcount, a.batch.level) for a in apps] == [
        ("organization", "counter", "delivered", 2, "四级"), ("organization", "counter", "delivered", 2, "三级")]
    assert all(a.organization_name == "示例职业培训学校" and a.applicant_id_number == collector_id for a in apps)
    assert sorted(response.json()["applications"]) == sorted(a.number for a in apps)
    # The counting rule: one occupation at two levels is two cases; one individual is one.
    assert _collect(client, staff, batch[("焊工", "五级")], "本人",
                    collector_name=batch[("焊工", "五级")][0].holder_name).status_code == 201
    stats = _stats(client, staff)
    assert (stats["organization_cases"], stats["individual_cases"], stats["cases"], stats["certificates"]) == (2, 1, 3, 5)
    # The group's last certificate may still be collected by another organisation's application.
    other_name, other_id = people(1)[0]
    later = client.post("/api/v1/applications", headers={"Idempotency-Key": "org-after-walk-in"}, json={
        "kind": "organization", "organization_name": "示例电力工程有限公司", "batch_no": BATCH, "occupation": "电工",
        "level": "四级", "headcount": 1, "collector_name": other_name, "collector_id_number": other_id,
        "visit_date": "2026-10-12"})
    assert later.status_code == 201, later.text


def test_a_certificate_someone_applied_for_is_collected_through_that_application(client, staff, session, batch):
    mailed, proxied, free = batch[("电工", "四级")]
    mail = client.post("/api/v1/applications", headers={"Idempotency-Key": "walk-in-mail"}, json={
        "kind": "mail", "name": mailed.holder_name, "id_number": mailed.id_number, "phone": "13600000001",
        "address": "浙江省杭州市余杭区文一西路969号"}).json()
    proxy_name, proxy_id = people(1)[0]
    proxy = client.post("/api/v1/applications", headers={"Idempotency-Key": "walk-in-proxy"}, json={
        "kind": "proxy", "name": proxied.holder_name, "id_number": proxied.id_number, "proxy_name": proxy_name,
        "proxy_id_number": proxy_id}).json()
    walk_in = {"proxy_name": proxy_name, "proxy_id_number": proxy_id}
    by_mail = _collect(client, staff, [free, mailed], "代领", walk_in=walk_in)
    assert by_mail.status_code == 409 and by_mail.json()["code"] == "mail_application_open"
    assert by_mail.json()["details"] == {"number": mail["number"], "certificate_no": mailed.certificate_no}
    by_proxy = _collect(client, staff, [proxied], "代领", walk_in=walk_in)
    assert by_proxy.json()["code"] == "proxy_application_open"
    assert by_proxy.json()["details"]["number"] == proxy["number"] and proxy["number"] in by_proxy.json()["message"]
    collector_name, collector_id = people(1)[0]
    org_walk_in = {"organization_name": "示例职业培训学校", "collector_name": collector_name,
                   "collector_id_number": collector_id}
    assert _collect(client, staff, [proxied], "单位", walk_in=org_walk_in).json()["code"] == "proxy_application_open"
    assert _count(session, CollectionRecord) == 0
    assert _count(session, Application) == 2


def test_a_strangers_organisation_application_does_not_stop_the_units_walk_in(client, staff, session, batch):
    stranger_name, stranger_id = people(1)[0]
    stranger = client.post("/api/v1/applications", headers={"Idempotency-Key": "org-stranger"}, json={
        "kind": "organization", "organization_name": "冒名单位", "batch_no": BATCH, "occupation": "电工",
        "level": "三级", "headcount": 2, "collector_name": stranger_name, "collector_id_number": stranger_id,
        "visit_date": "2026-10-12"})
    assert stranger.status_code == 201, stranger.text
    collector_name, collector_id = people(1)[0]
    certs = batch[("电工", "四级")] + batch[("电工", "三级")]
    response = _collect(client, staff, certs, "单位", walk_in={
        "organization_name": "示例职业培训学校", "collector_name": collector_name, "collector_id_number": collector_id})
    assert response.status_code == 201, response.text
    assert _count(session, CollectionRecord) == len(certs)
    # The stranger's application collects nothing: the group's certificates are gone.
    accepted = [client.post(f"/api/v1/staff/applications/{stranger.json()['number']}/transitions",
                            headers=staff, json={"to": to}) for to in ("accepted", "reviewing", "completed")]
    assert [r.status_code for r in accepted] == [200, 200, 200]
    again = _collect(client, staff, batch[("电工", "三级")], "单位", application_number=stranger.json()["number"],
                     collector_name=stranger_name)
    assert again.status_code == 409 and again.json()["code"] == "not_collectable"


def test_walk_in_requests_that_do_not_fit(client, staff, batch):
    holder = batch[("电工", "四级")][0]
    proxy = {"proxy_name": "受托人", "proxy_id_number": people(1)[0][1]}
    cases = [
        (dict(method="本人", walk_in=proxy), "walk_in_not_applicable", "walk_in"),
        (dict(method="单位", walk_in=proxy), "method_mismatch", "walk_in"),
        (dict(method="代领", walk_in=proxy, application_number="SQ20260930000001"), "walk_in_with_application",
         "application_number"),
        (dict(method="代领", collector_name="受托人"), "application_required", "application_number"),
        (dict(method="代领", walk_in=proxy, collector_name="别人"), "collector_mismatch", "collector_name"),
        (dict(method="本人"), "collector_name_required", "collector_name"),
    ]
    for extra, code, field in cases:
        response = _collect(client, staff, [holder], **extra)
        assert response.status_code == 422, (extra, response.text)
        assert (response.json()["code"], response.json()["details"]["field"]) == (code, field)
    assert client.post("/api/v1/staff/collections", json={"certificate_nos": [holder.certificate_no],
                                                           "method": "代领", "receipt_signed": True,
                                                           "walk_in": proxy}).status_code == 401
