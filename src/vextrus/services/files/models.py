"""Tables of the file storage service (schema ``files``, prefix ``fs_``).

- ``fs_blobs``: stored content, one row per tenant and SHA-256 (dedupe), with its storage key.
- ``fs_files``: what people see: a name, the current version, soft-deletion and its purge date.
- ``fs_file_versions``: every version of a file, each pointing at a blob.
- ``fs_attachments``: links from a file to any entity of any service (``entity_type``, ``entity_id``).
- ``fs_usage``: bytes a tenant stores (distinct blobs), updated with every new or purged blob.
- ``fs_limits``: the operator's per-tenant quota, size limits and retention (defaults from settings).
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
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

SCHEMA = "files"
NAME_LENGTH = 255
TYPE_LENGTH = 150
ENTITY_TYPE_LENGTH = 60
ENTITY_ID_LENGTH = 100


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Blob(IdMixin, Tenanted, Base):
    """Content stored once per tenant: the same bytes uploaded again reuse this row."""

    __tablename__ = "fs_blobs"
    __table_args__ = (UniqueConstraint("tenant_id", "sha256"),)

    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StoredFile(IdMixin, Tenanted, Timestamped, Base):
    """A file as people see it; its content is the current version's blob."""

    __tablename__ = "fs_files"
    __table_args__ = (Index("ix_fs_files_listing", "tenant_id", "created_at", "id"),)

    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    content_type: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    current_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    deleted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    purge_after: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class FileVersion(IdMixin, Tenanted, Base):
    __tablename__ = "fs_file_versions"
    __table_args__ = (UniqueConstraint("file_id", "number"),)

    file_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.fs_files.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    blob_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.fs_blobs.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    content_type: Mapped[str] = mapped_column(String(TYPE_LENGTH))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Attachment(IdMixin, Tenanted, Base):
    """A file attached to an entity of any service, e.g. ``("finance.invoice", "<uuid>")``."""

    __tablename__ = "fs_attachments"
    __table_args__ = (
        UniqueConstraint("file_id", "entity_type", "entity_id"),
        Index("ix_fs_attachments_entity", "tenant_id", "entity_type", "entity_id"),
    )

    file_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.fs_files.id", ondelete="CASCADE"))
    entity_type: Mapped[str] = mapped_column(String(ENTITY_TYPE_LENGTH))
    entity_id: Mapped[str] = mapped_column(String(ENTITY_ID_LENGTH))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Usage(Base):
    """Bytes and blobs a tenant stores (deduplicated content counts once)."""

    __tablename__ = "fs_usage"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    used_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    blob_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Limits(Base):
    """The platform operator's limits for one tenant; NULL means the service default."""

    __tablename__ = "fs_limits"

    tenant_id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True)
    quota_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_file_bytes: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kind_limits: Mapped[str | None] = mapped_column(Text, nullable=True)
    retention_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
