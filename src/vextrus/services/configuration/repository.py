"""Every query of the configuration service.

Tenant-owned rows (settings, overrides) go through :class:`TenantRepository` (default deny).
Flag definitions are platform-wide. The change history holds tenant rows and platform rows
(``tenant_id`` NULL); it is still read from the current tenant only: its rows plus platform rows.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.configuration.models import ChangeRecord, FeatureFlag, FlagOverride, TenantSetting


class SettingRepository(TenantRepository[TenantSetting]):
    model = TenantSetting

    async def all_for_tenant(self) -> Sequence[TenantSetting]:
        return await self.all()

    async def by_key(self, key: str) -> TenantSetting | None:
        return await self.first(TenantSetting.key == key)


class OverrideRepository(TenantRepository[FlagOverride]):
    model = FlagOverride

    async def by_flag(self, flag_key: str) -> FlagOverride | None:
        return await self.first(FlagOverride.flag_key == flag_key)

    async def for_flags(self, flag_keys: Sequence[str]) -> dict[str, FlagOverride]:
        if not flag_keys:
            return {}
        rows = await self.all(FlagOverride.flag_key.in_(flag_keys))
        return {row.flag_key: row for row in rows}


class FlagRepository:
    """Platform-wide flag definitions (not tenant-owned)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_key(self, key: str) -> FeatureFlag | None:
        result = await self.session.execute(select(FeatureFlag).where(FeatureFlag.key == key))
        return result.scalar_one_or_none()

    def add(self, flag: FeatureFlag) -> FeatureFlag:
        self.session.add(flag)
        return flag

    async def page(self, page: PageRequest) -> Page[FeatureFlag]:
        return await paginate(self.session, select(FeatureFlag), [FeatureFlag.key], page, lambda row: row)


class HistoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, record: ChangeRecord) -> ChangeRecord:
        """Stage a record of the current tenant, or a platform record (``tenant_id`` None)."""
        if record.tenant_id is not None and record.tenant_id != require_tenant_id():
            raise PermissionError("cannot write history for another tenant")
        self.session.add(record)
        return record

    def visible(self) -> Select[ChangeRecord]:
        """The current tenant's records plus platform-wide ones (default deny without a tenant)."""
        tenant = require_tenant_id()
        return select(ChangeRecord).where(or_(ChangeRecord.tenant_id == tenant, ChangeRecord.tenant_id.is_(None)))

    async def page(self, page: PageRequest, *, key: str | None = None, kind: str | None = None) -> Page[ChangeRecord]:
        statement = self.visible()
        if key is not None:
            statement = statement.where(ChangeRecord.key == key)
        if kind is not None:
            statement = statement.where(ChangeRecord.kind == kind)
        return await paginate(
            self.session,
            statement,
            [ChangeRecord.changed_at, ChangeRecord.id],
            page,
            lambda row: row,
            descending=True,
        )
