"""Applications filed by people who are not who they say, and retries: nobody is locked out
by a stranger, nobody gets a stranger's access token, and identical retries at the same
moment all get the first application."""

from __future__ import annotations

import threading

import pytest
import requests
from sqlalchemy import func, select

from app.models import Application
from tests.conftest import make_client
from tests.factories import list_group, offices_loaded, people, publish_batches
from tests.served import uvicorn_backend

BATCH = "杭人社鉴〔2026〕27号"
ADDRESS = "浙江省杭州市余杭区文一西路969号"


@pytest.fixture
def group(client, staff, session):
    """电工 四级 of a published batch: six holders, (name, ID number) each; and 三级, two."""
    offices_loaded(client, staff)
    holders = people(6)
    list_group(session, batch_no=BATCH, occupation="电工", level="四级", holders=holders)
    list_group(session, batch_no=BATCH, occupation="电工", level="三级", holders=people(2))
    publish_batches(client, staff, [BATCH])
    return holders


@pytest.fixture
def forwarder(settings, engine):
    """A client that forwards for several applicants (X-Client-Id), as the action server does."""
    with make_client(settings.model_copy(update={"trusted_forwarders": ["testclient"]}), engine) as client:
        yield client


def _organisation(name: str, collector: tuple[str, str], **extra) -> dict:
    return {"kind": "organization", "organization_name": name, "batch_no": BATCH, "occupation": "电工",
            "level": "四级", "headcount": 3, "collector_name": collector[0],
            "collector_id_number": collector[1], "visit_date": "2026-10-12", **extra}


def _apply(client, body: dict, key: str, sender: str | None = None):
    headers = {"Idempotency-Key": key, **({"X-Client-Id": sender} if sender else {})}
    return client.post("/api/v1/applications", json=body, headers=headers)


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(Application))


def test_a_strangers_organisation_application_does_not_stop_the_real_one(forwarder, staff, session, group):
    [stranger, collector] = people(2)
    first = _apply(forwarder, _organisation("冒名单位", stranger), "stranger-org-0001", sender="stranger")
    assert first.status_code == 201, first.text
    real = _apply(forwarder, _organisation("示例职业培训学校", collector), "real-org-0001", sender="unit")
    assert real.status_code == 201, real.text
    assert real.json()["number"] != first.json()["number"]
    # The real organisation's application goes through to the counter and collects the group.
    number = real.json()["number"]
    for to in ("accepted", "reviewing", "completed"):
        moved = forwarder.post(f"/api/v1/staff/applications/{number}/transitions", headers=staff, json={"to": to})
        assert moved.status_code == 200, moved.text
    cert_nos = [c["certificate_no"] for holder in group[:3] for c in forwarder.post(
        "/api/v1/status", json={"name": holder[0], "id_number": holder[1]}).json()["certificates"]]
    collected = forwarder.post("/api/v1/staff/collections", headers=staff, json={
        "certificate_nos": cert_nos, "method": "单位", "receipt_signed": True, "application_number": number,
        "collector_name": collector[0]})
    assert collected.status_code == 201, collected.text


def test_a_replayed_key_and_body_from_another_client_get_no_access_token(forwarder, session, group):
    name, id_number = group[0]
    body = {"kind": "mail", "name": name, "id_number": id_number, "phone": "13905710000", "address": ADDRESS}
    first = _apply(forwarder, body, "holder-key-0001", sender="holder")
    assert first.status_code == 201
    token = first.json()["access_token"]
    assert _apply(forwarder, body, "holder-key-0001", sender="holder").json()["access_token"] == token
    replayed = _apply(forwarder, body, "holder-key-0001", sender="stranger")
    assert replayed.status_code == 409 and replayed.json()["code"] == "duplicate_application"
    assert token not in replayed.text and "access_token" not in replayed.json()
    assert "联系领证机构" in replayed.json()["message"]
    # An organisation's: the stranger's replay is an application of its own, with its own token.
    [collector] = people(1)
    org = _organisation("示例职业培训学校", collector, headcount=2)
    unit = _apply(forwarder, org, "unit-key-00000001", sender="unit")
    copy = _apply(forwarder, org, "unit-key-00000001", sender="stranger")
    assert unit.status_code == copy.status_code == 201
    assert copy.json()["access_token"] != unit.json()["access_token"]
    assert copy.json()["number"] != unit.json()["number"]
    assert _count(session) == 3


def _same_moment(url: str, body: dict, key: str, n: int = 4) -> list[requests.Response]:
    barrier = threading.Barrier(n)
    answers: list[requests.Response | None] = [None] * n

    def post(i: int) -> None:
        with requests.Session() as http:
            barrier.wait()
            answers[i] = http.post(f"{url}/api/v1/applications", json=body, headers={"Idempotency-Key": key},
                                   timeout=60)

    threads = [threading.Thread(target=post, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def test_identical_retries_at_the_same_moment_all_get_the_first_application(db_url, session, group, tmp_path):
    """Four identical POSTs at once against a real server (threads, SQLite and PostgreSQL), for
    each holder and for an organisation: one 201, three 200, one application."""
    [collector] = people(1)
    bodies = [{"kind": "mail", "name": name, "id_number": id_number, "phone": "13905710000", "address": ADDRESS}
              for name, id_number in group] + [_organisation("示例职业培训学校", collector, level="三级", headcount=2)]
    with uvicorn_backend(db_url, tmp_path / "backend.log", "--workers", "1") as served:
        for n, body in enumerate(bodies):
            answers = _same_moment(served.url, body, f"same-moment-{n:04d}")
            assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [a.text for a in answers]
            assert len({(a.json()["number"], a.json()["access_token"]) for a in answers}) == 1
    assert _count(session) == len(bodies)
