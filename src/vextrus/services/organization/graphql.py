"""GraphQL part of the organization service (Strawberry, Federation v2).

Entities owned here: ``Tenant`` and ``Company`` (keys ``id``, shareable, with
``resolve_reference``), so other services can reference them (``Invoice.company: Company``) by
importing these classes. The other types carry the ``Org`` prefix to stay unique across services.
Resolvers check the same permissions as REST and call the same service functions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, TypeVar

import strawberry
from pydantic import BaseModel, ValidationError
from strawberry.types import Info

from vextrus.kit.errors import AppError, invalid_field, validation_field_errors
from vextrus.kit.graphql import GraphQLContext
from vextrus.kit.pagination import MAX_LIMIT, PageRequest
from vextrus.services.organization import common, members, models, service, structure
from vextrus.services.organization.repository import Companies, Departments, Designations, Memberships, TenantRecords
from vextrus.services.organization.schemas import MemberAdd, TenantPatch

ContextInfo = Info[GraphQLContext, None]
Model = TypeVar("Model", bound=BaseModel)


def _validated(model: type[Model], data: dict[str, Any]) -> Model:
    """``data`` as ``model``; a refusal is a 422 naming the fields, as on REST."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        errors = validation_field_errors(error.errors())
        fields = ", ".join(item.field for item in errors)
        raise AppError(422, "validation_failed", f"Invalid fields: {fields}", f"অবৈধ ঘর: {fields}", errors) from None


def _uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise invalid_field(field, "must be a UUID", "একটি বৈধ UUID হতে হবে") from None


@strawberry.federation.type(keys=["id"], shareable=True, description="A tenant: the customer organisation")
class Tenant:
    id: strawberry.ID
    slug: str
    name: str
    name_bn: str | None
    type: str = strawberry.field(description="construction, real-estate or both")
    plan: str
    status: str = strawberry.field(description="active, suspended or closed")
    version: int

    @classmethod
    def from_row(cls, row: models.Tenant) -> Tenant:
        return cls(
            id=strawberry.ID(str(row.id)),
            slug=row.slug,
            name=row.name,
            name_bn=row.name_bn,
            type=row.type,
            plan=row.plan,
            status=row.status,
            version=row.version,
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> Tenant | None:
        """Only the caller's own tenant resolves (needs organization.tenant.read)."""
        principal = info.context.require("organization.tenant.read")
        if str(principal.tenant_id) != str(id):
            return None
        async with info.context.transaction() as session:
            row = await TenantRecords(session).current()
        return cls.from_row(row) if row is not None else None


@strawberry.federation.type(keys=["id"], shareable=True, description="A company: a legal entity of the tenant")
class Company:
    id: strawberry.ID
    code: str
    name: str
    name_bn: str | None
    tin: str | None
    bin: str | None
    vat_status: str
    regulatory_body: str | None
    trade_licence_number: str | None
    trade_licence_expiry: dt.date | None
    district: str | None
    division: str | None
    fiscal_year_start_month: int
    base_currency: str
    is_active: bool
    version: int

    @classmethod
    def from_row(cls, row: models.Company) -> Company:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            tin=row.tin,
            bin=row.bin,
            vat_status=row.vat_status,
            regulatory_body=row.regulatory_body,
            trade_licence_number=row.trade_licence_number,
            trade_licence_expiry=row.trade_licence_expiry,
            district=row.address_district,
            division=row.address_division,
            fiscal_year_start_month=row.fiscal_year_start_month,
            base_currency=row.base_currency,
            is_active=row.is_active,
            version=row.version,
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> Company | None:
        """A company of the caller's tenant (needs organization.company.read); others are null."""
        info.context.require("organization.company.read")
        try:
            ident = uuid.UUID(str(id))
        except ValueError:
            return None
        async with info.context.transaction() as session:
            row = await Companies(session).get(ident)
        return cls.from_row(row) if row is not None else None


@strawberry.type(description="A company's page of the tenant's companies")
class OrgCompanyPage:
    items: list[Company]
    next_cursor: str | None


@strawberry.type(description="A department of a company (tree through parentId)")
class OrgDepartment:
    id: strawberry.ID
    company_id: strawberry.ID
    parent_id: strawberry.ID | None
    code: str
    name: str
    name_bn: str | None
    head_user_id: strawberry.ID | None
    is_active: bool

    @classmethod
    def from_row(cls, row: models.Department) -> OrgDepartment:
        return cls(
            id=strawberry.ID(str(row.id)),
            company_id=strawberry.ID(str(row.company_id)),
            parent_id=strawberry.ID(str(row.parent_id)) if row.parent_id else None,
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            head_user_id=strawberry.ID(str(row.head_user_id)) if row.head_user_id else None,
            is_active=row.is_active,
        )


@strawberry.type(description="A designation (job title) of the tenant")
class OrgDesignation:
    id: strawberry.ID
    code: str
    name: str
    name_bn: str | None
    grade: int | None
    is_active: bool


@strawberry.type(description="A user's membership of a company")
class OrgMembership:
    id: strawberry.ID
    company_id: strawberry.ID
    user_id: strawberry.ID
    primary: bool
    department_id: strawberry.ID | None
    designation_id: strawberry.ID | None
    display_name: str | None

    @classmethod
    def from_row(cls, row: models.Membership) -> OrgMembership:
        return cls(
            id=strawberry.ID(str(row.id)),
            company_id=strawberry.ID(str(row.company_id)),
            user_id=strawberry.ID(str(row.user_id)),
            primary=row.is_primary,
            department_id=strawberry.ID(str(row.department_id)) if row.department_id else None,
            designation_id=strawberry.ID(str(row.designation_id)) if row.designation_id else None,
            display_name=row.display_name,
        )


# --- resolvers ----------------------------------------------------------------------------------


async def organization_tenant(info: ContextInfo) -> Tenant:
    info.context.require("organization.tenant.read")
    async with info.context.transaction() as session:
        return Tenant.from_row(await common.current_tenant(session))


async def organization_companies(
    info: ContextInfo, limit: int = 50, cursor: str | None = None, active: bool | None = None
) -> OrgCompanyPage:
    info.context.require("organization.company.read")
    page = PageRequest(max(1, min(limit, MAX_LIMIT)), cursor)
    async with info.context.transaction() as session:
        rows = await Companies(session).page(page, active=active)
    return OrgCompanyPage(items=[Company.from_row(row) for row in rows.items], next_cursor=rows.next_cursor)


async def organization_company(info: ContextInfo, id: strawberry.ID) -> Company:
    info.context.require("organization.company.read")
    async with info.context.transaction() as session:
        return Company.from_row(await structure.company_or_404(session, _uuid(id, "id")))


async def organization_departments(info: ContextInfo, company_id: strawberry.ID) -> list[OrgDepartment]:
    info.context.require("organization.structure.read")
    async with info.context.transaction() as session:
        company = await structure.company_or_404(session, _uuid(company_id, "companyId"))
        rows = await Departments(session).of_company(company.id)
    return [OrgDepartment.from_row(row) for row in rows]


async def organization_designations(info: ContextInfo) -> list[OrgDesignation]:
    info.context.require("organization.structure.read")
    async with info.context.transaction() as session:
        rows = await Designations(session).all(order_by=[models.Designation.grade, models.Designation.code])
    return [
        OrgDesignation(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            name_bn=row.name_bn,
            grade=row.grade,
            is_active=row.is_active,
        )
        for row in rows
    ]


async def organization_memberships(info: ContextInfo, user_id: strawberry.ID) -> list[OrgMembership]:
    info.context.require("organization.membership.read")
    async with info.context.transaction() as session:
        rows = await Memberships(session).of_user(_uuid(user_id, "userId"))
    return [OrgMembership.from_row(row) for row in rows]


async def update_organization_tenant(
    info: ContextInfo,
    name: str | None = None,
    name_bn: str | None = None,
    type: str | None = None,
    expected_version: int | None = None,
) -> Tenant:
    principal = info.context.require("organization.tenant.update")
    given = {
        key: value
        for key, value in {"name": name, "name_bn": name_bn, "type": type, "expected_version": expected_version}.items()
        if value is not None
    }
    patch = _validated(TenantPatch, given)
    async with info.context.transaction() as session:
        await service.update_tenant(session, patch, actor=principal.subject)
        return Tenant.from_row(await common.current_tenant(session))


async def add_organization_member(
    info: ContextInfo, company_id: strawberry.ID, user_id: strawberry.ID, primary: bool = False
) -> OrgMembership:
    principal = info.context.require("organization.membership.manage")
    data = _validated(MemberAdd, {"user_id": _uuid(user_id, "userId"), "primary": primary})
    async with info.context.transaction() as session:
        out = await members.add_member(session, _uuid(company_id, "companyId"), data, actor=principal.subject)
        row = await Memberships(session).get(out.id)
    assert row is not None
    return OrgMembership.from_row(row)


@strawberry.type
class Query:
    organization_tenant: Tenant = strawberry.field(
        resolver=organization_tenant, description="The caller's tenant (needs organization.tenant.read)"
    )
    organization_companies: OrgCompanyPage = strawberry.field(
        resolver=organization_companies, description="The tenant's companies (needs organization.company.read)"
    )
    organization_company: Company = strawberry.field(
        resolver=organization_company, description="One company (needs organization.company.read)"
    )
    organization_departments: list[OrgDepartment] = strawberry.field(
        resolver=organization_departments,
        description="A company's departments (needs organization.structure.read)",
    )
    organization_designations: list[OrgDesignation] = strawberry.field(
        resolver=organization_designations, description="The tenant's designations (needs organization.structure.read)"
    )
    organization_memberships: list[OrgMembership] = strawberry.field(
        resolver=organization_memberships,
        description="A user's memberships, primary first (needs organization.membership.read)",
    )


@strawberry.type
class Mutation:
    update_organization_tenant: Tenant = strawberry.mutation(
        resolver=update_organization_tenant,
        description="Change the tenant's name, Bengali name or type (needs organization.tenant.update)",
    )
    add_organization_member: OrgMembership = strawberry.mutation(
        resolver=add_organization_member,
        description="Add a user to a company (needs organization.membership.manage)",
    )
