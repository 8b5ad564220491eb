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

# A look-up's row is retried this often when the database stays locked past its busy timeout.
LOOKUP_WRITE_ATTEMPTS = 3

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


def flush(timeout: float | None = 30) -> None:
    """Wait until every row handed to `record_apart` so far is written (tests, shutdown)."""
    with _pending_lock:
        pending = list(_pending)
    wait(pending, timeout)


def _done(future: Future) -> None:
    with _pending_lock:
        _pending.discard(future)


def _write(bind: Engine, row: dict) -> None:
    for attempt in range(1, LOOKUP_WRITE_ATTEMPTS + 1):
        try:
            with Session(bind) as session:
                record(session, **row)
                session.commit()
            return
        except OperationalError as exc:
            if attempt == LOOKUP_WRITE_ATTEMPTS:
                log.error("audit row of %s lost after %d attempts: %s", row["action"], attempt,
                          type(exc.orig).__name__)
                return
            time.sleep(attempt)
        except Exception:  # noqa: BLE001 - the thread must go on writing the next rows
            log.exception("audit row of %s lost", row["action"])
            return
