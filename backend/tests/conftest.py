"""Every test runs against SQLite and against a real PostgreSQL server started here.

The PostgreSQL server comes from Debian's package (initdb/pg_ctl run as the `postgres`
user); TEST_POSTGRES_URL points the tests at an existing server instead.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from pickup_rules.testing_servers import fresh_redis, redis_server  # noqa: F401 (fixtures of every module)
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from app.api import deps
from app.core.config import Settings, get_settings
from app.core.db import get_session, make_engine
from app.main import create_app
from app.prestart import migrate

# The server defaults to production; code the tests reach outside a test app's settings
# (`get_settings()`: the clock, prestart) runs as development, said here explicitly.
os.environ["ENVIRONMENT"] = "development"

STAFF_TOKEN = "test-staff-token-0123456789abcdef"
TODAY = dt.date(2026, 9, 30)
PG_BIN = Path(os.environ.get("PG_BIN") or next(
    iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), Path("/usr/lib/postgresql/15/bin")))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
        return
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL binaries not found in {PG_BIN}: install Debian's postgresql "
                    "(make test does) or set TEST_POSTGRES_URL")
    root = Path(tempfile.mkdtemp(prefix="pgtest-"))
    data, sock_dir = root / "data", root / "sock"
    sock_dir.mkdir()
    shutil.chown(root, "postgres", "postgres")
    shutil.chown(sock_dir, "postgres", "postgres")
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    port = _free_port()
    subprocess.run([*as_pg, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                    "-E", "UTF8", "--no-locale"], check=True, capture_output=True)
    subprocess.run([*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / "server.log"),
                    "-o", f"-p {port} -k {sock_dir} -c listen_addresses='' -c fsync=off "
                          "-c synchronous_commit=off -c full_page_writes=off",
                    "-w", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sock_dir}&port={port}"
    finally:
        subprocess.run([*as_pg, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


class Databases:
    """Migrated once per kind into a template; each test gets a fresh copy."""

    def __init__(self, tmp: Path, pg_admin_url: str | None) -> None:
        self.tmp = tmp
        self.pg_admin_url = pg_admin_url
        self._counter = itertools.count()
        self._templates: dict[str, str] = {}

    def _template(self, kind: str) -> str:
        if kind not in self._templates:
            if kind == "sqlite":
                path = self.tmp / "template.db"
                migrate(f"sqlite:///{path}")
                self._templates[kind] = str(path)
            else:
                self._pg_exec("CREATE DATABASE certs_template")
                migrate(self._pg_url("certs_template"))
                self._templates[kind] = "certs_template"
        return self._templates[kind]

    def _pg_url(self, name: str) -> str:
        return self.pg_admin_url.replace("/postgres?", f"/{name}?", 1)

    def _pg_exec(self, sql: str) -> None:
        engine = create_engine(self.pg_admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(sql))
        engine.dispose()

    def fresh(self, kind: str) -> str:
        template = self._template(kind)
        n = next(self._counter)
        if kind == "sqlite":
            path = self.tmp / f"test{n}.db"
            shutil.copy(template, path)
            return f"sqlite:///{path}"
        self._pg_exec(f"CREATE DATABASE certs_test{n} TEMPLATE {template}")
        return self._pg_url(f"certs_test{n}")


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Databases:
    needs_pg = any("postgresql" in item.callspec.params.get("db_kind", "")
                   for item in request.session.items if hasattr(item, "callspec"))
    pg = request.getfixturevalue("postgres_admin_url") if needs_pg else None
    return Databases(tmp_path_factory.mktemp("db"), pg)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def db_url(databases: Databases, db_kind: str) -> str:
    return databases.fresh(db_kind)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(environment="test", database_url=db_url, staff_token=STAFF_TOKEN,
                    lookup_limit_per_client=1000, lookup_misses_per_client=1000,
                    lookup_misses_per_client_id=1000)


def use_database(app: FastAPI, settings: Settings, engine: Engine, today: dt.date = TODAY) -> FastAPI:
    """The app's sessions, settings and today: the test's."""
    factory = sessionmaker(engine, expire_on_commit=False)

    def _session() -> Iterator[Session]:
        with factory() as session:
            yield session

    app.dependency_overrides[get_session] = _session
    app.dependency_overrides[get_settings] = lambda: settings
    app.dependency_overrides[deps.get_today] = lambda: today
    return app


def make_client(settings: Settings, engine: Engine, today: dt.date = TODAY) -> TestClient:
    return TestClient(use_database(create_app(settings), settings, engine, today), raise_server_exceptions=False)


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    with make_client(settings, engine) as client:
        yield client


@pytest.fixture
def staff() -> dict[str, str]:
    return {"Authorization": f"Bearer {STAFF_TOKEN}"}
