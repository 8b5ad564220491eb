"""Applicant endpoints: status, applications, subscriptions. No token; look-ups are rate-limited."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response
from fastapi.responses import HTMLResponse
from pickup_rules import ErrorCode
from sqlalchemy.orm import Session

from app import answers
from app.api.deps import CalendarDep, ClientDep, SessionDep, SettingsDep, TodayDep, enforce_lookup_limits
from app.api.params import ApplicationNumber
from app.core.csp import inline_hashes, policy
from app.core.errors import AppError, error_responses, not_found
from app.models import Application
from app.rules.identity import mask_id, normalize_id
from app.schemas import (
    ApplicationRequest,
    OrganizationApplication,
    OrganizationCheckAnswer,
    OrganizationCheckRequest,
    StatusQuery,
    SubscriptionRequest,
)
from app.services import audit
from app.services.applications import application_by_number, create_application
from app.services.documents import render_contact_form
from app.services.holders import application_public, holder_certificates, status_report
from app.services.organizations import check_organization
from app.services.subscriptions import subscribe

router = APIRouter(tags=["applicants"])

NOT_FOUND_MESSAGE = "未查到与该姓名和身份证号相符的证书。可能领证名单尚未公布，或信息有误；请核对后重试，或咨询领证机构、12333。"


@router.post("/status", response_model=answers.StatusReport, responses=error_responses(400, 404, 413, 422, 429))
def status(request: Request, query: StatusQuery, session: SessionDep, calendar: CalendarDep,
           today: TodayDep, client: ClientDep) -> dict:
    """The holder's certificates when name and ID number both match (404 `not_found` the same
    either way). Each certificate: `certificate_no`, `occupation`, `level`, `batch_no`,
    `exam_type`, `state`, `state_label`, `office`, `notice` (`id`, `published_on`, or null),
    `deadline` (the last day to collect: `date`, `estimated`, `passed`, `rule` notice |
    national_exam, `counted_from`, `working_days_left`: working days after today up to the last
    day, 0 on it, null once passed; null while unknown: a local certificate before its notice),
    `collection`, `application` (the live one) and `refused_application` (the latest rejected
    or returned one when none is live: `number`, `kind`, `state`, `state_label`, `reason`,
    `decided_on`, `certificate`)."""
    id_number = normalize_id(query.id_number, today=today)
    guard = enforce_lookup_limits(request, client, id_number)
    certs = holder_certificates(session, query.name, id_number)
    # Written apart: a read-only look-up never waits for a writer (a list import).
    audit.record_apart(session.get_bind(), actor=f"applicant:{client}", action="status_lookup",
                       target=mask_id(id_number), detail={"found": bool(certs)})
    if not certs:
        guard.missed()
        raise not_found(NOT_FOUND_MESSAGE)
    return status_report(session, certs, calendar, today)


def _applicant_id(body: object, today: date) -> str:
    """The ID number look-ups are limited by: the holder's, or an organisation's collector's."""
    if isinstance(body, OrganizationApplication):
        return normalize_id(body.collector_id_number, today=today, field="collector_id_number")
    return normalize_id(body.id_number, today=today)


@router.post("/applications", status_code=201, response_model=answers.CreatedApplication,
             response_model_exclude_unset=True, responses={
    200: {"description": "The first application, when the same Idempotency-Key comes again",
          "model": answers.CreatedApplication},
    **error_responses(400, 409, 413, 422, 429)})
def apply(request: Request, response: Response, body: Annotated[ApplicationRequest, Body()],
          session: SessionDep, calendar: CalendarDep, today: TodayDep, client: ClientDep,
          idempotency_key: Annotated[str | None, Header()] = None) -> dict:
    """Apply to have a certificate mailed (`mail`) or collected by a proxy (`proxy`), or for an
    organisation to collect a batch (`organization`). 201 with the new application; 200 with the
    first one when the same `Idempotency-Key` comes again with the same body.

    The answer: `number`, `kind`, `certificate`, `state`, `state_label`, `reason`, `steps`,
    `delivery_due_on`, `delivery_due_estimated`, `delivery_due_basis`, `delivery`,
    `access_token`, and `contact_form_path` for an organisation. `certificate` is the
    certificate a mail or proxy application is for (`certificate_no`, `occupation`, `level`,
    `batch_no`), whether the applicant named it or it was taken as their only free one; `null`
    for an organisation (a batch). ID numbers never appear. With several free certificates and none named: 409
    `certificate_ambiguous`, `details.certificates` to choose from."""
    if not idempotency_key or not 8 <= len(idempotency_key) <= 100:
        raise AppError(422, "idempotency_key_required", "提交缺少有效的 Idempotency-Key（8至100个字符）。")
    guard = enforce_lookup_limits(request, client, _applicant_id(body, today))
    try:
        app, created = create_application(session, body, client=client, key=idempotency_key,
                                          actor=f"applicant:{client}", calendar=calendar, today=today)
    except AppError as exc:
        if exc.code == ErrorCode.NOT_ON_LIST and not isinstance(body, OrganizationApplication):
            guard.missed()
        raise
    if not created:
        response.status_code = 200
    result = application_public(app)
    result["access_token"] = app.access_token
    if app.kind == "organization":
        result["contact_form_path"] = f"/api/v1/applications/{app.number}/contact-form?token={app.access_token}"
    return result


@router.post("/applications/check", response_model=OrganizationCheckAnswer,
             responses=error_responses(400, 413, 422))
def check_organization_form(body: OrganizationCheckRequest, session: SessionDep, calendar: CalendarDep,
                            today: TodayDep) -> dict:
    """Dry run of an organisation's application: any subset of `batch_no` (as typed, e.g.
    "我们批次是浙鉴2026第15批"), `occupation`, `level`, `headcount`, `visit_date`. Always 200
    with what was made of each field and the first problem per field; nothing is written.

    - `batch_no`: the published batch number found (exact, else the longest one contained in
      the text), or null with error `batch_not_published`.
    - `occupation`: the batch's occupation named (exact, else the one contained), or error
      `occupation_not_in_batch` (`details.options`).
    - `level`: 五级..一级, or `invalid_level`; `level_not_in_batch` (`details.options`).
    - `groups`: the batch's published occupation/level groups with `ready` (certificates still
      collectable), `deadline`, `deadline_estimated`.
    - `visit_window`: `first`..`last` working days a visit may take (from the notice, not before
      today, to the group's last day), `estimated`; null until batch, occupation and level are known.
    - `headcount_exceeds_list` (`details.ready`); `visit_date_outside_window` (`details.first`,
      `last`), `visit_date_not_working_day` (`details.date`), `pickup_window_closed` (`details.last`).

    `POST /applications` with `kind: organization` is refused with the first of these errors
    (list mismatches as `not_on_list` with `details.reason`), `details.field` naming the field."""
    check = check_organization(session, calendar=calendar, today=today, **body.model_dump())
    return check.public()


@router.get("/applications/{number}", response_model=answers.Application, responses=error_responses(404, 422))
def application(number: ApplicationNumber, session: SessionDep,
                x_application_token: Annotated[str | None, Header()] = None) -> dict:
    """An application as `POST /applications` answered it (without the token), for whoever holds
    its `access_token`: header `X-Application-Token`. 404 `not_found` when the number or the
    token does not match, the same answer either way."""
    app = _application_for_token(session, number, x_application_token)
    if app is None:
        raise not_found("未找到该申请，请核对申请编号。")
    return application_public(app)


def _application_for_token(session: Session, number: str, token: str | None) -> Application | None:
    try:
        app = application_by_number(session, number)
    except AppError:
        app = None
    expected = app.access_token if app is not None else "-" * 32
    matches = hmac.compare_digest(expected.encode(), (token or "").encode())
    return app if app is not None and matches else None


@router.get("/applications/{number}/contact-form", response_class=HTMLResponse, responses={
    200: {"description": "The filled 联系单, an HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
    **error_responses(404, 422, html_route=True)})
def contact_form(number: ApplicationNumber, token: Annotated[str, Query(max_length=200)],
                 session: SessionDep) -> HTMLResponse:
    """The filled 联系单, print-ready A4. The access token was given only to the applicant; the
    answer is the same 404 whether the number is unknown, not an organisation's, or the token
    wrong. The token stays in the link (what the assistant sends) and out of the access log
    and of referrers."""
    app = _application_for_token(session, number, token)
    if app is None or app.kind != "organization":
        raise not_found("未找到该联系单，请检查链接是否完整。")
    page = render_contact_form(app)
    csp = policy(style_src=inline_hashes(page, "style"), script_src=inline_hashes(page, "script"),
                 img_src="'self' data:")
    return HTMLResponse(page, headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})


@router.post("/subscriptions", status_code=201, response_model=answers.Subscription, responses=error_responses(400, 413, 422, 429))
def subscriptions(request: Request, body: SubscriptionRequest, session: SessionDep, today: TodayDep,
                  client: ClientDep, settings: SettingsDep) -> dict:
    id_number = normalize_id(body.id_number, today=today)
    guard = enforce_lookup_limits(request, client, id_number)
    if not holder_certificates(session, body.name, id_number):
        guard.missed()  # the answer is the same, but a notice pushed later would tell
    return subscribe(session, body, actor=f"applicant:{client}", today=today,
                     push_channels=settings.push_channels)
