"""Events the scheduler publishes (it consumes none)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class JobTriggered(BaseModel):
    """An event job fell due: consumers (notification, finance, documents) act on ``job_key``."""

    job_id: uuid.UUID
    job_key: str
    run_id: uuid.UUID
    scheduled_for: dt.datetime
    trigger: Literal["schedule", "manual"]
    payload: dict[str, Any]


class RunFinished(BaseModel):
    job_id: uuid.UUID
    job_key: str
    run_id: uuid.UUID
    scheduled_for: dt.datetime
    status: Literal["succeeded", "failed"]
    attempts: int
    error: str | None


class JobChanged(BaseModel):
    job_id: uuid.UUID
    job_key: str
    action: Literal["created", "updated", "paused", "resumed", "deleted"]
    actor: uuid.UUID | None


JOB_TRIGGERED = Topic(
    "scheduler.job.triggered", JobTriggered, "An event job fell due (or was triggered); subject is the job id."
)
RUN_FINISHED = Topic(
    "scheduler.run.finished", RunFinished, "A job run succeeded or failed after its retries; subject is the job id."
)
JOB_CHANGED = Topic("scheduler.job.changed", JobChanged, "A job was created, changed, paused, resumed or deleted.")

PUBLISHES: tuple[Topic, ...] = (JOB_TRIGGERED, RUN_FINISHED, JOB_CHANGED)
HANDLERS: tuple[Consumer, ...] = ()
