"""Input and output models of the audit API."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from pydantic import BaseModel, Field

ENTITY_TYPE_PATTERN = r"^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$"
TYPE_PATTERN = r"^[a-z][a-z0-9-]*(\.[a-z0-9_-]+){1,3}$"


class AuditEventOut(BaseModel):
    id: uuid.UUID
    seq: int = Field(description="Position in the tenant's chain (1, 2, 3 ...)")
    event_id: str
    type: str
    source: str
    actor: str | None
    subject: str | None
    entity_type: str | None = Field(description="`service.entity` of the topic, e.g. master-data.customer")
    entity_id: str | None
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    trace: str | None = Field(description="W3C traceparent of the event")
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, record: Any) -> AuditEventOut:
        return cls(
            id=record.id,
            seq=record.seq,
            event_id=record.event_id,
            type=record.type,
            source=record.source,
            actor=record.actor,
            subject=record.subject,
            entity_type=record.entity_type,
            entity_id=record.entity_id,
            occurred_at=record.occurred_at,
            recorded_at=record.recorded_at,
            trace=record.trace,
            payload=json.loads(record.payload),
            prev_hash=record.prev_hash,
            hash=record.hash,
        )


class BrokenLinkOut(BaseModel):
    seq: int
    record_id: uuid.UUID | None
    reason: str = Field(description="hash_mismatch, prev_hash_mismatch, gap, missing_checkpoint or head_mismatch")
    expected: str | None
    found: str | None


class VerifyOut(BaseModel):
    ok: bool
    records_checked: int
    first_seq: int | None
    last_seq: int
    head_hash: str
    starts_after_checkpoint: bool = Field(
        description="The oldest records were purged; the chain starts at a checkpoint"
    )
    broken: BrokenLinkOut | None
    duration_ms: float


class RetentionIn(BaseModel):
    retention_days: int = Field(ge=1, le=36500, description="Days a record is kept after it occurred")


class RetentionOut(BaseModel):
    retention_days: int
    default: bool = Field(description="True when the tenant never set one (the service default applies)")
    updated_at: dt.datetime | None


class PurgeOut(BaseModel):
    purged: int
    archives: list[uuid.UUID] = Field(description="Files (file service) holding the archived records")
    checkpoint_seqs: list[int]
    cutoff: dt.datetime
