"""The kit's event tables: the transactional outbox, the consumers' inbox and the dead letters."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from vextrus.kit.models import PlatformBase, UTCDateTime, new_id, utcnow

PENDING, SENT, DEAD = "pending", "sent", "dead"
REQUEUED, DISCARDED = "requeued", "discarded"


class OutboxEvent(PlatformBase):
    """An event written in the same transaction as the change it announces; the relay sends it.

    ``headers`` (JSON) is set only on copies queued again by an operator (``vextrus events replay``
    or ``dlq requeue``); the original rows carry none.
    """

    __tablename__ = "platform_outbox"
    __table_args__ = (
        Index("ix_platform_outbox_due", "status", "service", "next_attempt_at"),
        # the relay's claim: oldest pending first, and "an earlier pending row of the same key"
        Index(
            "ix_platform_outbox_pending_order",
            "created_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index(
            "ix_platform_outbox_pending_key",
            "service",
            "key",
            "created_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

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
    headers: Mapped[str | None] = mapped_column(Text, nullable=True)


class InboxEntry(PlatformBase):
    """An event a consumer has handled; written with the handler's effects (exactly-once effect)."""

    __tablename__ = "platform_inbox"

    consumer: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(200))
    handled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DeadLetter(PlatformBase):
    """An event a consumer failed to handle after its last attempt (also sent to ``<topic>.dlq``).

    One row per (consumer, event): failing again after a requeue updates it. It counts as resolved
    once the consumer's inbox holds the event (handled after a requeue or a replay).
    """

    __tablename__ = "platform_dead_letters"
    __table_args__ = (
        UniqueConstraint("consumer", "event_id"),
        Index("ix_platform_dead_letters_status", "status", "consumer"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    consumer: Mapped[str] = mapped_column(String(200))
    event_id: Mapped[str] = mapped_column(String(64))
    topic: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200))
    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    envelope: Mapped[str] = mapped_column(Text)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    times_dead: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default=DEAD)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    first_failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_failed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    requeued_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
