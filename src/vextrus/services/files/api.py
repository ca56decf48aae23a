"""REST API of the file storage service: ``/api/v1/files/...`` (thin; logic in service.py).

Uploads are the raw request body (``Content-Type`` = the declared type) with the name and the
entity in the query: ``POST /api/v1/files?name=চুক্তি.pdf&entity_type=projects.contract&entity_id=...``.
The body is streamed to a spool file, never read whole into memory.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.requests import ClientDisconnect

from vextrus.kit.db import SessionDep
from vextrus.kit.errors import AppError, invalid_field
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import PUBLIC, require
from vextrus.kit.tenancy import Principal
from vextrus.services.files import metrics, service
from vextrus.services.files.models import ENTITY_ID_LENGTH, ENTITY_TYPE_LENGTH, NAME_LENGTH
from vextrus.services.files.names import Disposition
from vextrus.services.files.schemas import (
    ENTITY_TYPE_PATTERN,
    AttachIn,
    EntityRef,
    FileOut,
    FilePatch,
    LimitsIn,
    LimitsOut,
    LinkIn,
    LinkOut,
    PurgeOut,
    UploadOut,
    UsageOut,
    VersionList,
)
from vextrus.services.files.sniff import Kind

PREFIX = "/api/v1/files"
router = APIRouter(prefix=PREFIX, tags=["files"])

PERMISSIONS = {
    "files.file.read": "List files, read their metadata and versions, download them and create download links",
    "files.file.write": "Upload files and new versions, rename them, attach them to entities",
    "files.file.delete": "Delete files (restorable during the retention period) and restore them",
    "files.file.purge": "Purge deleted files whose retention period has passed",
    "files.usage.read": "Read the tenant's storage use, quota and limits",
    "platform.files.manage": "Set a tenant's storage quota, size limits and retention (platform operators only)",
}

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file's bytes; Content-Type is the declared type (checked against the content).",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}

FileName = Annotated[str, Query(min_length=1, max_length=NAME_LENGTH, description="The file's name, e.g. `নকশা-১.pdf`")]
EntityTypeQuery = Annotated[str | None, Query(min_length=1, max_length=ENTITY_TYPE_LENGTH, pattern=ENTITY_TYPE_PATTERN)]
EntityIdQuery = Annotated[str | None, Query(min_length=1, max_length=ENTITY_ID_LENGTH)]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _entity(entity_type: str | None, entity_id: str | None) -> EntityRef | None:
    if (entity_type is None) != (entity_id is None):
        missing = "query.entity_id" if entity_id is None else "query.entity_type"
        raise invalid_field(missing, "entity_type and entity_id go together", "entity_type ও entity_id একসাথে দিতে হয়")
    if entity_type is None or entity_id is None:
        return None
    if any(ord(char) < 32 or ord(char) == 127 for char in entity_id):
        raise invalid_field("query.entity_id", "must not contain control characters", "নিয়ন্ত্রণ অক্ষর থাকতে পারে না")
    return EntityRef(entity_type=entity_type, entity_id=entity_id)


def _content_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    return int(raw) if raw is not None and raw.isdigit() else None


async def _body(request: Request) -> Any:
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise AppError(
            400, "upload_interrupted", "The client closed the connection", "ক্লায়েন্ট সংযোগ বন্ধ করেছে"
        ) from None


async def _upload(
    request: Request, principal: Principal, name: str, entity: EntityRef | None, file_id: uuid.UUID | None
) -> UploadOut:
    return await service.upload(
        _runtime(request),
        principal,
        _body(request),
        service.UploadRequest(
            name=name,
            declared_type=request.headers.get("content-type"),
            entity=entity,
            file_id=file_id,
            content_length=_content_length(request),
        ),
    )


# --- collection ---------------------------------------------------------------------------------


@router.get("", response_model=Page[FileOut], summary="Files of the tenant, newest first; filter by entity")
async def list_files(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    entity_type: EntityTypeQuery = None,
    entity_id: EntityIdQuery = None,
    kind: Kind | None = None,
    include_deleted: bool = False,
    principal: Principal = require("files.file.read"),
) -> Page[FileOut]:
    if entity_id is not None and entity_type is None:
        raise invalid_field("query.entity_type", "needed with entity_id", "entity_id-এর সাথে প্রয়োজন")
    return await service.list_files(
        session, page, entity_type=entity_type, entity_id=entity_id, kind=kind, include_deleted=include_deleted
    )


@router.post(
    "",
    response_model=UploadOut,
    status_code=201,
    summary="Upload a file (the raw body), optionally attached to an entity",
    openapi_extra=_UPLOAD_BODY,
)
async def upload_file(
    request: Request,
    response: Response,
    name: FileName,
    entity_type: EntityTypeQuery = None,
    entity_id: EntityIdQuery = None,
    principal: Principal = require("files.file.write"),
) -> UploadOut:
    stored = await _upload(request, principal, name, _entity(entity_type, entity_id), None)
    response.headers["Location"] = f"{PREFIX}/{stored.id}"
    return stored


@router.get("/usage", response_model=UsageOut, summary="Storage used by the tenant, its quota and limits")
async def usage(session: SessionDep, request: Request, principal: Principal = require("files.usage.read")) -> UsageOut:
    return await service.usage(session, service.state_of(_runtime(request)).settings)


@router.post("/purge", response_model=PurgeOut, summary="Purge deleted files whose retention has passed")
async def purge(request: Request, principal: Principal = require("files.file.purge")) -> PurgeOut:
    return await service.purge_expired(_runtime(request))


@router.put(
    "/tenants/{tenant_id}/limits",
    response_model=LimitsOut,
    summary="Set a tenant's quota, size limits and retention (platform operators)",
)
async def set_limits(
    tenant_id: uuid.UUID, body: LimitsIn, request: Request, principal: Principal = require("platform.files.manage")
) -> LimitsOut:
    return await service.set_limits(_runtime(request), tenant_id, body, principal.subject)


@router.get(
    "/signed/{token}",
    summary="Download through a signed, expiring link (no token needed: the link is the credential)",
    dependencies=[PUBLIC],
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}, 403: {"description": "Forged or expired link"}},
)
async def signed_download(token: Annotated[str, Path(max_length=1024)], request: Request) -> Response:
    runtime = _runtime(request)
    content, disposition = await service.resolve_link(runtime, token)
    return await _stream(runtime, content, disposition, "link")


# --- one file -------------------------------------------------------------------------------------


@router.get("/{file_id}", response_model=FileOut, summary="A file's metadata and attachments")
async def get_file(
    file_id: uuid.UUID, session: SessionDep, principal: Principal = require("files.file.read")
) -> FileOut:
    return await service.get_file(session, file_id)


@router.patch("/{file_id}", response_model=FileOut, summary="Rename a file")
async def patch_file(
    file_id: uuid.UUID, body: FilePatch, session: SessionDep, principal: Principal = require("files.file.write")
) -> FileOut:
    return await service.rename(session, file_id, body, principal.subject)


@router.delete("/{file_id}", status_code=204, summary="Delete a file (restorable during the retention period)")
async def delete_file(
    file_id: uuid.UUID, session: SessionDep, request: Request, principal: Principal = require("files.file.delete")
) -> Response:
    await service.delete_file(session, service.state_of(_runtime(request)).settings, file_id, principal.subject)
    return Response(status_code=204)


@router.post("/{file_id}/restore", response_model=FileOut, summary="Restore a deleted file")
async def restore_file(
    file_id: uuid.UUID, session: SessionDep, principal: Principal = require("files.file.delete")
) -> FileOut:
    return await service.restore_file(session, file_id, principal.subject)


async def _stream(runtime: Runtime, content: service.Content, wanted: Disposition, via: str) -> Response:
    disposition = service.disposition_for(content, wanted)
    chunks = await service.open_stream(service.state_of(runtime).storage, content)
    metrics.DOWNLOADS.labels(via).inc()
    return StreamingResponse(
        chunks, media_type=content.content_type, headers=service.download_headers(content, disposition)
    )


@router.get(
    "/{file_id}/content",
    summary="Download a file (the current version unless `version` says otherwise)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def download(
    file_id: uuid.UUID,
    request: Request,
    version: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    disposition: Disposition = "attachment",
    principal: Principal = require("files.file.read"),
) -> Response:
    runtime = _runtime(request)
    async with runtime.database.transaction() as session:
        content = await service.content_of(session, file_id, version)
    return await _stream(runtime, content, disposition, "direct")


@router.get("/{file_id}/versions", response_model=VersionList, summary="Every version of a file, newest first")
async def list_versions(
    file_id: uuid.UUID, session: SessionDep, principal: Principal = require("files.file.read")
) -> VersionList:
    return VersionList(items=await service.list_versions(session, file_id))


@router.post(
    "/{file_id}/versions",
    response_model=UploadOut,
    status_code=201,
    summary="Upload a new version of a file (the raw body)",
    openapi_extra=_UPLOAD_BODY,
)
async def upload_version(
    file_id: uuid.UUID,
    request: Request,
    name: FileName,
    principal: Principal = require("files.file.write"),
) -> UploadOut:
    return await _upload(request, principal, name, None, file_id)


@router.post("/{file_id}/link", response_model=LinkOut, summary="A signed, expiring download link")
async def create_link(
    file_id: uuid.UUID, request: Request, body: LinkIn | None = None, principal: Principal = require("files.file.read")
) -> LinkOut:
    return await service.create_link(_runtime(request), file_id, body or LinkIn())


@router.post("/{file_id}/attachments", response_model=FileOut, summary="Attach a file to an entity")
async def attach(
    file_id: uuid.UUID,
    body: AttachIn,
    session: SessionDep,
    response: Response,
    principal: Principal = require("files.file.write"),
) -> FileOut:
    out, created = await service.attach(session, file_id, body, principal.subject)
    response.status_code = 201 if created else 200
    return out


@router.delete("/{file_id}/attachments/{attachment_id}", status_code=204, summary="Detach a file from an entity")
async def detach(
    file_id: uuid.UUID,
    attachment_id: uuid.UUID,
    session: SessionDep,
    principal: Principal = require("files.file.write"),
) -> Response:
    await service.detach(session, file_id, attachment_id)
    return Response(status_code=204)
