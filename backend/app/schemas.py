"""Request bodies. Responses are plain dicts built by the services."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Name = Annotated[str, Field(min_length=1, max_length=50)]
IdNumber = Annotated[str, Field(min_length=1, max_length=30)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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


class ProxyApplication(_Body):
    kind: Literal["proxy"]
    name: Name
    id_number: IdNumber
    proxy_name: Name
    proxy_id_number: IdNumber
    phone: str | None = Field(default=None, max_length=30)
    certificate_no: str | None = None
    channel: str | None = Field(default=None, max_length=30)


class OrganizationApplication(_Body):
    kind: Literal["organization"]
    organization_name: Annotated[str, Field(min_length=2, max_length=100)]
    batch_no: Annotated[str, Field(min_length=1, max_length=40)]
    occupation: Annotated[str, Field(min_length=1, max_length=60)]
    level: Annotated[str, Field(min_length=1, max_length=10)]
    headcount: Annotated[int, Field(ge=1, le=10000)]
    collector_name: Name
    collector_id_number: IdNumber
    visit_date: dt.date
    phone: str | None = Field(default=None, max_length=30)
    channel: str | None = Field(default=None, max_length=30)


ApplicationRequest = Annotated[
    MailApplication | ProxyApplication | OrganizationApplication, Field(discriminator="kind")
]


class Transition(_Body):
    to: Literal["accepted", "reviewing", "completed", "delivered", "rejected", "returned"]
    reason: str | None = Field(default=None, max_length=300)
    express_company: str | None = Field(default=None, max_length=50)
    tracking_no: str | None = Field(default=None, max_length=50)


class CollectionRequest(_Body):
    certificate_nos: Annotated[list[str], Field(min_length=1, max_length=5000)]
    method: Literal["本人", "代领", "单位"]
    collector_name: Name
    receipt_signed: bool
    application_number: str | None = None


class NoticeRequest(_Body):
    office_code: str
    batch_nos: Annotated[list[str], Field(min_length=1, max_length=100)]
    published_on: dt.date
    title: str | None = Field(default=None, max_length=200)


class SubscriptionRequest(_Body):
    channel: Annotated[str, Field(min_length=1, max_length=30)]
    conversation_id: Annotated[str, Field(min_length=1, max_length=128)]
    name: Name
    id_number: IdNumber


class OfficeRecord(_Body):
    code: Annotated[str, Field(min_length=2, max_length=12)]
    level: Literal["省", "市", "县"]
    region: Annotated[str, Field(min_length=1, max_length=20)]
    district: str | None = Field(default=None, max_length=20)
    name: Annotated[str, Field(min_length=1, max_length=100)]
    address: Annotated[str, Field(min_length=1, max_length=200)]
    phone: Annotated[str, Field(min_length=1, max_length=50)]
    hours: Annotated[str, Field(min_length=1, max_length=200)]
    map_url: str | None = Field(default=None, max_length=300)
