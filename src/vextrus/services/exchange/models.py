"""Tables of the import-export service (schema ``exchange``, prefix ``xch_``).

An import job is one file applied to one entity, either as a dry run (every row validated, nothing
changed) or as the commit of a dry run (the valid rows upserted by code). The file and the
per-row outcomes live in the service's storage directory; the job row carries status, progress
and counts.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, Uuid
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Tenanted,
    Timestamped,
    UTCDateTime,
    service_metadata,
)

SCHEMA = "exchange"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Job(IdMixin, Tenanted, Timestamped, Base):
    """One import job. Not versioned: people do not edit jobs; the runner and a cancel request
    change them with targeted updates of their own columns."""

    __tablename__ = "xch_jobs"
    __table_args__ = (
        Index("ix_xch_jobs_tenant_created", "tenant_id", "id"),
        Index("ix_xch_jobs_status_heartbeat", "status", "heartbeat_at"),
    )

    entity: Mapped[str] = mapped_column(String(20))  # customers | vendors | products | accounts
    mode: Mapped[str] = mapped_column(String(10))  # dry_run | commit
    status: Mapped[str] = mapped_column(String(12))  # queued | running | succeeded | failed | cancelled
    source_job_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)  # a commit's dry run
    file_name: Mapped[str] = mapped_column(String(255))
    file_format: Mapped[str] = mapped_column(String(8))  # csv | xlsx
    file_size: Mapped[int] = mapped_column(Integer)
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_key: Mapped[str] = mapped_column(String(255))  # the upload, relative to the storage directory
    columns: Mapped[list[str]] = mapped_column(JSON)  # the file's columns this entity knows
    ignored_columns: Mapped[list[str]] = mapped_column(JSON)
    total_rows: Mapped[int] = mapped_column(Integer)  # data rows counted at upload
    processed_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_rows: Mapped[int] = mapped_column(Integer, default=0)
    updated_rows: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_rows: Mapped[int] = mapped_column(Integer, default=0)
    invalid_rows: Mapped[int] = mapped_column(Integer, default=0)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    error_bn: Mapped[str | None] = mapped_column(Text, nullable=True)
    permissions: Mapped[list[str]] = mapped_column(JSON)  # what the job may do in master data
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    def counts(self) -> dict[str, Any]:
        return {
            "total": self.total_rows,
            "processed": self.processed_rows,
            "created": self.created_rows,
            "updated": self.updated_rows,
            "unchanged": self.unchanged_rows,
            "invalid": self.invalid_rows,
        }


FINISHED = frozenset({"succeeded", "failed", "cancelled"})
