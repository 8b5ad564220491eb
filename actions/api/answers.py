"""The backend's answers as the actions read them: frozen dataclasses built by the client
from the JSON (`build`), so that actions use attributes, not `.get()` chains.

Only the fields the actions use are listed; the backend may send more. Each class names the
OpenAPI schema it reads (`SCHEMA`): a Rasa-side test checks every field against the committed
description (`contract/openapi.json`), since this environment (pydantic 1) cannot import the
backend's models. An answer missing a field listed here, or with a value of the wrong kind, is
not an answer (`BadAnswer`: the client reports `backend_bad_answer`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, Union

from pickup_rules import ErrorCode


class BadAnswer(ValueError):
    """The JSON does not have the shape of the answer."""


# -- shared parts ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Office:
    SCHEMA: typing.ClassVar[str] = "Office"
    code: str
    level: str
    region: str
    name: str
    address: str
    phone: str
    hours: str


@dataclass(frozen=True)
class Deadline:
    SCHEMA: typing.ClassVar[str] = "CertificateDeadline"
    date: dt.date
    estimated: bool
    passed: bool
    rule: Literal["notice", "national_exam"]
    counted_from: dt.date
    working_days_left: int | None = None


@dataclass(frozen=True)
class Delivery:
    SCHEMA: typing.ClassVar[str] = "Delivery"
    express_company: str | None
    tracking_no: str | None
    shipped_on: dt.date


@dataclass(frozen=True)
class Application:
    SCHEMA: typing.ClassVar[str] = "Application"
    number: str
    kind: Literal["mail", "proxy", "organization"]
    state: str
    state_label: str
    delivery_due_on: dt.date | None
    delivery_due_estimated: bool
    delivery_due_basis: Literal["decision_date", "application_date"]
    delivery: Delivery | None


@dataclass(frozen=True)
class RefusedApplication:
    SCHEMA: typing.ClassVar[str] = "RefusedApplication"
    number: str
    kind: Literal["mail", "proxy", "organization"]
    state_label: str
    reason: str | None
    decided_on: dt.date


@dataclass(frozen=True)
class Collection:
    SCHEMA: typing.ClassVar[str] = "Collection"
    method: str
    collected_on: dt.date


# -- answers --------------------------------------------------------------------------------

@dataclass(frozen=True)
class CertificateStatus:
    SCHEMA: typing.ClassVar[str] = "CertificateStatus"
    certificate_no: str
    occupation: str
    level: str
    state: str
    office: Office
    deadline: Deadline | None
    collection: Collection | None
    application: Application | None
    refused_application: RefusedApplication | None


@dataclass(frozen=True)
class StatusReport:
    SCHEMA: typing.ClassVar[str] = "StatusReport"
    name: str
    id_number_masked: str
    certificates: tuple[CertificateStatus, ...]


@dataclass(frozen=True)
class OfficeList:
    SCHEMA: typing.ClassVar[str] = "OfficeList"
    offices: tuple[Office, ...]


@dataclass(frozen=True)
class WorkingDay:
    SCHEMA: typing.ClassVar[str] = "WorkingDayCheck"
    date: dt.date
    workday: bool
    estimated: bool


@dataclass(frozen=True)
class NoticeDeadline:
    SCHEMA: typing.ClassVar[str] = "Deadline"
    date: dt.date
    estimated: bool


@dataclass(frozen=True)
class NoticeBatch:
    SCHEMA: typing.ClassVar[str] = "NoticeBatch"
    batch_no: str
    deadline: NoticeDeadline | None


@dataclass(frozen=True)
class Notice:
    SCHEMA: typing.ClassVar[str] = "Notice"
    office: Office
    batches: tuple[NoticeBatch, ...]


@dataclass(frozen=True)
class Subscription:
    SCHEMA: typing.ClassVar[str] = "Subscription"
    push_supported: bool
    id_number_masked: str


@dataclass(frozen=True)
class CreatedApplication(Application):
    SCHEMA: typing.ClassVar[str] = "CreatedApplication"
    certificate: CertificateIdentity | None = None
    contact_form_path: str | None = None


@dataclass(frozen=True)
class CertificateIdentity:
    SCHEMA: typing.ClassVar[str] = "CertificateIdentity"
    certificate_no: str
    occupation: str
    level: str


@dataclass(frozen=True)
class CheckError:
    SCHEMA: typing.ClassVar[str] = "CheckError"
    field: str
    code: ErrorCode | str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class OrganizationCheck:
    SCHEMA: typing.ClassVar[str] = "OrganizationCheckAnswer"
    batch_no: str | None
    occupation: str | None
    level: str | None
    errors: tuple[CheckError, ...] = ()

    def error_for(self, name: str) -> CheckError | None:
        return next((e for e in self.errors if e.field == name), None)


@dataclass(frozen=True)
class Health:
    SCHEMA: typing.ClassVar[str] = "Health"
    status: str


# -- building -------------------------------------------------------------------------------

def build(cls: type, data: object) -> Any:
    """`cls` from decoded JSON: nested dataclasses, tuples, unions, literals, dates checked."""
    if not isinstance(data, dict):
        raise BadAnswer(f"{cls.__name__}: not an object")
    hints = typing.get_type_hints(cls)
    values = {}
    for item in dataclasses.fields(cls):
        if item.name in data:
            values[item.name] = _value(hints[item.name], data[item.name], f"{cls.__name__}.{item.name}")
        elif item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING:
            raise BadAnswer(f"{cls.__name__}.{item.name}: missing")
    return cls(**values)


def _value(hint: Any, value: object, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for option in (a for a in args if a is not type(None)):
            try:
                return _value(option, value, where)
            except BadAnswer:
                continue
        raise BadAnswer(f"{where}: {type(value).__name__} fits none of {hint}")
    if origin is tuple:
        if not isinstance(value, list):
            raise BadAnswer(f"{where}: not a list")
        return tuple(_value(args[0], v, where) for v in value)
    if origin is dict:
        if not isinstance(value, dict):
            raise BadAnswer(f"{where}: not an object")
        return value
    if origin is Literal:
        if value not in args:
            raise BadAnswer(f"{where}: none of {args}")
        return value
    if dataclasses.is_dataclass(hint):
        return build(hint, value)
    if isinstance(hint, type) and issubclass(hint, Enum):
        try:
            return hint(value)
        except ValueError:
            raise BadAnswer(f"{where}: unknown value") from None
    if hint is dt.date:
        try:
            return dt.date.fromisoformat(value) if isinstance(value, str) else _fail(where, "a date")
        except ValueError:
            raise BadAnswer(f"{where}: not a date") from None
    if hint is Any:
        return value
    if hint is bool and isinstance(value, bool):
        return value
    if hint is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if hint is str and isinstance(value, str):
        return value
    return _fail(where, getattr(hint, "__name__", str(hint)))


def _fail(where: str, expected: str) -> Any:
    raise BadAnswer(f"{where}: not {expected}")
