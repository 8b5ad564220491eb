"""The database engines of the tracker store and the event broker, fit for a turn's two writes.

Rasa builds them with SQLAlchemy's defaults. Two things cost a turn dearly or broke it:

- **SQLite** (`make run`): SQLAlchemy 1.4 opens a new connection for every session of a file
  database (NullPool), and SQLite's default journal syncs the disk at every commit. A turn
  commits twice (tracker store, event broker): 11–17 ms of a turn's save went to opening
  files and syncing them. Here the connections stay open in a pool and the journal is a
  write-ahead log synced at checkpoints (`synchronous=NORMAL`): a commit survives the
  Rasa process being killed, as the restart tests check; only a crash of the machine
  itself can lose the last turns — deployments use PostgreSQL. (A write-ahead log needs
  a connection kept open: with one connection per session, the last one to close
  checkpoints and syncs anyway.) The backend's own SQLite engine is set up the same way
  (backend/app/core/db.py), and its read-only reader of the events table reads a WAL file.
- **PostgreSQL** (deployment): after a restart of the server the pooled connections are
  dead; each is tested before use, or the first turn of every conversation afterwards
  would fail (the tracker store) or not be saved (a failed publish fails the save).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.pool import QueuePool

# Seconds a writer waits for another's lock (two Rasa processes on one SQLite file; the
# backend's reader never blocks a writer in WAL mode).
SQLITE_BUSY_TIMEOUT_SECONDS = 15.0


def engine_for_store(engine: Engine) -> Engine:
    """The engine to use instead of the one Rasa built (which is disposed of when replaced)."""
    if engine.dialect.name != "sqlite":
        engine.pool._pre_ping = True
        return engine
    if engine.url.database in (None, "", ":memory:"):
        return engine  # one connection is the whole database: leave Rasa's pool as it is
    kept_open = sa.create_engine(
        engine.url, poolclass=QueuePool, pool_size=4, max_overflow=4,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_SECONDS})

    @sa.event.listens_for(kept_open, "connect")
    def _write_ahead_log(dbapi_connection, _record) -> None:  # noqa: ANN001
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    engine.dispose()
    return kept_open
