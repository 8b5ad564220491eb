"""Migrations, the error shape, offices and the demo data."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.demo import DEMO_PEOPLE, RETURNED_REASON, load_demo
from app.models import Base
from app.prestart import alembic_config


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_and_upgrade_again(db_url, engine):
    config = alembic_config(db_url)
    config.attributes["configure_logging"] = False
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(config, "head")
    assert {"certificates", "applications", "audit_log", "holiday_overrides"} <= set(inspect(engine).get_table_names())


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("get", "/api/v1/nowhere", 404, "not_found"),
    ("delete", "/api/v1/health", 405, "method_not_allowed"),
    ("post", "/api/v1/status", 422, "invalid_request"),
    ("get", "/api/v1/offices/000000", 404, "office_not_found"),
])
def test_every_error_has_a_code_and_a_chinese_message(client, method, path, status, code):
    response = getattr(client, method)(path)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"])


def test_validation_errors_do_not_echo_input(client):
    response = client.post("/api/v1/status", json={"name": "x", "id_number": "3" * 40, "extra": 1})
    assert response.status_code == 422
    assert "3" * 18 not in response.text


def test_health_and_openapi(client):
    assert client.get("/api/v1/health").json() == {"status": "ok"}
    assert client.get("/docs").status_code == 200
    assert "/api/v1/status" in client.get("/openapi.json").json()["paths"]


def test_offices_by_city_with_or_without_suffix(client, staff):
    from tests.utils import load_offices

    load_offices(client, staff)
    by_short = client.get("/api/v1/offices", params={"city": "杭州"}).json()["offices"]
    by_long = client.get("/api/v1/offices", params={"city": "杭州市"}).json()["offices"]
    assert by_short == by_long
    assert [o["level"] for o in by_short] == ["市", "县"]
    assert all("示例" in o["name"] and "示例" in o["phone"] for o in by_short)
    assert client.get("/api/v1/offices", params={"city": "余杭区"}).json()["offices"][0]["code"] == "330110"
    assert client.get("/api/v1/offices", params={"city": "北京"}).json()["offices"] == []


def test_demo_data_gives_every_documented_state(engine, client):
    import datetime as dt

    from tests.conftest import TODAY

    with Session(engine) as session:
        summary = load_demo(session, today=TODAY)
        session.commit()
    assert summary["holders"] > 300
    states = {}
    for key, (name, id_number) in DEMO_PEOPLE.items():
        response = client.post("/api/v1/status", json={"name": name, "id_number": id_number})
        assert response.status_code == 200, (key, response.text)
        states[key] = response.json()["certificates"][0]
    assert states["ready"]["state"] == "ready"
    assert states["mailed"]["state"] == "mailed" and states["mailed"]["application"]["delivery"]["tracking_no"]
    assert states["collected"]["state"] == "collected"
    assert states["pending_national"]["deadline"]["rule"] == "national_exam"
    assert states["pending_national"]["state"] == "pending"
    assert states["proxy_reviewing"]["application"]["state_label"] == "审核"
    assert dt.date.fromisoformat(states["ready"]["deadline"]["date"]) > TODAY
    returned = states["mail_returned"]
    assert returned["state"] == "ready" and returned["application"] is None
    assert returned["refused_application"]["state_label"] == "退回"
    assert returned["refused_application"]["reason"] == RETURNED_REASON
    national = states["national_published"]
    assert national["state"] == "ready" and national["notice"] is not None
    # Its last day counts from the blanks' arrival (14 days before), not from the notice.
    assert national["deadline"]["rule"] == "national_exam"
    assert national["deadline"]["counted_from"] == (TODAY - dt.timedelta(days=14)).isoformat()
    assert dt.date.fromisoformat(national["deadline"]["date"]) > TODAY


def test_fixed_today_pins_the_clock_in_development_only(monkeypatch):
    import datetime as dt

    from pydantic import ValidationError

    from app.core import clock
    from app.core.config import Settings, get_settings

    monkeypatch.setenv("FIXED_TODAY", "2026-03-02")
    get_settings.cache_clear()
    try:
        assert clock.china_today() == dt.date(2026, 3, 2)
        with pytest.raises(ValidationError, match="FIXED_TODAY"):
            Settings(environment="production", staff_token="x" * 32)
    finally:
        monkeypatch.delenv("FIXED_TODAY")
        get_settings.cache_clear()


def test_migration_0004_keeps_the_rows_it_moves(db_url, engine):
    """Pushed notices move to push_deliveries; dropping the notice deadline loses no notice batch
    (a table copy with foreign keys on would have emptied notice_batches on SQLite)."""
    import sqlalchemy as sa

    config = alembic_config(db_url)
    config.attributes["configure_logging"] = False
    command.downgrade(config, "0003")
    with engine.begin() as conn:
        for sql in (
            "INSERT INTO offices (id, code, level, region, name, address, phone, hours) "
            "VALUES (1, '330100', '市', '杭州', '示例', '示例', '示例', '示例')",
            "INSERT INTO pickup_notices (id, office_id, title, published_on, deadline, deadline_estimated, created_at) "
            "VALUES (1, 1, '通知', '2026-09-30', '2026-10-20', false, '2026-09-30 08:00:00')",
            "INSERT INTO assessment_batches (id, batch_no, occupation, level, exam_type, office_id) "
            "VALUES (1, 'JD20260101', '电工', '四级', 'local', 1)",
            "INSERT INTO notice_batches (notice_id, batch_id) VALUES (1, 1)",
            "INSERT INTO notice_subscriptions (id, channel, conversation_id, holder_name, id_number, created_at) "
            "VALUES (1, 'wechat', 'openid-1', '王依法', '330106196501010012', '2026-09-30 08:00:00')",
            "INSERT INTO notice_deliveries (notice_id, subscription_id, state, attempts, next_attempt_at) "
            "VALUES (1, 1, 'sent', 1, '2026-09-30 08:00:00')",
        ):
            conn.execute(sa.text(sql))
    command.upgrade(config, "head")
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT notice_id, application_step_id, subscription_id, state "
                                    "FROM push_deliveries")).all() == [(1, None, 1, "sent")]
        assert conn.execute(sa.text("SELECT notice_id, batch_id FROM notice_batches")).all() == [(1, 1)]
    command.downgrade(config, "0003")
    with engine.connect() as conn:
        assert [str(d) for d in conn.execute(sa.text("SELECT deadline FROM pickup_notices")).scalars()] == ["2026-10-20"]
        assert conn.execute(sa.text("SELECT count(*) FROM notice_deliveries")).scalar() == 1
    command.upgrade(config, "head")
