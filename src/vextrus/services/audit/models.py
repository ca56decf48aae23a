"""Tables of the audit service (schema ``audit``, prefix ``au_``).

``au_records`` is the trail: append-only (on PostgreSQL a trigger refuses UPDATE, DELETE and
TRUNCATE; only the purge function, after an archive and a checkpoint, may delete). Each record
holds its tenant's sequence number, the hash of the previous record and its own hash
(:mod:`vextrus.services.audit.chain`). ``au_chain_heads`` holds each tenant's last sequence number
and hash: appends lock that row, so one tenant's appends are serialized and the chain never forks.
``au_policies`` holds each tenant's retention.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vextrus.kit.models import TYPE_ANNOTATION_MAP, UTCDateTime, new_id, service_metadata, utcnow

SCHEMA = "audit"
TYPE_LENGTH = 200
SOURCE_LENGTH = 200
ACTOR_LENGTH = 200
SUBJECT_LENGTH = 200
ENTITY_TYPE_LENGTH = 130
TRACE_LENGTH = 64


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class AuditRecord(Base):
    __tablename__ = "au_records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "seq"),
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_au_records_tenant_type_seq", "tenant_id", "type", "seq"),
        Index("ix_au_records_tenant_actor_seq", "tenant_id", "actor", "seq"),
        Index("ix_au_records_tenant_entity_seq", "tenant_id", "entity_type", "entity_id", "seq"),
        Index("ix_au_records_tenant_occurred", "tenant_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=new_id)
    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger(), nullable=False)
    event_id: Mapped[str] = mapped_column(String(64), nullable=False)
    type: Mapped[str] = mapped_column(String(TYPE_LENGTH), nullable=False)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), nullable=False)
    actor: Mapped[str | None] = mapped_column(String(ACTOR_LENGTH), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(SUBJECT_LENGTH), nullable=True)
    entity_type: Mapped[str | None] = mapped_column(String(ENTITY_TYPE_LENGTH), nullable=True)
    entity_id: Mapped[str | None] = mapped_column(String(SUBJECT_LENGTH), nullable=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    trace: Mapped[str | None] = mapped_column(String(TRACE_LENGTH), nullable=True)
    payload: Mapped[str] = mapped_column(Text(), nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)


class ChainHead(Base):
    __tablename__ = "au_chain_heads"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger(), nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)


class RetentionPolicy(Base):
    __tablename__ = "au_policies"
    __table_args__ = (CheckConstraint("retention_days >= 1", name="retention_days"),)

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    retention_days: Mapped[int] = mapped_column(Integer(), nullable=False)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
