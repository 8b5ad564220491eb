"""An organisation's 联系单 (batch number, occupation, level, headcount, visit date) read
against the published lists. `check_organization` is the one reading: the dry run
(`POST /applications/check`) answers with it, and an organisation's application is refused
with its first problem.

Batch numbers follow each province's and year's style, so nothing about their shape is
checked: a batch number is good when a published list carries it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field

from pickup_rules import ErrorCode, RuleError
from pickup_rules.vocabulary import CODE_TOO_LONG, normalize_code
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.errors import AppError
from app.models import (
    CLOSED_APPLICATION_STATES,
    Application,
    AssessmentBatch,
    Certificate,
    CertificateState,
    NoticeBatch,
    PickupNotice,
)
from app.rules.deadlines import PickupDeadline, pickup_deadline
from app.rules.vocabulary import LEVELS, chinese_date, find_level
from app.rules.working_days import WorkCalendar
from app.services.notices import batch_order

FIELDS = ("batch_no", "occupation", "level", "headcount", "visit_date")
# Problems that mean "not on a published list"; an application answers them as `not_on_list`.
NOT_ON_LIST = frozenset({ErrorCode.BATCH_NOT_PUBLISHED, ErrorCode.OCCUPATION_NOT_IN_BATCH, ErrorCode.LEVEL_NOT_IN_BATCH})
LEVEL_MESSAGE = "等级应为五级、四级、三级、二级或一级（初级工至高级技师）。"
# A sentence around a batch number is cut here when it is too long to read as one code.
_SENTENCE_BREAKS = re.compile(r"[，,。；;！!？?：:、\n]")


@dataclass(frozen=True)
class Problem:
    field: str
    code: ErrorCode
    message: str
    details: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", ErrorCode(self.code))

    def public(self) -> dict:
        return {"field": self.field, "code": self.code.value, "message": self.message, "details": self.details}

    def as_error(self) -> AppError:
        """As `POST /applications` refuses: list mismatches keep the code `not_on_list`, and
        `details.field` says which field to ask again."""
        if self.code in NOT_ON_LIST:
            return AppError(422, "not_on_list", self.message,
                            details={"field": self.field, "reason": self.code, **self.details})
        return AppError(422, self.code, self.message, details={"field": self.field, **self.details})


@dataclass
class PublishedGroup:
    """One occupation at one level of a published batch: what an organisation collects."""

    batch: AssessmentBatch
    published_on: dt.date  # of the latest notice that covered it
    ready: int  # certificates still collectable: ready, and no mail or proxy application in progress
    deadline: PickupDeadline | None

    def public(self) -> dict:
        return {"occupation": self.batch.occupation, "level": self.batch.level, "ready": self.ready,
                "deadline": self.deadline.date.isoformat() if self.deadline else None,
                "deadline_estimated": self.deadline.estimated if self.deadline else False}


@dataclass
class OrganizationCheck:
    batch_no: str | None = None
    occupation: str | None = None
    level: str | None = None
    groups: list[PublishedGroup] = field(default_factory=list)
    group: PublishedGroup | None = None  # when batch, occupation and level are all known
    visit_window: dict | None = None
    errors: list[Problem] = field(default_factory=list)

    def public(self) -> dict:
        return {"batch_no": self.batch_no, "occupation": self.occupation, "level": self.level,
                "groups": [g.public() for g in self.groups], "visit_window": self.visit_window,
                "errors": [e.public() for e in self.errors]}

    def refuse_if_any(self) -> None:
        if self.errors:
            raise self.errors[0].as_error()


def _plain(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _code_texts(raw: str) -> list[str]:
    """The typed text as batch numbers are stored (`normalize_code`); a long sentence is read
    clause by clause, since no batch number is longer than a code may be."""
    try:
        return [normalize_code(raw)]
    except RuleError as exc:
        if exc.code != CODE_TOO_LONG:
            return []
    texts = []
    for clause in _SENTENCE_BREAKS.split(raw):
        try:
            texts.append(normalize_code(clause))
        except RuleError:
            continue
    return texts


def _published_batch_no(session: Session, raw: str) -> str | None:
    """The exact published batch number, else the longest one contained in the text."""
    texts = _code_texts(raw)
    if not texts:
        return None
    published = select(AssessmentBatch.batch_no).join(
        NoticeBatch, NoticeBatch.batch_id == AssessmentBatch.id).distinct()
    exact = session.scalar(published.where(AssessmentBatch.batch_no.in_(texts)).limit(1))
    if exact is not None:
        return exact
    contained = [b for b in session.scalars(published) if any(b in text for text in texts)]
    return max(contained, key=len) if contained else None


def published_groups(session: Session, batch_no: str, calendar: WorkCalendar) -> list[PublishedGroup]:
    rows = session.execute(
        select(AssessmentBatch, func.max(PickupNotice.published_on))
        .join(NoticeBatch, NoticeBatch.batch_id == AssessmentBatch.id)
        .join(PickupNotice, PickupNotice.id == NoticeBatch.notice_id)
        .where(AssessmentBatch.batch_no == batch_no)
        .group_by(AssessmentBatch.id)
    ).all()
    ready = ready_counts(session, [batch.id for batch, _ in rows])
    groups = [PublishedGroup(batch, published_on, ready.get(batch.id, 0),
                             pickup_deadline(batch, published_on, calendar)) for batch, published_on in rows]
    return sorted(groups, key=lambda g: batch_order(g.batch))


def ready_counts(session: Session, batch_ids: list[int]) -> dict[int, int]:
    """Per batch group: ready certificates that no mail or proxy application holds."""
    if not batch_ids:
        return {}
    held = select(Application.id).where(
        Application.certificate_id == Certificate.id,
        Application.state.not_in(CLOSED_APPLICATION_STATES)).exists()
    return dict(session.execute(
        select(Certificate.batch_id, func.count())
        .where(Certificate.batch_id.in_(batch_ids), Certificate.state == CertificateState.READY, ~held)
        .group_by(Certificate.batch_id)
    ).all())


def _match_occupation(groups: list[PublishedGroup], raw: str) -> str | None:
    """Exact (NFKC, no spaces), else the one occupation of the batch named in the text."""
    occupations = sorted({g.batch.occupation for g in groups})
    text = _plain(raw)
    for occupation in occupations:
        if _plain(occupation) == text:
            return occupation
    named = [o for o in occupations if _plain(o) and _plain(o) in text]
    # "维修电工" names 电工 too: keep only the occupations no other named one contains.
    named = [o for o in named if not any(o != other and _plain(o) in _plain(other) for other in named)]
    return named[0] if len(named) == 1 else None


def _sorted_levels(levels: set[str]) -> list[str]:
    return sorted(levels, key=lambda lv: LEVELS.index(lv) if lv in LEVELS else len(LEVELS))


def check_organization(session: Session, *, calendar: WorkCalendar, today: dt.date,
                       batch_no: str | None = None, occupation: str | None = None,
                       level: str | None = None, headcount: int | None = None,
                       visit_date: dt.date | None = None) -> OrganizationCheck:
    """Any subset of the form's fields; the first problem of each field, in form order."""
    result = OrganizationCheck()
    problems: dict[str, Problem] = {}

    if batch_no is not None:
        result.batch_no = _published_batch_no(session, batch_no)
        if result.batch_no is None:
            problems["batch_no"] = Problem(
                "batch_no", "batch_not_published",
                "未找到已发布领证通知的这个鉴定批次号，请核对联系单上的鉴定批次号；名单尚未公布时不能领取。")
        else:
            result.groups = published_groups(session, result.batch_no, calendar)

    if occupation is not None and result.groups:
        result.occupation = _match_occupation(result.groups, occupation)
        if result.occupation is None:
            options = sorted({g.batch.occupation for g in result.groups})
            problems["occupation"] = Problem(
                "occupation", "occupation_not_in_batch",
                f"该鉴定批次已公布的名单中没有这个职业。该批次的职业有：{'、'.join(options)}。",
                {"options": options})

    if level is not None:
        result.level = find_level(level)
        if result.level is None:
            problems["level"] = Problem("level", "invalid_level", LEVEL_MESSAGE)
        elif result.groups and "occupation" not in problems:
            candidates = [g for g in result.groups
                          if result.occupation is None or g.batch.occupation == result.occupation]
            if result.level not in {g.batch.level for g in candidates}:
                options = _sorted_levels({g.batch.level for g in candidates})
                what = f"该鉴定批次的{result.occupation}" if result.occupation else "该鉴定批次"
                problems["level"] = Problem(
                    "level", "level_not_in_batch",
                    f"{what}已公布的名单中没有{result.level}。可选等级：{'、'.join(options)}。",
                    {"options": options})

    if result.occupation and result.level and "level" not in problems:
        result.group = next(g for g in result.groups
                            if (g.batch.occupation, g.batch.level) == (result.occupation, result.level))

    group = result.group
    if headcount is not None and group is not None and headcount > group.ready:
        problems["headcount"] = Problem(
            "headcount", "headcount_exceeds_list",
            f"该批次该职业等级目前可领取的证书为{group.ready}本，领取人数不能超过这个数。",
            {"ready": group.ready})

    visit_problem = _visit(result, group, visit_date, calendar, today)
    if visit_problem is not None:
        problems["visit_date"] = visit_problem

    result.errors = [problems[f] for f in FIELDS if f in problems]
    return result


def _visit(result: OrganizationCheck, group: PublishedGroup | None, visit_date: dt.date | None,
           calendar: WorkCalendar, today: dt.date) -> Problem | None:
    """A visit is on a working day inside the pickup window: from the notice (not before
    today) to the group's last day."""
    if group is not None and group.deadline is not None:
        first = max(today, group.published_on)
        while not calendar.is_workday(first) and first <= group.deadline.date:
            first += dt.timedelta(days=1)
        last = group.deadline.date
        if first > last:
            return Problem("visit_date", "pickup_window_closed",
                           f"该批次该职业等级的领取期限已于{chinese_date(last)}届满，请联系领证机构咨询。",
                           {"last": last.isoformat(), "estimated": group.deadline.estimated})
        estimated = group.deadline.estimated or not calendar.is_known_year(first.year)
        result.visit_window = {"first": first.isoformat(), "last": last.isoformat(), "estimated": estimated}
    if visit_date is None:
        return None
    window = result.visit_window
    if window is not None and not window["first"] <= visit_date.isoformat() <= window["last"]:
        first, last = dt.date.fromisoformat(window["first"]), dt.date.fromisoformat(window["last"])
        return Problem("visit_date", "visit_date_outside_window",
                       f"领证日期应在{chinese_date(first)}至{chinese_date(last)}之间（领取期限内的工作日）。",
                       {"first": window["first"], "last": window["last"], "estimated": window["estimated"]})
    if window is None and visit_date < today:
        return Problem("visit_date", "visit_date_outside_window", "领证日期不能早于今天。",
                       {"first": today.isoformat(), "last": None, "estimated": False})
    if not calendar.is_workday(visit_date):
        return Problem("visit_date", "visit_date_not_working_day",
                       f"{chinese_date(visit_date)}不是工作日，请选择工作日前来领取。",
                       {"date": visit_date.isoformat(),
                        "estimated": not calendar.is_known_year(visit_date.year)})
    return None
