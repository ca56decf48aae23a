"""Every query of the organization service.

Tenant-owned rows go through :class:`TenantRepository` (default deny: every statement starts from
the current tenant). The tenants table is keyed by the tenant id itself: :class:`TenantRecords`
reads the current tenant's own row, and :class:`PlatformTenants` serves the platform-wide reads
(by slug, the list) that only ``platform.*`` routes use.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.pagination import Page, PageRequest, paginate
from vextrus.kit.repository import TenantRepository
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.organization.models import (
    Branch,
    Company,
    Department,
    Designation,
    Division,
    Membership,
    Tenant,
)


class TenantRecords:
    """The current tenant's own row (a tenant sees only itself; ``tenant_id`` is its ``id``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self, *, for_update: bool = False) -> Tenant | None:
        statement = select(Tenant).where(Tenant.id == require_tenant_id())
        if for_update:
            statement = statement.with_for_update()
        return (await self.session.scalars(statement)).one_or_none()

    def add(self, tenant: Tenant) -> Tenant:
        if tenant.id != require_tenant_id() or tenant.tenant_id != tenant.id:
            raise PermissionError("cannot add another tenant's row")
        self.session.add(tenant)
        return tenant


class PlatformTenants:
    """Reads across tenants, for ``platform.tenant.*`` routes only, inside ``cross_tenant()``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_slug(self, slug: str) -> Tenant | None:
        return (await self.session.scalars(select(Tenant).where(Tenant.slug == slug))).one_or_none()

    async def page(self, page: PageRequest, status: str | None = None) -> Page[Tenant]:
        statement = select(Tenant)
        if status is not None:
            statement = statement.where(Tenant.status == status)
        return await paginate(self.session, statement, [Tenant.id], page, lambda row: row)


class Companies(TenantRepository[Company]):
    model = Company

    async def count(self) -> int:
        return int(await self.session.scalar(select(func.count()).select_from(self.select().subquery())) or 0)

    async def first_created(self) -> Company | None:
        result = await self.session.scalars(self.select().order_by(Company.created_at, Company.id).limit(1))
        return result.first()

    async def by_code(self, code: str) -> Company | None:
        return await self.first(Company.code == code)

    async def page(self, page: PageRequest, *, active: bool | None = None) -> Page[Company]:
        statement = self.select()
        if active is not None:
            statement = statement.where(Company.is_active == active)
        return await paginate(self.session, statement, [Company.id], page, lambda row: row)

    async def by_ids(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Company]:
        if not ids:
            return {}
        return {row.id: row for row in await self.all(Company.id.in_(ids))}


def _filtered(
    statement: Select[Any],
    model: type[Division | Branch | Department],
    company_id: uuid.UUID | None,
    active: bool | None,
) -> Select[Any]:
    """Narrow a listing of company-scoped rows by company and by active flag."""
    if company_id is not None:
        statement = statement.where(model.company_id == company_id)
    if active is not None:
        statement = statement.where(model.is_active == active)
    return statement


class Divisions(TenantRepository[Division]):
    model = Division

    async def page(self, page: PageRequest, *, company_id: uuid.UUID | None, active: bool | None) -> Page[Division]:
        statement = _filtered(self.select(), Division, company_id, active)
        return await paginate(self.session, statement, [Division.id], page, lambda row: row)


class Branches(TenantRepository[Branch]):
    model = Branch

    async def page(self, page: PageRequest, *, company_id: uuid.UUID | None, active: bool | None) -> Page[Branch]:
        statement = _filtered(self.select(), Branch, company_id, active)
        return await paginate(self.session, statement, [Branch.id], page, lambda row: row)


class Departments(TenantRepository[Department]):
    model = Department

    async def page(self, page: PageRequest, *, company_id: uuid.UUID | None, active: bool | None) -> Page[Department]:
        statement = _filtered(self.select(), Department, company_id, active)
        return await paginate(self.session, statement, [Department.id], page, lambda row: row)

    async def of_company(self, company_id: uuid.UUID) -> Sequence[Department]:
        return await self.all(Department.company_id == company_id, order_by=[Department.code])

    async def parents(self, company_id: uuid.UUID) -> dict[uuid.UUID, uuid.UUID | None]:
        rows = await self.session.execute(
            select(Department.id, Department.parent_id).where(
                Department.tenant_id == self.tenant_id, Department.company_id == company_id
            )
        )
        return {row.id: row.parent_id for row in rows}


class Designations(TenantRepository[Designation]):
    model = Designation

    async def page(self, page: PageRequest, *, active: bool | None) -> Page[Designation]:
        statement = self.select()
        if active is not None:
            statement = statement.where(Designation.is_active == active)
        return await paginate(self.session, statement, [Designation.id], page, lambda row: row)


class Memberships(TenantRepository[Membership]):
    model = Membership

    async def of(self, company_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
        return await self.first(Membership.company_id == company_id, Membership.user_id == user_id)

    async def of_user(self, user_id: uuid.UUID) -> Sequence[Membership]:
        """A user's memberships in the tenant: primary first, then oldest first."""
        return await self.all(
            Membership.user_id == user_id, order_by=[Membership.is_primary.desc(), Membership.created_at, Membership.id]
        )

    async def page(self, page: PageRequest, *, company_id: uuid.UUID) -> Page[Membership]:
        statement = self.select().where(Membership.company_id == company_id)
        return await paginate(self.session, statement, [Membership.id], page, lambda row: row)

    async def distinct_users(self) -> int:
        statement = select(func.count(func.distinct(Membership.user_id))).where(Membership.tenant_id == self.tenant_id)
        return int(await self.session.scalar(statement) or 0)

    async def is_member_anywhere(self, user_id: uuid.UUID) -> bool:
        return await self.first(Membership.user_id == user_id) is not None

    async def uses(self, column: str, ident: uuid.UUID) -> bool:
        """Whether any membership refers to a department/designation (``column``) ``ident``."""
        return await self.first(getattr(Membership, column) == ident) is not None
