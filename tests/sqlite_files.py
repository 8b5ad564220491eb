"""What a SQLite database holds on disk, for the tests that search it for personal data."""

from __future__ import annotations

from pathlib import Path


def stored_bytes(path: Path) -> bytes:
    """The database file and its write-ahead log and rollback journal: the stores keep their SQLite
    files open in WAL mode (bot/store_engines.py), so the latest turns are in `<file>-wal` until a
    checkpoint copies them into the file."""
    parts = [Path(f"{path}{suffix}") for suffix in ("", "-wal", "-journal")]
    return b"".join(part.read_bytes() for part in parts if part.exists())
