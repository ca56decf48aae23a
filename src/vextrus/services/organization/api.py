"""REST API of the organization service: ``/api/v1/organizations/...`` (thin: the logic is in
service.py (tenants, access), structure.py (companies and their structure) and members.py).

Two audiences:

- platform operators and the auth service (``platform.tenant.*``): provisioning, lookup by slug,
  a user's access, the tenant lifecycle and plans. These routes act on the tenant they name (the
  path or the body), bound in context before the first query so that PostgreSQL row-level
  security applies to that tenant; lookups over all tenants run inside ``cross_tenant()``;
- a tenant's own administrators and users (``organization.*``): the tenant profile, companies,
  divisions, branches, departments, designations and memberships of the token's tenant.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from vextrus.kit.db import SessionDep
from vextrus.kit.errors import invalid_field, not_found
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal, acting_as, cross_tenant
from vextrus.services.organization import common, members, rules, service, structure
from vextrus.services.organization.repository import Departments, Designations, Divisions, PlatformTenants
from vextrus.services.organization.schemas import (
    AccessOut,
    BranchCreate,
    BranchOut,
    BranchPatch,
    CompanyCreate,
    CompanyOut,
    CompanyPatch,
    DepartmentCreate,
    DepartmentNode,
    DepartmentOut,
    DepartmentPatch,
    DesignationCreate,
    DesignationOut,
    DesignationPatch,
    DivisionCreate,
    DivisionOut,
    DivisionPatch,
    Limits,
    MemberAdd,
    MemberOut,
    MemberPatch,
    PlanChange,
    PlanOut,
    ProvisionIn,
    ProvisionOut,
    RegulatoryBodyOut,
    StatusChange,
    TenantOut,
    TenantPatch,
    TenantRef,
)
from vextrus.services.organization.settings import OrganizationSettings

PREFIX = "/api/v1/organizations"
router = APIRouter(prefix=PREFIX, tags=["organization"])

PERMISSIONS = {
    "organization.tenant.read": "Read the tenant's profile, plan, limits and usage",
    "organization.tenant.update": "Change the tenant's profile (name, Bengali name, type)",
    "organization.company.read": "Read the tenant's companies",
    "organization.company.write": "Create and change companies (legal entities)",
    "organization.structure.read": "Read divisions, branches, departments and designations",
    "organization.structure.write": "Create and change divisions, branches, departments and designations",
    "organization.membership.read": "Read who is a member of which company",
    "organization.membership.manage": "Add, change and remove memberships of users in companies",
    "platform.tenant.provision": "Provision a tenant with its first company and administrator (auth service)",
    "platform.tenant.read": "Read any tenant and a user's access in it (auth service, platform operators)",
    "platform.tenant.manage": "Suspend, reactivate and close tenants and change their plans (platform operators)",
}

IfMatch = Annotated[str | None, Header(max_length=64, description='Expected version as an entity tag, e.g. "3"')]
ActiveFilter = Annotated[bool | None, Query(description="Only active (true) or inactive (false) records")]
CompanyFilter = Annotated[uuid.UUID | None, Query(description="Only records of this company")]
PageDep = Annotated[PageRequest, Depends(page_request)]
_ENTITY_TAG = re.compile(r'^(?:W/)?"?(\d{1,10})"?$')


def _expected_version(if_match: str | None, body_version: int | None) -> int | None:
    """The version the client expects, from ``If-Match`` and/or ``expected_version`` (must agree)."""
    if if_match is None or if_match.strip() == "*":
        return body_version
    match = _ENTITY_TAG.match(if_match.strip())
    if match is None:
        raise invalid_field(
            "header.if-match", 'must be a version entity tag such as "3"', '"3"-এর মতো একটি সংস্করণ ট্যাগ হতে হবে'
        )
    version = int(match.group(1))
    if body_version is not None and body_version != version:
        raise invalid_field(
            "header.if-match", "disagrees with body.expected_version", "body.expected_version-এর সাথে মেলে না"
        )
    return version


Patch = TypeVar(
    "Patch", TenantPatch, CompanyPatch, DivisionPatch, BranchPatch, DepartmentPatch, DesignationPatch, MemberPatch
)


def _with_version(body: Patch, if_match: str | None) -> Patch:
    """``body`` with ``expected_version`` taken from ``If-Match`` when that header is sent."""
    if if_match is None:
        return body
    expected = _expected_version(if_match, body.expected_version)
    return body.model_copy(update={"expected_version": expected})


def _etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'


# --- platform: provisioning, lookup, access, lifecycle ------------------------------------------------


@router.post(
    "/tenants/provision",
    response_model=ProvisionOut,
    status_code=201,
    summary="Provision a tenant, its first company and its administrator's membership (idempotent)",
    responses={200: {"model": ProvisionOut, "description": "The tenant already existed (same request)"}},
)
async def provision_tenant(
    body: ProvisionIn,
    session: SessionDep,
    request: Request,
    response: Response,
    principal: Principal = require("platform.tenant.provision"),
) -> ProvisionOut:
    settings = request.app.state.runtime.settings_of(OrganizationSettings)
    with acting_as(tenant_id=body.tenant_id):
        result, created = await service.provision(
            session, body, default_plan=settings.default_plan, actor=principal.subject
        )
    if not created:
        response.status_code = 200
    return result


@router.get("/tenants", response_model=Page[TenantRef], summary="All tenants (platform operators)")
async def list_tenants(
    session: SessionDep,
    page: PageDep,
    status: Annotated[rules.TenantStatus | None, Query()] = None,
    principal: Principal = require("platform.tenant.read"),
) -> Page[TenantRef]:
    with cross_tenant():
        rows = await PlatformTenants(session).page(page, status)
    return Page[TenantRef](items=[service.tenant_ref(row) for row in rows.items], next_cursor=rows.next_cursor)


@router.get("/tenants/by-slug/{slug}", response_model=TenantRef, summary="Find a tenant by its slug")
async def tenant_by_slug(
    slug: Annotated[str, Path(max_length=100)],
    session: SessionDep,
    principal: Principal = require("platform.tenant.read"),
) -> TenantRef:
    with cross_tenant():
        tenant = await PlatformTenants(session).by_slug(slug)
    if tenant is None:
        raise not_found("Tenant", slug, common.NAME_BN)
    return service.tenant_ref(tenant)


@router.get("/tenants/{tenant_id}", response_model=TenantOut, summary="One tenant with plan, limits and usage")
async def get_tenant(
    tenant_id: uuid.UUID, session: SessionDep, principal: Principal = require("platform.tenant.read")
) -> TenantOut:
    with acting_as(tenant_id=tenant_id):
        return await service.tenant_out(session, await common.current_tenant(session))


async def _change_status(
    session: SessionDep,
    tenant_id: uuid.UUID,
    action: rules.LifecycleAction,
    body: StatusChange | None,
    actor: uuid.UUID,
) -> TenantOut:
    with acting_as(tenant_id=tenant_id):
        return await service.change_status(session, action, body.reason if body else None, actor=actor)


@router.post("/tenants/{tenant_id}/suspend", response_model=TenantOut, summary="Suspend a tenant (reason required)")
async def suspend_tenant(
    tenant_id: uuid.UUID,
    body: StatusChange,
    session: SessionDep,
    principal: Principal = require("platform.tenant.manage"),
) -> TenantOut:
    return await _change_status(session, tenant_id, "suspend", body, principal.subject)


@router.post("/tenants/{tenant_id}/reactivate", response_model=TenantOut, summary="Reactivate a suspended tenant")
async def reactivate_tenant(
    tenant_id: uuid.UUID,
    session: SessionDep,
    body: StatusChange | None = None,
    principal: Principal = require("platform.tenant.manage"),
) -> TenantOut:
    return await _change_status(session, tenant_id, "reactivate", body, principal.subject)


@router.post("/tenants/{tenant_id}/close", response_model=TenantOut, summary="Close a tenant for good")
async def close_tenant(
    tenant_id: uuid.UUID,
    session: SessionDep,
    body: StatusChange | None = None,
    principal: Principal = require("platform.tenant.manage"),
) -> TenantOut:
    return await _change_status(session, tenant_id, "close", body, principal.subject)


@router.put("/tenants/{tenant_id}/plan", response_model=TenantOut, summary="Change a tenant's plan and limits")
async def change_plan(
    tenant_id: uuid.UUID,
    body: PlanChange,
    session: SessionDep,
    principal: Principal = require("platform.tenant.manage"),
) -> TenantOut:
    with acting_as(tenant_id=tenant_id):
        return await service.change_plan(session, body, actor=principal.subject)


@router.get(
    "/access/{user_id}",
    response_model=AccessOut,
    summary="The token's tenant (with status) and the companies a user may act in, primary first",
)
async def user_access(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("platform.tenant.read")
) -> AccessOut:
    return await service.access(session, user_id)


@router.get("/plans", response_model=list[PlanOut], summary="Subscription plans and their limits")
async def list_plans(principal: Principal = require("organization.tenant.read")) -> list[PlanOut]:
    return [
        PlanOut(
            code=plan.code,
            name=plan.name,
            limits=Limits(max_users=plan.max_users, max_companies=plan.max_companies, max_projects=plan.max_projects),
        )
        for plan in rules.PLANS.values()
    ]


@router.get("/regulatory-bodies", response_model=list[RegulatoryBodyOut], summary="Building-plan regulators")
async def list_regulatory_bodies(
    principal: Principal = require("organization.company.read"),
) -> list[RegulatoryBodyOut]:
    return [
        RegulatoryBodyOut(code=b.code, name=b.name, name_bn=b.name_bn, area=b.area)
        for b in rules.REGULATORY_BODIES.values()
    ]


# --- the tenant's own profile --------------------------------------------------------------------------


@router.get("/tenant", response_model=TenantOut, summary="The token's tenant: profile, plan, limits, usage")
async def get_own_tenant(
    session: SessionDep, response: Response, principal: Principal = require("organization.tenant.read")
) -> TenantOut:
    tenant = await service.tenant_out(session, await common.current_tenant(session))
    _etag(response, tenant.version)
    return tenant


@router.patch("/tenant", response_model=TenantOut, summary="Change the tenant's name, Bengali name or type")
async def patch_own_tenant(
    body: TenantPatch,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("organization.tenant.update"),
) -> TenantOut:
    tenant = await service.update_tenant(session, _with_version(body, if_match), actor=principal.subject)
    _etag(response, tenant.version)
    return tenant


# --- companies ------------------------------------------------------------------------------------------


@router.get("/companies", response_model=Page[CompanyOut], summary="The tenant's companies")
async def list_companies(
    session: SessionDep,
    page: PageDep,
    active: ActiveFilter = None,
    principal: Principal = require("organization.company.read"),
) -> Page[CompanyOut]:
    return await structure.list_companies(session, page, active=active)


@router.post("/companies", response_model=CompanyOut, status_code=201, summary="Create a company (legal entity)")
async def create_company(
    body: CompanyCreate,
    session: SessionDep,
    response: Response,
    principal: Principal = require("organization.company.write"),
) -> CompanyOut:
    company = await structure.create_company(session, body, actor=principal.subject)
    response.headers["Location"] = f"{PREFIX}/companies/{company.id}"
    _etag(response, company.version)
    return company


@router.get("/companies/{company_id}", response_model=CompanyOut, summary="One company")
async def get_company(
    company_id: uuid.UUID,
    session: SessionDep,
    response: Response,
    principal: Principal = require("organization.company.read"),
) -> CompanyOut:
    company = structure.company_out(await structure.company_or_404(session, company_id))
    _etag(response, company.version)
    return company


@router.patch("/companies/{company_id}", response_model=CompanyOut, summary="Change a company")
async def patch_company(
    company_id: uuid.UUID,
    body: CompanyPatch,
    session: SessionDep,
    response: Response,
    if_match: IfMatch = None,
    principal: Principal = require("organization.company.write"),
) -> CompanyOut:
    company = await structure.update_company(
        session, company_id, _with_version(body, if_match), actor=principal.subject
    )
    _etag(response, company.version)
    return company


@router.get(
    "/companies/{company_id}/departments/tree",
    response_model=list[DepartmentNode],
    summary="A company's departments as a tree",
)
async def department_tree(
    company_id: uuid.UUID, session: SessionDep, principal: Principal = require("organization.structure.read")
) -> list[DepartmentNode]:
    await structure.company_or_404(session, company_id)
    return structure.department_tree(await Departments(session).of_company(company_id))


# --- memberships ----------------------------------------------------------------------------------------


@router.get("/companies/{company_id}/members", response_model=Page[MemberOut], summary="Members of a company")
async def list_members(
    company_id: uuid.UUID,
    session: SessionDep,
    page: PageDep,
    principal: Principal = require("organization.membership.read"),
) -> Page[MemberOut]:
    return await members.list_members(session, company_id, page)


@router.post(
    "/companies/{company_id}/members", response_model=MemberOut, status_code=201, summary="Add a user to a company"
)
async def add_member(
    company_id: uuid.UUID,
    body: MemberAdd,
    session: SessionDep,
    principal: Principal = require("organization.membership.manage"),
) -> MemberOut:
    return await members.add_member(session, company_id, body, actor=principal.subject)


@router.patch(
    "/companies/{company_id}/members/{user_id}",
    response_model=MemberOut,
    summary="Make primary, or change department/designation",
)
async def patch_member(
    company_id: uuid.UUID,
    user_id: uuid.UUID,
    body: MemberPatch,
    session: SessionDep,
    if_match: IfMatch = None,
    principal: Principal = require("organization.membership.manage"),
) -> MemberOut:
    return await members.update_member(
        session, company_id, user_id, _with_version(body, if_match), actor=principal.subject
    )


@router.delete("/companies/{company_id}/members/{user_id}", status_code=204, summary="Remove a user from a company")
async def remove_member(
    company_id: uuid.UUID,
    user_id: uuid.UUID,
    session: SessionDep,
    principal: Principal = require("organization.membership.manage"),
) -> Response:
    await members.remove_member(session, company_id, user_id, actor=principal.subject)
    return Response(status_code=204)


@router.get("/members/{user_id}", response_model=list[MemberOut], summary="A user's memberships, primary first")
async def memberships_of(
    user_id: uuid.UUID, session: SessionDep, principal: Principal = require("organization.membership.read")
) -> list[MemberOut]:
    return await members.memberships_of(session, user_id)


# --- divisions ------------------------------------------------------------------------------------------


@router.get("/divisions", response_model=Page[DivisionOut], summary="Divisions (business units)")
async def list_divisions(
    session: SessionDep,
    page: PageDep,
    company_id: CompanyFilter = None,
    active: ActiveFilter = None,
    principal: Principal = require("organization.structure.read"),
) -> Page[DivisionOut]:
    rows = await Divisions(session).page(page, company_id=company_id, active=active)
    return Page[DivisionOut](items=[structure.division_out(row) for row in rows.items], next_cursor=rows.next_cursor)


@router.post("/divisions", response_model=DivisionOut, status_code=201, summary="Create a division")
async def create_division(
    body: DivisionCreate, session: SessionDep, principal: Principal = require("organization.structure.write")
) -> DivisionOut:
    return await structure.create_division(session, body, actor=principal.subject)


@router.get("/divisions/{division_id}", response_model=DivisionOut, summary="One division")
async def get_division(
    division_id: uuid.UUID, session: SessionDep, principal: Principal = require("organization.structure.read")
) -> DivisionOut:
    return structure.division_out(await structure.division_or_404(session, division_id))


@router.patch("/divisions/{division_id}", response_model=DivisionOut, summary="Change a division")
async def patch_division(
    division_id: uuid.UUID,
    body: DivisionPatch,
    session: SessionDep,
    if_match: IfMatch = None,
    principal: Principal = require("organization.structure.write"),
) -> DivisionOut:
    return await structure.update_division(session, division_id, _with_version(body, if_match), actor=principal.subject)


# --- branches -------------------------------------------------------------------------------------------


@router.get("/branches", response_model=Page[BranchOut], summary="Branches with their 13-digit BINs")
async def list_branches(
    session: SessionDep,
    page: PageDep,
    company_id: CompanyFilter = None,
    active: ActiveFilter = None,
    principal: Principal = require("organization.structure.read"),
) -> Page[BranchOut]:
    return await structure.list_branches(session, page, company_id=company_id, active=active)


@router.post("/branches", response_model=BranchOut, status_code=201, summary="Create a branch")
async def create_branch(
    body: BranchCreate, session: SessionDep, principal: Principal = require("organization.structure.write")
) -> BranchOut:
    return await structure.create_branch(session, body, actor=principal.subject)


@router.get("/branches/{branch_id}", response_model=BranchOut, summary="One branch")
async def get_branch(
    branch_id: uuid.UUID, session: SessionDep, principal: Principal = require("organization.structure.read")
) -> BranchOut:
    return await structure.get_branch(session, branch_id)


@router.patch("/branches/{branch_id}", response_model=BranchOut, summary="Change a branch")
async def patch_branch(
    branch_id: uuid.UUID,
    body: BranchPatch,
    session: SessionDep,
    if_match: IfMatch = None,
    principal: Principal = require("organization.structure.write"),
) -> BranchOut:
    return await structure.update_branch(session, branch_id, _with_version(body, if_match), actor=principal.subject)


# --- departments ----------------------------------------------------------------------------------------


@router.get("/departments", response_model=Page[DepartmentOut], summary="Departments")
async def list_departments(
    session: SessionDep,
    page: PageDep,
    company_id: CompanyFilter = None,
    active: ActiveFilter = None,
    principal: Principal = require("organization.structure.read"),
) -> Page[DepartmentOut]:
    rows = await Departments(session).page(page, company_id=company_id, active=active)
    return Page[DepartmentOut](
        items=[structure.department_out(row) for row in rows.items], next_cursor=rows.next_cursor
    )


@router.post("/departments", response_model=DepartmentOut, status_code=201, summary="Create a department")
async def create_department(
    body: DepartmentCreate, session: SessionDep, principal: Principal = require("organization.structure.write")
) -> DepartmentOut:
    return await structure.create_department(session, body, actor=principal.subject)


@router.get("/departments/{department_id}", response_model=DepartmentOut, summary="One department")
async def get_department(
    department_id: uuid.UUID, session: SessionDep, principal: Principal = require("organization.structure.read")
) -> DepartmentOut:
    return structure.department_out(await structure.department_or_404(session, department_id))


@router.patch("/departments/{department_id}", response_model=DepartmentOut, summary="Change a department")
async def patch_department(
    department_id: uuid.UUID,
    body: DepartmentPatch,
    session: SessionDep,
    if_match: IfMatch = None,
    principal: Principal = require("organization.structure.write"),
) -> DepartmentOut:
    return await structure.update_department(
        session, department_id, _with_version(body, if_match), actor=principal.subject
    )


# --- designations ---------------------------------------------------------------------------------------


@router.get("/designations", response_model=Page[DesignationOut], summary="Designations (job titles)")
async def list_designations(
    session: SessionDep,
    page: PageDep,
    active: ActiveFilter = None,
    principal: Principal = require("organization.structure.read"),
) -> Page[DesignationOut]:
    rows = await Designations(session).page(page, active=active)
    return Page[DesignationOut](
        items=[structure.designation_out(row) for row in rows.items], next_cursor=rows.next_cursor
    )


@router.post("/designations", response_model=DesignationOut, status_code=201, summary="Create a designation")
async def create_designation(
    body: DesignationCreate, session: SessionDep, principal: Principal = require("organization.structure.write")
) -> DesignationOut:
    return await structure.create_designation(session, body, actor=principal.subject)


@router.get("/designations/{designation_id}", response_model=DesignationOut, summary="One designation")
async def get_designation(
    designation_id: uuid.UUID, session: SessionDep, principal: Principal = require("organization.structure.read")
) -> DesignationOut:
    return structure.designation_out(await structure.designation_or_404(session, designation_id))


@router.patch("/designations/{designation_id}", response_model=DesignationOut, summary="Change a designation")
async def patch_designation(
    designation_id: uuid.UUID,
    body: DesignationPatch,
    session: SessionDep,
    if_match: IfMatch = None,
    principal: Principal = require("organization.structure.write"),
) -> DesignationOut:
    return await structure.update_designation(
        session, designation_id, _with_version(body, if_match), actor=principal.subject
    )
