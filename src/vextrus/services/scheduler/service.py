"""Business logic of the scheduler's jobs: create, change, pause, resume, delete, read.

No HTTP and no SQL strings. Due times are computed in Asia/Dhaka; ``next_run_at`` (UTC) is what
the runner compares with its clock. Resuming a paused job schedules the next due time after now:
the runs missed while paused are not made up.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, invalid_field, not_found, register_error_titles
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import Principal
from vextrus.services.scheduler import cron
from vextrus.services.scheduler.events import JOB_CHANGED, JobChanged
from vextrus.services.scheduler.models import Job, Run
from vextrus.services.scheduler.repository import JobRepository, RunRepository
from vextrus.services.scheduler.schemas import HttpTarget, JobCreate, JobOut, JobPatch, RunOut, Schedule

PLATFORM_TENANT_ID = uuid.UUID(int=0)
"""System jobs belong to the platform tenant; managing them needs ``platform.scheduler.manage``."""
SERVICE_SUBJECT = uuid.uuid5(uuid.NAMESPACE_URL, "vextrus:service:scheduler")

register_error_titles(
    {
        "job_exists": {"en": "A job with this key exists", "bn": "এই কী-এর একটি কাজ আছে"},
        "job_limit": {"en": "Too many jobs", "bn": "অনেক বেশি কাজ"},
        "job_completed": {"en": "The job has completed", "bn": "কাজটি সম্পন্ন হয়েছে"},
    }
)


def dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def require_platform_rights(principal: Principal) -> None:
    """System jobs (the platform tenant's) are managed by platform operators only."""
    if principal.tenant_id == PLATFORM_TENANT_ID and not principal.has("platform.scheduler.manage"):
        raise AppError(
            403,
            "forbidden",
            "System jobs need the permission 'platform.scheduler.manage'",
            "সিস্টেমের কাজের জন্য 'platform.scheduler.manage' অনুমতি প্রয়োজন",
            extra={"permission": "platform.scheduler.manage"},
        )


def _check_target_rights(principal: Principal, target: Any) -> None:
    """A job calls as the scheduler with its target's permissions: its author must hold them."""
    if isinstance(target, HttpTarget):
        for index, permission in enumerate(target.permissions):
            if not principal.has(permission):
                raise invalid_field(
                    f"body.target.permissions.{index}",
                    f"you do not hold '{permission}' yourself",
                    f"'{permission}' অনুমতি আপনার নিজের নেই",
                    "not_held",
                )


def next_due(job: Job, after: dt.datetime) -> dt.datetime | None:
    if job.kind == "once":
        return job.run_at if job.run_at is not None and job.last_run_at is None else None
    assert job.cron is not None
    return cron.next_after(job.cron, after)


def _apply_schedule(job: Job, schedule: Schedule, now: dt.datetime) -> None:
    if schedule.cron is not None:
        job.kind, job.cron, job.run_at = "cron", schedule.cron, None
    else:
        assert schedule.at is not None
        job.kind, job.cron, job.run_at = "once", None, schedule.at.astimezone(dt.UTC)
        job.last_run_at = None
    job.next_run_at = next_due(job, now) if job.status == "active" else None


def job_out(job: Job) -> JobOut:
    upcoming: list[dt.datetime] = []
    if job.kind == "cron" and job.cron and job.next_run_at is not None:
        upcoming = list(cron.upcoming(job.cron, job.next_run_at, 3))
    local = job.next_run_at.astimezone(cron.DHAKA).strftime("%Y-%m-%d %H:%M %z") if job.next_run_at else None
    return JobOut(
        id=job.id,
        key=job.key,
        name=job.name,
        description=job.description,
        kind=job.kind,
        cron=job.cron,
        run_at=job.run_at,
        timezone=job.timezone,
        target=load(job.target),
        payload=load(job.payload),
        status=job.status,
        system=job.tenant_id == PLATFORM_TENANT_ID,
        next_run_at=job.next_run_at,
        next_run_local=local,
        upcoming=upcoming,
        last_run_at=job.last_run_at,
        last_status=job.last_status,
        max_attempts=job.max_attempts,
        retry_delay_seconds=job.retry_delay_seconds,
        timeout_seconds=job.timeout_seconds,
        created_by=job.created_by,
        created_at=job.created_at,
        updated_at=job.updated_at,
        version=job.version,
    )


def run_out(run: Run) -> RunOut:
    return RunOut(
        id=run.id,
        job_id=run.job_id,
        job_key=run.job_key,
        scheduled_for=run.scheduled_for,
        trigger=run.trigger,
        status=run.status,
        attempts=run.attempts,
        next_attempt_at=run.next_attempt_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        output=load(run.output),
        error=run.error,
    )


def _changed(session: AsyncSession, job: Job, action: str, actor: uuid.UUID | None) -> None:
    record_event(
        session,
        JOB_CHANGED,
        JobChanged(job_id=job.id, job_key=job.key, action=action, actor=actor),
        subject=job.id,
    )


async def create_job(
    session: AsyncSession, body: JobCreate, principal: Principal | None, now: dt.datetime, limit: int
) -> JobOut:
    jobs = JobRepository(session)
    if principal is not None:
        _check_target_rights(principal, body.target)
    if await jobs.by_key(body.key) is not None:
        raise AppError(409, "job_exists", f"A job with key {body.key} exists", f"{body.key} কী-এর একটি কাজ আছে")
    if await jobs.count() >= limit:
        raise AppError(409, "job_limit", f"A tenant may have at most {limit} jobs", f"সর্বোচ্চ {limit}টি কাজ")
    job = Job(
        id=new_id(),
        key=body.key,
        name=body.name,
        description=body.description,
        timezone=cron.TIMEZONE,
        target=dump(body.target.model_dump(mode="json", exclude_none=True)),
        payload=dump(body.payload),
        status="paused" if body.paused else "active",
        max_attempts=body.max_attempts,
        retry_delay_seconds=body.retry_delay_seconds,
        timeout_seconds=body.timeout_seconds,
        created_by=principal.subject if principal else None,
        created_at=now,
        updated_at=now,
    )
    _apply_schedule(job, body.schedule, now)
    jobs.add(job)
    await session.flush()
    _changed(session, job, "created", job.created_by)
    return job_out(job)


async def _job(session: AsyncSession, job_id: uuid.UUID) -> Job:
    job = await JobRepository(session).get(job_id)
    if job is None:
        raise not_found("Job", job_id, "নির্ধারিত কাজ")
    return job


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> JobOut:
    return job_out(await _job(session, job_id))


async def list_jobs(session: AsyncSession, page: PageRequest, status: str | None) -> Page[JobOut]:
    rows = await JobRepository(session).page(page, status)
    return Page[JobOut](items=[job_out(row) for row in rows.items], next_cursor=rows.next_cursor)


async def patch_job(
    session: AsyncSession, job_id: uuid.UUID, body: JobPatch, principal: Principal, now: dt.datetime
) -> JobOut:
    job = await _job(session, job_id)
    if body.expected_version is not None and body.expected_version != job.version:
        raise AppError(
            409, "version_conflict", f"The job is at version {job.version}", f"কাজটি সংস্করণ {job.version}-এ আছে"
        )
    for name in ("name", "description", "max_attempts", "retry_delay_seconds", "timeout_seconds"):
        value = getattr(body, name)
        if value is not None:
            setattr(job, name, value)
    if body.payload is not None:
        job.payload = dump(body.payload)
    if body.target is not None:
        _check_target_rights(principal, body.target)
        job.target = dump(body.target.model_dump(mode="json", exclude_none=True))
    if body.schedule is not None:
        if job.status == "completed":
            job.status = "active"
        _apply_schedule(job, body.schedule, now)
    job.updated_at = now
    await session.flush()
    _changed(session, job, "updated", principal.subject)
    return job_out(job)


async def pause_job(session: AsyncSession, job_id: uuid.UUID, actor: uuid.UUID, now: dt.datetime) -> JobOut:
    job = await _job(session, job_id)
    if job.status == "completed":
        raise AppError(409, "job_completed", "A completed one-off job cannot be paused", "সম্পন্ন কাজ থামানো যায় না")
    if job.status != "paused":
        job.status = "paused"
        job.next_run_at = None
        job.updated_at = now
        await session.flush()
        _changed(session, job, "paused", actor)
    return job_out(job)


async def resume_job(session: AsyncSession, job_id: uuid.UUID, actor: uuid.UUID, now: dt.datetime) -> JobOut:
    job = await _job(session, job_id)
    if job.status == "completed":
        raise AppError(409, "job_completed", "A completed one-off job cannot be resumed", "সম্পন্ন কাজ আবার চালু করা যায় না")
    if job.status != "active":
        job.status = "active"
        job.next_run_at = next_due(job, now)
        job.updated_at = now
        await session.flush()
        _changed(session, job, "resumed", actor)
    return job_out(job)


async def delete_job(session: AsyncSession, job_id: uuid.UUID, actor: uuid.UUID) -> None:
    job = await _job(session, job_id)
    _changed(session, job, "deleted", actor)
    await JobRepository(session).delete(job)


async def list_runs(session: AsyncSession, job_id: uuid.UUID, page: PageRequest, status: str | None) -> Page[RunOut]:
    await _job(session, job_id)
    rows = await RunRepository(session).page(page, job_id, status)
    return Page[RunOut](items=[run_out(row) for row in rows.items], next_cursor=rows.next_cursor)


async def get_run(session: AsyncSession, run_id: uuid.UUID) -> RunOut:
    run = await RunRepository(session).get(run_id)
    if run is None:
        raise not_found("Run", run_id, "চালনা")
    return run_out(run)
