"""Published lists as centres write them: holders from `pickup_rules.testing` (born 1950-1980
in districts created after their birth), batch and certificate numbers in the real styles.

Rows go straight into the tables, as a list import stores them (numbers through
`normalize_code`), so that these tests do not depend on what the import accepts; the notice
is published through the API.
"""

from __future__ import annotations

import datetime as dt
import itertools

from fastapi.testclient import TestClient
from pickup_rules.testing import CERTIFICATE_NUMBER_STYLES, older_holders
from pickup_rules.vocabulary import normalize_code
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AssessmentBatch, Certificate, CertificateState, ExamType, Office
from tests.utils import load_offices

_serial = itertools.count(1)
_seeds = itertools.count(1950)


def certificate_number() -> str:
    """A new number in one of the national scheme's styles (16, 13 or 22 characters)."""
    n = next(_serial)
    style = CERTIFICATE_NUMBER_STYLES[n % len(CERTIFICATE_NUMBER_STYLES)]
    return style[:-5] + f"{n:05d}"


def people(count: int) -> list[tuple[str, str]]:
    return older_holders(count, seed=next(_seeds))


def offices_loaded(client: TestClient, staff: dict) -> None:
    if client.get("/api/v1/offices/330100").status_code == 404:
        load_offices(client, staff)


def list_group(session: Session, *, batch_no: str, occupation: str, level: str,
               holders: list[tuple[str, str]], office_code: str = "330100", exam_type: str = ExamType.LOCAL,
               blanks_arrived_on: dt.date | None = None) -> list[Certificate]:
    """Certificates of one occupation at one level of a batch, pending their notice."""
    office = session.scalar(select(Office).where(Office.code == office_code))
    batch_no = normalize_code(batch_no)
    batch = session.scalar(select(AssessmentBatch).where(
        AssessmentBatch.batch_no == batch_no, AssessmentBatch.occupation == occupation,
        AssessmentBatch.level == level))
    if batch is None:
        batch = AssessmentBatch(batch_no=batch_no, occupation=occupation, level=level, exam_type=exam_type,
                                blanks_arrived_on=blanks_arrived_on, office_id=office.id)
        session.add(batch)
        session.flush()
    certs = [Certificate(holder_name=name, id_number=id_number, certificate_no=certificate_number(),
                         occupation=occupation, level=level, batch_id=batch.id, office_id=office.id,
                         state=CertificateState.PENDING) for name, id_number in holders]
    session.add_all(certs)
    session.commit()
    return certs


def publish_batches(client: TestClient, staff: dict, batch_nos: list[str], published_on: str = "2026-09-30",
                    office_code: str = "330100") -> dict:
    response = client.post("/api/v1/staff/notices", headers=staff, json={
        "office_code": office_code, "batch_nos": batch_nos, "published_on": published_on})
    assert response.status_code == 201, response.text
    return response.json()
