"""Business logic of import jobs: start a dry run from an uploaded file, commit a dry run, cancel,
read and list (no HTTP here; the runner does the work in the background).

The import applies master data's own rules through its import route, as the user who started the
job: a job is refused at once (403) when that user may not write the entity in master data, and
the background job acts with exactly that permission.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, not_found, register_error_titles
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.tenancy import Principal
from vextrus.services.exchange.files import FileError, not_utf8
from vextrus.services.exchange.layouts import LAYOUTS
from vextrus.services.exchange.models import Job
from vextrus.services.exchange.reading import inspect
from vextrus.services.exchange.repository import Jobs
from vextrus.services.exchange.runner import JobRunner, finish
from vextrus.services.exchange.schemas import JobCountsOut, JobOut
from vextrus.services.exchange.storage import Stored
from vextrus.services.master_data.client import write_permission

register_error_titles(
    {
        "unreadable_file": {"en": "The file cannot be imported", "bn": "ফাইলটি আমদানি করা যায় না"},
        "job_finished": {"en": "The job has finished", "bn": "কাজটি শেষ হয়ে গেছে"},
        "job_not_finished": {"en": "The job has not finished", "bn": "কাজটি এখনো শেষ হয়নি"},
        "not_a_dry_run": {"en": "Only a dry run can be committed", "bn": "শুধু পরীক্ষামূলক যাচাই কমিট করা যায়"},
        "job_running": {"en": "A commit of this dry run is running", "bn": "এই যাচাইয়ের একটি কমিট চলছে"},
    }
)

PREFIX = "/api/v1/exchange"


def job_not_found(job_id: uuid.UUID) -> AppError:
    return not_found("Import job", job_id, "আমদানির কাজ")


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        entity=job.entity,
        mode=job.mode,
        status=job.status,
        progress=job.progress,
        counts=JobCountsOut(**job.counts()),
        file_name=job.file_name,
        file_format=job.file_format,
        file_size=job.file_size,
        file_sha256=job.file_sha256,
        columns=list(job.columns),
        ignored_columns=list(job.ignored_columns),
        source_job_id=job.source_job_id,
        cancel_requested=job.cancel_requested,
        error=job.error,
        error_bn=job.error_bn,
        created_by=job.created_by,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        result_url=f"{PREFIX}/jobs/{job.id}/result" if job.finished else None,
    )


def may_import(principal: Principal, entity: str) -> str:
    """The master-data permission an import of ``entity`` needs; 403 naming it when missing."""
    permission = write_permission(entity)
    if not principal.has(permission):
        raise AppError(
            403,
            "forbidden",
            f"Importing {entity} needs the permission '{permission}'",
            f"{entity} আমদানির জন্য '{permission}' অনুমতি প্রয়োজন",
            extra={"permission": permission},
        )
    return permission


def unreadable(error: FileError) -> AppError:
    return AppError(422, "unreadable_file", error.reason, error.reason_bn)


async def inspect_upload(runner: JobRunner, entity: str, stored: Stored) -> Any:
    """The header and row count of an uploaded file (422 for a file that cannot be imported)."""
    if stored.size == 0:
        raise unreadable(FileError("The file is empty", "ফাইলটি খালি"))
    if stored.file_format == "csv" and not stored.utf8:
        raise unreadable(not_utf8())
    try:
        return await asyncio.to_thread(
            inspect, stored.path, stored.file_format, LAYOUTS[entity], runner.settings.max_rows
        )
    except FileError as error:
        raise unreadable(error) from None


async def start_dry_run(
    session: AsyncSession,
    runner: JobRunner,
    principal: Principal,
    entity: str,
    job_id: uuid.UUID,
    file_name: str,
    stored: Stored,
    authorization: str | None,
) -> Job:
    """A queued dry-run job for an uploaded (and inspected) file; it starts after the commit."""
    permission = may_import(principal, entity)
    found = await inspect_upload(runner, entity, stored)
    job = Jobs(session).add(
        _queued(
            principal,
            permission,
            id=job_id,
            entity=entity,
            mode="dry_run",
            file_name=file_name,
            file_format=stored.file_format,
            file_size=stored.size,
            file_sha256=stored.sha256,
            file_key=stored.key,
            columns=[column.key for column in found.header.columns],
            ignored_columns=list(found.header.ignored),
            total_rows=found.total_rows,
        )
    )
    await session.flush()
    _submit_after_commit(session, runner, job, authorization)
    return job


async def commit(
    session: AsyncSession, runner: JobRunner, principal: Principal, job_id: uuid.UUID, authorization: str | None
) -> Job:
    """A queued commit job applying the valid rows of a finished dry run (again: idempotent)."""
    jobs = Jobs(session)
    source = await jobs.get(job_id)
    if source is None:
        raise job_not_found(job_id)
    if source.mode != "dry_run":
        raise AppError(409, "not_a_dry_run", f"Job {job_id} is a commit; commit its dry run", "এটি একটি কমিট")
    if source.status != "succeeded":
        raise AppError(
            409,
            "job_not_finished",
            f"The dry run is {source.status}; commit a dry run that succeeded",
            f"যাচাইটি এখন {source.status}; সফল যাচাইই কমিট করা যায়",
            extra={"status": source.status},
        )
    permission = may_import(principal, source.entity)
    running = await jobs.active_commit_of(source.id)
    if running is not None:
        raise AppError(
            409,
            "job_running",
            f"Commit {running.id} of this dry run is {running.status}",
            f"এই যাচাইয়ের কমিট {running.id} এখন {running.status}",
            extra={"job_id": str(running.id)},
        )
    job = jobs.add(
        _queued(
            principal,
            permission,
            id=new_id(),
            entity=source.entity,
            mode="commit",
            source_job_id=source.id,
            file_name=source.file_name,
            file_format=source.file_format,
            file_size=source.file_size,
            file_sha256=source.file_sha256,
            file_key=source.file_key,
            columns=list(source.columns),
            ignored_columns=list(source.ignored_columns),
            total_rows=source.total_rows,
        )
    )
    await session.flush()
    _submit_after_commit(session, runner, job, authorization)
    return job


def _queued(principal: Principal, permission: str, **fields: Any) -> Job:
    """A new queued job of ``principal``, acting with ``permission`` in master data, counts at 0."""
    now = utcnow()
    counts = dict.fromkeys(("processed_rows", "created_rows", "updated_rows", "unchanged_rows", "invalid_rows"), 0)
    return Job(
        status="queued",
        progress=0,
        permissions=[permission],
        cancel_requested=False,
        created_by=principal.subject,
        heartbeat_at=now,
        created_at=now,
        updated_at=now,
        **counts,
        **fields,
    )


def _submit_after_commit(session: AsyncSession, runner: JobRunner, job: Job, authorization: str | None) -> None:
    job_id, tenant_id = job.id, job.tenant_id

    async def submit() -> None:
        await runner.ensure_swept()
        runner.submit(job_id, tenant_id, authorization)

    after_commit(session, submit)


async def cancel(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> Job:
    """A queued job is cancelled at once; a running one stops after the batch in progress."""
    job = await Jobs(session).locked(job_id)
    if job is None:
        raise job_not_found(job_id)
    if job.finished:
        raise AppError(
            409,
            "job_finished",
            f"The job is {job.status}; nothing to cancel",
            f"কাজটি {job.status}; বাতিল করার কিছু নেই",
            extra={"status": job.status},
        )
    job.cancel_requested = True
    if job.status == "queued":
        finish(session, job, "cancelled", None, duration=0.0, actor=principal.subject)
    await session.flush()
    return job


async def get(session: AsyncSession, job_id: uuid.UUID) -> Job:
    job = await Jobs(session).get(job_id)
    if job is None:
        raise job_not_found(job_id)
    return job


async def list_jobs(
    session: AsyncSession, page: PageRequest, entity: str | None, status: str | None, mode: str | None
) -> Page[JobOut]:
    statement = Jobs(session).listed(entity, status, mode)
    return await paginate(session, statement, [Job.id], page, job_out, descending=True)
