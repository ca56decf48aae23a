"""Tenant-scoped repositories: every query starts from the current tenant (default deny).

A service's ``repository.py`` subclasses :class:`TenantRepository` for each tenant-owned model. A
query built outside a tenant context raises :class:`TenantContextMissing` instead of reading
across tenants; a row of another tenant is simply not found (404, never 403).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.models import Tenanted
from vextrus.kit.tenancy import require_tenant_id

TenantModel = TypeVar("TenantModel", bound=Tenanted)


class TenantRepository(Generic[TenantModel]):
    model: ClassVar[type[Any]]

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def tenant_id(self) -> uuid.UUID:
        return require_tenant_id()

    def select(self) -> Select[Any]:
        """``SELECT model WHERE tenant_id = <current tenant>``: the start of every query."""
        tenant = self.tenant_id  # raises first: no statement is built without a tenant
        return select(self.model).where(self.model.tenant_id == tenant)

    async def get(self, ident: uuid.UUID) -> TenantModel | None:
        result = await self.session.scalars(self.select().where(self.model.id == ident))
        return result.one_or_none()

    async def first(self, *criteria: Any) -> TenantModel | None:
        result = await self.session.scalars(self.select().where(*criteria).limit(1))
        return result.first()

    async def all(self, *criteria: Any, order_by: Sequence[Any] = ()) -> Sequence[TenantModel]:
        result = await self.session.scalars(self.select().where(*criteria).order_by(*order_by))
        return result.all()

    def add(self, instance: TenantModel) -> TenantModel:
        """Stage a new row for the current tenant (a preset other tenant is refused)."""
        tenant = self.tenant_id
        existing = getattr(instance, "tenant_id", None)
        if existing is not None and existing != tenant:
            raise PermissionError("cannot add a row for another tenant")
        instance.tenant_id = tenant
        self.session.add(instance)
        return instance

    async def delete(self, instance: TenantModel) -> None:
        if instance.tenant_id != self.tenant_id:
            raise PermissionError("cannot delete a row of another tenant")
        await self.session.delete(instance)
