"""Publishing a pickup notice: the list becomes collectable and the 10-working-day window starts."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import AssessmentBatch, Certificate, CertificateState, NoticeBatch, Office, PickupNotice
from app.rules.working_days import WorkCalendar
from app.schemas import NoticeRequest
from app.services.holders import PICKUP_WINDOW_WORKING_DAYS


def publish(session: Session, request: NoticeRequest, office: Office, calendar: WorkCalendar) -> PickupNotice:
    batch_nos = sorted({b.strip().upper() for b in request.batch_nos})
    batches = list(session.scalars(select(AssessmentBatch).where(
        AssessmentBatch.batch_no.in_(batch_nos), AssessmentBatch.office_id == office.id)))
    missing = sorted(set(batch_nos) - {b.batch_no for b in batches})
    if missing:
        raise AppError(422, "unknown_batch", "以下鉴定批次号在该机构没有已导入的名单：" + "、".join(missing),
                       details={"batch_nos": missing})
    already = sorted({b.batch_no for b in batches if session.scalar(
        select(NoticeBatch).where(NoticeBatch.batch_id == b.id))})
    if already:
        raise AppError(409, "already_published", "以下鉴定批次已发布过领证通知：" + "、".join(already),
                       details={"batch_nos": already})
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
        .values(state=CertificateState.READY)
    )
    return notice


def notice_public(session: Session, notice: PickupNotice) -> dict:
    count = session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.batch_id.in_([b.id for b in notice.batches])))
    return {
        "id": notice.id, "title": notice.title, "office_code": notice.office.code,
        "published_on": notice.published_on.isoformat(), "deadline": notice.deadline.isoformat(),
        "deadline_estimated": notice.deadline_estimated,
        "batches": [{"batch_no": b.batch_no, "occupation": b.occupation, "level": b.level}
                    for b in notice.batches],
        "certificates": count,
    }
