"""REST API of the import-export service under ``/api/v1/exchange`` (thin; logic in service.py,
runner.py and exports.py)."""

from __future__ import annotations

import asyncio
import io
import re
import uuid
from collections.abc import AsyncIterator, Generator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse

from vextrus.kit.db import SessionDep
from vextrus.kit.errors import AppError
from vextrus.kit.models import new_id
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.exchange import exports, service
from vextrus.services.exchange.files import MEDIA_TYPES, XLSX_MEDIA_TYPE, template_csv, template_xlsx
from vextrus.services.exchange.layouts import LAYOUTS
from vextrus.services.exchange.reading import result_csv_chunks, result_rows, write_result_xlsx
from vextrus.services.exchange.runner import JobRunner, runner_for
from vextrus.services.exchange.schemas import EntityName, FormatName, JobMode, JobOut, JobStatus
from vextrus.services.exchange.storage import UploadTooLarge
from vextrus.services.master_data.client import MasterDataClient

PREFIX = service.PREFIX
router = APIRouter(prefix=PREFIX, tags=["import-export"])

PERMISSIONS = {
    "exchange.job.create": "Upload files for import (a dry run), commit dry runs, download import templates",
    "exchange.job.read": "See import jobs, their progress and their result files",
    "exchange.job.cancel": "Cancel queued or running import jobs",
    "exchange.export.read": "Export master records to CSV or XLSX (master data's read permission applies too)",
}

PageDep = Annotated[PageRequest, Depends(page_request)]
Format = Annotated[FormatName, Query(description="csv or xlsx")]

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file itself as the body (not a form): CSV (UTF-8) or XLSX, at most "
        "VEXTRUS_EXCHANGE_MAX_UPLOAD_MB. The format is recognized from the content.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


def _runner(request: Request) -> JobRunner:
    runtime: Runtime = request.app.state.runtime
    return runner_for(runtime)


def _file_name(value: str | None, entity: str) -> str:
    name = re.split(r"[\\/]", value or "")[-1].strip()
    name = "".join(char for char in name if char.isprintable())[:200]
    return name or f"{entity}-upload"


# --- imports -------------------------------------------------------------------------------------------


@router.post(
    "/imports/{entity}",
    response_model=JobOut,
    status_code=202,
    summary="Upload a file and start its dry run",
    openapi_extra=_UPLOAD_BODY,
)
async def upload(
    entity: EntityName,
    request: Request,
    response: Response,
    session: SessionDep,
    file_name: Annotated[str | None, Query(max_length=255, description="The file's name, for people")] = None,
    principal: Principal = require("exchange.job.create"),
) -> JobOut:
    """Streams the body to the service's storage, checks the header, and queues a **dry run**: every
    row validated by master data's rules, nothing changed. Follow it at `GET /jobs/{id}`; then
    download the result file or `POST /jobs/{id}/commit`. Needs master data's write permission for
    the entity too (`master-data.product.write`, ...)."""
    service.may_import(principal, entity)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type.startswith("multipart/"):
        raise AppError(
            415,
            "unsupported_media_type",
            "Send the file itself as the request body (Content-Type text/csv or the XLSX type), not as a form",
            "ফাইলটি নিজেই অনুরোধের বডি হিসেবে পাঠান (text/csv বা XLSX টাইপ), ফর্ম হিসেবে নয়",
        )
    runner = _runner(request)
    job_id = new_id()
    limit = runner.settings.max_upload_mb * 1024 * 1024
    try:
        try:
            stored = await runner.storage.save_upload(principal.tenant_id, job_id, request.stream(), limit)
        except UploadTooLarge:
            raise AppError(
                413,
                "payload_too_large",
                f"The file is larger than {runner.settings.max_upload_mb} MiB; split it",
                f"ফাইলটি {runner.settings.max_upload_mb} MiB-এর চেয়ে বড়; ভাগ করে দিন",
            ) from None
        job = await service.start_dry_run(
            session,
            runner,
            principal,
            entity,
            job_id,
            _file_name(file_name, entity),
            stored,
            request.headers.get("authorization"),
        )
    except BaseException:
        runner.storage.discard(principal.tenant_id, job_id)  # nothing kept of a refused upload
        raise
    response.headers["Location"] = f"{PREFIX}/jobs/{job.id}"
    return service.job_out(job)


@router.get("/templates/{entity}", summary="The import template of an entity")
async def template(
    entity: EntityName, format: Format = "xlsx", principal: Principal = require("exchange.job.create")
) -> Response:
    """Headers in English with Bengali labels under them; the XLSX has a guide sheet describing every
    column (required, example, allowed values)."""
    layout = LAYOUTS[entity]
    disposition = {"Content-Disposition": f'attachment; filename="{entity}-template.{format}"'}
    if format == "csv":
        return Response(template_csv(layout).encode("utf-8"), media_type=MEDIA_TYPES["csv"], headers=disposition)

    def build() -> bytes:
        buffer = io.BytesIO()
        template_xlsx(layout, buffer)
        return buffer.getvalue()

    return Response(await asyncio.to_thread(build), media_type=MEDIA_TYPES["xlsx"], headers=disposition)


# --- jobs ----------------------------------------------------------------------------------------------


@router.get("/jobs", response_model=Page[JobOut], summary="Import jobs, newest first")
async def list_jobs(
    session: SessionDep,
    page: PageDep,
    entity: EntityName | None = None,
    status: JobStatus | None = None,
    mode: JobMode | None = None,
    principal: Principal = require("exchange.job.read"),
) -> Page[JobOut]:
    return await service.list_jobs(session, page, entity, status, mode)


@router.get("/jobs/{job_id}", response_model=JobOut, summary="An import job: status, progress, counts")
async def get_job(
    job_id: uuid.UUID, session: SessionDep, principal: Principal = require("exchange.job.read")
) -> JobOut:
    return service.job_out(await service.get(session, job_id))


@router.post("/jobs/{job_id}/commit", response_model=JobOut, status_code=202, summary="Commit a dry run")
async def commit_job(
    job_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    principal: Principal = require("exchange.job.create"),
) -> JobOut:
    """Queues a commit job: the valid rows of the dry run's file are upserted by code (validated again:
    data may have changed since). Committing the same dry run again changes nothing."""
    job = await service.commit(session, _runner(request), principal, job_id, request.headers.get("authorization"))
    response.headers["Location"] = f"{PREFIX}/jobs/{job.id}"
    return service.job_out(job)


@router.post("/jobs/{job_id}/cancel", response_model=JobOut, summary="Cancel a queued or running job")
async def cancel_job(
    job_id: uuid.UUID, session: SessionDep, principal: Principal = require("exchange.job.cancel")
) -> JobOut:
    """A queued job is cancelled at once; a running one stops after the batch in progress (a commit
    keeps the rows of the batches before: run it again to finish, it is idempotent)."""
    return service.job_out(await service.cancel(session, principal, job_id))


@router.get("/jobs/{job_id}/result", summary="The result file: the original rows with status and errors")
async def job_result(
    job_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    format: Format = "xlsx",
    principal: Principal = require("exchange.job.read"),
) -> Response:
    """Every row of the file as uploaded, with `import_row`, `import_status` (in a dry run: will
    create, will update, unchanged, rejected) and what is wrong with each rejected row, in English
    (`import_errors`) and Bengali (`import_errors_bn`). Fix the rejected rows in it and upload it
    again: the extra columns are ignored."""
    job = await service.get(session, job_id)
    if not job.finished:
        raise AppError(
            409,
            "job_not_finished",
            f"The job is {job.status} ({job.progress}%); the result file comes when it finishes",
            f"কাজটি এখন {job.status} ({job.progress}%); শেষ হলে ফলাফল ফাইল পাওয়া যাবে",
        )
    storage = _runner(request).storage
    source = storage.path(job.file_key)
    outcomes = storage.outcomes(job.tenant_id, job.id)
    layout = LAYOUTS[job.entity]
    stem = re.sub(r"\.(csv|xlsx)$", "", job.file_name, flags=re.IGNORECASE)
    name = f"{stem}-{'dry-run' if job.mode == 'dry_run' else 'import'}-result.{format}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "csv":

        async def body() -> AsyncIterator[str]:
            chunks: Generator[str] = result_csv_chunks(result_rows(source, job.file_format, layout, outcomes, job.mode))
            try:
                while (chunk := await asyncio.to_thread(next, chunks, None)) is not None:
                    yield chunk
            finally:
                chunks.close()

        return StreamingResponse(body(), media_type=MEDIA_TYPES["csv"], headers=disposition)
    result = storage.result(job.tenant_id, job.id)
    if not result.exists():
        rows = result_rows(source, job.file_format, layout, outcomes, job.mode)
        await asyncio.to_thread(write_result_xlsx, rows, result, f"{job.entity} result")
    return FileResponse(result, media_type=MEDIA_TYPES["xlsx"], headers=disposition)


# --- exports -------------------------------------------------------------------------------------------


@router.get("/exports/{entity}", summary="Export records to CSV or XLSX (streamed)")
async def export_records(
    entity: EntityName,
    request: Request,
    format: Format = "csv",
    q: Annotated[str | None, Query(max_length=100)] = None,
    status: Annotated[str | None, Query(max_length=30)] = None,
    kind: Annotated[str | None, Query(max_length=30)] = None,
    approval_status: Annotated[str | None, Query(max_length=30)] = None,
    type: Annotated[str | None, Query(max_length=30)] = None,
    category: Annotated[str | None, Query(max_length=30)] = None,
    district: Annotated[str | None, Query(max_length=40)] = None,
    tin: Annotated[str | None, Query(max_length=40)] = None,
    bin: Annotated[str | None, Query(max_length=40)] = None,
    phone: Annotated[str | None, Query(max_length=30)] = None,
    is_group: Annotated[str | None, Query(max_length=5)] = None,
    parent_id: Annotated[str | None, Query(max_length=40)] = None,
    include_deleted: Annotated[str | None, Query(max_length=5)] = None,
    principal: Principal = require("exchange.export.read"),
) -> StreamingResponse:
    """The filters of the entity's list API (`GET /api/v1/{entity}`), passed to it unchanged:
    customers `q, status, kind, district, tin, bin, phone, include_deleted`; vendors
    `q, approval_status, kind, district, tin, bin, phone, include_deleted`; products
    `q, type, category, status, include_deleted`; accounts `q, type, is_group, parent_id,
    include_deleted`. Columns are the import template's plus id, version and updated_at."""
    filters = exports.check_filters(
        LAYOUTS[entity],
        {
            "q": q,
            "status": status,
            "kind": kind,
            "approval_status": approval_status,
            "type": type,
            "category": category,
            "district": district,
            "tin": tin,
            "bin": bin,
            "phone": phone,
            "is_group": is_group,
            "parent_id": parent_id,
            "include_deleted": include_deleted,
        },
    )
    runtime: Runtime = request.app.state.runtime
    client = MasterDataClient(
        runtime,
        authorization=request.headers.get("authorization", ""),
        language=request.headers.get("accept-language") or "en",
    )
    scratch = _runner(request).storage.root / "exports"
    return await exports.export(client, entity, filters, format, scratch)
