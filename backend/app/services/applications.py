"""Applications to collect (mail, proxy, organisation) and their 申请→受理→审核→办结→送达 steps."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

from pickup_rules import ErrorCode
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import (
    CLOSED_APPLICATION_STATES,
    Application,
    ApplicationKind,
    ApplicationState,
    ApplicationStep,
    Certificate,
    CertificateState,
    CollectionRecord,
    Delivery,
)
from app.rules.identity import (
    mask_id,
    mask_ids_in_text,
    normalize_address_field,
    normalize_id,
    normalize_phone_field,
)
from app.rules.vocabulary import normalize_name
from app.rules.working_days import DELIVERY_WORKING_DAYS, WorkCalendar
from app.schemas import MailApplication, OrganizationApplication, ProxyApplication, Transition
from app.services import audit
from app.services.holders import holder_certificates, live_application
from app.services.notifications import queue_for_step
from app.services.organizations import check_organization
from app.services.subscriptions import subscribe_applicant

# Allowed moves; 'delivered' for proxy and organisation applications happens when the
# collection is recorded at the counter.
TRANSITIONS = {
    ApplicationState.APPLIED: {ApplicationState.ACCEPTED, ApplicationState.REJECTED},
    ApplicationState.ACCEPTED: {ApplicationState.REVIEWING, ApplicationState.RETURNED},
    ApplicationState.REVIEWING: {ApplicationState.COMPLETED, ApplicationState.RETURNED},
    ApplicationState.COMPLETED: {ApplicationState.DELIVERED},
}

# A walk-in (现场申请) is recorded at the counter with every step at once.
COUNTER_CHANNEL = "counter"
WALK_IN_STEPS = (ApplicationState.ACCEPTED, ApplicationState.REVIEWING, ApplicationState.COMPLETED,
                 ApplicationState.DELIVERED)


DUPLICATE_MESSAGE = ("该证书已有办理中的申请{number}，无需重复提交。"
                     "如果这份申请不是您本人或您委托的人提交的，请尽快联系领证机构。")


def request_fingerprint(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def scoped_key(client: str, key: str) -> str:
    """An Idempotency-Key counts only for the caller that sent it: stored as a hash of both, so
    that a stranger replaying someone's key and body gets no replay (and no access token)."""
    return hashlib.sha256(f"{client}\n{key}".encode()).hexdigest()


def _replay(session: Session, key: str, fingerprint: str) -> Application | None:
    existing = session.scalar(select(Application).where(Application.idempotency_key == key))
    if existing is None:
        return None
    if existing.request_hash != fingerprint:
        raise AppError(409, "idempotency_conflict", "该提交编号已用于另一份申请，请重新发起申请。")
    return existing


def duplicate_application(existing: Application | None) -> AppError:
    """Another live application holds the certificate; it may not be the holder's own."""
    number = f"（编号{existing.number}）" if existing is not None else ""
    return AppError(409, "duplicate_application", DUPLICATE_MESSAGE.format(number=number),
                    details={"number": existing.number} if existing is not None else None)


def _ready_certificate(session: Session, name: str, id_number: str,
                       certificate_no: str | None) -> Certificate:
    certs = holder_certificates(session, name, id_number)
    if certificate_no:
        certs = [c for c in certs if c.certificate_no == certificate_no]
    ready = [c for c in certs if c.state == CertificateState.READY]
    if not ready:
        if any(c.state in (CertificateState.COLLECTED, CertificateState.MAILED) for c in certs):
            raise AppError(409, "already_collected", "该证书已领取或已寄出，无需再次申请。")
        raise AppError(422, "not_on_list",
                       "未在已公布的领证名单中找到与该姓名和身份证号相符的证书，暂不能申请。"
                       "请等待领证通知发布，或向领证机构、12333咨询。")
    if len(ready) > 1:
        # Only certificates still free for an application are a choice; when none is, the
        # first one's live application is reported below.
        ready = [c for c in ready if live_application(session, c.id) is None] or ready[:1]
    if len(ready) > 1:
        raise AppError(409, "certificate_ambiguous", "您名下有多本可领取的证书，请选择要办理的证书。",
                       details={"certificates": [{"certificate_no": c.certificate_no,
                                                  "occupation": c.occupation, "level": c.level}
                                                 for c in ready]})
    cert = ready[0]
    existing = live_application(session, cert.id)
    if existing is not None:
        raise duplicate_application(existing)
    return cert


def _new_application(session: Session, *, key: str, fingerprint: str, actor: str,
                     today: dt.date, **values: object) -> Application:
    app = Application(idempotency_key=key, request_hash=fingerprint,
                      access_token=secrets.token_urlsafe(24), state=ApplicationState.APPLIED,
                      **values)
    app.steps.append(ApplicationStep(state=ApplicationState.APPLIED, actor=actor))
    session.add(app)
    session.flush()
    app.number = f"SQ{today:%Y%m%d}{app.id:06d}"
    return app


def create_application(session: Session, request: MailApplication | ProxyApplication | OrganizationApplication,
                       *, client: str, key: str, actor: str, calendar: WorkCalendar,
                       today: dt.date) -> tuple[Application, bool]:
    """Return (application, created). The same caller retrying with the same key and body gets
    the first application, also when the retries run at the same time."""
    key = scoped_key(client, key)
    fingerprint = request_fingerprint(request.model_dump())
    replay = _replay(session, key, fingerprint)
    if replay is not None:
        return replay, False
    try:
        if isinstance(request, OrganizationApplication):
            app = _create_organization(session, request, key=key, fingerprint=fingerprint,
                                       actor=actor, calendar=calendar, today=today)
        else:
            app = _create_individual(session, request, key=key, fingerprint=fingerprint,
                                     actor=actor, calendar=calendar, today=today)
        session.flush()  # the key's unique index decides a race here; the request commits
    except (IntegrityError, AppError) as exc:
        # A concurrent retry may have won the race: its row holds the key (IntegrityError), or
        # it committed after our replay check, so that the certificate looked taken.
        if isinstance(exc, AppError) and exc.code != ErrorCode.DUPLICATE_APPLICATION:
            raise
        session.rollback()
        replay = _replay(session, key, fingerprint)
        if replay is not None:
            return replay, False
        if isinstance(exc, AppError):
            raise
        raise duplicate_application(None) from None
    _subscribe_conversation(session, app, actor=actor)
    return app, True


def _subscribe_conversation(session: Session, app: Application, *, actor: str) -> None:
    if app.certificate is not None and app.channel and app.conversation_id:
        subscribe_applicant(session, channel=app.channel, conversation_id=app.conversation_id,
                            name=app.certificate.holder_name, id_number=app.certificate.id_number,
                            actor=actor)


def _create_individual(session: Session, request: MailApplication | ProxyApplication, *, key: str,
                       fingerprint: str, actor: str, calendar: WorkCalendar, today: dt.date) -> Application:
    id_number = normalize_id(request.id_number, today=today)
    name = normalize_name(request.name)
    values: dict[str, object] = {
        "kind": ApplicationKind(request.kind), "applicant_name": name,
        "applicant_id_number": id_number, "channel": request.channel,
        "conversation_id": request.conversation_id,
    }
    if isinstance(request, MailApplication):
        values["phone"] = normalize_phone_field(request.phone)
        values["address"] = normalize_address_field(request.address)
    else:
        proxy_id = normalize_id(request.proxy_id_number, today=today, field="proxy_id_number")
        if proxy_id == id_number:
            raise AppError(422, "proxy_is_applicant", "受托人不能是申请人本人，本人领取无需办理代领。",
                           details={"field": "proxy_id_number"})
        values.update(proxy_name=normalize_name(request.proxy_name), proxy_id_number=proxy_id,
                      phone=normalize_phone_field(request.phone) if request.phone else None)
    cert = _ready_certificate(session, name, id_number, request.certificate_no)
    values["certificate_id"] = cert.id
    if isinstance(request, MailApplication):
        # Until the decision, the due date assumes a decision on the day of application.
        due = calendar.add_working_days(today, DELIVERY_WORKING_DAYS)
        values.update(delivery_due_on=due.due, delivery_due_estimated=due.estimated)
    app = _new_application(session, key=key, fingerprint=fingerprint, actor=actor, today=today,
                           **values)
    audit.record(session, actor=actor, action=f"application_created_{request.kind}",
                 target=mask_id(id_number), detail={"number": app.number})
    return app


def _create_organization(session: Session, request: OrganizationApplication, *, key: str,
                         fingerprint: str, actor: str, calendar: WorkCalendar, today: dt.date) -> Application:
    collector_id = normalize_id(request.collector_id_number, today=today, field="collector_id_number")
    check = check_organization(session, calendar=calendar, today=today, batch_no=request.batch_no,
                               occupation=request.occupation, level=request.level,
                               headcount=request.headcount, visit_date=request.visit_date)
    check.refuse_if_any()
    # Not exclusive: anyone may file for a published batch, and several organisations may
    # have staff in one group, so a stranger's application must not hold it. The counter
    # hands certificates over against the unit's letter and the collector's ID card.
    batch = check.group.batch
    app = _new_application(
        session, key=key, fingerprint=fingerprint, actor=actor, today=today,
        kind=ApplicationKind.ORGANIZATION, applicant_name=normalize_name(request.collector_name),
        applicant_id_number=collector_id, organization_name=request.organization_name,
        batch_id=batch.id, headcount=request.headcount, visit_date=request.visit_date,
        phone=normalize_phone_field(request.phone) if request.phone else None, channel=request.channel,
        conversation_id=request.conversation_id)
    audit.record(session, actor=actor, action="application_created_organization",
                 target=request.organization_name,
                 detail={"number": app.number, "collector": mask_id(collector_id)})
    return app


def record_walk_in(session: Session, *, kind: ApplicationKind, actor: str, today: dt.date,
                   **values: object) -> Application:
    """现场申请: an application made at the counter, recorded with its steps
    申请→受理→审核→办结→送达 by the staff account, in the caller's transaction."""
    key = f"{COUNTER_CHANNEL}-{secrets.token_hex(16)}"
    app = _new_application(session, key=key, fingerprint=request_fingerprint({"kind": kind, **values}),
                           actor=actor, today=today, kind=kind, channel=COUNTER_CHANNEL, **values)
    for state in WALK_IN_STEPS:
        app.steps.append(ApplicationStep(state=state, actor=actor))
    app.state = ApplicationState.DELIVERED
    audit.record(session, actor=actor, action=f"application_walk_in_{kind}", target=app.number,
                 detail={"applicant": mask_id(str(values.get("applicant_id_number") or ""))})
    return app


def application_by_number(session: Session, number: str) -> Application:
    app = session.scalar(select(Application).where(Application.number == number))
    if app is None:
        raise AppError(404, "application_not_found", "未找到该申请编号。")
    return app


def move(session: Session, app: Application, transition: Transition, *, actor: str,
         calendar: WorkCalendar, today: dt.date, push_channels: list[str]) -> Application:
    """One step; the holder's subscribed conversations are told of it (`queue_for_step`)."""
    target = ApplicationState(transition.to)
    if target not in TRANSITIONS.get(ApplicationState(app.state), set()):
        raise AppError(409, "invalid_transition", "该申请当前状态下不能执行此操作。",
                       details={"from": app.state, "to": target})
    if target in CLOSED_APPLICATION_STATES and not transition.reason:
        raise AppError(422, "reason_required", "不予受理或退回时必须填写原因。")
    if target == ApplicationState.DELIVERED:
        if app.kind != ApplicationKind.MAIL:
            raise AppError(409, "invalid_transition", "代领和单位领取在登记领取时自动送达。")
        if not (transition.express_company and transition.tracking_no):
            raise AppError(422, "tracking_required", "快递送达需要填写快递公司和运单号。")
        app.delivery = Delivery(express_company=transition.express_company,
                                tracking_no=transition.tracking_no)
        cert = app.certificate
        cert.state = CertificateState.MAILED
        session.add(CollectionRecord(certificate_id=cert.id, application_id=app.id, method="快递",
                                     collector_name=app.applicant_name, receipt_signed=False,
                                     recorded_by=actor))
    if target == ApplicationState.COMPLETED:
        due = calendar.add_working_days(today, DELIVERY_WORKING_DAYS)
        app.delivery_due_on, app.delivery_due_estimated = due.due, due.estimated
    app.state = target
    app.reason = transition.reason if target in CLOSED_APPLICATION_STATES else app.reason
    step = ApplicationStep(state=target, actor=actor, reason=transition.reason)
    app.steps.append(step)
    session.flush()
    queue_for_step(session, step, push_channels)
    audit.record(session, actor=actor, action=f"application_{target}", target=app.number,
                 detail={"reason": mask_ids_in_text(transition.reason)} if transition.reason else None)
    session.flush()
    return app
