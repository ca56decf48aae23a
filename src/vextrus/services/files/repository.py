"""Every query of the file storage service; tenant-owned rows go through :class:`TenantRepository`."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.models import utcnow
from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.files.models import Attachment, Blob, FileVersion, Limits, StoredFile, Usage


class FileRepository(TenantRepository[StoredFile]):
    model = StoredFile

    async def page(
        self,
        page: PageRequest,
        *,
        entity_type: str | None = None,
        entity_id: str | None = None,
        kind: str | None = None,
        include_deleted: bool = False,
    ) -> Page[StoredFile]:
        statement = self.select()
        if not include_deleted:
            statement = statement.where(StoredFile.deleted_at.is_(None))
        if kind is not None:
            statement = statement.where(StoredFile.kind == kind)
        if entity_type is not None:
            attached = select(Attachment.file_id).where(
                Attachment.tenant_id == self.tenant_id, Attachment.entity_type == entity_type
            )
            if entity_id is not None:
                attached = attached.where(Attachment.entity_id == entity_id)
            statement = statement.where(StoredFile.id.in_(attached))
        return await paginate(
            self.session, statement, [StoredFile.created_at, StoredFile.id], page, lambda row: row, descending=True
        )

    async def expired(self, now: dt.datetime) -> Sequence[StoredFile]:
        return await self.all(
            StoredFile.deleted_at.is_not(None), StoredFile.purge_after <= now, order_by=[StoredFile.purge_after]
        )

    async def counts(self) -> tuple[int, int]:
        """(live files, deleted files) of the tenant."""
        tenant = self.tenant_id
        statement = select(StoredFile.deleted_at.is_(None), func.count()).where(StoredFile.tenant_id == tenant)
        rows = (await self.session.execute(statement.group_by(StoredFile.deleted_at.is_(None)))).all()
        live = sum(count for is_live, count in rows if is_live)
        deleted = sum(count for is_live, count in rows if not is_live)
        return live, deleted


class VersionRepository(TenantRepository[FileVersion]):
    model = FileVersion

    async def of_file(self, file_id: uuid.UUID) -> Sequence[FileVersion]:
        return await self.all(FileVersion.file_id == file_id, order_by=[FileVersion.number.desc()])

    async def number(self, file_id: uuid.UUID, number: int) -> FileVersion | None:
        return await self.first(FileVersion.file_id == file_id, FileVersion.number == number)

    async def references(self, blob_id: uuid.UUID) -> int:
        statement = select(func.count()).where(FileVersion.tenant_id == self.tenant_id, FileVersion.blob_id == blob_id)
        return int((await self.session.execute(statement)).scalar_one())


class AttachmentRepository(TenantRepository[Attachment]):
    model = Attachment

    async def of_files(self, file_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Attachment]]:
        if not file_ids:
            return {}
        rows = await self.all(Attachment.file_id.in_(file_ids), order_by=[Attachment.created_at, Attachment.id])
        found: dict[uuid.UUID, list[Attachment]] = {}
        for row in rows:
            found.setdefault(row.file_id, []).append(row)
        return found

    async def find(self, file_id: uuid.UUID, entity_type: str, entity_id: str) -> Attachment | None:
        return await self.first(
            Attachment.file_id == file_id, Attachment.entity_type == entity_type, Attachment.entity_id == entity_id
        )


class BlobRepository(TenantRepository[Blob]):
    model = Blob

    async def by_sha(self, sha256: str, *, lock: bool = False) -> Blob | None:
        statement = self.select().where(Blob.sha256 == sha256)
        if lock:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).one_or_none()


class UsageRepository:
    """The tenant's usage row: created on first use, changed only by conditional updates."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self) -> Usage | None:
        tenant = require_tenant_id()
        return (await self.session.scalars(select(Usage).where(Usage.tenant_id == tenant))).one_or_none()

    async def ensure(self) -> None:
        if await self.get() is None:
            self.session.add(Usage(tenant_id=require_tenant_id(), used_bytes=0, blob_count=0))
            await self.session.flush()

    async def reserve(self, size: int, quota: int) -> int | None:
        """Add ``size`` bytes if the quota allows; the new total, or None when it would not fit."""
        tenant = require_tenant_id()
        statement = (
            update(Usage)
            .where(Usage.tenant_id == tenant, Usage.used_bytes + size <= quota)
            .values(used_bytes=Usage.used_bytes + size, blob_count=Usage.blob_count + 1, updated_at=utcnow())
            .returning(Usage.used_bytes)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).scalar_one_or_none()

    async def release(self, size: int) -> int:
        tenant = require_tenant_id()
        statement = (
            update(Usage)
            .where(Usage.tenant_id == tenant)
            .values(used_bytes=Usage.used_bytes - size, blob_count=Usage.blob_count - 1, updated_at=utcnow())
            .returning(Usage.used_bytes)
            .execution_options(synchronize_session=False)
        )
        return int((await self.session.execute(statement)).scalar_one_or_none() or 0)


class LimitsRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def of(self, tenant_id: uuid.UUID) -> Limits | None:
        return (await self.session.scalars(select(Limits).where(Limits.tenant_id == tenant_id))).one_or_none()

    async def current(self) -> Limits | None:
        return await self.of(require_tenant_id())

    def add(self, limits: Limits) -> Limits:
        self.session.add(limits)
        return limits
