"""When the database fails, the logs keep no ID number, phone, address or access token; and
the engines are configured as the settings say (timeouts, pool, WAL and busy timeout)."""

from __future__ import annotations

import time

import pytest
import requests
from pickup_rules import mask_for_log
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.core.db import engine_for, make_engine
from app.models import NoticeSubscription
from tests.conftest import STAFF_TOKEN
from tests.factories import list_group, offices_loaded, people, publish_batches
from tests.locks import WriteLock
from tests.served import uvicorn_backend
from tests.utils import csv_bytes

BATCH = "浙鉴2026第15批"
PHONE = "13905710000"
ADDRESS = "浙江省杭州市西湖区文三路100号3幢201室"


def test_database_errors_carry_no_statement_parameters(engine):
    [(name, id_number)] = people(1)
    row = {"channel": "socketio", "conversation_id": "c-1", "holder_name": name, "id_number": id_number}
    with Session(engine) as session:
        session.add(NoticeSubscription(**row))
        session.commit()
        session.add(NoticeSubscription(**row))
        with pytest.raises(IntegrityError) as caught:
            session.commit()
    message = str(caught.value)
    assert "[SQL parameters hidden" in message and name not in message
    # PostgreSQL quotes the key in its DETAIL; the log rule hides it there.
    assert id_number not in mask_for_log(message) and "c-1" not in mask_for_log(message)


@pytest.fixture
def holder(client, staff, session):
    offices_loaded(client, staff)
    [(name, id_number)] = people(1)
    list_group(session, batch_no=BATCH, occupation="电工", level="四级", holders=[(name, id_number)])
    publish_batches(client, staff, [BATCH])
    return name, id_number


def _refuse_certificate_inserts(db_url: str, engine) -> None:  # noqa: ANN001
    """A trigger that fails every certificate INSERT as a duplicate key would, quoting the row."""
    with engine.begin() as conn:
        if db_url.startswith("sqlite"):
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON certificates "
                              "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: certificates.certificate_no'); END"))
        else:
            conn.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE unique_violation USING "
                "MESSAGE = 'duplicate key value violates unique constraint \"certificates_certificate_no_key\"', "
                "DETAIL = format('Failing row contains (%s, %s, %s).', NEW.holder_name, NEW.id_number, "
                "NEW.certificate_no); END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON certificates "
                              "FOR EACH ROW EXECUTE FUNCTION refuse()"))


def test_no_id_phone_address_or_token_in_the_logs_when_the_database_fails(db_url, engine, holder, tmp_path):
    """A real server, its own log: an OperationalError (the write waits past the busy or
    statement timeout), an IntegrityError (an import's rows refused), and an access token in
    the access log."""
    name, id_number = holder
    listed = people(2)
    [collector] = people(1)
    with uvicorn_backend(db_url, tmp_path / "backend.log", DATABASE_BUSY_TIMEOUT_SECONDS="1",
                         DATABASE_STATEMENT_TIMEOUT_MS="1000") as served:
        with WriteLock(db_url, engine):
            locked = requests.post(f"{served.url}/api/v1/applications", headers={"Idempotency-Key": "locked-0001"},
                                   json={"kind": "mail", "name": name, "id_number": id_number, "phone": PHONE,
                                         "address": ADDRESS}, timeout=60)
        # SQLite: the lock held past the busy timeout, retry later; PostgreSQL: the statement timeout.
        expected = (503, "database_busy") if db_url.startswith("sqlite") else (500, "internal_error")
        assert (locked.status_code, locked.json()["code"]) == expected
        org = requests.post(f"{served.url}/api/v1/applications", headers={"Idempotency-Key": "org-0001"}, json={
            "kind": "organization", "organization_name": "示例职业培训学校", "batch_no": BATCH, "occupation": "电工",
            "level": "四级", "headcount": 1, "collector_name": collector[0], "collector_id_number": collector[1],
            "visit_date": "2026-10-12", "phone": PHONE}, timeout=30).json()
        token = org["access_token"]
        assert requests.get(served.url + org["contact_form_path"], timeout=30).status_code == 200
        _refuse_certificate_inserts(db_url, engine)
        rows = [(n, i, f"3300020260{k:06d}", "焊工", "三级", "浙鉴2026第16批") for k, (n, i) in enumerate(listed)]
        refused = requests.post(f"{served.url}/api/v1/staff/lists", headers={"Authorization": "Bearer " + STAFF_TOKEN},
                                data={"office_code": "330100"},
                                files={"file": ("list.csv", csv_bytes(rows), "text/csv")}, timeout=60)
        assert refused.status_code == 500
        time.sleep(0.5)  # the last lines reach the log
        log = served.log()
    assert "OperationalError" in log and "IntegrityError" in log
    for secret in (id_number, *(i for _, i in listed), collector[1], PHONE, "文三路", token):
        assert secret not in log, secret


def test_the_engine_is_configured_as_the_settings_say(settings, db_url, db_kind):
    """PostgreSQL: statement and connect timeouts, the pool budget; migrations and tools run
    without a statement limit. SQLite: WAL, and a write waits the busy timeout, not longer."""
    configured = settings.model_copy(update={
        "database_statement_timeout_ms": 300, "database_connect_timeout_seconds": 3, "database_pool_size": 3,
        "database_max_overflow": 2, "database_busy_timeout_seconds": 0.5})
    engine = engine_for(configured)
    try:
        with engine.connect() as conn:
            if db_kind == "postgresql":
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "300ms"
                assert conn.connection.dbapi_connection.info.get_parameters()["connect_timeout"] == "3"
                started = time.monotonic()
                with pytest.raises(OperationalError):
                    conn.execute(text("SELECT pg_sleep(5)"))
                print(f"\nstatement cancelled after {time.monotonic() - started:.2f} s")
                assert engine.pool.size() == 3 and engine.pool._max_overflow == 2
            else:
                assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 500
        if db_kind == "sqlite":
            with WriteLock(db_url, None), pytest.raises(OperationalError, match="locked"):
                started = time.monotonic()
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO audit_log (at, actor, action) VALUES (CURRENT_TIMESTAMP, 'x', 'y')"))
            print(f"\nwrite refused after {time.monotonic() - started:.2f} s")
    finally:
        engine.dispose()
    tool = make_engine(settings.database_url)
    try:
        with tool.connect() as conn:
            if db_kind == "postgresql":
                assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    finally:
        tool.dispose()
