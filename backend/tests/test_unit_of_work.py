"""One commit owner per request: the session dependency commits once, before the response goes
out; routes and services flush. A list import is one transaction: a failure half-way leaves
nothing written."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pickup_rules.testing import make_id
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from app.api.deps import SessionDep
from app.core.errors import AppError, install_error_handlers
from app.models import AssessmentBatch, AuditEntry, Certificate, Office
from app.services import audit, lists
from tests.conftest import use_database
from tests.factories import offices_loaded, people
from tests.utils import csv_bytes, import_rows

APP = Path(__file__).resolve().parents[1] / "app"

# Where a commit may stand, and why: the request's one owner; the audit thread (look-up rows,
# apart from any request); the push dispatcher (a background loop, one transaction per claim
# and per delivery); the command-line tools (prestart, staff_user, demo data).
ALLOWED_COMMITS = {
    "api/deps.py": {"unit_of_work"},
    "services/audit.py": {"_write"},
    "services/notifications.py": {"run_once", "_claim", "_deliver"},
    "prestart.py": None,
    "staff_user.py": None,
    "demo.py": None,
}


def _commits(path: Path) -> list[tuple[str, int]]:
    """(enclosing function, line) of every `<anything>.commit()` call in a module."""
    found: list[tuple[str, int]] = []

    def walk(node: ast.AST, function: str) -> None:
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if (isinstance(child, ast.Call) and isinstance(child.func, ast.Attribute)
                    and child.func.attr == "commit"):
                found.append((function, child.lineno))
            walk(child, name)

    walk(ast.parse(path.read_text(encoding="utf-8")), "<module>")
    return found


def test_only_the_request_and_the_background_writers_commit():
    stray = []
    for path in sorted(APP.rglob("*.py")):
        relative = path.relative_to(APP).as_posix()
        allowed = ALLOWED_COMMITS.get(relative, set())
        for function, line in _commits(path):
            if allowed is not None and function not in allowed:
                stray.append(f"{relative}:{line} in {function}()")
    assert not stray, "commit outside the request's unit of work: " + ", ".join(stray)


def test_the_commit_guard_finds_a_commit(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f(session):\n    session.add(1)\n    session.commit()\n", encoding="utf-8")
    assert _commits(module) == [("f", 3)]


def _failing_commits(engine, monkeypatch):
    """The database refuses every commit, as a full disk or a lost connection would."""
    dbapi_error = engine.dialect.loaded_dbapi.OperationalError

    def refuse(_dbapi_connection) -> None:  # noqa: ANN001
        raise dbapi_error("disk I/O error")

    monkeypatch.setattr(engine.dialect, "do_commit", refuse)


def test_a_failing_commit_is_an_error_answer_not_a_success(client, staff, engine, session, monkeypatch):
    offices_loaded(client, staff)
    office = {"code": "330199", "level": "县", "region": "杭州", "district": "示例区",
              "name": "示例区职业技能鉴定站", "address": "示例路1号", "phone": "0571-00000000",
              "hours": "工作日 9:00-17:00", "parent_code": "330100"}
    with monkeypatch.context() as patched:
        _failing_commits(engine, patched)
        response = client.put("/api/v1/staff/offices", json=[office], headers=staff)
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert session.scalar(select(Office).where(Office.code == "330199")) is None
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "offices_loaded")) == 1  # offices_loaded's own


def _probe_app(settings, engine):
    """Three handlers on the real session dependency: each records an audit row, then answers,
    refuses, or refuses keeping what it recorded."""
    app = use_database(FastAPI(), settings, engine)
    install_error_handlers(app)

    @app.post("/probe/{outcome}")
    def probe(outcome: str, session: SessionDep) -> dict:
        audit.record(session, actor="probe", action=f"probe_{outcome}")
        if outcome == "refused":
            raise AppError(409, "invalid_transition", "拒绝。")
        if outcome == "kept":
            raise AppError(409, "invalid_transition", "拒绝。").keeping_writes()
        return {"ok": True}

    return TestClient(app, raise_server_exceptions=False)


def test_the_request_commits_on_success_and_rolls_back_a_refusal(settings, engine, session):
    client = _probe_app(settings, engine)
    assert client.post("/probe/answered").status_code == 200
    assert client.post("/probe/refused").status_code == 409
    assert client.post("/probe/kept").status_code == 409
    actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "probe")))
    assert actions == {"probe_answered", "probe_kept"}


def _holders(count: int) -> list[tuple]:
    """Older holders from districts created after their birth, 22-character certificate numbers."""
    names = [name for name, _ in people(50)]
    rows = []
    for n in range(count):
        district = ("330110", "330111", "330112", "330113")[n % 4]  # districts created 2001-2021
        id_number = make_id(district, dt.date(1950 + n % 30, 1 + n % 12, 1 + n % 28), n % 1000)
        rows.append((names[n % len(names)], id_number, f"2026330100{n:012d}", "焊工", "三级", "浙鉴2026第21批"))
    return rows


def test_an_import_that_fails_half_way_leaves_nothing(client, staff, engine, session, monkeypatch):
    """The third chunk of certificates fails in the database after two went in: no certificate,
    no batch, no audit row stays, and the answer is an error."""
    offices_loaded(client, staff)
    monkeypatch.setattr(lists, "CHUNK", 100)
    inserted: list[int] = []

    def third_chunk_fails(_conn, _cursor, statement, parameters, _context, executemany) -> None:  # noqa: ANN001
        if statement.lstrip().upper().startswith("INSERT INTO CERTIFICATES"):
            inserted.append(len(parameters) if executemany else 1)
            if len(inserted) == 3:
                raise OperationalError(statement, {}, Exception("connection lost mid-import"))

    event.listen(engine, "before_cursor_execute", third_chunk_fails)
    try:
        response = import_rows(client, staff, _holders(450))
    finally:
        event.remove(engine, "before_cursor_execute", third_chunk_fails)
    assert response.status_code == 500 and response.json()["code"] == "internal_error"
    assert inserted[:2] == [100, 100]  # two chunks were written before the failure
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0
    assert session.scalar(select(func.count()).select_from(AssessmentBatch)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "list_imported")) == 0
    again = import_rows(client, staff, _holders(450))  # the same file again: all of it goes in
    assert again.status_code == 201 and again.json()["imported"] == 450


def test_a_refused_preview_keeps_its_audit_row(client, staff, session):
    offices_loaded(client, staff)
    rows = _holders(3)
    rows[1] = (rows[1][0], "330106196501011234", *rows[1][2:])  # a wrong check digit
    response = import_rows(client, staff, rows, dry_run="true")
    assert response.status_code == 422 and response.json()["code"] == "import_rejected"
    [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "list_previewed")).all()
    assert entry.detail["file"] == "list.csv"
    assert session.scalar(select(func.count()).select_from(Certificate)) == 0


def test_a_refused_sign_in_keeps_its_count(client, session):
    """Five wrong passwords lock the name: each refusal's count is kept though the request failed."""
    for _ in range(5):
        client.post("/api/v1/staff/session", json={"username": "nobody", "password": "wrong-password"})
    locked = client.post("/api/v1/staff/session", json={"username": "nobody", "password": "wrong-password"})
    assert locked.status_code == 429 and locked.json()["code"] == "sign_in_locked"
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "staff_sign_in_refused")) == 6
