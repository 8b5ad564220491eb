"""What every JSON endpoint answers, as the OpenAPI description declares it.

The services still build plain dicts; each route names its model here (`response_model`), so
that FastAPI checks the answer against it and the published description (`contract/openapi.json`)
says what clients may read. Models forbid fields they do not list: a service adding a field
without declaring it fails its tests (500), instead of going out undescribed. Dates are
`YYYY-MM-DD`; moments are kept as the services write them (ISO 8601 text) so that no answer
changes its spelling.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas import CheckError, CheckGroup, OrganizationCheckAnswer, VisitWindow

Moment = str  # ISO 8601 with offset, as the service wrote it


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- public ------------------------------------------------------------------------------

class Health(Answer):
    status: Literal["ok"]


class DueDate(Answer):
    start: dt.date
    days: int
    due: dt.date
    estimated: bool = Field(description="true when the calendar of a year in the span is unknown")


class WorkingDayCheck(Answer):
    date: dt.date
    workday: bool
    estimated: bool


class HolidayDay(Answer):
    date: dt.date
    type: Literal["workday", "holiday"]
    name: str | None


class HolidayYear(Answer):
    year: int
    source: Literal["overrides", "chinesecalendar"] | None
    known: bool
    override_source: str | None
    days: list[HolidayDay]


class Office(Answer):
    code: str
    level: str
    region: str
    district: str | None
    name: str
    address: str
    phone: str
    hours: str
    map_url: str | None


class OfficeList(Answer):
    city: str | None
    offices: list[Office]


class Deadline(Answer):
    date: dt.date
    estimated: bool
    passed: bool
    rule: Literal["notice", "national_exam"]
    counted_from: dt.date


class NoticeBatch(Answer):
    batch_no: str
    occupation: str
    level: str
    exam_type: str
    deadline: Deadline | None


class Notice(Answer):
    id: int | None = Field(description="null in a preview")
    title: str | None
    office_code: str
    office: Office
    published_on: dt.date
    batches: list[NoticeBatch]
    certificates: int


class NoticeWarning(Answer):
    code: Literal["national_exam_window_ended"]
    message: str
    batch_no: str
    occupation: str
    level: str
    deadline: Deadline


class PublishedNotice(Notice):
    subscribers_queued: int
    warnings: list[NoticeWarning]


class NoticePreview(PublishedNotice):
    preview: Literal[True]


# -- applicants --------------------------------------------------------------------------

class CertificateIdentity(Answer):
    certificate_no: str
    occupation: str
    level: str
    batch_no: str


class ApplicationStep(Answer):
    state: str
    label: str
    at: Moment
    reason: str | None


class Delivery(Answer):
    express_company: str | None
    tracking_no: str | None
    shipped_on: dt.date


class Application(Answer):
    number: str
    kind: Literal["mail", "proxy", "organization"]
    certificate: CertificateIdentity | None
    state: str
    state_label: str
    reason: str | None
    steps: list[ApplicationStep]
    delivery_due_on: dt.date | None
    delivery_due_estimated: bool
    delivery_due_basis: Literal["decision_date", "application_date"]
    delivery: Delivery | None


class CreatedApplication(Application):
    access_token: str
    contact_form_path: str | None = Field(default=None, description="an organisation's only")


class RefusedApplication(Answer):
    number: str
    kind: Literal["mail", "proxy", "organization"]
    state: str
    state_label: str
    reason: str | None
    decided_on: dt.date
    certificate: CertificateIdentity | None


class CertificateDeadline(Deadline):
    working_days_left: int | None = Field(description="after today up to the last day; 0 on it; null once passed")


class NoticeRef(Answer):
    id: int
    published_on: dt.date


class Collection(Answer):
    method: str
    collected_on: dt.date


class CertificateStatus(CertificateIdentity):
    exam_type: str
    state: str
    state_label: str
    office: Office
    notice: NoticeRef | None
    deadline: CertificateDeadline | None
    collection: Collection | None
    application: Application | None
    refused_application: RefusedApplication | None


class StatusReport(Answer):
    name: str
    id_number_masked: str
    certificates: list[CertificateStatus]


class Subscription(Answer):
    subscribed: bool
    created: bool
    channel: str
    push_supported: bool
    id_number_masked: str


# The organisation check's models are its request's neighbours (app.schemas).
__all__ = ["CheckError", "CheckGroup", "OrganizationCheckAnswer", "VisitWindow"]


# -- staff -------------------------------------------------------------------------------

class ImportedBatch(Answer):
    batch_no: str
    occupation: str
    level: str
    certificates: int


class Columns(Answer):
    header_row: int
    mapped: dict[str, str] = Field(description="header cell as written -> field")
    ignored: list[str]


class ImportWarning(Answer):
    line: int
    code: str
    message: str


class ListImport(Answer):
    dry_run: bool
    imported: int
    unchanged: int
    batches: list[ImportedBatch]
    columns: Columns | None
    warnings: list[ImportWarning]
    warning_counts: dict[str, int]


class PushAttempt(Answer):
    channel: str
    conversation_id: str
    state: str
    attempts: int
    last_error: str | None
    sent_at: Moment | None


class NoticeDeliveries(Answer):
    notice_id: int
    deliveries: list[PushAttempt]


class StepPushAttempt(PushAttempt):
    step: str


class ApplicationDeliveries(Answer):
    number: str
    deliveries: list[StepPushAttempt]


class Collected(Answer):
    collected: list[str]
    method: Literal["本人", "代领", "单位"]
    applications: list[str]


class OfficeCases(Answer):
    office_code: str
    office_name: str
    certificates: int
    individual_cases: int
    organization_cases: int
    cases: int


class MonthCases(Answer):
    month: str
    method: str
    cases: int


class OnTime(Answer):
    delivered: int
    on_time: int
    rate: float | None


class Statistics(Answer):
    start: dt.date
    end: dt.date
    cases: int
    individual_cases: int
    organization_cases: int
    certificates: int
    by_office: list[OfficeCases]
    by_month: list[MonthCases]
    on_time: OnTime


class HolidaysLoaded(Answer):
    year: int
    days: int
    source: str | None


class OfficesLoaded(Answer):
    offices: int


class StepOption(Answer):
    state: str
    label: str


class QueueBatch(Answer):
    batch_no: str
    occupation: str
    level: str


class QueueItem(Application):
    office_code: str
    applicant_name: str
    applicant_id_masked: str | None
    phone: str | None
    address: str | None
    proxy_name: str | None
    organization_name: str | None
    headcount: int | None
    batch: QueueBatch | None
    visit_date: dt.date | None
    applied_on: dt.date
    channel: str | None
    due_on: dt.date | None
    overdue: bool
    finished: bool
    next_states: list[StepOption]


class WorkQueue(Answer):
    today: dt.date
    applications: list[QueueItem]


class WeekIntentCount(Answer):
    week: str
    intent: str | None
    count: int


class UnansweredQuestion(Answer):
    at: Moment
    week: str
    text: str
    intent: str | None
    confidence: float
    answer: list[str]


class Unanswered(Answer):
    weeks: int
    threshold: float
    configured: bool
    total: int
    by_week_and_intent: list[WeekIntentCount]
    questions: list[UnansweredQuestion]


class WhoAmI(Answer):
    username: str
    role: str | None
    office_code: str | None
    read_only: bool
    csrf_token: str | None
    offices: list[Office]


class AuditRow(Answer):
    id: int
    at: Moment
    actor: str
    action: str
    target: str | None
    detail: Any


class AuditLog(Answer):
    entries: list[AuditRow]


class HotlineMessage(Answer):
    text: str | None
    response: str | None
    source: str | None
    buttons: list[dict[str, str]]
    image: str | None
    attachment: Any
    metadata: dict[str, Any]
    citation: str


class HotlineAnswer(Answer):
    conversation: str
    sender_id: str
    messages: list[HotlineMessage]
