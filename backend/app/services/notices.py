"""Publishing a pickup notice: the list becomes collectable and each batch's pickup window
starts (10 working days from the notice; 全国统考: 30 from the blanks' arrival)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pickup_rules import RuleError
from pickup_rules.vocabulary import normalize_code
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import AssessmentBatch, Certificate, CertificateState, Office, PickupNotice
from app.rules.deadlines import pickup_deadline
from app.rules.vocabulary import LEVELS, chinese_date
from app.rules.working_days import WorkCalendar
from app.schemas import NoticeRequest
from app.services.offices import office_public


@dataclass
class Publication:
    notice: PickupNotice
    warnings: list[dict] = field(default_factory=list)


def publish(session: Session, request: NoticeRequest, office: Office, calendar: WorkCalendar,
            today: dt.date) -> Publication:
    batch_nos = sorted({_batch_number(b) for b in request.batch_nos})
    batches = list(session.scalars(select(AssessmentBatch).where(
        AssessmentBatch.batch_no.in_(batch_nos), AssessmentBatch.office_id == office.id)
        .order_by(AssessmentBatch.id)))
    missing = sorted(set(batch_nos) - {b.batch_no for b in batches})
    if missing:
        raise AppError(422, "unknown_batch", "以下鉴定批次号在该机构没有已导入的名单：" + "、".join(missing),
                       details={"batch_nos": missing})
    pending = session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.batch_id.in_([b.id for b in batches]), Certificate.state == CertificateState.PENDING))
    if not pending:
        raise AppError(409, "already_published",
                       "这些鉴定批次的名单已全部发布过领证通知，没有待发布的证书。", details={"batch_nos": batch_nos})
    notice = PickupNotice(
        office_id=office.id, published_on=request.published_on,
        title=request.title or f"{office.name}领取证书通知（{'、'.join(batch_nos)}）",
    )
    notice.batches = batches
    session.add(notice)
    session.flush()
    session.execute(
        update(Certificate)
        .where(Certificate.batch_id.in_([b.id for b in batches]),
               Certificate.state == CertificateState.PENDING)
        .values(state=CertificateState.READY, notice_id=notice.id)
    )
    return Publication(notice, _ended_windows(batches, request.published_on, calendar, today))


def _batch_number(raw: str) -> str:
    """As lists store it; a value the rule refuses matches nothing and is reported unknown."""
    try:
        return normalize_code(raw)
    except RuleError:
        return raw.strip()


def _ended_windows(batches: list[AssessmentBatch], published_on: dt.date, calendar: WorkCalendar,
                   today: dt.date) -> list[dict]:
    """全国统考 batches whose 30 working days after the blanks' arrival ended before the notice
    (or before today): published all the same, but staff are told."""
    warnings = []
    for batch in batches:
        deadline = pickup_deadline(batch, published_on, calendar)
        if deadline and deadline.rule == "national_exam" and deadline.date < max(published_on, today):
            warnings.append({
                "code": "national_exam_window_ended",
                "message": f"全国统考批次{batch.batch_no}（{batch.occupation}{batch.level}）自空白证书送达后"
                           f"30个工作日的领取期限已于{chinese_date(deadline.date)}届满，通知仍已发布。",
                "batch_no": batch.batch_no, "occupation": batch.occupation, "level": batch.level,
                "deadline": deadline.public(today),
            })
    return warnings


def batch_order(batch: AssessmentBatch) -> tuple:
    """Batch number, occupation, then level from 五级 up."""
    return (batch.batch_no, batch.occupation, LEVELS.index(batch.level) if batch.level in LEVELS else len(LEVELS))


def batch_public(batch: AssessmentBatch, published_on: dt.date, calendar: WorkCalendar,
                 today: dt.date) -> dict:
    deadline = pickup_deadline(batch, published_on, calendar)
    return {"batch_no": batch.batch_no, "occupation": batch.occupation, "level": batch.level,
            "exam_type": batch.exam_type, "deadline": deadline.public(today) if deadline else None}


def notice_public(session: Session, notice: PickupNotice, calendar: WorkCalendar, today: dt.date) -> dict:
    """Each batch carries its own last day: a notice may cover local and 全国统考 batches."""
    count = session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.notice_id == notice.id))
    return {
        "id": notice.id, "title": notice.title, "office_code": notice.office.code,
        "office": office_public(notice.office),
        "published_on": notice.published_on.isoformat(),
        "batches": [batch_public(b, notice.published_on, calendar, today)
                    for b in sorted(notice.batches, key=batch_order)],
        "certificates": count,
    }
