"""Tables of the document generator (schema ``documents``, prefix ``doc_``).

- ``doc_templates`` / ``doc_template_versions``: templates services and tenants register (Jinja2
  HTML/CSS), every version kept; ``tenant_id`` NULL for templates shared with every tenant.
- ``doc_brandings``: a company's letterhead (names, contact lines, logo in file storage, colours).
- ``doc_documents``: every render: what was asked (template, version, language, data), how it went
  (status, attempts, error) and where the output is (file storage id and version).
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
    Versioned,
    service_metadata,
    utcnow,
)

SCHEMA = "documents"
KEY_LENGTH = 60
NAME_LENGTH = 200


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Template(IdMixin, Timestamped, Base):
    """A registered template; its content is in versions. ``tenant_id`` NULL: shared by all tenants."""

    __tablename__ = "doc_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True, index=True)
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    current_version: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class TemplateVersion(IdMixin, Base):
    __tablename__ = "doc_template_versions"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    tenant_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True, index=True)
    template_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.doc_templates.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    default_language: Mapped[str] = mapped_column(String(10))
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Branding(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A company's letterhead."""

    __tablename__ = "doc_brandings"
    __table_args__ = (UniqueConstraint("tenant_id", "company_id"),)

    company_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    address_bn: Mapped[str | None] = mapped_column(String(500), nullable=True)
    bin: Mapped[str | None] = mapped_column(String(20), nullable=True)
    tin: Mapped[str | None] = mapped_column(String(20), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    website: Mapped[str | None] = mapped_column(String(200), nullable=True)
    letterhead_note: Mapped[str | None] = mapped_column(String(300), nullable=True)
    footer_text: Mapped[str | None] = mapped_column(String(300), nullable=True)
    primary_colour: Mapped[str] = mapped_column(String(7))
    accent_colour: Mapped[str] = mapped_column(String(7))
    logo_file_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class Document(IdMixin, Tenanted, Timestamped, Base):
    """One render request and its output."""

    __tablename__ = "doc_documents"
    __table_args__ = (
        Index("ix_doc_documents_listing", "tenant_id", "created_at", "id"),
        Index("ix_doc_documents_queue", "status", "not_before"),
    )

    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    template_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    template_version: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    reference: Mapped[str | None] = mapped_column(String(200), nullable=True)
    filename: Mapped[str] = mapped_column(String(255))
    data: Mapped[str | None] = mapped_column(Text, nullable=True)
    entity_type: Mapped[str | None] = mapped_column(String(60), nullable=True)
    entity_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    file_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    file_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    pages: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    error_detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
