"""Engine and sessions. Created lazily: importing the app touches no database.

Every engine hides statement parameters from its errors (`hide_parameters`): an
IntegrityError or OperationalError would otherwise carry ID numbers, phones, addresses and
access tokens into tracebacks and logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings, get_settings


def make_engine(url: str, *, connect_timeout: int = 10, statement_timeout_ms: int = 0,
                busy_timeout: float = 30.0, pool_size: int = 10, max_overflow: int = 10) -> Engine:
    """`statement_timeout_ms` 0 sets no limit (migrations, tools); the service's engines take
    theirs from the settings (`engine_for`)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True,
                               connect_args={"check_same_thread": False, "timeout": busy_timeout})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # noqa: ANN001
            # WAL: readers never wait for a writer (a long import), and the busy timeout
            # (`timeout` above) lets a writer wait for another's lock instead of failing.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    connect_args: dict[str, object] = {"connect_timeout": connect_timeout}
    if statement_timeout_ms:
        connect_args["options"] = f"-c statement_timeout={int(statement_timeout_ms)}"
    return create_engine(url, hide_parameters=True, pool_pre_ping=True, pool_size=pool_size,
                         max_overflow=max_overflow, connect_args=connect_args)


def engine_for(settings: Settings) -> Engine:
    return make_engine(settings.database_url,
                       connect_timeout=settings.database_connect_timeout_seconds,
                       statement_timeout_ms=settings.database_statement_timeout_ms,
                       busy_timeout=settings.database_busy_timeout_seconds,
                       pool_size=settings.database_pool_size,
                       max_overflow=settings.database_max_overflow)


@lru_cache
def get_engine() -> Engine:
    return engine_for(get_settings())


@lru_cache
def _session_factory() -> sessionmaker[Session]:
    return sessionmaker(get_engine(), expire_on_commit=False)


def get_session() -> Iterator[Session]:
    with _session_factory()() as session:
        yield session
