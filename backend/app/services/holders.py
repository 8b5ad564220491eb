"""What an applicant may see of their own certificates: only with name and ID both matching."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.core.clock import china_date
from app.models import (
    CLOSED_APPLICATION_STATES,
    Application,
    Certificate,
    CollectionRecord,
)
from app.rules.deadlines import pickup_deadline, working_days_left
from app.rules.identity import mask_id, mask_ids_in_text
from app.rules.vocabulary import CERTIFICATE_STATE_LABELS, STEP_LABELS, normalize_name
from app.rules.working_days import WorkCalendar
from app.services.offices import office_public


def holder_certificates(session: Session, name: str, id_number: str) -> list[Certificate]:
    """Certificates whose holder matches both name and (normalised) ID number."""
    return list(session.scalars(
        select(Certificate)
        .options(joinedload(Certificate.office), joinedload(Certificate.batch), joinedload(Certificate.notice))
        .where(Certificate.id_number == id_number, Certificate.holder_name == normalize_name(name))
        .order_by(Certificate.id)
    ))


def live_application(session: Session, certificate_id: int) -> Application | None:
    return session.scalar(
        select(Application).where(Application.certificate_id == certificate_id,
                                  Application.state.not_in(CLOSED_APPLICATION_STATES))
    )


def certificate_identity(cert: Certificate) -> dict:
    """Which certificate this is, as every answer names it (status, applications). No ID number."""
    return {"certificate_no": cert.certificate_no, "occupation": cert.occupation, "level": cert.level,
            "batch_no": cert.batch.batch_no}


def application_certificate(app: Application) -> dict | None:
    """The certificate a mail or proxy application is for, chosen or taken as the only free
    one; None for an organisation's application (a batch, not one certificate). No ID number."""
    return certificate_identity(app.certificate) if app.certificate is not None else None


def staff_reason(reason: str | None) -> str | None:
    """A reason staff typed may quote an ID number; applicants see it masked."""
    return mask_ids_in_text(reason) if reason else reason


def application_public(app: Application) -> dict:
    decided = app.state in ("completed", "delivered")
    return {
        "number": app.number,
        "kind": app.kind,
        "certificate": application_certificate(app),
        "state": app.state,
        "state_label": STEP_LABELS[app.state],
        "reason": staff_reason(app.reason),
        "steps": [{"state": s.state, "label": STEP_LABELS[s.state], "at": s.at.isoformat(),
                   "reason": staff_reason(s.reason)} for s in app.steps],
        "delivery_due_on": app.delivery_due_on.isoformat() if app.delivery_due_on else None,
        "delivery_due_estimated": app.delivery_due_estimated,
        "delivery_due_basis": "decision_date" if decided else "application_date",
        "delivery": {
            "express_company": app.delivery.express_company,
            "tracking_no": app.delivery.tracking_no,
            "shipped_on": china_date(app.delivery.shipped_at).isoformat(),
        } if app.delivery else None,
    }


def refused_application_public(app: Application) -> dict:
    """A rejected or returned application, so the applicant hears why and may apply again."""
    return {
        "number": app.number,
        "kind": app.kind,
        "state": app.state,
        "state_label": STEP_LABELS[app.state],
        "reason": staff_reason(app.reason),
        "decided_on": china_date(app.steps[-1].at).isoformat(),
        "certificate": application_certificate(app),
    }


def certificate_deadline(cert: Certificate, calendar: WorkCalendar, today: dt.date) -> dict | None:
    """The last day, and for the applicant (assistant, hotline) the working days still left."""
    deadline = pickup_deadline(cert.batch, cert.notice.published_on if cert.notice else None, calendar)
    if deadline is None:
        return None
    return {**deadline.public(today), "working_days_left": working_days_left(deadline, today, calendar)}


def certificate_status(session: Session, cert: Certificate, calendar: WorkCalendar,
                       today: dt.date) -> dict:
    notice = cert.notice
    applications = session.scalars(select(Application).where(Application.certificate_id == cert.id)
                                   .order_by(Application.id.desc())).all()
    application = next((a for a in applications if a.state not in CLOSED_APPLICATION_STATES), None)
    refused = applications[0] if applications and application is None else None
    collection = session.scalar(select(CollectionRecord).where(CollectionRecord.certificate_id == cert.id))
    return {
        **certificate_identity(cert),
        "exam_type": cert.batch.exam_type,
        "state": cert.state,
        "state_label": CERTIFICATE_STATE_LABELS[cert.state],
        "office": office_public(cert.office),
        "notice": {"id": notice.id, "published_on": notice.published_on.isoformat()} if notice else None,
        "deadline": certificate_deadline(cert, calendar, today),
        "collection": {
            "method": collection.method,
            "collected_on": china_date(collection.collected_at).isoformat(),
        } if collection else None,
        "application": application_public(application) if application else None,
        "refused_application": refused_application_public(refused) if refused else None,
    }


def status_report(session: Session, certs: list[Certificate], calendar: WorkCalendar,
                  today: dt.date) -> dict:
    first = certs[0]
    return {
        "name": first.holder_name,
        "id_number_masked": mask_id(first.id_number),
        "certificates": [certificate_status(session, c, calendar, today) for c in certs],
    }
