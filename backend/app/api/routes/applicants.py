"""Applicant endpoints: status, applications, subscriptions. No token; look-ups are rate-limited."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Body, Header, Request, Response
from fastapi.responses import HTMLResponse

from app.api.deps import CalendarDep, ClientDep, SessionDep, SettingsDep, TodayDep, enforce_lookup_limits
from app.core.errors import AppError, not_found
from app.rules.identity import mask_id, normalize_id
from app.schemas import ApplicationRequest, StatusQuery, SubscriptionRequest
from app.services import audit
from app.services.applications import application_by_number, create_application
from app.services.documents import render_contact_form
from app.services.holders import application_public, holder_certificates, status_report
from app.services.subscriptions import subscribe

router = APIRouter(tags=["applicants"])

NOT_FOUND_MESSAGE = "未查到与该姓名和身份证号相符的证书。可能领证名单尚未公布，或信息有误；请核对后重试，或咨询领证机构、12333。"


@router.post("/status")
def status(request: Request, query: StatusQuery, session: SessionDep, calendar: CalendarDep,
           today: TodayDep, client: ClientDep) -> dict:
    id_number = normalize_id(query.id_number, today=today)
    enforce_lookup_limits(request, client, id_number)
    certs = holder_certificates(session, query.name, id_number)
    audit.record(session, actor=f"applicant:{client}", action="status_lookup",
                 target=mask_id(id_number), detail={"found": bool(certs)})
    session.commit()
    if not certs:
        raise not_found(NOT_FOUND_MESSAGE)
    return status_report(session, certs, calendar, today)


def _applicant_id(body: object) -> str:
    return getattr(body, "id_number", None) or getattr(body, "collector_id_number")


@router.post("/applications", status_code=201)
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
    enforce_lookup_limits(request, client, normalize_id(_applicant_id(body), today=today))
    app, created = create_application(session, body, key=idempotency_key, actor=f"applicant:{client}",
                                      calendar=calendar, today=today)
    if not created:
        response.status_code = 200
    result = application_public(app)
    result["access_token"] = app.access_token
    if app.kind == "organization":
        result["contact_form_path"] = f"/api/v1/applications/{app.number}/contact-form?token={app.access_token}"
    return result


@router.get("/applications/{number}/contact-form", response_class=HTMLResponse)
def contact_form(number: str, token: str, session: SessionDep) -> HTMLResponse:
    """The filled 联系单, print-ready A4. The access token was given only to the applicant."""
    try:
        app = application_by_number(session, number)
    except AppError:
        app = None
    if app is None or app.kind != "organization" or not hmac.compare_digest(app.access_token, token):
        raise not_found("未找到该联系单，请检查链接是否完整。")
    return HTMLResponse(render_contact_form(app))


@router.post("/subscriptions", status_code=201)
def subscriptions(request: Request, body: SubscriptionRequest, session: SessionDep, today: TodayDep,
                  client: ClientDep, settings: SettingsDep) -> dict:
    enforce_lookup_limits(request, client, normalize_id(body.id_number, today=today))
    return subscribe(session, body, actor=f"applicant:{client}", today=today,
                     push_channels=settings.push_channels)
