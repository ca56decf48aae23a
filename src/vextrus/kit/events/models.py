"""The kit's event tables: the transactional outbox and the consumers' inbox."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, Integer, String, Text, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from vextrus.kit.models import PlatformBase, UTCDateTime, new_id, utcnow

PENDING, SENT, DEAD = "pending", "sent", "dead"


class OutboxEvent(PlatformBase):
    """An event written in the same transaction as the change it announces; the relay sends it."""

    __tablename__ = "platform_outbox"
    __table_args__ = (Index("ix_platform_outbox_due", "status", "service", "next_attempt_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    service: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    envelope: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class InboxEntry(PlatformBase):
    """An event a consumer has handled; written with the handler's effects (exactly-once effect)."""

    __tablename__ = "platform_inbox"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    handled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
