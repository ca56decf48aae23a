"""Input and output models of the notification API."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from vextrus.bd.phone import normalize_mobile
from vextrus.services.notification.rules import parse_hhmm
from vextrus.services.notification.templates import Channel, Language

EVENT_PATTERN = r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9_-]*){1,3}$"
Status = Literal["pending", "deferred", "digest", "sending", "retrying", "sent", "failed", "expanded"]
Event = Annotated[str, Field(min_length=3, max_length=100, pattern=EVENT_PATTERN)]
Role = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z][a-z0-9-]*$")]


_EMAIL = re.compile(
    r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def _email(value: str) -> str:
    if not _EMAIL.match(value) or any(ord(char) < 32 for char in value):
        raise ValueError("not an e-mail address (name@example.com.bd)")
    return value


EmailStr = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _mobile(value: str | None) -> str | None:
    if value is None:
        return None
    normalized = normalize_mobile(value)
    if normalized is None:
        raise ValueError("not a valid Bangladeshi mobile number (01XXXXXXXXX or +8801XXXXXXXXX)")
    return normalized


class RecipientIn(_Input):
    """Exactly one of: a user of the tenant, an e-mail address, a mobile number, or a role (in-app)."""

    user_id: uuid.UUID | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=5, max_length=20)] | None = None
    role: Role | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _mobile(value)

    @model_validator(mode="after")
    def _one(self) -> RecipientIn:
        given = [name for name in ("user_id", "email", "phone", "role") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of user_id, email, phone, role")
        return self


class AttachmentIn(_Input):
    file_id: uuid.UUID
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class SendIn(_Input):
    event: Event = "notification.message"
    event_id: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$")] | None = None
    recipients: list[RecipientIn] = Field(min_length=1, max_length=100)
    channels: list[Channel] | None = Field(default=None, min_length=1, max_length=3)
    language: Language | None = None
    priority: Literal["normal", "urgent"] = "normal"
    data: dict[str, Any] = Field(default_factory=dict)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=5)


class DeliveryOut(BaseModel):
    id: uuid.UUID
    channel: Channel
    user_id: uuid.UUID | None
    role: str | None
    address: str | None
    language: str | None
    status: Status
    attempts: int
    next_attempt_at: dt.datetime | None
    error_reason: str | None
    error_detail: str | None
    provider_message_id: str | None
    sent_at: dt.datetime | None


class NotificationOut(BaseModel):
    id: uuid.UUID
    event_id: str
    event: str
    source: str
    priority: str
    created_at: dt.datetime
    data: dict[str, Any]
    deliveries: list[DeliveryOut]


class NotificationSummary(BaseModel):
    id: uuid.UUID
    event_id: str
    event: str
    source: str
    priority: str
    created_at: dt.datetime


class EventOut(BaseModel):
    event: str
    description: str
    channels: list[Channel]
    priority: str


class EventList(BaseModel):
    items: list[EventOut]


class TemplateIn(_Input):
    subject: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    body: Annotated[str, Field(min_length=1, max_length=200_000)]


class TemplateOut(BaseModel):
    event: str
    channel: Channel
    language: Language
    subject: str | None
    body: str
    source: Literal["builtin", "tenant"]
    version: int


class TemplateList(BaseModel):
    items: list[TemplateOut]


class PreferenceIn(_Input):
    channels: list[Channel] = Field(min_length=1, max_length=3)
    language: Language | None = None
    quiet_start: Annotated[str, Field(pattern=r"^\d\d:\d\d$")] | None = None
    quiet_end: Annotated[str, Field(pattern=r"^\d\d:\d\d$")] | None = None
    digest: Literal["off", "daily"] = "off"
    digest_hour: int = Field(default=18, ge=0, le=23)
    email: EmailStr | None = None
    phone: Annotated[str, Field(min_length=5, max_length=20)] | None = None

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return _mobile(value)

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _time(cls, value: str | None) -> str | None:
        if value is not None:
            parse_hhmm(value)
        return value

    @field_validator("channels")
    @classmethod
    def _unique(cls, value: list[Channel]) -> list[Channel]:
        if len(set(value)) != len(value):
            raise ValueError("each channel once")
        return value

    @model_validator(mode="after")
    def _pair(self) -> PreferenceIn:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet hours need both quiet_start and quiet_end (HH:MM, Asia/Dhaka)")
        return self


class PreferenceOut(BaseModel):
    user_id: uuid.UUID
    channels: list[Channel]
    language: Language | None
    quiet_start: str | None
    quiet_end: str | None
    digest: Literal["off", "daily"]
    digest_hour: int
    email: str | None
    phone: str | None
    default: bool


class InboxItemOut(BaseModel):
    id: uuid.UUID
    notification_id: uuid.UUID
    event: str
    title: str
    body: str
    link: str | None
    role: str | None
    read: bool
    read_at: dt.datetime | None
    created_at: dt.datetime


class InboxPage(BaseModel):
    items: list[InboxItemOut]
    next_cursor: str | None = None
    unread: int


class ReadAllOut(BaseModel):
    marked: int
