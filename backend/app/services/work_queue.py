"""The staff work queue: applications by due date, overdue first, within an account's offices."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from app.core.clock import china_date
from app.models import (
    CLOSED_APPLICATION_STATES,
    Application,
    ApplicationState,
    AssessmentBatch,
    Certificate,
    Office,
)
from app.rules.identity import mask_id
from app.rules.vocabulary import STEP_LABELS
from app.services.applications import TRANSITIONS
from app.services.holders import application_public

FINISHED_STATES = (*CLOSED_APPLICATION_STATES, ApplicationState.DELIVERED)
_batch = aliased(AssessmentBatch)


def _office_id():
    """A mail or proxy application's office is its certificate's; an organisation's, its batch's."""
    return func.coalesce(Certificate.office_id, _batch.office_id)


def application_office_code(session: Session, app: Application) -> str | None:
    office_id = app.certificate.office_id if app.certificate else (app.batch.office_id if app.batch else None)
    office = session.get(Office, office_id) if office_id else None
    return office.code if office else None


def work_queue(session: Session, *, offices: set[str] | frozenset[str] | None, today: dt.date,
               include_finished: bool = False, kind: str | None = None, limit: int = 500) -> list[dict]:
    query = (
        select(Application, Office.code)
        .outerjoin(Certificate, Certificate.id == Application.certificate_id)
        .outerjoin(_batch, _batch.id == Application.batch_id)
        .join(Office, Office.id == _office_id())
    )
    if offices is not None:
        query = query.where(Office.code.in_(offices))
    if not include_finished:
        query = query.where(Application.state.not_in(FINISHED_STATES))
    if kind:
        query = query.where(Application.kind == kind)
    rows = session.execute(query.order_by(Application.id).limit(limit)).all()
    items = [_item(app, code, today) for app, code in rows]
    items.sort(key=lambda i: (i["finished"], not i["overdue"], i["due_on"] or "9999-12-31", i["number"] or ""))
    return items


def _item(app: Application, office_code: str, today: dt.date) -> dict:
    finished = app.state in FINISHED_STATES
    due = app.delivery_due_on
    public = application_public(app)
    return {
        **public,
        "office_code": office_code,
        "applicant_name": app.applicant_name,
        "applicant_id_masked": mask_id(app.applicant_id_number) if app.applicant_id_number else None,
        "phone": app.phone, "address": app.address,
        "proxy_name": app.proxy_name,
        "organization_name": app.organization_name, "headcount": app.headcount,
        "batch": ({"batch_no": app.batch.batch_no, "occupation": app.batch.occupation, "level": app.batch.level}
                  if app.batch else None),
        "visit_date": app.visit_date.isoformat() if app.visit_date else None,
        "applied_on": china_date(app.created_at).isoformat(),
        "channel": app.channel,
        "due_on": due.isoformat() if due else None,
        "overdue": bool(due and due < today and not finished),
        "finished": finished,
        "next_states": [{"state": s.value, "label": STEP_LABELS[s]} for s in
                        sorted(TRANSITIONS.get(ApplicationState(app.state), set()), key=_step_order)],
    }


_ORDER = [ApplicationState.ACCEPTED, ApplicationState.REVIEWING, ApplicationState.COMPLETED,
          ApplicationState.DELIVERED, ApplicationState.REJECTED, ApplicationState.RETURNED]


def _step_order(state: ApplicationState) -> int:
    return _ORDER.index(state)
