"""Every staff action and every look-up of personal data leaves one row here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import AuditEntry

_ACTOR_LENGTH = AuditEntry.__table__.c.actor.type.length
_TARGET_LENGTH = AuditEntry.__table__.c.target.type.length


def record(session: Session, *, actor: str, action: str, target: str | None = None,
           detail: dict | None = None) -> None:
    """Callers pass masked ID numbers only. Actor and target are cut to their columns: a trusted
    forwarder names its client in up to 128 characters, which PostgreSQL would refuse."""
    session.add(AuditEntry(actor=actor[:_ACTOR_LENGTH], action=action,
                           target=target[:_TARGET_LENGTH] if target else target, detail=detail))
