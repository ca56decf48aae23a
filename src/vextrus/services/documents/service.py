"""Business logic of the document generator (no HTTP, no SQL strings).

A render request is checked first (template, version, format, the data against the template's
model: a clear 422), then either rendered now (``sync``) or queued for the background worker
(``async``; ``auto`` queues large documents). Rendering runs in a worker thread; the output goes to
file storage through its client (``vextrus.services.files.client``), and the document row records
where it is. No database transaction is held while rendering or storing: on SQLite the file
service needs the one write lock for itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
import unicodedata
import uuid
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import structlog
from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, FieldError, not_found, register_error_titles, validation_field_errors
from vextrus.kit.events.outbox import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import Principal, require_tenant_id
from vextrus.services.documents import metrics, render
from vextrus.services.documents.builtins import BUILTINS, BuiltinTemplate
from vextrus.services.documents.data import Party
from vextrus.services.documents.events import (
    DOCUMENT_FAILED,
    DOCUMENT_RENDERED,
    TEMPLATE_REGISTERED,
    DocumentFailed,
    DocumentRendered,
    TemplateRegistered,
)
from vextrus.services.documents.formatting import Language, language_of
from vextrus.services.documents.models import Branding, Document, Template, TemplateVersion
from vextrus.services.documents.repository import BrandingRepository, DocumentRepository, TemplateRepository
from vextrus.services.documents.schemas import (
    BrandingIn,
    BrandingOut,
    DocumentOut,
    LinkOut,
    RenderIn,
    TemplateDetail,
    TemplateIn,
    TemplateOut,
    TemplateVersionOut,
)
from vextrus.services.documents.settings import DocumentsSettings
from vextrus.services.files.client import READ, WRITE, FilesClient

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

log = structlog.get_logger("vextrus.documents")

# The subject that background renders act as towards file storage when no user is known.
SYSTEM_SUBJECT = uuid.UUID("5b1d0c55-0c0e-5d7a-9a61-d0c000000006")

register_error_titles(
    {
        "template_error": {"en": "The template could not be rendered", "bn": "টেমপ্লেটটি তৈরি করা যায়নি"},
        "too_large_for_sync": {"en": "Too large to render at once", "bn": "একবারে তৈরির জন্য অনেক বড়"},
        "reserved_key": {"en": "Reserved template key", "bn": "সংরক্ষিত টেমপ্লেট কী"},
        "not_ready": {"en": "The document is not ready", "bn": "ডকুমেন্টটি এখনও প্রস্তুত নয়"},
    }
)


# --- per-process state -------------------------------------------------------------------------------


@dataclass
class DocumentsState:
    settings: DocumentsSettings
    semaphore: asyncio.Semaphore
    logos: dict[tuple[uuid.UUID, uuid.UUID], tuple[float, str | None]] = field(default_factory=dict)


_STATES: weakref.WeakKeyDictionary[Runtime, DocumentsState] = weakref.WeakKeyDictionary()


def state_of(runtime: Runtime) -> DocumentsState:
    state = _STATES.get(runtime)
    if state is None:
        settings = runtime.settings_of(DocumentsSettings)
        state = DocumentsState(settings, asyncio.Semaphore(settings.render_concurrency))
        _STATES[runtime] = state
    return state


# --- templates -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    """The template a render uses: a built-in, or a registered template's version."""

    key: str
    version: int
    title: tuple[str, str]
    formats: tuple[str, ...]
    default_language: Language
    builtin: BuiltinTemplate | None = None
    body: str | None = None

    @property
    def source(self) -> str:
        return "builtin" if self.builtin is not None else "registered"


def _template_not_found(key: str, version: int | None = None) -> AppError:
    if version is None:
        return not_found("Template", key, "টেমপ্লেট")
    return not_found("Template version", f"{key} v{version}", "টেমপ্লেট সংস্করণ")


async def resolve_template(session: AsyncSession, key: str, version: int | None = None) -> Resolved:
    builtin = BUILTINS.get(key)
    if builtin is not None:
        if version not in (None, builtin.version):
            raise _template_not_found(key, version)
        return Resolved(
            key,
            builtin.version,
            (builtin.title, builtin.title_bn),
            builtin.formats,
            language_of(builtin.default_language),
            builtin=builtin,
        )
    repository = TemplateRepository(session)
    template = await repository.by_key(key)
    if template is None:
        raise _template_not_found(key)
    row = await repository.version(template.id, version or template.current_version)
    if row is None:
        raise _template_not_found(key, version)
    return Resolved(
        key,
        row.number,
        (template.name, template.name_bn or template.name),
        ("pdf",),
        language_of(row.default_language),
        body=row.body,
    )


def _builtin_out(item: BuiltinTemplate) -> TemplateOut:
    return TemplateOut(
        key=item.key,
        name=item.title,
        name_bn=item.title_bn,
        source="builtin",
        shared=True,
        version=item.version,
        formats=list(item.formats),
        default_language=item.default_language,
    )


def _registered_out(template: Template, default_language: str) -> TemplateOut:
    return TemplateOut(
        key=template.key,
        name=template.name,
        name_bn=template.name_bn,
        source="registered",
        shared=template.tenant_id is None,
        version=template.current_version,
        formats=["pdf"],
        default_language=default_language,
    )


async def list_templates(session: AsyncSession) -> list[TemplateOut]:
    items = [_builtin_out(item) for item in BUILTINS.values()]
    repository = TemplateRepository(session)
    chosen: dict[str, Template] = {}
    for template in await repository.visible():  # a tenant's own template hides a shared one
        if template.key not in chosen or template.tenant_id is not None:
            chosen[template.key] = template
    for template in chosen.values():
        current = await repository.version(template.id, template.current_version)
        items.append(_registered_out(template, current.default_language if current else "en"))
    return items


async def template_detail(session: AsyncSession, key: str) -> TemplateDetail:
    builtin = BUILTINS.get(key)
    if builtin is not None:
        return TemplateDetail(
            **_builtin_out(builtin).model_dump(),
            versions=[TemplateVersionOut(number=1, default_language="bilingual", created_at=_EPOCH, created_by=None)],
            data_schema=builtin.model.model_json_schema(),
            example=builtin.example(),
        )
    repository = TemplateRepository(session)
    template = await repository.by_key(key)
    if template is None:
        raise _template_not_found(key)
    versions = await repository.versions(template.id)
    return TemplateDetail(
        **_registered_out(template, versions[0].default_language if versions else "en").model_dump(),
        versions=[
            TemplateVersionOut(
                number=item.number,
                default_language=item.default_language,
                created_at=item.created_at,
                created_by=item.created_by,
            )
            for item in versions
        ],
        data_schema=None,
        example=None,
    )


_EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def register_template(
    session: AsyncSession, settings: DocumentsSettings, body: TemplateIn, principal: Principal
) -> TemplateDetail:
    """Register a template, or a new version of one (the same key)."""
    if body.key in BUILTINS:
        raise AppError(
            409,
            "reserved_key",
            f"{body.key} is a built-in template",
            f"{body.key} একটি অন্তর্নির্মিত টেমপ্লেট",
            errors=[FieldError("body.key", "reserved_key", "is a built-in template", "অন্তর্নির্মিত টেমপ্লেট")],
        )
    if body.shared and not principal.has("platform.documents.manage"):
        raise AppError(
            403,
            "forbidden",
            "Shared templates need the permission 'platform.documents.manage'",
            "সবার জন্য টেমপ্লেটে 'platform.documents.manage' অনুমতি প্রয়োজন",
            extra={"permission": "platform.documents.manage"},
        )
    if len(body.body.encode()) > settings.max_template_bytes:
        raise _invalid("body.body", f"is larger than {settings.max_template_bytes} bytes", "টেমপ্লেটটি অনেক বড়")
    try:
        render.check_registered(body.body)
    except render.TemplateFailure as error:
        raise _invalid("body.body", str(error), "টেমপ্লেটের গঠন সঠিক নয়", code="template_error") from None
    tenant_id = None if body.shared else require_tenant_id()
    repository = TemplateRepository(session)
    template = await repository.owned(body.key, tenant_id)
    if template is None:
        template = repository.add(
            Template(
                tenant_id=tenant_id,
                key=body.key,
                name=body.name,
                name_bn=body.name_bn,
                current_version=1,
                created_by=principal.subject,
            )
        )
        await session.flush()
    else:
        template.current_version += 1
        template.name, template.name_bn = body.name, body.name_bn
    repository.add_version(
        TemplateVersion(
            tenant_id=tenant_id,
            template_id=template.id,
            number=template.current_version,
            body=body.body,
            default_language=body.default_language,
            created_by=principal.subject,
        )
    )
    await session.flush()
    record_event(
        session,
        TEMPLATE_REGISTERED,
        TemplateRegistered(
            tenant_id=tenant_id, key=template.key, version=template.current_version, actor=principal.subject
        ),
        subject=template.key,
        tenant_id=tenant_id,
        platform_wide=tenant_id is None,
    )
    return (
        await template_detail(session, body.key) if tenant_id is not None else await _shared_detail(session, template)
    )


async def _shared_detail(session: AsyncSession, template: Template) -> TemplateDetail:
    versions = await TemplateRepository(session).versions(template.id)
    return TemplateDetail(
        **_registered_out(template, versions[0].default_language).model_dump(),
        versions=[
            TemplateVersionOut(
                number=item.number,
                default_language=item.default_language,
                created_at=item.created_at,
                created_by=item.created_by,
            )
            for item in versions
        ],
        data_schema=None,
        example=None,
    )


def _invalid(field_path: str, reason: str, reason_bn: str, code: str = "invalid") -> AppError:
    return AppError(
        422,
        "validation_failed",
        f"Invalid fields: {field_path}",
        f"অবৈধ ঘর: {field_path}",
        errors=[FieldError(field_path, code, reason, reason_bn)],
    )


# --- branding ------------------------------------------------------------------------------------------


def branding_out(row: Branding) -> BrandingOut:
    return BrandingOut(
        id=row.company_id,
        company_id=row.company_id,
        name=row.name,
        name_bn=row.name_bn,
        address=row.address,
        address_bn=row.address_bn,
        bin=row.bin,
        tin=row.tin,
        phone=row.phone,
        email=row.email,
        website=row.website,
        letterhead_note=row.letterhead_note,
        footer_text=row.footer_text,
        primary_colour=row.primary_colour,
        accent_colour=row.accent_colour,
        logo_file_id=row.logo_file_id,
        version=row.version,
        updated_at=row.updated_at,
    )


def _normalized_ids(body: BrandingIn) -> dict[str, str | None]:
    """BIN and TIN as vextrus.bd formats them; a wrong one is a 422 naming the field."""
    from vextrus import bd

    result: dict[str, str | None] = {"bin": None, "tin": None}
    for kind in ("bin", "tin"):
        value = getattr(body, kind)
        if value is None:
            continue
        checked = bd.validate(kind, value)
        if not checked.valid:
            raise _invalid(f"body.{kind}", checked.reason or "invalid", checked.reason_bn or "সঠিক নয়")
        result[kind] = checked.formatted
    return result


async def put_branding(session: AsyncSession, company_id: uuid.UUID, body: BrandingIn, actor: uuid.UUID) -> BrandingOut:
    ids = _normalized_ids(body)
    repository = BrandingRepository(session)
    row = await repository.of_company(company_id)
    values = body.model_dump()
    values.update(ids)
    values["primary_colour"] = body.primary_colour.upper()
    values["accent_colour"] = body.accent_colour.upper()
    if row is None:
        row = repository.add(Branding(company_id=company_id, updated_by=actor, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by = actor
    await session.flush()
    return branding_out(row)


async def get_branding(session: AsyncSession, company_id: uuid.UUID) -> BrandingOut:
    row = await BrandingRepository(session).of_company(company_id)
    if row is None:
        raise not_found("Branding of company", company_id, "কোম্পানির ব্র্যান্ডিং")
    return branding_out(row)


async def delete_branding(session: AsyncSession, company_id: uuid.UUID) -> None:
    repository = BrandingRepository(session)
    row = await repository.of_company(company_id)
    if row is None:
        raise not_found("Branding of company", company_id, "কোম্পানির ব্র্যান্ডিং")
    await repository.delete(row)


async def list_brandings(session: AsyncSession) -> list[BrandingOut]:
    return [branding_out(row) for row in await BrandingRepository(session).every()]


# --- rendering -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """Everything one render needs, the same for a request rendered now and a queued one."""

    tenant_id: uuid.UUID
    template: str
    version: int
    format: str
    language: Language
    company_id: uuid.UUID | None
    data: Mapping[str, Any]
    filename: str
    entity_type: str | None
    entity_id: str | None
    requested_by: uuid.UUID | None
    token: str | None = None  # the caller's own token, forwarded to file storage when no key is held


def _data_errors(error: ValidationError) -> AppError:
    errors = validation_field_errors(error.errors(include_url=False))
    errors = [
        FieldError("body.data" + (f".{item.field}" if item.field else ""), item.code, item.reason, item.reason_bn)
        for item in errors
    ]
    fields = ", ".join(dict.fromkeys(item.field for item in errors))
    return AppError(422, "validation_failed", f"Invalid fields: {fields}", f"অবৈধ ঘর: {fields}", errors=errors)


def validated(resolved: Resolved, data: Mapping[str, Any]) -> BaseModel | None:
    """The built-in template's model of ``data`` (422 naming each wrong field); None for registered ones."""
    if resolved.builtin is None:
        return None
    try:
        return resolved.builtin.model.model_validate(data)
    except ValidationError as error:
        raise _data_errors(error) from None


_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def default_filename(key: str, reference: str | None, extension: str) -> str:
    base = f"{key}-{reference}" if reference else key
    cleaned = _UNSAFE_NAME.sub("-", unicodedata.normalize("NFC", base)).strip(" .-")[:150]
    return f"{cleaned or key}{extension}"


def _extension(format_: str) -> str:
    return ".xlsx" if format_ == "xlsx" else ".pdf"


def _files_auth(runtime: Runtime, job: Job, permissions: frozenset[str]) -> dict[str, Any]:
    """How to call file storage for this job: a token minted for the requester with file permissions
    only, or (in a process without the signing key) the caller's own token."""
    if runtime.issuer is None and job.token is not None:
        return {"token": job.token}
    subject = job.requested_by or SYSTEM_SUBJECT
    return {"principal": Principal(subject=subject, tenant_id=job.tenant_id, permissions=permissions)}


async def _logo(runtime: Runtime, job: Job, file_id: uuid.UUID | None) -> str | None:
    if file_id is None:
        return None
    state = state_of(runtime)
    key = (job.tenant_id, file_id)
    cached = state.logos.get(key)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    try:
        content, content_type = await FilesClient(runtime).read(
            file_id, max_bytes=state.settings.logo_max_bytes, **_files_auth(runtime, job, READ)
        )
        uri = render.logo_data_uri(content, content_type)
    except AppError as error:
        log.warning("logo_unavailable", file_id=str(file_id), code=error.code)
        uri = None
    if len(state.logos) > 1000:
        state.logos.clear()
    state.logos[key] = (time.monotonic() + 300, uri)
    return uri


def _brand(row: Branding | None, party: Party | None, logo: str | None) -> render.Brand:
    if row is not None:
        return render.Brand(
            name=row.name,
            name_bn=row.name_bn,
            address=row.address,
            address_bn=row.address_bn,
            bin=row.bin,
            tin=row.tin,
            phone=row.phone,
            email=row.email,
            website=row.website,
            letterhead_note=row.letterhead_note,
            footer_text=row.footer_text,
            primary_colour=row.primary_colour,
            accent_colour=row.accent_colour,
            logo=logo,
        )
    if party is not None:  # no letterhead set up: the issuing party from the document itself
        return render.Brand(
            name=party.name,
            name_bn=party.name_bn,
            address=party.address,
            address_bn=party.address_bn,
            bin=party.bin,
            tin=party.tin,
            phone=party.phone,
        )
    return render.Brand()


def _render_sync(resolved: Resolved, job: Job, model: BaseModel | None, brand: render.Brand) -> render.Rendered:
    """The CPU-bound part (run in a worker thread)."""
    context_values: dict[str, Any] = {"template_key": resolved.key}
    if resolved.builtin is not None:
        assert model is not None
        context_values.update(resolved.builtin.prepare(model))
        context = render.context_for(job.language, brand, resolved.title, **context_values)
        if job.format == "xlsx":
            return render.statement_xlsx(context, job.language, brand)
        return render.pdf_from_html(render.builtin_html(resolved.builtin.html, context))
    assert resolved.body is not None
    context = render.context_for(job.language, brand, resolved.title, data=job.data, **context_values)
    return render.pdf_from_html(render.html_for(render.compile_registered(resolved.body), context))


@dataclass(frozen=True)
class Produced:
    rendered: render.Rendered
    reference: str | None
    title: str
    resolved: Resolved


async def produce(runtime: Runtime, job: Job) -> Produced:
    """Render a job: template and branding read in a short transaction, the logo fetched, the bytes
    made in a worker thread (at most ``render_concurrency`` at once)."""
    state = state_of(runtime)
    async with runtime.database.transaction() as session:
        resolved = await resolve_template(session, job.template, job.version)
        branding = await BrandingRepository(session).of_company(job.company_id) if job.company_id else None
    model = validated(resolved, job.data)
    party = resolved.builtin.letterhead(model) if resolved.builtin is not None and model is not None else None
    reference = resolved.builtin.reference(model) if resolved.builtin is not None and model is not None else None
    brand = _brand(branding, party, await _logo(runtime, job, branding.logo_file_id if branding else None))
    started = time.perf_counter()
    async with state.semaphore:
        try:
            rendered = await asyncio.to_thread(_render_sync, resolved, job, model, brand)
        except render.TemplateFailure as error:
            metrics.FAILURES.labels(job.template, "template_error").inc()
            raise AppError(
                422,
                "template_error",
                f"Template {job.template} v{resolved.version}: {error}",
                f"টেমপ্লেট {job.template}: {error}",
            ) from None
    metrics.RENDER_SECONDS.labels(job.format).observe(time.perf_counter() - started)
    title = resolved.title[0]
    return Produced(rendered, reference, title, resolved)


async def _store(runtime: Runtime, job: Job, produced: Produced) -> tuple[uuid.UUID, int, int, str]:
    stored = await FilesClient(runtime).store(
        produced.rendered.content,
        name=job.filename,
        content_type=produced.rendered.content_type,
        entity_type=job.entity_type,
        entity_id=job.entity_id,
        **_files_auth(runtime, job, WRITE),
    )
    return stored.id, stored.version, stored.size, stored.sha256


def document_out(row: Document, link: LinkOut | None = None) -> DocumentOut:
    return DocumentOut(
        id=row.id,
        status=row.status,
        template=row.template_key,
        template_version=row.template_version,
        source=row.source,
        format=row.format,
        language=language_of(row.language),
        mode=row.mode,
        title=row.title,
        reference=row.reference,
        filename=row.filename,
        company_id=row.company_id,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        file_id=row.file_id,
        file_version=row.file_version,
        size=row.size,
        pages=row.pages,
        sha256=row.sha256,
        attempts=row.attempts,
        error_code=row.error_code,
        error_detail=row.error_detail,
        requested_by=row.requested_by,
        created_at=row.created_at,
        completed_at=row.completed_at,
        link=link,
    )


def _rendered_event(session: AsyncSession, row: Document) -> None:
    if row.file_id is None or row.file_version is None or row.size is None:
        raise ValueError("a rendered document has its file")
    record_event(
        session,
        DOCUMENT_RENDERED,
        DocumentRendered(
            tenant_id=row.tenant_id,
            document_id=row.id,
            company_id=row.company_id,
            template=row.template_key,
            template_version=row.template_version,
            format=row.format,
            language=language_of(row.language),
            reference=row.reference,
            file_id=row.file_id,
            file_version=row.file_version,
            size=row.size,
            pages=row.pages,
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            requested_by=row.requested_by,
        ),
        subject=row.id,
        tenant_id=row.tenant_id,
    )
    after_commit(session, metrics.RENDERED.labels(row.template_key, row.format, row.mode).inc)


async def link_for(runtime: Runtime, job: Job, file_id: uuid.UUID, version: int) -> LinkOut:
    link = await FilesClient(runtime).link(
        file_id,
        version=version,
        expires_in=state_of(runtime).settings.link_ttl_seconds,
        disposition="inline",
        **_files_auth(runtime, job, READ),
    )
    return LinkOut(url=link.url, expires_at=link.expires_at)


@dataclass(frozen=True)
class RenderOutcome:
    document: DocumentOut
    queued: bool


async def render_request(
    runtime: Runtime,
    principal: Principal,
    body: RenderIn,
    company_id: uuid.UUID | None,
    token: str | None = None,
) -> RenderOutcome:
    """Check a render request, then render it now or queue it."""
    state = state_of(runtime)
    settings = state.settings
    size = len(json.dumps(body.data, default=str).encode())
    if size > settings.max_data_bytes:
        raise _invalid("body.data", f"is larger than {settings.max_data_bytes} bytes", "তথ্য অনেক বড়")
    async with runtime.database.transaction() as session:
        resolved = await resolve_template(session, body.template, body.version)
    if body.format not in resolved.formats:
        raise _invalid(
            "body.format",
            f"{body.template} renders as {', '.join(resolved.formats)}",
            f"{body.template} কেবল {', '.join(resolved.formats)} হিসেবে তৈরি হয়",
        )
    model = validated(resolved, body.data)
    rows = resolved.builtin.rows(model) if resolved.builtin is not None and model is not None else 0
    large = rows > settings.sync_max_rows or size > settings.sync_max_bytes
    if body.mode == "sync" and large:
        raise AppError(
            422,
            "too_large_for_sync",
            f"{rows} rows / {size} bytes is above the limit for sync rendering; use mode async or auto",
            "একবারে তৈরির সীমার চেয়ে বড়; mode async বা auto ব্যবহার করুন",
            errors=[FieldError("body.mode", "too_large_for_sync", "use async or auto", "async বা auto দিন")],
        )
    reference = resolved.builtin.reference(model) if resolved.builtin is not None and model is not None else None
    job = Job(
        tenant_id=principal.tenant_id,
        template=resolved.key,
        version=resolved.version,
        format=body.format,
        language=body.language or resolved.default_language,
        company_id=company_id,
        data=body.data,
        filename=body.filename or default_filename(resolved.key, reference, _extension(body.format)),
        entity_type=body.entity_type,
        entity_id=body.entity_id,
        requested_by=principal.subject,
        token=token,
    )
    if body.mode == "async" or (body.mode == "auto" and large):
        document = await enqueue(runtime, job, resolved, reference)
        return RenderOutcome(document, queued=True)
    return RenderOutcome(await render_now(runtime, job), queued=False)


def _row_for(job: Job, resolved: Resolved, reference: str | None, mode: str, status: str) -> Document:
    return Document(
        company_id=job.company_id,
        template_key=job.template,
        template_version=job.version,
        source=resolved.source,
        format=job.format,
        language=job.language,
        mode=mode,
        status=status,
        title=resolved.title[0][:200],
        reference=reference[:200] if reference else None,
        filename=job.filename,
        entity_type=job.entity_type,
        entity_id=job.entity_id,
        requested_by=job.requested_by,
        attempts=0,
    )


async def render_now(runtime: Runtime, job: Job) -> DocumentOut:
    """Render, store and record a document (the tenant is in context)."""
    produced = await produce(runtime, job)
    file_id, file_version, size, sha256 = await _store(runtime, job, produced)
    async with runtime.database.transaction() as session:
        row = DocumentRepository(session).add(_row_for(job, produced.resolved, produced.reference, "sync", "done"))
        row.attempts = 1
        row.file_id, row.file_version, row.size, row.sha256 = file_id, file_version, size, sha256
        row.pages = produced.rendered.pages
        row.completed_at = utcnow()
        await session.flush()
        _rendered_event(session, row)
    link = await link_for(runtime, job, file_id, file_version)
    return document_out(row, link)


async def enqueue(runtime: Runtime, job: Job, resolved: Resolved, reference: str | None) -> DocumentOut:
    from vextrus.services.documents.jobs import worker_for

    async with runtime.database.transaction() as session:
        row = DocumentRepository(session).add(_row_for(job, resolved, reference, "async", "queued"))
        row.data = json.dumps(dict(job.data), default=str)
        await session.flush()
        worker = worker_for(runtime)
        after_commit(session, worker.wake)
    return document_out(row)


# --- documents -----------------------------------------------------------------------------------------


async def get_document(session: AsyncSession, document_id: uuid.UUID) -> DocumentOut:
    row = await DocumentRepository(session).get(document_id)
    if row is None:
        raise not_found("Document", document_id, "ডকুমেন্ট")
    return document_out(row)


async def list_documents(
    session: AsyncSession,
    page: PageRequest,
    *,
    template: str | None = None,
    status: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
) -> Page[DocumentOut]:
    rows = await DocumentRepository(session).page(
        page, template=template, status=status, entity_type=entity_type, entity_id=entity_id
    )
    return Page[DocumentOut](items=[document_out(row) for row in rows.items], next_cursor=rows.next_cursor)


async def document_link(
    runtime: Runtime, principal: Principal, document_id: uuid.UUID, token: str | None = None
) -> LinkOut:
    async with runtime.database.transaction() as session:
        row = await DocumentRepository(session).get(document_id)
    if row is None:
        raise not_found("Document", document_id, "ডকুমেন্ট")
    if row.status != "done" or row.file_id is None or row.file_version is None:
        raise AppError(409, "not_ready", f"Document {document_id} is {row.status}", f"ডকুমেন্টটি এখন {row.status}")
    job = Job(
        tenant_id=principal.tenant_id,
        template=row.template_key,
        version=row.template_version,
        format=row.format,
        language=language_of(row.language),
        company_id=row.company_id,
        data={},
        filename=row.filename,
        entity_type=None,
        entity_id=None,
        requested_by=principal.subject,
        token=token,
    )
    return await link_for(runtime, job, row.file_id, row.file_version)


async def retry_document(session: AsyncSession, runtime: Runtime, document_id: uuid.UUID) -> DocumentOut:
    """Queue a failed background render again."""
    from vextrus.services.documents.jobs import worker_for

    row = await DocumentRepository(session).get(document_id)
    if row is None:
        raise not_found("Document", document_id, "ডকুমেন্ট")
    if row.status != "failed" or row.data is None:
        raise AppError(409, "conflict", f"Document {document_id} is {row.status}", f"ডকুমেন্টটি এখন {row.status}")
    row.status, row.attempts, row.not_before, row.error_code, row.error_detail = "queued", 0, None, None, None
    await session.flush()
    after_commit(session, worker_for(runtime).wake)
    return document_out(row)


def failed_event(session: AsyncSession, row: Document) -> None:
    record_event(
        session,
        DOCUMENT_FAILED,
        DocumentFailed(
            tenant_id=row.tenant_id,
            document_id=row.id,
            template=row.template_key,
            error_code=row.error_code or "internal",
            error_detail=row.error_detail or "",
            attempts=row.attempts,
        ),
        subject=row.id,
        tenant_id=row.tenant_id,
    )


def rendered_event(session: AsyncSession, row: Document) -> None:
    _rendered_event(session, row)


async def store_output(runtime: Runtime, job: Job, produced: Produced) -> tuple[uuid.UUID, int, int, str]:
    return await _store(runtime, job, produced)
