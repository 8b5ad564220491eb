"""Every staff action and every look-up of personal data leaves one row here."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.models import AuditEntry

_ACTOR_LENGTH = AuditEntry.__table__.c.actor.type.length
_TARGET_LENGTH = AuditEntry.__table__.c.target.type.length

log = logging.getLogger("audit")

# A look-up's row is retried this often when the database fails otherwise...
LOOKUP_WRITE_ATTEMPTS = 3
# ...and for this long while SQLite's write lock is held: a list import is one transaction, and
# the largest the caps allow held it 95 s here (README, "One transaction per import").
LOOKUP_LOCKED_PATIENCE_SECONDS = 900.0

# One thread writes look-up rows, in order, apart from the requests: a read-only look-up
# never waits for a writer (on SQLite, a list import holds the only write lock).
_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-writer")
_pending: set[Future] = set()
_pending_lock = threading.Lock()


def record(session: Session, *, actor: str, action: str, target: str | None = None,
           detail: dict | None = None) -> None:
    """Callers pass masked ID numbers only. Actor and target are cut to their columns: a trusted
    forwarder names its client in up to 128 characters, which PostgreSQL would refuse."""
    session.add(AuditEntry(actor=actor[:_ACTOR_LENGTH], action=action,
                           target=target[:_TARGET_LENGTH] if target else target, detail=detail))


def record_apart(bind: Engine, *, actor: str, action: str, target: str | None = None,
                 detail: dict | None = None) -> None:
    """The row of a read-only look-up, written by the audit thread in its own transaction.
    Pending rows are written before the process exits."""
    row = {"actor": actor, "action": action, "target": target, "detail": detail}
    future = _writer.submit(_write, bind, row)
    with _pending_lock:
        _pending.add(future)
    future.add_done_callback(_done)


def is_locked(exc: OperationalError) -> bool:
    """SQLite's write lock held past the busy timeout (another transaction is writing)."""
    return "database is locked" in str(exc.orig)


def flush(timeout: float | None = 30) -> None:
    """Wait until every row handed to `record_apart` so far is written (tests, shutdown)."""
    with _pending_lock:
        pending = list(_pending)
    wait(pending, timeout)


def _done(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def _write(bind: Engine, row: dict) -> None:
    started, failures = time.monotonic(), 0
    while True:
        try:
            with Session(bind) as session:
                record(session, **row)
                session.commit()
            return
        except OperationalError as exc:
            locked = is_locked(exc) and time.monotonic() - started < LOOKUP_LOCKED_PATIENCE_SECONDS
            failures += 0 if locked else 1
            if failures >= LOOKUP_WRITE_ATTEMPTS:
                log.error("audit row of %s lost after %d failures: %s", row["action"], failures,
                          type(exc.orig).__name__)
                return
            time.sleep(1 if locked else failures)
        except Exception:  # noqa: BLE001 - the thread must go on writing the next rows
            log.exception("audit row of %s lost", row["action"])
            return
