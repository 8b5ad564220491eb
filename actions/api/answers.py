"""The backend's answers as the actions read them: frozen dataclasses built by the client
from the JSON (`build`), so that actions use attributes, not `.get()` chains.

Only the fields the actions use are listed; the backend may send more. Each class names the
OpenAPI schema it reads (`@answer(...)`, its `SCHEMA`): a Rasa-side test checks every field against the committed
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


def answer(schema: str) -> typing.Callable[[type], type]:
    """A frozen dataclass reading the OpenAPI schema `schema` (its `SCHEMA`)."""

    def declare(cls: type) -> type:
        cls.SCHEMA = schema
        return dataclass(frozen=True)(cls)

    return declare


# -- shared parts ---------------------------------------------------------------------------

@answer("Office")
class Office:
    code: str
    level: str
    region: str
    name: str
    address: str
    phone: str
    hours: str


@answer("CertificateDeadline")
class Deadline:
    date: dt.date
    estimated: bool
    passed: bool
    rule: Literal["notice", "national_exam"]
    counted_from: dt.date
    working_days_left: int | None = None


@answer("Delivery")
class Delivery:
    express_company: str | None
    tracking_no: str | None
    shipped_on: dt.date


@answer("Application")
class Application:
    number: str
    kind: Literal["mail", "proxy", "organization"]
    state: str
    state_label: str
    delivery_due_on: dt.date | None
    delivery_due_estimated: bool
    delivery_due_basis: Literal["decision_date", "application_date"]
    delivery: Delivery | None


@answer("RefusedApplication")
class RefusedApplication:
    number: str
    kind: Literal["mail", "proxy", "organization"]
    state_label: str
    reason: str | None
    decided_on: dt.date


@answer("Collection")
class Collection:
    method: str
    collected_on: dt.date


# -- answers --------------------------------------------------------------------------------

@answer("CertificateStatus")
class CertificateStatus:
    certificate_no: str
    occupation: str
    level: str
    state: str
    office: Office
    deadline: Deadline | None
    collection: Collection | None
    application: Application | None
    refused_application: RefusedApplication | None


@answer("StatusReport")
class StatusReport:
    name: str
    id_number_masked: str
    certificates: tuple[CertificateStatus, ...]


@answer("OfficeList")
class OfficeList:
    offices: tuple[Office, ...]


@answer("WorkingDayCheck")
class WorkingDay:
    date: dt.date
    workday: bool
    estimated: bool


@answer("Deadline")
class NoticeDeadline:
    date: dt.date
    estimated: bool


@answer("NoticeBatch")
class NoticeBatch:
    batch_no: str
    deadline: NoticeDeadline | None


@answer("Notice")
class Notice:
    office: Office
    batches: tuple[NoticeBatch, ...]


@answer("Subscription")
class Subscription:
    push_supported: bool
    id_number_masked: str


@answer("CreatedApplication")
class CreatedApplication(Application):
    certificate: CertificateIdentity | None = None
    contact_form_path: str | None = None


@answer("CertificateIdentity")
class CertificateIdentity:
    certificate_no: str
    occupation: str
    level: str


@answer("CheckError")
class CheckError:
    field: str
    code: ErrorCode | str
    details: dict[str, Any] = dataclasses.field(default_factory=dict)


@answer("OrganizationCheckAnswer")
class OrganizationCheck:
    batch_no: str | None
    occupation: str | None
    level: str | None
    errors: tuple[CheckError, ...] = ()

    def error_for(self, name: str) -> CheckError | None:
        return next((e for e in self.errors if e.field == name), None)


@answer("Health")
class Health:
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
