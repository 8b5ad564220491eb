"""Publishing a pickup notice: the list becomes collectable and the 10-working-day window starts."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import AssessmentBatch, Certificate, CertificateState, Office, PickupNotice
from app.schemas import NoticeRequest
from app.rules.working_days import PICKUP_WINDOW_WORKING_DAYS, WorkCalendar
from app.services.offices import office_public


def publish(session: Session, request: NoticeRequest, office: Office, calendar: WorkCalendar) -> PickupNotice:
    batch_nos = sorted({b.strip().upper() for b in request.batch_nos})
    batches = list(session.scalars(select(AssessmentBatch).where(
        AssessmentBatch.batch_no.in_(batch_nos), AssessmentBatch.office_id == office.id)))
    missing = sorted(set(batch_nos) - {b.batch_no for b in batches})
    if missing:
        raise AppError(422, "unknown_batch", "以下鉴定批次号在该机构没有已导入的名单：" + "、".join(missing),
                       details={"batch_nos": missing})
    pending = session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.batch_id.in_([b.id for b in batches]), Certificate.state == CertificateState.PENDING))
    if not pending:
        raise AppError(409, "already_published",
                       "这些鉴定批次的名单已全部发布过领证通知，没有待发布的证书。", details={"batch_nos": batch_nos})
    due = calendar.add_working_days(request.published_on, PICKUP_WINDOW_WORKING_DAYS)
    notice = PickupNotice(
        office_id=office.id, published_on=request.published_on, deadline=due.due,
        deadline_estimated=due.estimated,
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
    return notice


def notice_public(session: Session, notice: PickupNotice) -> dict:
    count = session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.notice_id == notice.id))
    return {
        "id": notice.id, "title": notice.title, "office_code": notice.office.code,
        "office": office_public(notice.office),
        "published_on": notice.published_on.isoformat(), "deadline": notice.deadline.isoformat(),
        "deadline_estimated": notice.deadline_estimated,
        "batches": [{"batch_no": b.batch_no, "occupation": b.occupation, "level": b.level}
                    for b in notice.batches],
        "certificates": count,
    }
