"""Business logic of the file storage service (no HTTP, no SQL strings).

An upload never holds a database transaction while bytes move: the limits are read, the body is
spooled and checked (:mod:`.upload`, :mod:`.sniff`), the content is stored under its SHA-256
unless the tenant already has it, and only then one short transaction records the blob, the file,
its version, the attachment, the quota and the event. On SQLite (one writer) that keeps the write
lock for milliseconds, whatever the file size.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
import uuid
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, FieldError, not_found, register_error_titles
from vextrus.kit.events.outbox import record_event
from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import acting_as, cross_tenant, require_tenant_id
from vextrus.services.files import metrics
from vextrus.services.files.events import (
    FILE_DELETED,
    FILE_PURGED,
    FILE_RESTORED,
    FILE_UPLOADED,
    EntityLink,
    FileDeleted,
    FilePurged,
    FileRestored,
    FileUploaded,
)
from vextrus.services.files.models import Attachment, Blob, FileVersion, Limits, StoredFile
from vextrus.services.files.names import Disposition, clean_filename, content_disposition
from vextrus.services.files.repository import (
    AttachmentRepository,
    BlobRepository,
    FileRepository,
    LimitsRepository,
    UsageRepository,
    VersionRepository,
)
from vextrus.services.files.schemas import (
    AttachIn,
    AttachmentOut,
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
    VersionOut,
)
from vextrus.services.files.settings import FilesSettings
from vextrus.services.files.signing import LinkClaims, LinkError, load_or_create_key, sign, verify
from vextrus.services.files.sniff import INLINE_SAFE, KINDS, TYPES, Kind, Sniffed, decide, inspect_container
from vextrus.services.files.storage import ObjectMissing, Storage, StorageError, build_storage, object_key
from vextrus.services.files.upload import UploadRefused, UploadTooLarge, spool

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime
    from vextrus.kit.tenancy import Principal

log = structlog.get_logger("vextrus.files")

SIGNED_PATH = "/api/v1/files/signed/"

register_error_titles(
    {
        "file_too_large": {"en": "File too large", "bn": "ফাইলটি অনেক বড়"},
        "quota_exceeded": {"en": "Storage quota exceeded", "bn": "সংরক্ষণের কোটা শেষ"},
        "executable_refused": {"en": "Programs are not accepted", "bn": "প্রোগ্রাম গ্রহণ করা হয় না"},
        "active_content_refused": {"en": "Active content is not accepted", "bn": "সক্রিয় কনটেন্ট গ্রহণ করা হয় না"},
        "dangerous_extension": {"en": "File name not accepted", "bn": "ফাইলের নাম গ্রহণযোগ্য নয়"},
        "type_mismatch": {"en": "File type mismatch", "bn": "ফাইলের ধরন মেলে না"},
        "unknown_type": {"en": "Unsupported file type", "bn": "অসমর্থিত ফাইলের ধরন"},
        "empty_file": {"en": "Empty file", "bn": "ফাঁকা ফাইল"},
        "link_invalid": {"en": "Invalid download link", "bn": "ডাউনলোড লিংকটি সঠিক নয়"},
        "link_expired": {"en": "Download link expired", "bn": "ডাউনলোড লিংকের মেয়াদ শেষ"},
        "content_unavailable": {"en": "File content unavailable", "bn": "ফাইলের বিষয়বস্তু পাওয়া যাচ্ছে না"},
        "upload_interrupted": {"en": "Upload interrupted", "bn": "আপলোড বাধাগ্রস্ত হয়েছে"},
    }
)


# --- per-process state ---------------------------------------------------------------------------


@dataclass
class FilesState:
    """What the service keeps per runtime: its settings, the storage backend, the link key."""

    settings: FilesSettings
    storage: Storage
    _link_key: bytes | None = field(default=None, repr=False)

    def link_key(self) -> bytes:
        if self._link_key is None:
            secret = self.settings.url_secret
            self._link_key = (
                secret.get_secret_value().encode() if secret else load_or_create_key(self.settings.url_key_path)
            )
        return self._link_key


_STATES: weakref.WeakKeyDictionary[Runtime, FilesState] = weakref.WeakKeyDictionary()


def state_of(runtime: Runtime) -> FilesState:
    state = _STATES.get(runtime)
    if state is None:
        settings = runtime.settings_of(FilesSettings)
        state = FilesState(settings, build_storage(settings.storage_url, settings.spool_dir))
        _STATES[runtime] = state
    return state


async def storage_check(runtime: Runtime) -> dict[str, object]:
    """Readiness: the storage backend answers."""
    return await state_of(runtime).storage.check()


# --- limits ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveLimits:
    quota_bytes: int
    max_file_bytes: int
    kind_limits: dict[str, int]
    retention_days: int

    def for_kind(self, kind: str) -> int:
        return self.kind_limits.get(kind, self.max_file_bytes)

    @property
    def ceiling(self) -> int:
        """The largest upload any kind allows (the bound until the content's type is known)."""
        return max(self.max_file_bytes, *self.kind_limits.values()) if self.kind_limits else self.max_file_bytes

    def for_sniffed(self, sniffed: Sniffed) -> int:
        """The bound once the leading bytes are known (containers may still be office or archive)."""
        if sniffed.family == "zip":
            return max(self.for_kind("office"), self.for_kind("archive"))
        if sniffed.family == "ole2":
            return self.for_kind("office")
        if sniffed.family == "text":
            return max(self.for_kind("text"), self.for_kind("cad"))
        known = TYPES.get(sniffed.family)
        return self.for_kind(known.kind) if known is not None else self.max_file_bytes

    def out(self) -> LimitsOut:
        return LimitsOut(
            quota_bytes=self.quota_bytes,
            max_file_bytes=self.max_file_bytes,
            kind_limits=dict(self.kind_limits),
            retention_days=self.retention_days,
        )


def effective_limits(row: Limits | None, settings: FilesSettings) -> EffectiveLimits:
    kinds = dict(settings.kind_limits)
    if row is not None and row.kind_limits:
        kinds.update(json.loads(row.kind_limits))
    return EffectiveLimits(
        quota_bytes=row.quota_bytes if row is not None and row.quota_bytes is not None else settings.quota_bytes,
        max_file_bytes=(
            row.max_file_bytes if row is not None and row.max_file_bytes is not None else settings.max_file_bytes
        ),
        kind_limits={kind: kinds[kind] for kind in KINDS if kind in kinds},
        retention_days=(
            row.retention_days if row is not None and row.retention_days is not None else settings.retention_days
        ),
    )


async def current_limits(session: AsyncSession, settings: FilesSettings) -> EffectiveLimits:
    return effective_limits(await LimitsRepository(session).current(), settings)


# --- errors ------------------------------------------------------------------------------------------


def refused(status: int, code: str, reason: str, reason_bn: str, *, field: str = "body") -> AppError:
    metrics.UPLOADS_REFUSED.labels(code).inc()
    return AppError(status, code, reason, reason_bn, errors=[FieldError(field, code, reason, reason_bn)])


def _too_large(limit: int) -> AppError:
    return refused(
        413,
        "file_too_large",
        f"The file is larger than the {limit:,} bytes allowed for it",
        f"ফাইলটি অনুমোদিত সীমা ({limit:,} বাইট) ছাড়িয়ে গেছে",
    )


def _file_not_found(file_id: object) -> AppError:
    return not_found("File", file_id, "ফাইল")


# --- outputs -------------------------------------------------------------------------------------


def file_out(file: StoredFile, attachments: list[Attachment]) -> FileOut:
    return FileOut(
        id=file.id,
        name=file.name,
        content_type=file.content_type,
        kind=file.kind,
        size=file.size,
        sha256=file.sha256,
        version=file.current_version,
        attachments=[
            AttachmentOut(
                id=item.id, entity_type=item.entity_type, entity_id=item.entity_id, created_at=item.created_at
            )
            for item in attachments
        ],
        created_at=file.created_at,
        updated_at=file.updated_at,
        created_by=file.created_by,
        deleted_at=file.deleted_at,
        purge_after=file.purge_after,
    )


def version_out(version: FileVersion) -> VersionOut:
    return VersionOut(
        number=version.number,
        name=version.name,
        content_type=version.content_type,
        size=version.size,
        sha256=version.sha256,
        created_at=version.created_at,
        created_by=version.created_by,
    )


# --- upload ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadRequest:
    name: str
    declared_type: str | None
    entity: EntityRef | None = None
    file_id: uuid.UUID | None = None
    content_length: int | None = None


async def _live_file(session: AsyncSession, file_id: uuid.UUID) -> StoredFile:
    file = await FileRepository(session).get(file_id)
    if file is None or file.deleted_at is not None:
        raise _file_not_found(file_id)
    return file


async def upload(
    runtime: Runtime, principal: Principal, chunks: AsyncIterator[bytes], request: UploadRequest
) -> UploadOut:
    """Store a new file (or a new version of ``request.file_id``) from a stream of bytes."""
    state = state_of(runtime)
    database = runtime.database
    name = clean_filename(request.name)
    if not name:
        raise refused(422, "invalid", "must name the file", "ফাইলের নাম দিতে হবে", field="query.name")
    async with database.transaction() as session:
        limits = await current_limits(session, state.settings)
        if request.file_id is not None:
            await _live_file(session, request.file_id)
    if request.content_length is not None and request.content_length > limits.ceiling:
        raise _too_large(limits.ceiling)
    directory = await asyncio.to_thread(state.storage.spool_directory)
    try:
        spooled = await spool(chunks, directory, limit=limits.ceiling, limit_for=limits.for_sniffed)
    except UploadTooLarge as error:
        raise _too_large(error.limit) from None
    except UploadRefused as error:
        verdict = decide(error.sniffed, request.declared_type, name)
        raise refused(415, verdict.code, verdict.reason, verdict.reason_bn) from None
    try:
        sniffed = await asyncio.to_thread(inspect_container, spooled.path, spooled.sniffed)
        verdict = decide(sniffed, request.declared_type, name)
        if not verdict.accepted or verdict.kind is None:
            raise refused(415, verdict.code, verdict.reason, verdict.reason_bn)
        if spooled.size == 0:
            raise refused(422, "empty_file", "the file is empty", "ফাইলটি ফাঁকা")
        if spooled.size > limits.for_kind(verdict.kind):
            raise _too_large(limits.for_kind(verdict.kind))
        content = _Content(
            sha256=spooled.sha256,
            size=spooled.size,
            content_type=verdict.content_type,
            kind=verdict.kind,
            key=object_key(principal.tenant_id, spooled.sha256),
        )
        async with database.transaction() as session:
            known = await BlobRepository(session).by_sha(content.sha256) is not None
        stored_now = False
        if not known:
            await state.storage.put(content.key, spooled.path, content.content_type)
            stored_now = True
        try:
            result = await _record_with_retry(runtime, principal, request, name, content, limits)
        except BaseException:
            if stored_now:
                await _drop_unreferenced(runtime, state.storage, content)
            raise
        if result.created_blob and not stored_now:
            # The blob row vanished (purged) between the look-up and the write: store the bytes now.
            await state.storage.put(content.key, spooled.path, content.content_type)
        return result.out
    finally:
        with contextlib.suppress(OSError):
            spooled.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class _Content:
    sha256: str
    size: int
    content_type: str
    kind: Kind
    key: str


@dataclass(frozen=True)
class _Recorded:
    out: UploadOut
    created_blob: bool


async def _record_with_retry(
    runtime: Runtime,
    principal: Principal,
    request: UploadRequest,
    name: str,
    content: _Content,
    limits: EffectiveLimits,
) -> _Recorded:
    """Record the upload; a concurrent upload of the same content (unique blob) or a concurrent new
    version (unique number) loses the race at commit once, then sees the winner's rows."""
    for attempt in (1, 2, 3):
        try:
            async with runtime.database.transaction() as session:
                return await _record(session, principal, request, name, content, limits)
        except IntegrityError:
            if attempt == 3:
                raise
    raise AssertionError("unreachable")


async def _record(
    session: AsyncSession,
    principal: Principal,
    request: UploadRequest,
    name: str,
    content: _Content,
    limits: EffectiveLimits,
) -> _Recorded:
    tenant_id = require_tenant_id()
    actor = principal.subject
    blobs = BlobRepository(session)
    blob = await blobs.by_sha(content.sha256, lock=True)
    created_blob = blob is None
    used: int | None = None
    if blob is None:
        usage = UsageRepository(session)
        await usage.ensure()
        used = await usage.reserve(content.size, limits.quota_bytes)
        if used is None:
            raise refused(
                413,
                "quota_exceeded",
                f"Storing {content.size:,} more bytes would exceed the tenant's quota of {limits.quota_bytes:,} bytes",
                f"আরও {content.size:,} বাইট রাখলে প্রতিষ্ঠানের কোটা ({limits.quota_bytes:,} বাইট) ছাড়িয়ে যাবে",
            )
        blob = blobs.add(
            Blob(sha256=content.sha256, size=content.size, content_type=content.content_type, storage_key=content.key)
        )
        await session.flush()
    files = FileRepository(session)
    if request.file_id is None:
        file = files.add(
            StoredFile(
                name=name,
                content_type=content.content_type,
                kind=content.kind,
                size=content.size,
                sha256=content.sha256,
                current_version=1,
                created_by=actor,
                updated_by=actor,
            )
        )
        await session.flush()
    else:
        file = await _live_file(session, request.file_id)
        if file.sha256 == content.sha256 and file.name == name and request.entity is None:
            attachments = (await AttachmentRepository(session).of_files([file.id])).get(file.id, [])
            return _Recorded(UploadOut(**file_out(file, attachments).model_dump(), deduplicated=True), False)
        file.current_version += 1
        file.name, file.content_type, file.kind = name, content.content_type, content.kind
        file.size, file.sha256, file.updated_by = content.size, content.sha256, actor
    VersionRepository(session).add(
        FileVersion(
            file_id=file.id,
            number=file.current_version,
            blob_id=blob.id,
            name=name,
            content_type=content.content_type,
            size=content.size,
            sha256=content.sha256,
            created_by=actor,
        )
    )
    attachments_repository = AttachmentRepository(session)
    if request.entity is not None and (
        await attachments_repository.find(file.id, request.entity.entity_type, request.entity.entity_id) is None
    ):
        attachments_repository.add(
            Attachment(
                file_id=file.id,
                entity_type=request.entity.entity_type,
                entity_id=request.entity.entity_id,
                created_by=actor,
            )
        )
    await session.flush()
    attachments = (await attachments_repository.of_files([file.id])).get(file.id, [])
    record_event(
        session,
        FILE_UPLOADED,
        FileUploaded(
            tenant_id=tenant_id,
            file_id=file.id,
            version=file.current_version,
            name=name,
            content_type=content.content_type,
            kind=content.kind,
            size=content.size,
            sha256=content.sha256,
            deduplicated=not created_blob,
            attachments=[EntityLink(entity_type=item.entity_type, entity_id=item.entity_id) for item in attachments],
            actor=actor,
        ),
        subject=file.id,
    )
    after_commit(session, metrics.FILES_UPLOADED.labels(content.kind, str(not created_blob).lower()).inc)
    if used is not None:
        after_commit(session, _gauge_setter(tenant_id, used))
    out = UploadOut(**file_out(file, attachments).model_dump(), deduplicated=not created_blob)
    return _Recorded(out, created_blob)


def _gauge_setter(tenant_id: uuid.UUID, used: int) -> Callable[[], None]:
    gauge = metrics.STORAGE_USED.labels(str(tenant_id))
    return lambda: gauge.set(used)


async def _drop_unreferenced(runtime: Runtime, storage: Storage, content: _Content) -> None:
    """After a failed upload: remove the object stored for it unless a blob row refers to it."""
    try:
        async with runtime.database.transaction() as session:
            referenced = await BlobRepository(session).by_sha(content.sha256) is not None
        if not referenced:
            await storage.delete(content.key)
    except (StorageError, OSError):
        log.warning("orphan_object_left", key=content.key)


# --- reading ---------------------------------------------------------------------------------------


async def get_file(session: AsyncSession, file_id: uuid.UUID) -> FileOut:
    file = await FileRepository(session).get(file_id)
    if file is None:
        raise _file_not_found(file_id)
    attachments = await AttachmentRepository(session).of_files([file.id])
    return file_out(file, attachments.get(file.id, []))


async def list_files(
    session: AsyncSession,
    page: PageRequest,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    kind: str | None = None,
    include_deleted: bool = False,
) -> Page[FileOut]:
    files = await FileRepository(session).page(
        page, entity_type=entity_type, entity_id=entity_id, kind=kind, include_deleted=include_deleted
    )
    attachments = await AttachmentRepository(session).of_files([file.id for file in files.items])
    return Page[FileOut](
        items=[file_out(file, attachments.get(file.id, [])) for file in files.items], next_cursor=files.next_cursor
    )


async def list_versions(session: AsyncSession, file_id: uuid.UUID) -> list[VersionOut]:
    if await FileRepository(session).get(file_id) is None:
        raise _file_not_found(file_id)
    return [version_out(version) for version in await VersionRepository(session).of_file(file_id)]


@dataclass(frozen=True)
class Content:
    """What a download sends: the bytes' key, type, size, checksum and name."""

    storage_key: str
    content_type: str
    size: int
    sha256: str
    name: str
    file_id: uuid.UUID
    version: int


async def content_of(session: AsyncSession, file_id: uuid.UUID, number: int | None = None) -> Content:
    """The current (or numbered) version of a live file; 404 for a deleted file or unknown version."""
    file = await _live_file(session, file_id)
    version = await VersionRepository(session).number(file_id, number or file.current_version)
    if version is None:
        raise not_found("Version", f"{number} of file {file_id}", "সংস্করণ")
    blob = await BlobRepository(session).get(version.blob_id)
    if blob is None:  # a version always has its blob (foreign key); kept for type narrowing
        raise _file_not_found(file_id)
    return Content(
        storage_key=blob.storage_key,
        content_type=version.content_type,
        size=version.size,
        sha256=version.sha256,
        name=version.name,
        file_id=file_id,
        version=version.number,
    )


def disposition_for(content: Content, wanted: Disposition) -> Disposition:
    """Inline only for types a browser shows passively (PDF, raster images)."""
    return wanted if wanted == "attachment" or content.content_type in INLINE_SAFE else "attachment"


async def open_stream(storage: Storage, content: Content) -> AsyncIterator[bytes]:
    """The content's chunks, with the first one already read (a missing object is an error now,
    not halfway through a response)."""
    iterator = storage.read(content.storage_key)
    try:
        first = await anext(iterator, b"")
    except (ObjectMissing, StorageError):
        log.error("content_unavailable", key=content.storage_key)
        raise AppError(
            503,
            "content_unavailable",
            "The file's content cannot be read from storage right now",
            "ফাইলের বিষয়বস্তু এখন সংরক্ষণাগার থেকে পড়া যাচ্ছে না",
        ) from None

    async def chunks() -> AsyncIterator[bytes]:
        try:
            if first:
                yield first
            async for chunk in iterator:
                yield chunk
        finally:
            await iterator.aclose()  # type: ignore[attr-defined]

    return chunks()


def download_headers(content: Content, disposition: Disposition) -> dict[str, str]:
    return {
        "Content-Disposition": content_disposition(content.name, disposition),
        "Content-Length": str(content.size),
        "ETag": f'"{content.sha256}"',
        "Cache-Control": "private, max-age=0",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }


# --- links -------------------------------------------------------------------------------------------


async def create_link(runtime: Runtime, file_id: uuid.UUID, body: LinkIn) -> LinkOut:
    state = state_of(runtime)
    settings = state.settings
    expires_in = body.expires_in or settings.url_ttl_seconds
    if expires_in > settings.url_max_ttl_seconds:
        raise refused(
            422,
            "invalid",
            f"must be at most {settings.url_max_ttl_seconds} seconds",
            f"সর্বোচ্চ {settings.url_max_ttl_seconds} সেকেন্ড হতে পারে",
            field="body.expires_in",
        )
    async with runtime.database.transaction() as session:
        content = await content_of(session, file_id, body.version)
    disposition = disposition_for(content, body.disposition)
    expires_at = dt.datetime.fromtimestamp(int(time.time()) + expires_in, dt.UTC)
    if state.storage.kind == "s3" and settings.presign_direct:
        url = state.storage.presigned_url(
            content.storage_key,
            expires_in=expires_in,
            content_type=content.content_type,
            disposition=content_disposition(content.name, disposition),
        )
        if url is not None:
            return LinkOut(url=url, expires_at=expires_at, direct=True, file_id=file_id, version=content.version)
    claims = LinkClaims(
        tenant_id=require_tenant_id(),
        file_id=file_id,
        version=content.version,
        expires=int(expires_at.timestamp()),
        disposition=disposition,
    )
    token = sign(claims, state.link_key())
    url = f"{settings.public_base_url.rstrip('/')}{SIGNED_PATH}{token}"
    return LinkOut(url=url, expires_at=expires_at, direct=False, file_id=file_id, version=content.version)


async def resolve_link(runtime: Runtime, token: str) -> tuple[Content, Disposition]:
    """The content a signed link names; 403 for a forged or expired link, 404 once deleted."""
    state = state_of(runtime)
    try:
        claims = verify(token, state.link_key(), time.time())
    except LinkError as error:
        if error.reason == "expired":
            raise AppError(403, "link_expired", "The download link has expired", "ডাউনলোড লিংকের মেয়াদ শেষ") from None
        raise AppError(403, "link_invalid", "The download link is not valid", "ডাউনলোড লিংকটি সঠিক নয়") from None
    with acting_as(tenant_id=claims.tenant_id):
        async with runtime.database.transaction() as session:
            content = await content_of(session, claims.file_id, claims.version)
    return content, claims.disposition


# --- changes -----------------------------------------------------------------------------------------


async def rename(session: AsyncSession, file_id: uuid.UUID, patch: FilePatch, actor: uuid.UUID) -> FileOut:
    file = await _live_file(session, file_id)
    if patch.name is not None:
        name = clean_filename(patch.name)
        if not name:
            raise refused(422, "invalid", "must name the file", "ফাইলের নাম দিতে হবে", field="body.name")
        family = "text" if file.kind == "text" else file.content_type.split(";")[0]
        verdict = decide(Sniffed(family), None, name)
        if not verdict.accepted:
            raise refused(422, verdict.code, verdict.reason, verdict.reason_bn, field="body.name")
        file.name, file.updated_by = name, actor
        await session.flush()
    return await get_file(session, file_id)


async def attach(session: AsyncSession, file_id: uuid.UUID, body: AttachIn, actor: uuid.UUID) -> tuple[FileOut, bool]:
    """Attach a file to an entity; (file, created) — attaching twice changes nothing."""
    file = await _live_file(session, file_id)
    repository = AttachmentRepository(session)
    created = await repository.find(file.id, body.entity_type, body.entity_id) is None
    if created:
        repository.add(
            Attachment(file_id=file.id, entity_type=body.entity_type, entity_id=body.entity_id, created_by=actor)
        )
        await session.flush()
    return await get_file(session, file_id), created


async def detach(session: AsyncSession, file_id: uuid.UUID, attachment_id: uuid.UUID) -> None:
    repository = AttachmentRepository(session)
    attachment = await repository.get(attachment_id)
    if attachment is None or attachment.file_id != file_id:
        raise not_found("Attachment", attachment_id, "সংযুক্তি")
    await repository.delete(attachment)


async def delete_file(session: AsyncSession, settings: FilesSettings, file_id: uuid.UUID, actor: uuid.UUID) -> None:
    """Soft delete: the file disappears from lists and downloads, restorable for the retention days."""
    file = await FileRepository(session).get(file_id)
    if file is None:
        raise _file_not_found(file_id)
    if file.deleted_at is not None:
        return
    limits = await current_limits(session, settings)
    now = utcnow()
    file.deleted_at, file.deleted_by = now, actor
    file.purge_after = now + dt.timedelta(days=limits.retention_days)
    await session.flush()
    record_event(
        session,
        FILE_DELETED,
        FileDeleted(
            tenant_id=require_tenant_id(),
            file_id=file.id,
            name=file.name,
            deleted_at=now,
            purge_after=file.purge_after,
            actor=actor,
        ),
        subject=file.id,
    )


async def restore_file(session: AsyncSession, file_id: uuid.UUID, actor: uuid.UUID) -> FileOut:
    file = await FileRepository(session).get(file_id)
    if file is None:
        raise _file_not_found(file_id)
    if file.deleted_at is not None:
        file.deleted_at = file.deleted_by = file.purge_after = None
        file.updated_by = actor
        await session.flush()
        record_event(
            session,
            FILE_RESTORED,
            FileRestored(tenant_id=require_tenant_id(), file_id=file.id, name=file.name, actor=actor),
            subject=file.id,
        )
    return await get_file(session, file_id)


async def purge_expired(runtime: Runtime, now: dt.datetime | None = None) -> PurgeOut:
    """Remove the tenant's deleted files whose retention has passed, with their versions; content no
    other version uses leaves storage and the quota."""
    state = state_of(runtime)
    moment = now or utcnow()
    freed = 0
    keys: list[str] = []
    tenant_id = require_tenant_id()
    async with runtime.database.transaction() as session:
        files = await FileRepository(session).expired(moment)
        versions = VersionRepository(session)
        blobs = BlobRepository(session)
        usage = UsageRepository(session)
        used: int | None = None
        for file in files:
            blob_ids = {version.blob_id for version in await versions.of_file(file.id)}
            file_freed = 0
            await session.execute(
                delete(Attachment).where(Attachment.tenant_id == tenant_id, Attachment.file_id == file.id)
            )
            await session.execute(
                delete(FileVersion).where(FileVersion.tenant_id == tenant_id, FileVersion.file_id == file.id)
            )
            await session.execute(delete(StoredFile).where(StoredFile.tenant_id == tenant_id, StoredFile.id == file.id))
            for blob_id in sorted(blob_ids):
                if await versions.references(blob_id):
                    continue
                blob = (await session.scalars(blobs.select().where(Blob.id == blob_id).with_for_update())).one()
                file_freed += blob.size
                keys.append(blob.storage_key)
                await session.execute(delete(Blob).where(Blob.tenant_id == tenant_id, Blob.id == blob_id))
                used = await usage.release(blob.size)
            freed += file_freed
            record_event(
                session,
                FILE_PURGED,
                FilePurged(tenant_id=tenant_id, file_id=file.id, name=file.name, freed_bytes=file_freed),
                subject=file.id,
            )
        if used is not None:
            after_commit(session, _gauge_setter(tenant_id, used))
    for key in keys:
        await _delete_if_unreferenced(runtime, state.storage, key)
    return PurgeOut(purged_files=len(files), freed_bytes=freed)


async def _delete_if_unreferenced(runtime: Runtime, storage: Storage, key: str) -> None:
    """Remove a purged blob's object unless an upload of the same content recorded it again."""
    async with runtime.database.transaction() as session:
        again = await session.scalar(
            select(Blob.id).where(Blob.tenant_id == require_tenant_id(), Blob.storage_key == key)
        )
    if again is None:
        try:
            await storage.delete(key)
        except StorageError:
            log.warning("purged_object_not_deleted", key=key)


# --- usage and limits --------------------------------------------------------------------------------


async def usage(session: AsyncSession, settings: FilesSettings) -> UsageOut:
    row = await UsageRepository(session).get()
    live, deleted = await FileRepository(session).counts()
    limits = await current_limits(session, settings)
    return UsageOut(
        used_bytes=row.used_bytes if row else 0,
        blob_count=row.blob_count if row else 0,
        file_count=live,
        deleted_file_count=deleted,
        limits=limits.out(),
    )


async def set_limits(runtime: Runtime, tenant_id: uuid.UUID, body: LimitsIn, actor: uuid.UUID) -> LimitsOut:
    """The platform operator's limits for one tenant (guarded by ``platform.files.manage``)."""
    settings = state_of(runtime).settings
    kind_limits = json.dumps(body.kind_limits, sort_keys=True) if body.kind_limits is not None else None
    with cross_tenant():
        async with runtime.database.transaction() as session:
            repository = LimitsRepository(session)
            row = await repository.of(tenant_id)
            if row is None:
                row = repository.add(Limits(tenant_id=tenant_id))
            row.quota_bytes = body.quota_bytes
            row.max_file_bytes = body.max_file_bytes
            row.kind_limits = kind_limits
            row.retention_days = body.retention_days
            row.updated_by = actor
            await session.flush()
            return effective_limits(row, settings).out()
