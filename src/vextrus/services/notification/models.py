"""Tables of the notification service (schema ``notification``, prefix ``ntf_``).

- ``ntf_templates``: a tenant's own wording of an event's message, per channel and language
  (built-in wording lives in code, :mod:`vextrus.services.notification.templates`).
- ``ntf_preferences``: a user's channels, language, quiet hours (Asia/Dhaka) and digest.
- ``ntf_notifications``: one per event or direct request; unique per tenant and ``event_id``
  (idempotency).
- ``ntf_deliveries``: the durable outbox of the delivery worker: one row per recipient and channel
  with its status, attempts, next attempt and the last error.
- ``ntf_inbox``: in-app notifications, per user (or per role), read or unread.
- ``ntf_task_assignees``: who a workflow task waits for, kept from ``workflow.task.assigned`` so a
  later ``workflow.sla.breached`` reaches the same approver.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Tenanted,
    Timestamped,
    UTCDateTime,
    service_metadata,
    utcnow,
)

SCHEMA = "notification"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Template(IdMixin, Tenanted, Timestamped, Base):
    __tablename__ = "ntf_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "event", "channel", "language"),)

    event: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(10))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str | None] = mapped_column(String(500), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class Preference(IdMixin, Tenanted, Timestamped, Base):
    __tablename__ = "ntf_preferences"
    __table_args__ = (UniqueConstraint("tenant_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    channels: Mapped[str] = mapped_column(String(100))  # comma-separated: email,sms,in_app
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)  # HH:MM, Asia/Dhaka
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    digest: Mapped[str] = mapped_column(String(10), default="off")  # off | daily
    digest_hour: Mapped[int] = mapped_column(Integer, default=18)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)


class Notification(IdMixin, Tenanted, Base):
    __tablename__ = "ntf_notifications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_ntf_notifications_listing", "tenant_id", "created_at", "id"),
    )

    event_id: Mapped[str] = mapped_column(String(100))
    event: Mapped[str] = mapped_column(String(100))
    source: Mapped[str] = mapped_column(String(20))  # event | api
    priority: Mapped[str] = mapped_column(String(10))  # normal | urgent
    data: Mapped[str] = mapped_column(Text)
    attachments: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Delivery(IdMixin, Tenanted, Timestamped, Base):
    __tablename__ = "ntf_deliveries"
    __table_args__ = (
        Index("ix_ntf_deliveries_queue", "status", "next_attempt_at"),
        Index("ix_ntf_deliveries_notification", "tenant_id", "notification_id"),
    )

    notification_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    channel: Mapped[str] = mapped_column(String(10))
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    address: Mapped[str | None] = mapped_column(String(254), nullable=True)
    language: Mapped[str | None] = mapped_column(String(5), nullable=True)
    # pending | deferred (quiet hours) | digest | sending | retrying | sent | failed
    status: Mapped[str] = mapped_column(String(10))
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    error_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InboxItem(IdMixin, Tenanted, Base):
    __tablename__ = "ntf_inbox"
    __table_args__ = (Index("ix_ntf_inbox_feed", "tenant_id", "user_id", "created_at", "id"),)

    notification_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    delivery_id: Mapped[uuid.UUID] = mapped_column(Uuid(), unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    event: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TaskAssignee(IdMixin, Tenanted, Base):
    __tablename__ = "ntf_task_assignees"
    __table_args__ = (UniqueConstraint("tenant_id", "task_id"),)

    task_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    business_key: Mapped[str] = mapped_column(String(200))
    document_type: Mapped[str] = mapped_column(String(100))
