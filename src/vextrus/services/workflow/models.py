"""Tables of the workflow service (schema ``workflow``, prefix ``wf_``).

Definitions are immutable versions (``number``); an instance points at the exact version it
started with, so publishing a new version never changes a running process. Human decisions live
here, in one transaction each (exactly once, optimistic locking on tasks and instances); the
durable runtime (DBOS, its own database) only drives timers and system steps and writes its
outcomes back into these tables.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid, text
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

SCHEMA = "workflow"

KEY_LENGTH = 100
NAME_LENGTH = 200
STATE_LENGTH = 60
ACTION_LENGTH = 40
ROLE_LENGTH = 60
BUSINESS_KEY_LENGTH = 100
IDEMPOTENCY_KEY_LENGTH = 100
COMMENT_LENGTH = 2000


class Base(DeclarativeBase):
    metadata = service_metadata(SCHEMA)
    type_annotation_map = TYPE_ANNOTATION_MAP


class Definition(IdMixin, Tenanted, Base):
    """One immutable version of a tenant's process definition (``spec`` is the validated JSON)."""

    __tablename__ = "wf_definitions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key", "number"),
        Index("ix_wf_definitions_current", "tenant_id", "key", "is_current"),
    )

    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    number: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(16))  # builtin | custom
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    name_bn: Mapped[str | None] = mapped_column(String(NAME_LENGTH), nullable=True)
    document_type: Mapped[str] = mapped_column(String(KEY_LENGTH))
    spec: Mapped[str] = mapped_column(Text)
    comment: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


RUNNING = "running"


class Instance(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """A running (or finished) process about one business document."""

    __tablename__ = "wf_instances"
    __table_args__ = (
        UniqueConstraint("tenant_id", "start_key"),
        # One running process per document and definition; finished ones may repeat.
        Index(
            "uq_wf_instances_running_business_key",
            "tenant_id",
            "definition_key",
            "business_key",
            unique=True,
            sqlite_where=text("status = 'running'"),
            postgresql_where=text("status = 'running'"),
        ),
        Index("ix_wf_instances_list", "tenant_id", "started_at", "id"),
        Index("ix_wf_instances_status", "status", "state"),
    )

    definition_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.wf_definitions.id"))
    definition_key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    definition_number: Mapped[int] = mapped_column(Integer)
    document_type: Mapped[str] = mapped_column(String(KEY_LENGTH))
    business_key: Mapped[str] = mapped_column(String(BUSINESS_KEY_LENGTH))
    company_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    document: Mapped[str] = mapped_column(Text)
    document_ref: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[uuid.UUID] = mapped_column(Uuid())
    started_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    state: Mapped[str] = mapped_column(String(STATE_LENGTH))
    status: Mapped[str] = mapped_column(String(16))  # running | completed | rejected | cancelled | failed
    entry_seq: Mapped[int] = mapped_column(Integer, default=0)
    plan: Mapped[str] = mapped_column(Text, default="{}")  # approval chains by state: steps and progress
    current_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    durable_id: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the system state's run
    start_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)


OPEN = "open"


class Task(IdMixin, Tenanted, Timestamped, Versioned, Base):
    """Work waiting for a person: one approval seat of a step, or the task of a task state."""

    __tablename__ = "wf_tasks"
    __table_args__ = (
        Index("ix_wf_tasks_instance", "tenant_id", "instance_id"),
        Index("ix_wf_tasks_user", "tenant_id", "status", "assignee_user_id"),
        Index("ix_wf_tasks_role", "tenant_id", "status", "assignee_role"),
        Index("ix_wf_tasks_delegate", "tenant_id", "status", "delegate_user_id"),
        Index("ix_wf_tasks_due", "status", "due_at"),
        Index("ix_wf_tasks_remind", "status", "remind_at"),
    )

    instance_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.wf_instances.id"))
    state: Mapped[str] = mapped_column(String(STATE_LENGTH))
    entry_seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # approval | task
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    step_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    seat: Mapped[int] = mapped_column(Integer, default=1)
    assignee_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    assignee_role: Mapped[str | None] = mapped_column(String(ROLE_LENGTH), nullable=True)
    department: Mapped[str | None] = mapped_column(String(KEY_LENGTH), nullable=True)
    actions: Mapped[str] = mapped_column(Text)  # JSON list of the actions this task offers
    allow_self_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(24))
    decision: Mapped[str | None] = mapped_column(String(ACTION_LENGTH), nullable=True)
    decided_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    comment: Mapped[str | None] = mapped_column(String(COMMENT_LENGTH), nullable=True)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    remind_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    breached_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    on_timeout: Mapped[str] = mapped_column(String(16), default="notify")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    delegate_user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    delegate_from: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delegate_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delegated_by: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)


class HistoryEntry(IdMixin, Tenanted, Base):
    """One thing that happened to an instance: who did what, from which state to which, and why."""

    __tablename__ = "wf_history"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_wf_history_instance", "tenant_id", "instance_id", "at", "id"),
    )

    instance_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.wf_instances.id"))
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)
    action: Mapped[str] = mapped_column(String(ACTION_LENGTH))
    actor: Mapped[uuid.UUID | None] = mapped_column(Uuid(), nullable=True)  # NULL: the system
    from_state: Mapped[str | None] = mapped_column(String(STATE_LENGTH), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(STATE_LENGTH), nullable=True)
    step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    comment: Mapped[str | None] = mapped_column(String(COMMENT_LENGTH), nullable=True)
    data: Mapped[str | None] = mapped_column(Text, nullable=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class StepRun(IdMixin, Tenanted, Timestamped, Base):
    """One system step of a system state (or its compensation), as the durable runtime ran it."""

    __tablename__ = "wf_step_runs"
    __table_args__ = (
        UniqueConstraint("instance_id", "entry_seq", "position", "kind"),
        Index("ix_wf_step_runs_instance", "tenant_id", "instance_id"),
    )

    instance_id: Mapped[uuid.UUID] = mapped_column(Uuid(), ForeignKey(f"{SCHEMA}.wf_instances.id"))
    state: Mapped[str] = mapped_column(String(STATE_LENGTH))
    entry_seq: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))  # action | compensation
    status: Mapped[str] = mapped_column(String(24))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    executions: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(String(COMMENT_LENGTH), nullable=True)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), nullable=True)
