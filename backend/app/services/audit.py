"""Every staff action and every look-up of personal data leaves one row here."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import AuditEntry


def record(session: Session, *, actor: str, action: str, target: str | None = None,
           detail: dict | None = None) -> None:
    """Callers pass masked ID numbers only."""
    session.add(AuditEntry(actor=actor, action=action, target=target, detail=detail))
