"""REST API of the document generator: ``/api/v1/documents/...`` (thin; logic in service.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from vextrus.kit.db import SessionDep
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import COMPANY_HEADER, acting_company, require
from vextrus.kit.tenancy import Principal
from vextrus.services.documents import service
from vextrus.services.documents.jobs import worker_for
from vextrus.services.documents.schemas import (
    ENTITY_TYPE_PATTERN,
    TEMPLATE_KEY_PATTERN,
    BrandingIn,
    BrandingList,
    BrandingOut,
    DocumentOut,
    LinkOut,
    RenderIn,
    Status,
    TemplateDetail,
    TemplateIn,
    TemplateList,
)

PREFIX = "/api/v1/documents"
router = APIRouter(prefix=PREFIX, tags=["documents"])

PERMISSIONS = {
    "documents.document.render": "Render documents (PDF, XLSX) from templates; retry failed background renders",
    "documents.document.read": "List rendered documents, read them and get download links",
    "documents.template.read": "List templates and read their versions, data schema and example",
    "documents.template.write": "Register templates and new versions of them for the tenant",
    "documents.branding.read": "Read companies' letterheads (logo, contact lines, colours)",
    "documents.branding.write": "Set or remove a company's letterhead",
    "platform.documents.manage": "Register templates shared by every tenant (platform operators and services)",
}

TemplateKeyPath = Annotated[str, Path(min_length=2, max_length=60, pattern=TEMPLATE_KEY_PATTERN)]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _token(request: Request) -> str | None:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


async def _company(request: Request, principal: Principal) -> uuid.UUID | None:
    """The company named by ``X-Company-ID`` (a membership of the caller), else the primary one, else none."""
    if request.headers.get(COMPANY_HEADER) is not None:
        return await acting_company(request)
    return principal.company_ids[0] if principal.company_ids else None


# --- rendering ----------------------------------------------------------------------------------


@router.post(
    "/render",
    response_model=DocumentOut,
    status_code=201,
    summary="Render a document: 201 with the stored file and a link, or 202 when queued (large documents)",
    responses={202: {"model": DocumentOut, "description": "Queued for the background worker"}},
)
async def render(
    body: RenderIn,
    request: Request,
    response: Response,
    principal: Principal = require("documents.document.render"),
) -> DocumentOut:
    runtime = _runtime(request)
    company_id = await _company(request, principal)
    outcome = await service.render_request(runtime, principal, body, company_id, token=_token(request))
    response.status_code = 202 if outcome.queued else 201
    response.headers["Location"] = f"{PREFIX}/{outcome.document.id}"
    return outcome.document


@router.get("", response_model=Page[DocumentOut], summary="Rendered documents, newest first")
async def list_documents(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    template: Annotated[str | None, Query(max_length=60, pattern=TEMPLATE_KEY_PATTERN)] = None,
    status: Status | None = None,
    entity_type: Annotated[str | None, Query(max_length=60, pattern=ENTITY_TYPE_PATTERN)] = None,
    entity_id: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    principal: Principal = require("documents.document.read"),
) -> Page[DocumentOut]:
    return await service.list_documents(
        session, page, template=template, status=status, entity_type=entity_type, entity_id=entity_id
    )


# --- templates ----------------------------------------------------------------------------------


@router.get("/templates", response_model=TemplateList, summary="Built-in and registered templates")
async def list_templates(
    session: SessionDep, principal: Principal = require("documents.template.read")
) -> TemplateList:
    return TemplateList(items=await service.list_templates(session))


@router.post(
    "/templates",
    response_model=TemplateDetail,
    status_code=201,
    summary="Register a template (the same key again adds a version)",
)
async def register_template(
    body: TemplateIn,
    session: SessionDep,
    request: Request,
    principal: Principal = require("documents.template.write"),
) -> TemplateDetail:
    return await service.register_template(session, service.state_of(_runtime(request)).settings, body, principal)


@router.get(
    "/templates/{key}",
    response_model=TemplateDetail,
    summary="A template: versions, and for built-ins the data schema and an example",
)
async def get_template(
    key: TemplateKeyPath, session: SessionDep, principal: Principal = require("documents.template.read")
) -> TemplateDetail:
    return await service.template_detail(session, key)


# --- branding -----------------------------------------------------------------------------------


@router.get("/branding", response_model=BrandingList, summary="Letterheads of the tenant's companies")
async def list_brandings(
    session: SessionDep, principal: Principal = require("documents.branding.read")
) -> BrandingList:
    return BrandingList(items=await service.list_brandings(session))


@router.get("/branding/{company_id}", response_model=BrandingOut, summary="A company's letterhead")
async def get_branding(
    company_id: uuid.UUID, session: SessionDep, principal: Principal = require("documents.branding.read")
) -> BrandingOut:
    return await service.get_branding(session, company_id)


@router.put("/branding/{company_id}", response_model=BrandingOut, summary="Set a company's letterhead")
async def put_branding(
    company_id: uuid.UUID,
    body: BrandingIn,
    session: SessionDep,
    principal: Principal = require("documents.branding.write"),
) -> BrandingOut:
    _member_of(principal, company_id)
    return await service.put_branding(session, company_id, body, principal.subject)


@router.delete("/branding/{company_id}", status_code=204, summary="Remove a company's letterhead")
async def delete_branding(
    company_id: uuid.UUID, session: SessionDep, principal: Principal = require("documents.branding.write")
) -> Response:
    await service.delete_branding(session, company_id)
    return Response(status_code=204)


def _member_of(principal: Principal, company_id: uuid.UUID) -> None:
    from vextrus.kit.errors import AppError

    if not principal.may_act_in(company_id):
        raise AppError(
            403,
            "company_forbidden",
            f"You are not a member of company {company_id}",
            f"আপনি কোম্পানি {company_id}-এর সদস্য নন",
            extra={"company_id": str(company_id)},
        )


# --- one document -------------------------------------------------------------------------------


@router.get("/{document_id}", response_model=DocumentOut, summary="A document: its status and its file")
async def get_document(
    document_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    principal: Principal = require("documents.document.read"),
) -> DocumentOut:
    document = await service.get_document(session, document_id)
    if document.status in ("queued", "rendering"):
        worker_for(_runtime(request)).ensure_started()
    return document


@router.post("/{document_id}/link", response_model=LinkOut, summary="A fresh download link for a rendered document")
async def document_link(
    document_id: uuid.UUID, request: Request, principal: Principal = require("documents.document.read")
) -> LinkOut:
    return await service.document_link(_runtime(request), principal, document_id, token=_token(request))


@router.post("/{document_id}/retry", response_model=DocumentOut, summary="Queue a failed background render again")
async def retry(
    document_id: uuid.UUID,
    session: SessionDep,
    request: Request,
    principal: Principal = require("documents.document.render"),
) -> DocumentOut:
    return await service.retry_document(session, _runtime(request), document_id)
