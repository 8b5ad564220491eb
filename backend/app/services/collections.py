"""Collections at the counter and the statistics that count them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.clock import china_date
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
from app.rules.identity import normalize_id
from app.rules.vocabulary import normalize_name
from app.schemas import CollectionRequest, OrganizationWalkIn, ProxyWalkIn
from app.services import audit
from app.services.applications import application_by_number, record_walk_in
from app.services.holders import live_application

METHOD_FOR_KIND = {ApplicationKind.PROXY: "代领", ApplicationKind.ORGANIZATION: "单位"}
WALK_IN_FOR_METHOD = {"代领": ProxyWalkIn, "单位": OrganizationWalkIn}


@dataclass
class Collection:
    certificates: list[Certificate]
    applications: list[Application]  # the one collected through, or the walk-in's


def record_collection(session: Session, request: CollectionRequest, *, actor: str,
                      today: dt.date) -> Collection:
    """One transaction: a walk-in's applications, the collection records, the states."""
    collector_name = _collector_name(request)
    numbers = list(dict.fromkeys(request.certificate_nos))
    certs = list(session.scalars(select(Certificate).where(Certificate.certificate_no.in_(numbers))
                                 .order_by(Certificate.id)))
    missing = sorted(set(numbers) - {c.certificate_no for c in certs})
    if missing:
        raise AppError(404, "certificate_not_found", "以下证书编号不存在：" + "、".join(missing[:20]),
                       details={"certificate_nos": missing})
    not_ready = sorted(c.certificate_no for c in certs if c.state != CertificateState.READY)
    if not_ready:
        raise AppError(409, "not_collectable", "以下证书不在可领取状态（未发布通知、已领取或已寄出）：" + "、".join(not_ready[:20]),
                       details={"certificate_nos": not_ready})
    if request.walk_in is not None:
        applications = _walk_in_applications(session, request, certs, actor=actor, today=today)
    else:
        app = _matching_application(session, request, certs)
        applications = {c.id: app for c in certs} if app is not None else {}
    for cert in certs:
        app = applications.get(cert.id)
        cert.state = CertificateState.COLLECTED
        session.add(CollectionRecord(certificate_id=cert.id, application_id=app.id if app else None,
                                     method=request.method, collector_name=collector_name,
                                     receipt_signed=request.receipt_signed, recorded_by=actor))
    distinct_apps = list({a.id: a for a in applications.values()}.values())
    for app in distinct_apps:
        if app.state != ApplicationState.DELIVERED:
            app.state = ApplicationState.DELIVERED
            app.steps.append(ApplicationStep(state=ApplicationState.DELIVERED, actor=actor))
    audit.record(session, actor=actor, action="collection_recorded",
                 target=",".join(a.number for a in distinct_apps)[:120] or None,
                 detail={"method": request.method, "certificates": len(certs),
                         "walk_in": request.walk_in is not None})
    try:
        session.flush()
    except IntegrityError:
        raise AppError(409, "not_collectable", "这些证书刚刚已被登记领取。") from None
    return Collection(certs, distinct_apps)


def _collector_name(request: CollectionRequest) -> str:
    walk_in = request.walk_in
    named = (walk_in.proxy_name if isinstance(walk_in, ProxyWalkIn)
             else walk_in.collector_name if isinstance(walk_in, OrganizationWalkIn) else None)
    if request.collector_name and named and normalize_name(request.collector_name) != normalize_name(named):
        raise AppError(422, "collector_mismatch", "领取人姓名与现场申请中的受托人或经办人姓名不一致。",
                       details={"field": "collector_name"})
    name = request.collector_name or named
    if not name:
        raise AppError(422, "collector_name_required", "请填写领取人姓名。", details={"field": "collector_name"})
    return normalize_name(name)


def _refuse_open_application(cert: Certificate, app: Application) -> None:
    """A certificate someone already applied for is collected through that application."""
    details = {"number": app.number, "certificate_no": cert.certificate_no}
    if app.kind == ApplicationKind.MAIL:
        raise AppError(409, "mail_application_open",
                       f"证书{cert.certificate_no}已申请邮寄（编号{app.number}），请先退回该申请再现场领取。",
                       details=details)
    raise AppError(409, "proxy_application_open",
                   f"证书{cert.certificate_no}已有代领申请（编号{app.number}），请按该申请登记领取。",
                   details=details)


def _walk_in_applications(session: Session, request: CollectionRequest, certs: list[Certificate], *,
                          actor: str, today: dt.date) -> dict[int, Application]:
    """现场申请: one application per certificate (代领) or per batch group (单位: one per
    occupation and level, the counting rule), recorded through to 送达."""
    walk_in = request.walk_in
    if request.method not in WALK_IN_FOR_METHOD:
        raise AppError(422, "walk_in_not_applicable", "本人领取无需现场申请。", details={"field": "walk_in"})
    if not isinstance(walk_in, WALK_IN_FOR_METHOD[request.method]):
        raise AppError(422, "method_mismatch", "现场申请的内容与领取方式不一致。", details={"field": "walk_in"})
    if request.application_number:
        raise AppError(422, "walk_in_with_application", "已有申请编号时无需现场申请。",
                       details={"field": "application_number"})
    for cert in certs:
        open_app = live_application(session, cert.id)
        if open_app is not None:
            _refuse_open_application(cert, open_app)
    if isinstance(walk_in, ProxyWalkIn):
        return _proxy_walk_ins(session, walk_in, certs, actor=actor, today=today)
    return _organization_walk_ins(session, walk_in, certs, actor=actor, today=today)


def _proxy_walk_ins(session: Session, walk_in: ProxyWalkIn, certs: list[Certificate], *, actor: str,
                    today: dt.date) -> dict[int, Application]:
    proxy_id = normalize_id(walk_in.proxy_id_number, today=today, field="proxy_id_number")
    if any(cert.id_number == proxy_id for cert in certs):
        raise AppError(422, "proxy_is_applicant", "受托人不能是持证人本人，本人领取请选择“本人”。",
                       details={"field": "proxy_id_number"})
    return {cert.id: record_walk_in(
        session, kind=ApplicationKind.PROXY, actor=actor, today=today, certificate_id=cert.id,
        applicant_name=cert.holder_name, applicant_id_number=cert.id_number,
        proxy_name=normalize_name(walk_in.proxy_name), proxy_id_number=proxy_id) for cert in certs}


def _organization_walk_ins(session: Session, walk_in: OrganizationWalkIn, certs: list[Certificate], *,
                           actor: str, today: dt.date) -> dict[int, Application]:
    collector_id = normalize_id(walk_in.collector_id_number, today=today, field="collector_id_number")
    by_group: dict[int, list[Certificate]] = {}
    for cert in certs:
        by_group.setdefault(cert.batch_id, []).append(cert)
    applications: dict[int, Application] = {}
    # An organisation's online application does not hold its group (anyone may file one): the
    # unit at the counter, with its letter, is recorded whatever else was filed.
    for batch_id, group in by_group.items():
        app = record_walk_in(
            session, kind=ApplicationKind.ORGANIZATION, actor=actor, today=today, batch_id=batch_id,
            organization_name=walk_in.organization_name, applicant_name=normalize_name(walk_in.collector_name),
            applicant_id_number=collector_id, headcount=len(group))
        applications.update({cert.id: app for cert in group})
    return applications


def _matching_application(session: Session, request: CollectionRequest,
                          certs: list[Certificate]) -> Application | None:
    if request.method == "本人":
        for cert in certs:
            app = live_application(session, cert.id)
            if app is not None and app.kind == ApplicationKind.MAIL:
                _refuse_open_application(cert, app)
        return None
    if not request.application_number:
        raise AppError(422, "application_required", "代领和单位领取需要填写申请编号，或登记现场申请。",
                       details={"field": "application_number"})
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


def statistics(session: Session, *, start: dt.date, end: dt.date, offices: frozenset[str] | None = None) -> dict:
    """办件统计口径: one certificate to an individual = 1 case; an organisation's batch of one
    occupation at one level = 1 case (two levels = 2 cases). `offices` limits the count to
    those offices (a staff account's); `by_month` splits the cases by month and method;
    `on_time` compares each mail delivery (送达) with its due date."""
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=dt.timezone.utc)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=dt.timezone.utc)
    query = (
        select(CollectionRecord.method, CollectionRecord.application_id, Certificate.occupation,
               Certificate.level, Office.code, Office.name, CollectionRecord.collected_at)
        .join(Certificate, Certificate.id == CollectionRecord.certificate_id)
        .join(Office, Office.id == Certificate.office_id)
        .where(CollectionRecord.collected_at >= lo, CollectionRecord.collected_at < hi)
    )
    if offices is not None:
        query = query.where(Office.code.in_(offices))
    rows = session.execute(query).all()
    by_office: dict[str, dict] = {}
    by_month: dict[tuple[str, str], int] = {}
    org_groups: set[tuple] = set()
    for method, application_id, occupation, level, code, name, collected_at in rows:
        entry = by_office.setdefault(code, {"office_code": code, "office_name": name, "certificates": 0,
                                            "individual_cases": 0, "organization_cases": 0})
        entry["certificates"] += 1
        month = china_date(collected_at).strftime("%Y-%m")
        if method == "单位":
            group = (code, application_id, occupation, level)
            if group in org_groups:
                continue
            org_groups.add(group)
            entry["organization_cases"] += 1
        else:
            entry["individual_cases"] += 1
        by_month[(month, method)] = by_month.get((month, method), 0) + 1
    for entry in by_office.values():
        entry["cases"] = entry["individual_cases"] + entry["organization_cases"]
    offices_sorted = sorted(by_office.values(), key=lambda e: e["office_code"])
    return {
        "start": start.isoformat(), "end": end.isoformat(),
        "cases": sum(e["cases"] for e in offices_sorted),
        "individual_cases": sum(e["individual_cases"] for e in offices_sorted),
        "organization_cases": sum(e["organization_cases"] for e in offices_sorted),
        "certificates": sum(e["certificates"] for e in offices_sorted),
        "by_office": offices_sorted,
        "by_month": [{"month": m, "method": method, "cases": n} for (m, method), n in sorted(by_month.items())],
        "on_time": _on_time(session, lo, hi, offices),
    }


def _on_time(session: Session, lo: dt.datetime, hi: dt.datetime, offices: frozenset[str] | None) -> dict:
    """Mail applications delivered in the period: how many by their due date (5 working days
    from the decision)."""
    query = (
        select(Application.delivery_due_on, ApplicationStep.at, Office.code)
        .join(ApplicationStep, ApplicationStep.application_id == Application.id)
        .join(Certificate, Certificate.id == Application.certificate_id)
        .join(Office, Office.id == Certificate.office_id)
        .where(Application.kind == ApplicationKind.MAIL, ApplicationStep.state == ApplicationState.DELIVERED,
               ApplicationStep.at >= lo, ApplicationStep.at < hi, Application.delivery_due_on.is_not(None))
    )
    if offices is not None:
        query = query.where(Office.code.in_(offices))
    rows = session.execute(query).all()
    on_time = sum(1 for due, at, _ in rows if china_date(at) <= due)
    return {"delivered": len(rows), "on_time": on_time,
            "rate": round(on_time / len(rows), 4) if rows else None}


# A spreadsheet runs a cell that starts like a formula (=HYPERLINK(...), +cmd|...); office names
# come from data staff load, so such a cell is written with a leading apostrophe, as text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = ["机构代码", "机构名称", "办件数", "个人领取件数", "单位领取件数", "证书本数"]


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def statistics_csv(stats: dict) -> str:
    """The statistics as a CSV for Excel (a BOM, so that it reads the Chinese as UTF-8)."""
    rows = [[e["office_code"], e["office_name"], e["cases"], e["individual_cases"],
             e["organization_cases"], e["certificates"]] for e in stats["by_office"]]
    rows.append(["合计", "", stats["cases"], stats["individual_cases"], stats["organization_cases"],
                 stats["certificates"]])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    writer.writerows([_csv_cell(cell) for cell in row] for row in rows)
    return "\ufeff" + out.getvalue()


XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def statistics_xlsx(stats: dict) -> bytes:
    """The same figures as the CSV on a first sheet, cases by month and method on a second."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "按机构"
    sheet.append(["统计期间", f"{stats['start']} 至 {stats['end']}"])
    sheet.append(CSV_HEADER)
    for e in stats["by_office"]:
        sheet.append([_csv_cell(e["office_code"]), _csv_cell(e["office_name"]), e["cases"],
                      e["individual_cases"], e["organization_cases"], e["certificates"]])
    sheet.append(["合计", "", stats["cases"], stats["individual_cases"], stats["organization_cases"],
                  stats["certificates"]])
    on_time = stats["on_time"]
    sheet.append([])
    sheet.append(["快递送达件数", on_time["delivered"], "按期送达", on_time["on_time"], "按期率",
                  on_time["rate"] if on_time["rate"] is not None else "—"])
    months = book.create_sheet("按月份和方式")
    months.append(["月份", "领取方式", "办件数"])
    for row in stats["by_month"]:
        months.append([row["month"], row["method"], row["cases"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
