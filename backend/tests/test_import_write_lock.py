"""A long list import does not hold up applicants: it is one transaction (a failure half-way
leaves nothing: test_unit_of_work.py), readers never wait for it (PostgreSQL; SQLite in WAL),
and a status look-up writes nothing while it answers (its audit row follows apart, from the
audit thread, which waits for the import's commit on SQLite). Timings are printed, not
asserted: how long the import holds SQLite's one write lock, and how long others waited."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
import requests
from pickup_rules.testing import make_id
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.db import make_engine
from app.models import AuditEntry, NoticeSubscription
from app.rules.identity import mask_id
from app.services import audit
from tests.conftest import STAFF_TOKEN, make_client
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


def test_applicants_are_served_during_a_long_import(db_url, engine, session, holder, tmp_path):
    """A 30,000-row import on a real server while a holder looks up their status and
    subscribes (a write) every 50 ms: everyone is answered, every look-up leaves its audit row
    once the import has committed; the longest waits are printed."""
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
    # The server wrote its pending audit rows before it stopped: one per look-up (the fixture's
    # own publication's rows aside).
    looked_up = session.scalar(select(func.count()).select_from(AuditEntry)
                               .where(AuditEntry.action == "status_lookup"))
    assert looked_up == len(waits["status"])
    print(f"\nimport of 30,000 rows: {result['seconds']:.1f} s; during it "
          + "; ".join(f"{kind}: {len(w)} answered, longest {max(w or [0]):.3f} s" for kind, w in waits.items()))


def write_lock_seconds(client, staff, engine, rows: list[tuple]) -> tuple[float, int]:
    """(seconds from the import's first write to its commit, commits during the request): how
    long SQLite's one write lock is held (other writers wait that long; readers do not)."""
    moments: dict[str, float] = {}
    commits: list[float] = []

    def first_write(_conn, _cursor, statement, *_: object) -> None:  # noqa: ANN001
        if "first" not in moments and statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            moments["first"] = time.monotonic()

    def committed(_conn) -> None:  # noqa: ANN001
        commits.append(time.monotonic())

    event.listen(engine, "before_cursor_execute", first_write)
    event.listen(engine, "commit", committed)
    try:
        response = client.post("/api/v1/staff/lists", headers=staff, data={"office_code": "330100"},
                               files={"file": ("list.csv", csv_bytes(rows), "text/csv")})
    finally:
        event.remove(engine, "before_cursor_execute", first_write)
        event.remove(engine, "commit", committed)
    assert response.status_code == 201, response.text
    return commits[-1] - moments["first"], len(commits)


def test_an_import_holds_the_write_lock_once(client, staff, engine, db_kind):
    """20,000 rows: one commit, the lock held from the first insert to it (printed)."""
    offices_loaded(client, staff)
    seconds, commits = write_lock_seconds(client, staff, engine, _rows(20_000))
    print(f"\n{db_kind}: a 20,000-row import holds the write lock {seconds:.2f} s")
    assert commits == 1


def test_a_look_ups_audit_row_outlasts_a_long_write_lock(db_url, monkeypatch):
    """The audit thread waits out a writer holding the lock far past its busy timeout (the
    largest import held SQLite's for 95 s), where it used to give up after three tries."""
    patient = make_engine(db_url, busy_timeout=0.2)
    [(name, id_number)] = people(1)
    try:
        with WriteLock(db_url, patient, table="audit_log"):
            audit.record_apart(patient, actor="applicant:127.0.0.1", action="status_lookup",
                               target=mask_id(id_number), detail={"found": True})
            time.sleep(5)  # three tries of 0.2 s and their pauses (1 s, 2 s) are over by now
        audit.flush()
        with Session(patient) as session:
            [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "status_lookup")).all()
        assert entry.target == mask_id(id_number) and name not in str(entry.detail)
    finally:
        patient.dispose()


def test_a_writer_held_up_past_the_busy_timeout_is_told_to_retry(databases, staff):
    """SQLite only (PostgreSQL has no database-wide write lock: test above, subscriptions during
    an import): an application's write that finds the lock held past the busy timeout answers
    503 `database_busy` with Retry-After, and nothing of it is stored."""
    db_url = databases.fresh("sqlite")
    quick = make_engine(db_url, busy_timeout=0.3)
    settings = Settings(environment="test", database_url=db_url, staff_token=STAFF_TOKEN)
    [(name, id_number)] = people(1)
    try:
        with make_client(settings, quick) as client:
            offices_loaded(client, staff)
            with WriteLock(db_url, quick):
                answer = client.post("/api/v1/subscriptions", json={
                    "channel": "socketio", "conversation_id": "busy-1", "name": name, "id_number": id_number})
            assert answer.status_code == 503 and answer.json()["code"] == "database_busy"
            assert answer.headers["Retry-After"] == "30"
            with Session(quick) as session:
                assert session.scalar(select(func.count()).select_from(NoticeSubscription)) == 0
            again = client.post("/api/v1/subscriptions", json={
                "channel": "socketio", "conversation_id": "busy-1", "name": name, "id_number": id_number})
            assert again.status_code == 201
    finally:
        quick.dispose()
