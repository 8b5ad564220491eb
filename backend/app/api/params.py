"""Path parameters shared by the routers, bounded by what the database can hold: a number past
PostgreSQL's integer (or a NUL byte in a text) is refused here with a 422, not by the
database with a 500."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

# PostgreSQL's `integer` (SQLite's is wider): every id column.
DB_INT_MAX = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=DB_INT_MAX)]
# SQ + the date + a serial (`SQ20260930000001`).
ApplicationNumber = Annotated[str, Path(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")]
