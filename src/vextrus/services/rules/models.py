"""Tables of the rules engine (schema ``rules``, prefix ``rl_``).

A rule is a tenant's named decision (``bd.vat.rate``); its versions hold GoRules JDM documents
(JSON text). A version is a ``draft`` (editable), ``published`` (the newest published version,
at most one per rule: a partial unique index enforces it) or ``superseded`` (an older published
version that keeps its effective window, so evaluations "as of" a past date still find it).
Test cases belong to the rule: every version must pass them before it is published.
Evaluations are history rows keyed by rule key and version number, not by foreign key, so the
record survives whatever happens to the rule later.

Optimistic locking uses a ``revision`` column (the rule's versions are already called versions).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from vextrus.kit.models import (
    TYPE_ANNOTATION_MAP,
    IdMixin,
    Tenanted,
    Timestamped,
    UTCDateTime,
    service_metadata,
    utcnow,
)

SCHEMA = "rules"
KEY_LENGTH = 100
NAME_LENGTH = 200
DESCRIPTION_LENGTH = 1000
TEST_NAME_LENGTH = 100
REFERENCE_LENGTH = 200

STATUS_DRAFT = "draft"
STATUS_PUBLISHED = "published"
STATUS_SUPERSEDED = "superseded"
STATUSES = (STATUS_DRAFT, STATUS_PUBLISHED, STATUS_SUPERSEDED)

OUTCOME_OK = "ok"
OUTCOME_ERROR = "error"


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Revisioned:
    """Optimistic locking on ``revision``: a stale revision on UPDATE raises ``StaleDataError`` (409)."""

    revision: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.revision}


class Rule(IdMixin, Tenanted, Timestamped, Revisioned, Base):
    __tablename__ = "rl_rules"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str | None] = mapped_column(String(DESCRIPTION_LENGTH), nullable=True)
    # `template` when installed from a template shipped with Vextrus, else `custom`.
    source: Mapped[str] = mapped_column(String(16), default="custom")
    latest_version: Mapped[int] = mapped_column(Integer, default=0)
    published_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class RuleVersion(IdMixin, Tenanted, Timestamped, Revisioned, Base):
    __tablename__ = "rl_rule_versions"
    __table_args__ = (
        UniqueConstraint("rule_id", "number"),
        CheckConstraint("status IN ('draft', 'published', 'superseded')", name="status"),
        CheckConstraint(
            "effective_to IS NULL OR effective_from IS NULL OR effective_to >= effective_from", name="window"
        ),
        # Exactly one published version per rule (the database says so, not only the code).
        Index(
            "uq_rl_rule_versions_one_published",
            "rule_id",
            unique=True,
            postgresql_where=text("status = 'published'"),
            sqlite_where=text("status = 'published'"),
        ),
        Index("ix_rl_rule_versions_effective", "rule_id", "effective_from"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.rl_rules.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=STATUS_DRAFT)
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    comment: Mapped[str | None] = mapped_column(String(500), nullable=True)
    effective_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    effective_to: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    published_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class RuleTestCase(IdMixin, Tenanted, Timestamped, Revisioned, Base):
    """An input and the output expected for it (a subset: only the fields named are checked)."""

    __tablename__ = "rl_test_cases"
    __table_args__ = (UniqueConstraint("rule_id", "name"),)

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.rl_rules.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(TEST_NAME_LENGTH))
    description: Mapped[str | None] = mapped_column(String(500), nullable=True)
    input: Mapped[str] = mapped_column(Text)
    expected: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class Evaluation(IdMixin, Tenanted, Base):
    """One evaluation: which rule and version, the input, the output (or the error), how long."""

    __tablename__ = "rl_evaluations"
    __table_args__ = (
        Index("ix_rl_evaluations_recent", "tenant_id", "evaluated_at", "id"),
        Index("ix_rl_evaluations_key", "tenant_id", "rule_key", "evaluated_at", "id"),
        Index("ix_rl_evaluations_reference", "tenant_id", "reference"),
    )

    rule_id: Mapped[uuid.UUID] = mapped_column(Uuid())
    rule_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    version: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    input: Mapped[str] = mapped_column(Text)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_us: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str | None] = mapped_column(String(REFERENCE_LENGTH), nullable=True)
    actor: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    evaluated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
