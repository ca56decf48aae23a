"""Events the import-export service publishes (it consumes none)."""

from __future__ import annotations

import uuid

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class JobCounts(BaseModel):
    total: int
    processed: int
    created: int
    updated: int
    unchanged: int
    invalid: int


class JobStarted(BaseModel):
    """An import job started processing its file."""

    tenant_id: uuid.UUID
    job_id: uuid.UUID
    entity: str
    mode: str  # dry_run | commit
    file_name: str
    total_rows: int
    source_job_id: uuid.UUID | None
    actor: uuid.UUID | None


class JobFinished(BaseModel):
    """An import job finished: completed (every row answered), failed or cancelled."""

    tenant_id: uuid.UUID
    job_id: uuid.UUID
    entity: str
    mode: str
    status: str  # succeeded | failed | cancelled
    counts: JobCounts
    duration_seconds: float
    error: str | None
    actor: uuid.UUID | None


JOB_STARTED = Topic(
    "exchange.job.started",
    JobStarted,
    "An import job (dry run or commit) started processing its file; subject is the job id.",
)
JOB_COMPLETED = Topic(
    "exchange.job.completed",
    JobFinished,
    "An import job processed every row; counts say how many were created, updated, unchanged or invalid "
    "(in a dry run: would be). Subject is the job id.",
)
JOB_FAILED = Topic(
    "exchange.job.failed",
    JobFinished,
    "An import job stopped on an error that is not about one row (unreadable file, master data "
    "unreachable, process restarted); error says which. Rows committed before stay.",
)
JOB_CANCELLED = Topic(
    "exchange.job.cancelled",
    JobFinished,
    "An import job was cancelled; a commit stops after the batch in progress (earlier batches stay).",
)

PUBLISHES: tuple[Topic, ...] = (JOB_STARTED, JOB_COMPLETED, JOB_FAILED, JOB_CANCELLED)
HANDLERS: tuple[Consumer, ...] = ()
