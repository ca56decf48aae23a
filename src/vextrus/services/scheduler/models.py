"""Tables of the scheduler (schema ``scheduler``, prefix ``sch_``).

A run is unique per job, due time and trigger: however many replicas tick at once, only one of
them can record the run of a due time, so a job runs exactly once per due time. System jobs
belong to the platform tenant (``00000000-0000-0000-0000-000000000000``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Tenanted,
    Timestamped,
    UTCDateTime,
    Versioned,
    service_metadata,
    utcnow,
)

SCHEMA = "scheduler"
KEY_LENGTH = 100


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Job(IdMixin, Tenanted, Timestamped, Versioned, Base):
    __tablename__ = "sch_jobs"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_sch_jobs_due", "status", "next_run_at"),
    )

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    kind: Mapped[str] = mapped_column(String(8))  # cron | once
    cron: Mapped[str | None] = mapped_column(String(100), nullable=True)
    run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    timezone: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(Text)  # JSON: {"type": "event"} | {"type": "http", ...}
    payload: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16))  # active | paused | completed
    next_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_run_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    retry_delay_seconds: Mapped[int] = mapped_column(Integer, default=60)
    timeout_seconds: Mapped[int] = mapped_column(Integer, default=30)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class Run(IdMixin, Tenanted, Base):
    __tablename__ = "sch_runs"
    __table_args__ = (
        UniqueConstraint("job_id", "scheduled_for", "trigger"),
        Index("ix_sch_runs_job", "tenant_id", "job_id", "scheduled_for", "id"),
        Index("ix_sch_runs_pending", "status", "next_attempt_at"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.sch_jobs.id", ondelete="CASCADE"))
    job_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    scheduled_for: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual
    status: Mapped[str] = mapped_column(String(16))  # running | retrying | succeeded | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(64), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
