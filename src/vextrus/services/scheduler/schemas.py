"""Pydantic input and output models of the scheduler API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from vextrus.services.scheduler import cron
from vextrus.services.scheduler.models import KEY_LENGTH

JOB_KEY_PATTERN = r"^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*$"
PERMISSION_PATTERN = r"^[a-z][a-z0-9-]*(?:\.[a-z0-9*-]+){1,3}$"


def _printable(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("must not contain control characters")
    return value


def _cron(value: str) -> str:
    value = " ".join(value.split())
    if not cron.valid(value):
        raise ValueError("must be a five-field cron expression (minute hour day month weekday), e.g. '0 9 15 * *'")
    return value


SafeText = Annotated[str, AfterValidator(_printable)]
CronExpression = Annotated[str, Field(min_length=9, max_length=100), AfterValidator(_cron)]
JobStatus = Literal["active", "paused", "completed"]
RunStatus = Literal["running", "retrying", "succeeded", "failed"]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HttpTarget(_Input):
    """Call a service's API as the scheduler (holding ``permissions`` in the job's tenant)."""

    type: Literal["http"]
    service: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9-]*$")]
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: Annotated[str, Field(min_length=6, max_length=500, pattern=r"^/api/[A-Za-z0-9/._~-]*$")]
    body: dict[str, Any] | None = None
    permissions: list[Annotated[str, Field(max_length=100, pattern=PERMISSION_PATTERN)]] = Field(
        default_factory=list, max_length=20
    )


class EventTarget(_Input):
    """Publish ``scheduler.job.triggered`` with the job's key and payload."""

    type: Literal["event"]


Target = Annotated[HttpTarget | EventTarget, Field(discriminator="type")]


class Schedule(_Input):
    """Either ``cron`` (Asia/Dhaka time) or a one-off ``at``."""

    cron: CronExpression | None = None
    at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        if (self.cron is None) == (self.at is None):
            raise ValueError("give either cron or at")
        return self


class JobCreate(_Input):
    key: Annotated[str, Field(min_length=3, max_length=KEY_LENGTH, pattern=JOB_KEY_PATTERN)]
    name: Annotated[SafeText, Field(min_length=1, max_length=200)]
    description: Annotated[SafeText, Field(max_length=1000)] | None = None
    schedule: Schedule
    target: Target
    payload: dict[str, Any] = Field(default_factory=dict)
    max_attempts: int = Field(default=3, ge=1, le=10)
    retry_delay_seconds: int = Field(default=60, ge=1, le=86_400)
    timeout_seconds: int = Field(default=30, ge=1, le=600)
    paused: bool = False


class JobPatch(_Input):
    name: Annotated[SafeText, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[SafeText, Field(max_length=1000)] | None = None
    schedule: Schedule | None = None
    target: Target | None = None
    payload: dict[str, Any] | None = None
    max_attempts: int | None = Field(default=None, ge=1, le=10)
    retry_delay_seconds: int | None = Field(default=None, ge=1, le=86_400)
    timeout_seconds: int | None = Field(default=None, ge=1, le=600)
    expected_version: int | None = Field(default=None, ge=1, le=2**31 - 1)


class JobOut(BaseModel):
    id: uuid.UUID
    key: str
    name: str
    description: str | None
    kind: Literal["cron", "once"]
    cron: str | None
    run_at: dt.datetime | None
    timezone: str
    target: dict[str, Any]
    payload: dict[str, Any]
    status: JobStatus
    system: bool = Field(description="A platform job (not a tenant's)")
    next_run_at: dt.datetime | None
    next_run_local: str | None = Field(description="The next due time in Asia/Dhaka, e.g. 2026-12-15 09:00 +06")
    upcoming: list[dt.datetime] = Field(description="The next due times after next_run_at")
    last_run_at: dt.datetime | None
    last_status: str | None
    max_attempts: int
    retry_delay_seconds: int
    timeout_seconds: int
    created_by: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class JobList(BaseModel):
    items: list[JobOut]
    next_cursor: str | None = None


class RunOut(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    job_key: str
    scheduled_for: dt.datetime
    trigger: Literal["schedule", "manual"]
    status: RunStatus
    attempts: int
    next_attempt_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    output: Any
    error: str | None
