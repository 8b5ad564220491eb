"""Printable documents: the 联系单 an organisation brings."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.models import Application
from app.rules.identity import mask_id

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
