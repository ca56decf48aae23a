"""REST API of the scheduler: ``/api/v1/scheduler/jobs`` (thin; logic in service.py and runner.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response

from vextrus.kit.db import SessionDep
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.scheduler import service
from vextrus.services.scheduler.runner import SchedulerRunner, runner_for
from vextrus.services.scheduler.schemas import JobCreate, JobOut, JobPatch, JobStatus, RunOut, RunStatus

PREFIX = "/api/v1/scheduler"
router = APIRouter(prefix=PREFIX, tags=["scheduler"])

PERMISSIONS = {
    "scheduler.job.read": "Read the tenant's scheduled jobs and their run history",
    "scheduler.job.manage": "Create, change, pause, resume and delete the tenant's scheduled jobs",
    "scheduler.job.trigger": "Run a job now, outside its schedule",
    "platform.scheduler.manage": "Manage system jobs (the platform tenant's): platform operators only",
}


def _runner(request: Request) -> SchedulerRunner:
    runner = runner_for(request.app.state.runtime)
    runner.ensure_started()
    return runner


@router.get("/jobs", response_model=Page[JobOut], summary="The tenant's jobs, by key")
async def list_jobs(
    session: SessionDep,
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    status: JobStatus | None = None,
    principal: Principal = require("scheduler.job.read"),
) -> Page[JobOut]:
    _runner(request)
    return await service.list_jobs(session, page, status)


@router.post("/jobs", response_model=JobOut, status_code=201, summary="Schedule a job (cron in Asia/Dhaka, or one-off)")
async def create_job(
    body: JobCreate,
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Principal = require("scheduler.job.manage"),
) -> JobOut:
    service.require_platform_rights(principal)
    runner = _runner(request)
    job = await service.create_job(session, body, principal, runner.now(), runner.settings.max_jobs_per_tenant)
    response.headers["Location"] = f"{PREFIX}/jobs/{job.id}"
    return job


@router.get("/jobs/{job_id}", response_model=JobOut, summary="One job with its next due times")
async def get_job(
    job_id: uuid.UUID, session: SessionDep, principal: Principal = require("scheduler.job.read")
) -> JobOut:
    return await service.get_job(session, job_id)


@router.patch("/jobs/{job_id}", response_model=JobOut, summary="Change a job (schedule, target, payload, retries)")
async def patch_job(
    job_id: uuid.UUID,
    body: JobPatch,
    session: SessionDep,
    request: Request,
    principal: Principal = require("scheduler.job.manage"),
) -> JobOut:
    service.require_platform_rights(principal)
    return await service.patch_job(session, job_id, body, principal, _runner(request).now())


@router.delete("/jobs/{job_id}", status_code=204, summary="Delete a job and its history")
async def delete_job(
    job_id: uuid.UUID, session: SessionDep, principal: Principal = require("scheduler.job.manage")
) -> Response:
    service.require_platform_rights(principal)
    await service.delete_job(session, job_id, principal.subject)
    return Response(status_code=204)


@router.post("/jobs/{job_id}/pause", response_model=JobOut, summary="Pause a job (no runs until resumed)")
async def pause_job(
    job_id: uuid.UUID, session: SessionDep, request: Request, principal: Principal = require("scheduler.job.manage")
) -> JobOut:
    service.require_platform_rights(principal)
    return await service.pause_job(session, job_id, principal.subject, _runner(request).now())


@router.post("/jobs/{job_id}/resume", response_model=JobOut, summary="Resume a job from the next due time")
async def resume_job(
    job_id: uuid.UUID, session: SessionDep, request: Request, principal: Principal = require("scheduler.job.manage")
) -> JobOut:
    service.require_platform_rights(principal)
    return await service.resume_job(session, job_id, principal.subject, _runner(request).now())


@router.post("/jobs/{job_id}/trigger", response_model=RunOut, status_code=201, summary="Run a job now")
async def trigger_job(
    job_id: uuid.UUID, request: Request, principal: Principal = require("scheduler.job.trigger")
) -> RunOut:
    service.require_platform_rights(principal)
    runner = _runner(request)
    run_id = await runner.trigger(job_id, principal.tenant_id)
    async with runner.runtime.database.transaction() as session:
        return await service.get_run(session, run_id)


@router.get("/jobs/{job_id}/runs", response_model=Page[RunOut], summary="A job's runs, newest first")
async def list_runs(
    job_id: uuid.UUID,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    status: RunStatus | None = None,
    principal: Principal = require("scheduler.job.read"),
) -> Page[RunOut]:
    return await service.list_runs(session, job_id, page, status)
