"""Staff endpoints: every one needs the staff token (machine clients) or a signed-in account,
which sees and changes only its own office and the offices under it; every change leaves an
audit entry with the account's name."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, File, Form, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from app import answers
from app.api.deps import CalendarDep, PrincipalDep, SessionDep, SettingsDep, TodayDep, enforce_lookup_limits
from app.api.params import ApplicationNumber, RowId
from app.core.edge import LIST_UPLOAD_BYTES
from app.core.errors import AppError, error_responses, not_found
from app.models import Certificate, Office, PickupNotice
from app.rules.identity import mask_id, normalize_id
from app.schemas import (
    CollectionRequest,
    IsoDate,
    JsonObject,
    NoticeRequest,
    OfficeCode,
    OfficeRecord,
    StatusQuery,
    Transition,
)
from app.services import audit
from app.services.applications import application_by_number, move
from app.services.calendar import parse_holiday_file, replace_year
from app.services.collections import XLSX_MEDIA_TYPE, record_collection, statistics, statistics_csv, statistics_xlsx
from app.services.holders import application_public, holder_certificates, status_report
from app.services.lists import audit_detail, import_list, preview_refused_detail, result_public
from app.services.notices import notice_public, publish
from app.services.notifications import application_deliveries_public, deliveries_public, queue_for_notice
from app.services.offices import office_by_code, upsert_offices
from app.services.unanswered import events_engine, unanswered_questions, weekly_report
from app.services.work_queue import application_office_code, work_queue

# Every staff answer may be a 401 (the edge checks the token or the session before anything
# else) or a 403: a cookie without its CSRF token, an office outside the account's, an auditor.
router = APIRouter(prefix="/staff", tags=["staff"], responses=error_responses(401, 403))

@router.post("/lists", status_code=201, response_model=answers.ListImport, responses={
    200: {"description": "The preview (`dry_run`): what an import would do", "model": answers.ListImport},
    **error_responses(400, 404, 413, 422)})
def import_published_list(
    session: SessionDep, principal: PrincipalDep, today: TodayDep, response: Response,
    file: Annotated[UploadFile, File()],
    office_code: Annotated[OfficeCode, Form()],
    exam_type: Annotated[Literal["local", "national"], Form()] = "local",
    blanks_arrived_on: Annotated[IsoDate | None, Form()] = None,
    dry_run: Annotated[bool, Form()] = False,
) -> dict:
    """Import a published list; with `dry_run`, check it all and answer what an import would
    do (200), writing nothing but the audit entry, so staff see bad rows before anything is
    written."""
    # A plain def: FastAPI runs it in the thread pool, so parsing and inserting a large list does
    # not hold up the event loop (and with it every other request) for the whole import.
    principal.check_office(office_code)
    actor = principal.name
    data = file.file.read(LIST_UPLOAD_BYTES + 1)
    if len(data) > LIST_UPLOAD_BYTES:
        raise AppError(413, "file_too_large", "文件过大（上限50MB），请拆分后上传。")
    if exam_type == "national" and blanks_arrived_on is None:
        raise AppError(422, "blanks_date_required", "全国统考名单需要填写空白证书送达日期。")
    office = office_by_code(session, office_code)
    target, filename = office.code, file.filename or ""
    try:
        result = import_list(session, filename=filename, data=data, office=office, exam_type=exam_type,
                             blanks_arrived_on=blanks_arrived_on, today=today, dry_run=dry_run)
    except AppError as exc:
        if not dry_run:
            raise
        # A preview that finds bad rows is a preview all the same: its audit row is kept.
        session.rollback()
        audit.record(session, actor=actor, action="list_previewed", target=target,
                     detail=preview_refused_detail(exc, filename))
        raise exc.keeping_writes() from None
    audit.record(session, actor=actor, action="list_previewed" if dry_run else "list_imported",
                 target=target, detail=audit_detail(result, filename))
    if dry_run:
        response.status_code = 200
    return result_public(result)


@router.post("/notices", status_code=201, response_model=answers.PublishedNotice, responses=error_responses(400, 404, 409, 413, 422))
def publish_notice(body: NoticeRequest, session: SessionDep, principal: PrincipalDep,
                   calendar: CalendarDep, settings: SettingsDep, today: TodayDep) -> dict:
    """Publish a pickup notice for batches of one office. The answer is the notice as
    `GET /notices/{id}` gives it (each batch with its own `deadline`), `subscribers_queued`,
    and `warnings`: a 全国统考 batch whose 30 working days after the blanks' arrival ended
    before the notice (or before today) is published all the same, with a warning
    `national_exam_window_ended`."""
    principal.check_office(body.office_code)
    actor = principal.name
    office = office_by_code(session, body.office_code)
    publication = publish(session, body, office, calendar, today)
    notice = publication.notice
    queued = queue_for_notice(session, notice.id, settings.push_channels)
    audit.record(session, actor=actor, action="notice_published", target=office.code,
                 detail={"notice_id": notice.id, "batch_nos": sorted(body.batch_nos),
                         "subscribers_queued": queued,
                         "warnings": [w["code"] for w in publication.warnings]})
    return {**notice_public(session, notice, calendar, today), "subscribers_queued": queued,
            "warnings": publication.warnings}


@router.post("/notices/preview", response_model=answers.NoticePreview, responses=error_responses(400, 404, 409, 413, 422))
def preview_notice(body: NoticeRequest, session: SessionDep, principal: PrincipalDep,
                   calendar: CalendarDep, settings: SettingsDep, today: TodayDep) -> dict:
    """What publishing would do, written nowhere: each batch's last day (`estimated` when the
    calendar lacks a year of the span), the certificates, `subscribers_queued` (how many
    subscribed conversations would be told) and the warnings."""
    principal.check_office(body.office_code)
    office = office_by_code(session, body.office_code)
    try:
        publication = publish(session, body, office, calendar, today)
        queued = queue_for_notice(session, publication.notice.id, settings.push_channels)
        answer = {**notice_public(session, publication.notice, calendar, today), "id": None,
                  "subscribers_queued": queued, "warnings": publication.warnings, "preview": True}
    finally:
        session.rollback()
    return answer


@router.get("/notices/{notice_id}/deliveries", response_model=answers.NoticeDeliveries, responses=error_responses(422))
def notice_deliveries(notice_id: RowId, session: SessionDep, principal: PrincipalDep) -> dict:
    notice = session.get(PickupNotice, notice_id)
    principal.check_office(notice.office.code if notice else None)
    return {"notice_id": notice_id, "deliveries": deliveries_public(session, notice_id)}


@router.post("/applications/{number}/transitions", response_model=answers.Application, responses=error_responses(400, 404, 409, 413, 422))
def transition(number: ApplicationNumber, body: Transition, session: SessionDep, principal: PrincipalDep,
               calendar: CalendarDep, today: TodayDep, settings: SettingsDep) -> dict:
    """Move an application one step. The answer is the application as `POST /applications`
    describes it, its `certificate` included, without the applicant's `access_token`.
    受理, 不予受理, 退回, 办结 and (mail) 送达 are pushed to the holder's subscribed
    conversations (`EXTERNAL_application_update`)."""
    app = application_by_number(session, number)
    principal.check_office(application_office_code(session, app))
    app = move(session, app, body, actor=principal.name,
               calendar=calendar, today=today, push_channels=settings.push_channels)
    return application_public(app)


@router.get("/applications/{number}/deliveries", response_model=answers.ApplicationDeliveries,
            responses=error_responses(404, 422))
def application_deliveries(number: ApplicationNumber, session: SessionDep, principal: PrincipalDep) -> dict:
    """What happened to each pushed decision on this application."""
    app = application_by_number(session, number)
    principal.check_office(application_office_code(session, app))
    return {"number": app.number, "deliveries": application_deliveries_public(session, app.id)}


@router.post("/collections", status_code=201, response_model=answers.Collected, responses=error_responses(400, 404, 409, 413, 422))
def collections(body: CollectionRequest, session: SessionDep, principal: PrincipalDep, today: TodayDep) -> dict:
    """Record a collection at the counter. 代领 and 单位 name the completed application
    (`application_number`), or come without one (现场申请): `walk_in` is then
    `{"proxy_name", "proxy_id_number"}` for 代领 or `{"organization_name", "collector_name",
    "collector_id_number"}` for 单位, and the backend records a `counter` application per
    certificate (代领) or per occupation and level (单位) with every step to 送达. A certificate
    someone applied for is refused: `mail_application_open` or `proxy_application_open`,
    `details.number` naming that application (an organisation's online application holds no
    group: anyone may file one)."""
    for code in session.scalars(select(Office.code).join(Certificate, Certificate.office_id == Office.id)
                                .where(Certificate.certificate_no.in_(body.certificate_nos)).distinct()):
        principal.check_office(code)
    collection = record_collection(session, body, actor=principal.name, today=today)
    return {"collected": [c.certificate_no for c in collection.certificates], "method": body.method,
            "applications": [a.number for a in collection.applications]}


@router.get("/statistics", responses={
    200: {"description": "The counts (办件统计口径) as JSON, or as CSV with `format=csv`, XLSX with `format=xlsx`",
          "model": answers.Statistics,
          "content": {"text/csv": {"schema": {"type": "string"}},
                      XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
    **error_responses(422)})
def export_statistics(session: SessionDep, principal: PrincipalDep, start: Annotated[IsoDate, Query()],
                      end: Annotated[IsoDate, Query()],
                      format: Annotated[Literal["json", "csv", "xlsx"], Query()] = "json",
                      office_code: Annotated[OfficeCode | None, Query()] = None) -> Response:
    """Counted within the account's offices (or the one `office_code` names)."""
    if end < start:
        raise AppError(422, "invalid_period", "结束日期不能早于开始日期。")
    offices = principal.offices
    if office_code:
        principal.check_office(office_code)
        offices = frozenset({office_code})
    stats = statistics(session, start=start, end=end, offices=offices)
    audit.record(session, actor=principal.name, action="statistics_exported",
                 detail={"start": start.isoformat(), "end": end.isoformat(), "format": format,
                         "office_code": office_code})
    if format == "json":  # declared above (`answers.Statistics`), and held to it here
        return Response(answers.Statistics.model_validate(stats).model_dump_json(), media_type="application/json")
    if format == "xlsx":
        return Response(statistics_xlsx(stats), media_type=XLSX_MEDIA_TYPE,
                        headers={"Content-Disposition": f'attachment; filename="statistics-{start}-{end}.xlsx"'})
    return Response(statistics_csv(stats), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="statistics-{start}-{end}.csv"'})


@router.put("/holidays/{year}", response_model=answers.HolidaysLoaded, responses=error_responses(400, 413, 422))
def load_holidays(year: int, body: Annotated[JsonObject, Body()], session: SessionDep,
                  principal: PrincipalDep) -> dict:
    """The State Council's arrangement for a year the calendar lacks: province accounts."""
    principal.check_province()
    actor = principal.name
    holidays = parse_holiday_file(body)
    if holidays.year != year:
        raise AppError(422, "invalid_holiday_file",
                       f"文件中的年份（{holidays.year}）与要载入的年份（{year}）不一致。")
    replace_year(session, holidays)
    audit.record(session, actor=actor, action="holidays_loaded", target=str(year),
                 detail={"days": len(holidays.days), "source": holidays.source})
    return {"year": year, "days": len(holidays.days), "source": holidays.source}


@router.put("/offices", response_model=answers.OfficesLoaded, responses=error_responses(400, 413, 422))
def load_offices(body: Annotated[list[OfficeRecord], Body()], session: SessionDep,
                 principal: PrincipalDep) -> dict:
    principal.check_province()
    actor = principal.name
    count = upsert_offices(session, body)
    audit.record(session, actor=actor, action="offices_loaded", detail={"offices": count})
    return {"offices": count}


@router.get("/applications", response_model=answers.WorkQueue, responses=error_responses(422))
def applications_queue(session: SessionDep, principal: PrincipalDep, today: TodayDep,
                       office_code: Annotated[OfficeCode | None, Query()] = None,
                       kind: Annotated[Literal["mail", "proxy", "organization"] | None, Query()] = None,
                       include_finished: Annotated[bool, Query()] = False) -> dict:
    """The work queue: mail, proxy and organisation applications of the account's offices (or
    of `office_code`, which must be one of them), by due date, overdue first. Each item: the
    application as `POST /applications` describes it plus `office_code`, the applicant (ID
    masked), `due_on`, `overdue` and `next_states`."""
    offices = principal.offices
    if office_code:
        principal.check_office(office_code)
        offices = frozenset({office_code})
    items = work_queue(session, offices=offices, today=today, include_finished=include_finished, kind=kind)
    return {"today": today.isoformat(), "applications": items}


@router.post("/status", response_model=answers.StatusReport, responses=error_responses(400, 404, 413, 422, 429))
def staff_status(request: Request, query: StatusQuery, session: SessionDep, principal: PrincipalDep,
                 calendar: CalendarDep, today: TodayDep) -> dict:
    """The status look-up for hotline agents and the counter: the holder's certificates held by
    the account's offices, as `POST /status` answers (ID masked). Limited per account (not per
    address: a call centre shares one), and audited with the account's name."""
    id_number = normalize_id(query.id_number, today=today)
    guard = enforce_lookup_limits(request, f"staff:{principal.name}", id_number,
                                  limiter_name="staff_lookup_limiter")
    certs = [c for c in holder_certificates(session, query.name, id_number) if principal.sees(c.office.code)]
    audit.record_apart(session.get_bind(), actor=principal.name, action="staff_status_lookup",
                       target=mask_id(id_number), detail={"found": len(certs)})
    if not certs:
        guard.missed()
        raise not_found("未查到与该姓名和身份证号相符、且属于本账号所辖机构的证书。")
    return status_report(session, certs, calendar, today)


@router.get("/unanswered", response_model=answers.Unanswered, responses=error_responses(422, 503))
def unanswered(session: SessionDep, principal: PrincipalDep, settings: SettingsDep,
               weeks: Annotated[int, Query(ge=1, le=26)] = 4) -> dict:
    """What applicants asked that fell to the fallback or under the confidence threshold, in
    the last `weeks` weeks, from Rasa's SQL event broker: counted per ISO week and intent, each
    with the bot's answer; ID numbers and phones masked. For whoever keeps the NLU data."""
    since = dt.datetime.now(dt.timezone.utc) - dt.timedelta(weeks=weeks)
    questions = unanswered_questions(events_engine(settings.rasa_events_url),
                                     threshold=settings.nlu_fallback_threshold,
                                     since=since) if settings.rasa_events_url else []
    audit.record(session, actor=principal.name, action="unanswered_viewed", detail={"weeks": weeks})
    # `configured` false: no RASA_EVENTS_URL, so nothing can be counted (the page says so).
    return {"weeks": weeks, "threshold": settings.nlu_fallback_threshold,
            "configured": bool(settings.rasa_events_url), **weekly_report(questions)}
