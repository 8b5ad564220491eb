"""Collections at the counter and the statistics that count them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import (
    Application,
    ApplicationKind,
    ApplicationState,
    ApplicationStep,
    Certificate,
    CertificateState,
    CollectionRecord,
    Office,
)
from app.schemas import CollectionRequest
from app.services import audit
from app.services.applications import application_by_number
from app.services.holders import live_application

METHOD_FOR_KIND = {ApplicationKind.PROXY: "代领", ApplicationKind.ORGANIZATION: "单位"}


def record_collection(session: Session, request: CollectionRequest, *, actor: str) -> list[Certificate]:
    numbers = list(dict.fromkeys(request.certificate_nos))
    certs = list(session.scalars(select(Certificate).where(Certificate.certificate_no.in_(numbers))))
    missing = sorted(set(numbers) - {c.certificate_no for c in certs})
    if missing:
        raise AppError(404, "certificate_not_found", "以下证书编号不存在：" + "、".join(missing[:20]),
                       details={"certificate_nos": missing})
    not_ready = sorted(c.certificate_no for c in certs if c.state != CertificateState.READY)
    if not_ready:
        raise AppError(409, "not_collectable", "以下证书不在可领取状态（未发布通知、已领取或已寄出）：" + "、".join(not_ready[:20]),
                       details={"certificate_nos": not_ready})
    app = _matching_application(session, request, certs)
    for cert in certs:
        cert.state = CertificateState.COLLECTED
        session.add(CollectionRecord(certificate_id=cert.id, application_id=app.id if app else None,
                                     method=request.method, collector_name=request.collector_name,
                                     receipt_signed=request.receipt_signed, recorded_by=actor))
    if app is not None:
        app.state = ApplicationState.DELIVERED
        app.steps.append(ApplicationStep(state=ApplicationState.DELIVERED, actor=actor))
    audit.record(session, actor=actor, action="collection_recorded",
                 target=app.number if app else None,
                 detail={"method": request.method, "certificates": len(certs)})
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AppError(409, "not_collectable", "这些证书刚刚已被登记领取。") from None
    return certs


def _matching_application(session: Session, request: CollectionRequest,
                          certs: list[Certificate]) -> Application | None:
    if request.method == "本人":
        for cert in certs:
            app = live_application(session, cert.id)
            if app is not None and app.kind == ApplicationKind.MAIL:
                raise AppError(409, "mail_application_open",
                               f"证书{cert.certificate_no}已申请邮寄（编号{app.number}），请先退回该申请再现场领取。")
        return None
    if not request.application_number:
        raise AppError(422, "application_required", "代领和单位领取需要填写申请编号。")
    app = application_by_number(session, request.application_number)
    if METHOD_FOR_KIND.get(ApplicationKind(app.kind)) != request.method:
        raise AppError(409, "method_mismatch", "申请类型与领取方式不一致。")
    if app.state != ApplicationState.COMPLETED:
        raise AppError(409, "application_not_completed", "该申请尚未办结，暂不能登记领取。")
    if app.kind == ApplicationKind.PROXY:
        if [c.id for c in certs] != [app.certificate_id]:
            raise AppError(409, "certificate_mismatch", "证书与代领申请不一致。")
    else:
        if any(c.batch_id != app.batch_id for c in certs) or len(certs) > (app.headcount or 0):
            raise AppError(409, "certificate_mismatch", "证书不属于该单位申请的批次，或超过申请的人数。")
    return app


def statistics(session: Session, *, start: dt.date, end: dt.date) -> dict:
    """办件统计口径: one certificate to an individual = 1 case; an organisation's batch of one
    occupation at one level = 1 case (two levels = 2 cases)."""
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=dt.timezone.utc)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
    rows = session.execute(
        select(CollectionRecord.method, CollectionRecord.application_id, Certificate.occupation,
               Certificate.level, Office.code, Office.name)
        .join(Certificate, Certificate.id == CollectionRecord.certificate_id)
        .join(Office, Office.id == Certificate.office_id)
        .where(CollectionRecord.collected_at >= lo, CollectionRecord.collected_at < hi)
    ).all()
    offices: dict[str, dict] = {}
    org_groups: set[tuple] = set()
    for method, application_id, occupation, level, code, name in rows:
        entry = offices.setdefault(code, {"office_code": code, "office_name": name, "certificates": 0,
                                          "individual_cases": 0, "organization_cases": 0})
        entry["certificates"] += 1
        if method == "单位":
            group = (code, application_id, occupation, level)
            if group not in org_groups:
                org_groups.add(group)
                entry["organization_cases"] += 1
        else:
            entry["individual_cases"] += 1
    for entry in offices.values():
        entry["cases"] = entry["individual_cases"] + entry["organization_cases"]
    by_office = sorted(offices.values(), key=lambda e: e["office_code"])
    return {
        "start": start.isoformat(), "end": end.isoformat(),
        "cases": sum(e["cases"] for e in by_office),
        "individual_cases": sum(e["individual_cases"] for e in by_office),
        "organization_cases": sum(e["organization_cases"] for e in by_office),
        "certificates": sum(e["certificates"] for e in by_office),
        "by_office": by_office,
    }
