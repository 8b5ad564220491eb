"""The tables of the system of record."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class OfficeLevel(StrEnum):
    PROVINCE = "省"
    CITY = "市"
    COUNTY = "县"


class ExamType(StrEnum):
    LOCAL = "local"
    NATIONAL = "national"  # 全国统考


class CertificateState(StrEnum):
    PENDING = "pending"  # imported, no pickup notice published yet
    READY = "ready"  # on a published list, waiting at the office
    COLLECTED = "collected"
    MAILED = "mailed"


class ApplicationKind(StrEnum):
    MAIL = "mail"
    PROXY = "proxy"
    ORGANIZATION = "organization"


class ApplicationState(StrEnum):
    APPLIED = "applied"  # 申请
    ACCEPTED = "accepted"  # 受理
    REVIEWING = "reviewing"  # 审核
    COMPLETED = "completed"  # 办结
    DELIVERED = "delivered"  # 送达
    REJECTED = "rejected"  # 不予受理
    RETURNED = "returned"  # 退回


CLOSED_APPLICATION_STATES = (ApplicationState.REJECTED, ApplicationState.RETURNED)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    level: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(20), index=True)  # city, e.g. 杭州
    district: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(50))
    hours: Mapped[str] = mapped_column(String(200))
    map_url: Mapped[str | None] = mapped_column(String(300))
    # The office above this one (a county's city, a city's province): staff accounts see their
    # office and every office under it.
    parent_code: Mapped[str | None] = mapped_column(String(12), index=True)


class AssessmentBatch(Base):
    """One occupation at one level within a 鉴定批次号: the unit an organisation collects."""

    __tablename__ = "assessment_batches"
    __table_args__ = (UniqueConstraint("batch_no", "occupation", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_no: Mapped[str] = mapped_column(String(40), index=True)
    occupation: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(10))
    exam_type: Mapped[str] = mapped_column(String(10), default=ExamType.LOCAL)
    blanks_arrived_on: Mapped[dt.date | None] = mapped_column(Date)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))

    office: Mapped[Office] = relationship()


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    holder_name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    certificate_no: Mapped[str] = mapped_column(String(40), unique=True)
    occupation: Mapped[str] = mapped_column(String(60))
    level: Mapped[str] = mapped_column(String(10))
    batch_id: Mapped[int] = mapped_column(ForeignKey("assessment_batches.id"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    state: Mapped[str] = mapped_column(String(12), default=CertificateState.PENDING)
    # The notice that put this certificate on a published list (for a local certificate, its
    # publication starts the pickup window).
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_notices.id"), index=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    batch: Mapped[AssessmentBatch] = relationship()
    office: Mapped[Office] = relationship()
    notice: Mapped[PickupNotice | None] = relationship()


class PickupNotice(Base):
    __tablename__ = "pickup_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    title: Mapped[str] = mapped_column(String(200))
    # The last day to collect is computed from this date (or, 全国统考, from the blanks'
    # arrival) by `app.rules.deadlines.pickup_deadline`; no deadline is stored.
    published_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    office: Mapped[Office] = relationship()
    batches: Mapped[list[AssessmentBatch]] = relationship(secondary="notice_batches")


class NoticeBatch(Base):
    __tablename__ = "notice_batches"

    notice_id: Mapped[int] = mapped_column(ForeignKey("pickup_notices.id", ondelete="CASCADE"),
                                           primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("assessment_batches.id"), primary_key=True,
                                          index=True)


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One live mail or proxy application per certificate, even under concurrent submits.
        # (They need the holder's name and ID number.) Organisation applications hold nothing:
        # anyone may file one for a published batch, so none may lock the group.
        Index(
            "uq_live_application_per_certificate",
            "certificate_id",
            unique=True,
            sqlite_where=text("state NOT IN ('rejected', 'returned') AND certificate_id IS NOT NULL"),
            postgresql_where=text(
                "state NOT IN ('rejected', 'returned') AND certificate_id IS NOT NULL"
            ),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    kind: Mapped[str] = mapped_column(String(14))
    state: Mapped[str] = mapped_column(String(12), default=ApplicationState.APPLIED)
    # The caller's Idempotency-Key hashed with the caller's identity (`scoped_key`); a walk-in's
    # own key.
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    access_token: Mapped[str] = mapped_column(String(64))
    # A plain index as well as the partial unique one: a query's `state NOT IN (?, ?)` with bound
    # parameters cannot use the partial index, and the status look-up would scan the table.
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_batches.id"), index=True)
    applicant_name: Mapped[str] = mapped_column(String(100))
    applicant_id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    phone: Mapped[str | None] = mapped_column(String(30))
    address: Mapped[str | None] = mapped_column(String(300))
    proxy_name: Mapped[str | None] = mapped_column(String(50))
    proxy_id_number: Mapped[str | None] = mapped_column(String(18))
    organization_name: Mapped[str | None] = mapped_column(String(100))
    headcount: Mapped[int | None] = mapped_column(Integer)
    visit_date: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(300))
    delivery_due_on: Mapped[dt.date | None] = mapped_column(Date)
    delivery_due_estimated: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where it was made: a chat channel and its conversation (told of each decision), or
    # "counter" for a walk-in recorded by staff.
    channel: Mapped[str | None] = mapped_column(String(30))
    conversation_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    certificate: Mapped[Certificate | None] = relationship()
    batch: Mapped[AssessmentBatch | None] = relationship()
    steps: Mapped[list[ApplicationStep]] = relationship(
        order_by="ApplicationStep.id", cascade="all, delete-orphan", back_populates="application"
    )
    delivery: Mapped[Delivery | None] = relationship(uselist=False)


class ApplicationStep(Base):
    __tablename__ = "application_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[str] = mapped_column(String(12))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    actor: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(String(300))

    application: Mapped[Application] = relationship(back_populates="steps")


class Delivery(Base):
    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    express_company: Mapped[str] = mapped_column(String(50))
    tracking_no: Mapped[str] = mapped_column(String(50))
    shipped_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class CollectionRecord(Base):
    __tablename__ = "collection_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), unique=True)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    method: Mapped[str] = mapped_column(String(10))  # 本人 / 代领 / 单位 / 快递
    collector_name: Mapped[str] = mapped_column(String(50))
    collected_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    receipt_signed: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[str] = mapped_column(String(60))

    certificate: Mapped[Certificate] = relationship()


class NoticeSubscription(Base):
    __tablename__ = "notice_subscriptions"
    __table_args__ = (UniqueConstraint("channel", "conversation_id", "id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(30))
    conversation_id: Mapped[str] = mapped_column(String(128))
    holder_name: Mapped[str] = mapped_column(String(50))
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    SENDING = "sending"  # claimed by a dispatcher
    SENT = "sent"
    FAILED = "failed"  # attempts exhausted
    UNKNOWN = "unknown"  # a dispatcher died mid-send: not retried, so no one hears twice


class PushDelivery(Base):
    """One event pushed to one subscribed conversation: a pickup notice, or a step of an
    application (受理, 不予受理, 退回, 办结, 送达). The unique (event, subscription) pair is
    what keeps a person from being told twice."""

    __tablename__ = "push_deliveries"
    __table_args__ = (
        UniqueConstraint("notice_id", "subscription_id", name="uq_push_deliveries_notice"),
        UniqueConstraint("application_step_id", "subscription_id", name="uq_push_deliveries_step"),
        CheckConstraint("(notice_id IS NULL) <> (application_step_id IS NULL)",
                        name="ck_push_deliveries_one_event"),
        Index("ix_push_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("pickup_notices.id"))
    application_step_id: Mapped[int | None] = mapped_column(ForeignKey("application_steps.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("notice_subscriptions.id"))
    state: Mapped[str] = mapped_column(String(10), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(String(300))

    subscription: Mapped[NoticeSubscription] = relationship()
    notice: Mapped[PickupNotice | None] = relationship()
    application_step: Mapped[ApplicationStep | None] = relationship()


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(120))  # ID numbers masked
    detail: Mapped[dict | None] = mapped_column(JSON)


class HolidayYear(Base):
    """A year whose holiday and 调休 arrangement staff have loaded."""

    __tablename__ = "holiday_years"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class HolidayOverride(Base):
    __tablename__ = "holiday_overrides"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(ForeignKey("holiday_years.year", ondelete="CASCADE"), index=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(50))


class StaffRole(StrEnum):
    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"
    AUDITOR = "auditor"  # reads everything in its scope and the audit log, changes nothing


# The office level each working role belongs to.
ROLE_OFFICE_LEVEL = {StaffRole.PROVINCE: OfficeLevel.PROVINCE, StaffRole.CITY: OfficeLevel.CITY,
                     StaffRole.COUNTY: OfficeLevel.COUNTY}


class StaffAccount(Base):
    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    # An auditor without an office reads every office.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)

    office: Mapped[Office | None] = relationship()


class StaffSignInAttempts(Base):
    """Wrong passwords per name typed, whether or not an account has that name: a locked name
    answers the same whether it exists or not."""

    __tablename__ = "staff_sign_in_attempts"

    username: Mapped[str] = mapped_column(String(40), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class StaffSession(Base):
    """A signed-in browser. Only the token's hash is stored; the cookie carries the token."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=_now)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    account: Mapped[StaffAccount] = relationship()
