"""Schemathesis against the app's own OpenAPI description, in process (ASGI), on SQLite and on
PostgreSQL, with and without the staff token: no 5xx, no status the description does not name,
every answer in the content type and (where there is a model) the schema it documents, and no
full ID number in any log line.

The phases of `schemathesis run` (the schema's examples, coverage of each parameter's edges,
then fuzzing with valid and invalid data), a bounded number of examples, derandomized: the same
cases every run. Each database holds the demo data, so that ids, numbers and codes the
generator picks can meet real rows, and is shared by the operations as a server's would be.
About half of the ID-number fields (and now and then another text) carry a real holder's ID,
so that a log line that printed its input would show it."""

from __future__ import annotations

import logging
import random
import re
import zlib
from collections.abc import Iterator

import pytest
import schemathesis
from pickup_rules.testing import older_holders
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from app.api.routes.hotline import get_assistant
from app.core.config import Settings
from app.core.db import make_engine
from app.demo import DEMO_PEOPLE, load_demo
from app.main import create_app
from app.services.assistant import BotMessage
from tests.conftest import STAFF_TOKEN, TODAY, use_database

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Fuzzing examples per operation (valid and invalid data alike), after the coverage cases.
MAX_EXAMPLES = 15
CONFIG = schemathesis.Config.from_dict({
    "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True, "allow-x00": True},
    "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True},
               "stateful": {"enabled": False}},
})
REAL_IDS = [id_number for _, id_number in older_holders(6, seed=1950)] + [i for _, i in DEMO_PEOPLE.values()][:4]
ID_FIELDS = ("id_number", "proxy_id_number", "collector_id_number")
FULL_ID = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")


class EchoAssistant:
    """The hotline's assistant without Rasa (a missing Rasa is the hotline's documented 503)."""

    def ask(self, sender_id: str, question: str) -> list[BotMessage]:
        return [BotMessage(text=f"收到：{question}", response="utter_echo", source="测试")]


class LogLines(logging.Handler):
    """What the app logs, as a server's handler would receive it (the app masks its handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """One database per kind for the whole module (the conftest's is per test)."""
    return request.param


# The schema is read from the app when the tests are collected (one test per operation);
# each database kind then points this app at its own database (`fuzzed_app`).
APP = create_app(Settings(environment="test", database_url="sqlite://", staff_token=STAFF_TOKEN,
                          lookup_limit_per_client=10**9, lookup_misses_per_client=10**9,
                          lookup_misses_per_client_id=10**9, lookup_brake_misses_per_id=10**9))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@pytest.fixture(scope="module")
def fuzzed_app(databases, db_kind) -> Iterator:
    engine = make_engine(databases.fresh(db_kind))
    with Session(engine) as session:
        load_demo(session, today=TODAY)
        session.commit()
    settings = Settings(environment="test", database_url=str(engine.url), staff_token=STAFF_TOKEN)
    use_database(APP, settings, engine)
    APP.dependency_overrides[get_assistant] = lambda: EchoAssistant()
    yield APP
    APP.dependency_overrides.clear()
    engine.dispose()


@pytest.fixture(scope="module")
def log_lines() -> Iterator[LogLines]:
    handler = LogLines()
    root = logging.getLogger()
    level = root.level
    sql = logging.getLogger("sqlalchemy.engine")
    sql_level = sql.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # As in production: SQL is not logged (it would only slow the run down).
    sql.setLevel(logging.WARNING)
    yield handler
    root.removeHandler(handler)
    root.setLevel(level)
    sql.setLevel(sql_level)


def _with_real_ids(case) -> None:
    """Real ID numbers where the schema asks for one, and now and then in other texts; chosen
    from the case itself, so that the same case gets the same ones every run."""
    rng = random.Random(zlib.crc32(repr((case.operation.label, case.path_parameters, case.query,
                                         case.body)).encode("utf-8", "backslashreplace")))
    if isinstance(case.body, dict):
        for field in ID_FIELDS:
            if field in case.body and rng.random() < 0.5:
                case.body[field] = rng.choice(REAL_IDS)
        for key, value in list(case.body.items()):
            if isinstance(value, str) and rng.random() < 0.1:
                case.body[key] = rng.choice(REAL_IDS)
    for params in (case.query, case.path_parameters):
        for key, value in list((params or {}).items()):
            if isinstance(value, str) and rng.random() < 0.1:
                params[key] = rng.choice(REAL_IDS)


@schema.parametrize()
def test_api(case, fuzzed_app, log_lines):
    """Each case twice: as staff, and as anyone (staff paths then end at the edge's 401)."""
    _with_real_ids(case)
    for headers in ({"Authorization": f"Bearer {STAFF_TOKEN}"}, {}):
        log_lines.lines.clear()
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS)
        logged = "\n".join(log_lines.lines)
        assert not FULL_ID.search(logged), logged


def test_the_description_names_every_error_in_the_one_shape():
    spec = APP.openapi()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert set(spec["components"]["schemas"]["ErrorBody"]["required"]) == {"code", "message"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {status: r for status, r in responses.items() if status >= "400"}
            for status, response in errors.items():
                schema = response["content"]["application/json"]["schema"]
                assert schema.get("$ref", "").endswith("/ErrorBody") or schema.get("title") == "ErrorBody", \
                    (method, path, status)
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in errors, (method, path)
            if "requestBody" in operation:
                assert {"400", "413"} <= set(errors), (method, path)
            if path.startswith(("/api/v1/staff/", "/api/v1/hotline/")):
                assert "401" in errors, (method, path)
            if path in ("/api/v1/status", "/api/v1/applications", "/api/v1/subscriptions"):
                assert "429" in errors, (method, path)
