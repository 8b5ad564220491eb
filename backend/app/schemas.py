"""Request bodies, and the organisation check's answer (its request's neighbour); every other
answer's model is in app/answers.py."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pickup_rules import ErrorCode
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

# Dates the service counts with: a working-day period or a statistics span past these would run
# off the calendar (and past 9999-12-31); no certificate, notice or visit is dated outside them.
FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: object) -> object:
    """Only `YYYY-MM-DD`: pydantic alone also reads `0` or `"1700000000"` as a timestamp."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise PydanticCustomError("date_format", "a date as YYYY-MM-DD")


def _date_in_range(value: dt.date) -> dt.date:
    if not FIRST_DATE <= value <= LAST_DATE:
        raise PydanticCustomError("date_range", "a date from 1900-01-01 to 2100-12-31")
    return value


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_text), AfterValidator(_date_in_range)]


def web_address(value: str | None) -> str | None:
    """A link shown to applicants: http(s) to a host, never `javascript:` or `data:`."""
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in value):
        raise PydanticCustomError("url_scheme", "an http or https address")
    return value


def nul_free(value: object) -> object:
    """PostgreSQL cannot store a NUL character: such text is refused as input (422), anywhere in
    a body, instead of failing in the database (500)."""
    if isinstance(value, str) and "\x00" in value:
        raise PydanticCustomError("nul_character", "text without NUL characters")
    if isinstance(value, dict):
        for key, item in value.items():
            nul_free(key)
            nul_free(item)
    elif isinstance(value, list | tuple):
        for item in value:
            nul_free(item)
    return value


# A JSON object taken as it comes (a holiday file), with no NUL in any text of it.
JsonObject = Annotated[dict, AfterValidator(nul_free)]
# Offices' codes are identifiers (行政区划代码 such as 330100), in paths, forms and bodies alike.
OfficeCode = Annotated[str, Field(min_length=2, max_length=12, pattern=r"^[0-9A-Za-z_-]+$")]

Name = Annotated[str, Field(min_length=1, max_length=50)]
IdNumber = Annotated[str, Field(min_length=1, max_length=30)]
# An organisation's 联系单 as typed: the backend finds the published batch number in it.
BatchNoText = Annotated[str, Field(min_length=1, max_length=100)]
OccupationText = Annotated[str, Field(min_length=1, max_length=100)]
LevelText = Annotated[str, Field(min_length=1, max_length=20)]
Headcount = Annotated[int, Field(ge=1, le=10000)]
ConversationId = Annotated[str, Field(min_length=1, max_length=128)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        return nul_free(value)


class StatusQuery(_Body):
    name: Name
    id_number: IdNumber


class MailApplication(_Body):
    kind: Literal["mail"]
    name: Name
    id_number: IdNumber
    phone: Annotated[str, Field(min_length=1, max_length=30)]
    address: Annotated[str, Field(min_length=1, max_length=300)]
    certificate_no: str | None = None
    channel: str | None = Field(default=None, max_length=30)
    # With `channel`: that conversation is subscribed to the holder and hears each decision.
    conversation_id: ConversationId | None = None


class ProxyApplication(_Body):
    kind: Literal["proxy"]
    name: Name
    id_number: IdNumber
    proxy_name: Name
    proxy_id_number: IdNumber
    phone: str | None = Field(default=None, max_length=30)
    certificate_no: str | None = None
    channel: str | None = Field(default=None, max_length=30)
    conversation_id: ConversationId | None = None


class OrganizationApplication(_Body):
    kind: Literal["organization"]
    organization_name: Annotated[str, Field(min_length=2, max_length=100)]
    batch_no: BatchNoText
    occupation: OccupationText
    level: LevelText
    headcount: Headcount
    collector_name: Name
    collector_id_number: IdNumber
    visit_date: IsoDate
    phone: str | None = Field(default=None, max_length=30)
    channel: str | None = Field(default=None, max_length=30)
    conversation_id: ConversationId | None = None


class OrganizationCheckRequest(_Body):
    """Any subset of an organisation's 联系单 fields, checked without applying."""

    batch_no: BatchNoText | None = None
    occupation: OccupationText | None = None
    level: LevelText | None = None
    headcount: Headcount | None = None
    visit_date: IsoDate | None = None


ApplicationRequest = Annotated[
    MailApplication | ProxyApplication | OrganizationApplication, Field(discriminator="kind")
]


class CheckGroup(BaseModel):
    occupation: str
    level: str
    ready: int = Field(description="certificates still collectable: ready, no mail or proxy application")
    deadline: dt.date | None = Field(description="the group's last day to collect")
    deadline_estimated: bool


class VisitWindow(BaseModel):
    first: dt.date
    last: dt.date
    estimated: bool


class CheckError(BaseModel):
    field: Literal["batch_no", "occupation", "level", "headcount", "visit_date"]
    code: ErrorCode
    message: str
    details: dict


class OrganizationCheckAnswer(BaseModel):
    batch_no: str | None = Field(description="the published batch number found, canonical")
    occupation: str | None
    level: str | None
    groups: list[CheckGroup]
    visit_window: VisitWindow | None
    errors: list[CheckError] = Field(description="the first problem per field, in form order")


class Transition(_Body):
    to: Literal["accepted", "reviewing", "completed", "delivered", "rejected", "returned"]
    reason: str | None = Field(default=None, max_length=300)
    express_company: str | None = Field(default=None, max_length=50)
    tracking_no: str | None = Field(default=None, max_length=50)


class ProxyWalkIn(_Body):
    """A proxy at the counter with the holder's 委托书 and no online application."""

    proxy_name: Name
    proxy_id_number: IdNumber


class OrganizationWalkIn(_Body):
    """An organisation's collector at the counter with the unit's letter, no online application."""

    organization_name: Annotated[str, Field(min_length=2, max_length=100)]
    collector_name: Name
    collector_id_number: IdNumber


class CollectionRequest(_Body):
    certificate_nos: Annotated[list[str], Field(min_length=1, max_length=5000)]
    method: Literal["本人", "代领", "单位"]
    # Required, except for a walk-in: then the walk-in's proxy or collector is the collector.
    collector_name: Name | None = None
    receipt_signed: bool
    # 代领 and 单位: the online application being collected, or `walk_in` (not both).
    application_number: str | None = None
    walk_in: ProxyWalkIn | OrganizationWalkIn | None = None


class NoticeRequest(_Body):
    office_code: OfficeCode
    batch_nos: Annotated[list[str], Field(min_length=1, max_length=100)]
    published_on: IsoDate
    title: str | None = Field(default=None, max_length=200)


class SubscriptionRequest(_Body):
    channel: Annotated[str, Field(min_length=1, max_length=30)]
    conversation_id: Annotated[str, Field(min_length=1, max_length=128)]
    name: Name
    id_number: IdNumber


class OfficeRecord(_Body):
    code: OfficeCode
    level: Literal["省", "市", "县"]
    region: Annotated[str, Field(min_length=1, max_length=20)]
    district: str | None = Field(default=None, max_length=20)
    name: Annotated[str, Field(min_length=1, max_length=100)]
    address: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(min_length=1, max_length=50)]
    hours: Annotated[str, Field(min_length=1, max_length=200)]
    map_url: Annotated[str | None, AfterValidator(web_address)] = Field(default=None, max_length=300)
    # The office above (a county's city, a city's province); derived from GB/T 2260 codes when
    # left out. Staff accounts see their office and every office under it.
    parent_code: OfficeCode | None = None
