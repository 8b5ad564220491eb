"""Printable documents: the 联系单 an organisation brings, the 签收单 it signs."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Application, Certificate, CertificateState, CollectionRecord
from app.rules.identity import mask_id
from app.services.holders import live_application

_templates = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


def render_contact_form(app: Application) -> str:
    batch = app.batch
    return _templates.get_template("contact_form.html").render(
        office=batch.office, organization=app.organization_name, collector=app.applicant_name,
        collector_id=mask_id(app.applicant_id_number or ""), visit=app.visit_date,
        batch_no=batch.batch_no, occupation=batch.occupation, level=batch.level,
        headcount=app.headcount, number=app.number,
    )


def receipt_roster(session: Session, app: Application) -> list[Certificate]:
    """The certificates an organisation's 签收单 lists: those collected under the application,
    else its batch group's still collectable (ready, no mail or proxy application holding them)."""
    collected = session.scalars(
        select(Certificate).join(CollectionRecord, CollectionRecord.certificate_id == Certificate.id)
        .where(CollectionRecord.application_id == app.id).order_by(Certificate.certificate_no)).all()
    if collected:
        return list(collected)
    ready = session.scalars(select(Certificate).where(Certificate.batch_id == app.batch_id,
                                                      Certificate.state == CertificateState.READY)
                            .order_by(Certificate.certificate_no)).all()
    return [c for c in ready if live_application(session, c.id) is None]


def render_receipt(session: Session, app: Application) -> str:
    """The 签收单 of an organisation pickup (the seed's wording), with the roster to check against."""
    batch = app.batch
    roster = [{"name": c.holder_name, "id_masked": mask_id(c.id_number), "certificate_no": c.certificate_no}
              for c in receipt_roster(session, app)]
    return _templates.get_template("receipt.html").render(
        office=batch.office, organization=app.organization_name, collector=app.applicant_name,
        collector_id=mask_id(app.applicant_id_number or ""), visit=app.visit_date,
        batch_no=batch.batch_no, occupation=batch.occupation, level=batch.level,
        headcount=app.headcount, number=app.number, roster=roster,
    )
