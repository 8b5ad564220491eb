"""A long list import does not hold up applicants: a status look-up writes nothing while it
answers (its audit row follows apart), and an import commits chunk by chunk, so that others'
writes wait for one chunk, not the whole file. Timings are printed, not asserted."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import requests
from pickup_rules.testing import make_id
from sqlalchemy import select

from app.models import AuditEntry
from app.rules.identity import mask_id
from app.services import audit
from tests.conftest import STAFF_TOKEN
from tests.factories import list_group, offices_loaded, people, publish_batches
from tests.locks import WriteLock
from tests.served import uvicorn_backend
from tests.utils import csv_bytes

BATCH = "浙人社鉴〔2026〕31号"


@pytest.fixture
def holder(client, staff, session):
    offices_loaded(client, staff)
    [(name, id_number)] = people(1)
    list_group(session, batch_no=BATCH, occupation="电工", level="四级", holders=[(name, id_number)])
    publish_batches(client, staff, [BATCH])
    return name, id_number


def test_a_status_look_up_does_not_wait_for_a_writer(client, db_url, engine, session, holder):
    name, id_number = holder
    with WriteLock(db_url, engine, table="audit_log"):
        started = time.monotonic()
        response = client.post("/api/v1/status", json={"name": name, "id_number": id_number})
        print(f"\nlook-up while another connection holds the write lock: {time.monotonic() - started:.3f} s")
        assert response.status_code == 200
    audit.flush()
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "status_lookup")).all()
    assert entry.target == mask_id(id_number) and entry.detail == {"found": True}


def _rows(count: int) -> list[tuple]:
    """A list as a centre publishes it: realistic older holders, 22-character certificate numbers."""
    names = [name for name, _ in people(200)]
    return [(names[n % len(names)], make_id("330106", dt.date(1960 + n % 20, 1 + n % 12, 1 + n % 28), n),
             f"2026330100{n:012d}", "焊工", "三级", "浙鉴2026第16批") for n in range(count)]


def test_applicants_are_served_during_a_long_import(db_url, holder, tmp_path):
    """A 30,000-row import on a real server while a holder looks up their status and
    subscribes (a write) every 50 ms: everyone is answered; the longest waits are printed."""
    name, id_number = holder
    data = csv_bytes(_rows(30_000))
    with uvicorn_backend(db_url, tmp_path / "backend.log", "--no-access-log",
                         LOOKUP_LIMIT_PER_CLIENT="100000") as served:
        result: dict = {}

        def upload() -> None:
            started = time.monotonic()
            result["response"] = requests.post(
                f"{served.url}/api/v1/staff/lists", headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
                data={"office_code": "330100"}, files={"file": ("list.csv", data, "text/csv")}, timeout=600)
            result["seconds"] = time.monotonic() - started

        importer = threading.Thread(target=upload)
        importer.start()
        waits: dict[str, list[float]] = {"status": [], "subscription": []}
        with requests.Session() as http:
            n = 0
            while importer.is_alive():
                n += 1
                started = time.monotonic()
                status = http.post(f"{served.url}/api/v1/status", json={"name": name, "id_number": id_number},
                                   timeout=120)
                waits["status"].append(time.monotonic() - started)
                started = time.monotonic()
                subscribed = http.post(f"{served.url}/api/v1/subscriptions", json={
                    "channel": "socketio", "conversation_id": f"during-import-{n}", "name": name,
                    "id_number": id_number}, timeout=120)
                waits["subscription"].append(time.monotonic() - started)
                assert status.status_code == 200 and subscribed.status_code == 201, (status.text, subscribed.text)
                time.sleep(0.05)
        importer.join()
    assert result["response"].status_code == 201 and result["response"].json()["imported"] == 30_000
    print(f"\nimport of 30,000 rows: {result['seconds']:.1f} s; during it "
          + "; ".join(f"{kind}: {len(w)} answered, longest {max(w or [0]):.3f} s" for kind, w in waits.items()))
