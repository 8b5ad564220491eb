"""Locks another connection holds, to see who waits for them."""

from __future__ import annotations

import sqlite3

from sqlalchemy import Engine, text


class WriteLock:
    """Another connection holding a write lock, as a list import does while it inserts:
    SQLite's one write lock, or on PostgreSQL an EXCLUSIVE lock on `table` (reads go on,
    writes to it wait)."""

    def __init__(self, db_url: str, engine: Engine | None, table: str = "applications") -> None:
        self.db_url, self.engine, self.table = db_url, engine, table

    def __enter__(self) -> "WriteLock":
        if self.db_url.startswith("sqlite"):
            self.conn = sqlite3.connect(self.db_url.removeprefix("sqlite:///"), isolation_level=None)
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            self.conn = self.engine.connect()
            self.conn.execute(text(f"LOCK TABLE {self.table} IN EXCLUSIVE MODE"))
        return self

    def __exit__(self, *_: object) -> None:
        if isinstance(self.conn, sqlite3.Connection):
            self.conn.execute("ROLLBACK")
            self.conn.close()
        else:
            self.conn.rollback()
            self.conn.close()
