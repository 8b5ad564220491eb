"""Signing staff in and out, who is signed in, and the audit log (auditors)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from app import answers
from app.api.deps import ClientDep, PrincipalDep, SessionDep, SettingsDep, admit_sign_in
from app.api.params import DB_INT_MAX
from app.core.errors import AppError, error_responses
from app.core.staff_session import COOKIE_NAME, cookie_value, csrf_token, signing_key, token_from_cookie
from app.models import AuditEntry, Office
from app.services import audit
from app.services.offices import office_public
from app.services.staff_accounts import SESSION_LIFETIME, Principal, principal_of, sign_in, sign_out

router = APIRouter(prefix="/staff", tags=["staff accounts"])


class SignIn(BaseModel):
    username: str = Field(min_length=1, max_length=40)
    password: str = Field(min_length=1, max_length=200)


def _whoami(session: SessionDep, principal: Principal, csrf: str | None) -> dict:
    offices = session.scalars(select(Office)).all() if principal.offices is None else \
        session.scalars(select(Office).where(Office.code.in_(principal.offices))).all()
    return {
        "username": principal.name, "role": principal.role, "office_code": principal.office_code,
        "read_only": principal.read_only, "csrf_token": csrf,
        "offices": [office_public(o) for o in sorted(offices, key=lambda o: o.code)],
    }


@router.post("/session", response_model=answers.WhoAmI, responses=error_responses(400, 401, 413, 422, 429))
def create_session(body: SignIn, session: SessionDep, settings: SettingsDep, response: Response,
                   request: Request, client: ClientDep) -> dict:
    """Sign in: an HttpOnly, SameSite=Strict cookie (Secure outside development) and the
    `csrf_token` every unsafe request made with the cookie must carry in `X-CSRF-Token`.
    Five wrong passwords in 15 minutes lock the name for 15 minutes (`sign_in_locked`, 429),
    whether or not an account has it; twenty refused sign-ins from one address in 15 minutes,
    whatever the names, refuse that address (`sign_in_throttled`, 429)."""
    guard = admit_sign_in(request, client, body.username)
    try:
        account, token = sign_in(session, body.username, body.password)
    except AppError as exc:
        guard.missed()
        # The failure counted (five lock the name) and its audit row stay.
        audit.record(session, actor="anonymous", action="staff_sign_in_refused", target=body.username,
                     detail={"code": exc.code})
        raise exc.keeping_writes() from None
    audit.record(session, actor=account.username, action="staff_signed_in")
    key = signing_key(settings.staff_token)
    response.set_cookie(COOKIE_NAME, cookie_value(key, token), max_age=int(SESSION_LIFETIME.total_seconds()),
                        path="/", httponly=True, samesite="strict",
                        secure=settings.environment != "development")
    return _whoami(session, principal_of(session, account), csrf_token(key, token))


@router.get("/session", response_model=answers.WhoAmI, responses=error_responses(401, 403, 422))
def current_session(request: Request, principal: PrincipalDep, session: SessionDep,
                    settings: SettingsDep) -> dict:
    """Who is signed in, the offices the account sees, and the CSRF token again (a reloaded page
    cannot read the HttpOnly cookie)."""
    key = signing_key(settings.staff_token)
    token = token_from_cookie(key, request.cookies.get(COOKIE_NAME))
    return _whoami(session, principal, csrf_token(key, token) if token and principal.role is not None else None)


@router.delete("/session", status_code=204, responses=error_responses(401, 403, 422))
def delete_session(request: Request, principal: PrincipalDep, session: SessionDep,
                   settings: SettingsDep) -> Response:
    token = token_from_cookie(signing_key(settings.staff_token), request.cookies.get(COOKIE_NAME))
    if token:
        sign_out(session, token)
    audit.record(session, actor=principal.name, action="staff_signed_out")
    response = Response(status_code=204)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="strict",
                           secure=settings.environment != "development")
    return response


@router.get("/audit", response_model=answers.AuditLog, responses=error_responses(401, 403, 422))
def audit_log(principal: PrincipalDep, session: SessionDep,
              actor: Annotated[str | None, Query(max_length=80)] = None,
              action: Annotated[str | None, Query(max_length=60)] = None,
              before_id: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> dict:
    """The audit log, newest first: auditors (and the machine client) only."""
    if principal.role is not None and not principal.read_only:
        raise AppError(403, "role_forbidden", "审计日志仅限审计账号查看。")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    rows = session.scalars(query).all()
    return {"entries": [{"id": r.id, "at": _iso(r.at), "actor": r.actor, "action": r.action,
                         "target": r.target, "detail": r.detail} for r in rows]}


def _iso(moment: dt.datetime) -> str:
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)).isoformat()
