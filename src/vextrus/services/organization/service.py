"""Tenants: provisioning (idempotent), the administrator's profile edits, the lifecycle and plans
(platform operators), and what a user may act in (the auth service's access look-up)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import AppError, invalid_field, not_found
from vextrus.kit.models import new_id, utcnow
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.organization import metrics, rules
from vextrus.services.organization.client import PLATFORM_TENANT_ID
from vextrus.services.organization.common import (
    active_tenant,
    apply_changes,
    check_version,
    current_tenant,
    emit,
    flush_versioned,
    not_null,
    problem,
)
from vextrus.services.organization.events import (
    MEMBERSHIP_ADDED,
    STATUS_TOPICS,
    TENANT_CREATED,
    TENANT_UPDATED,
    TenantCreated,
    TenantStatusChanged,
    TenantUpdated,
)
from vextrus.services.organization.members import membership_event
from vextrus.services.organization.models import Company, Department, Designation, Membership, Tenant
from vextrus.services.organization.repository import Companies, Departments, Designations, Memberships, TenantRecords
from vextrus.services.organization.schemas import (
    AccessCompany,
    AccessDepartment,
    AccessDesignation,
    AccessOut,
    CompanyRef,
    Limits,
    PlanChange,
    ProvisionIn,
    ProvisionOut,
    TenantOut,
    TenantPatch,
    TenantRef,
    Usage,
)
from vextrus.services.organization.structure import company_created


def _tenant_status_metrics(session: AsyncSession, status: str) -> None:
    """After the commit: count the tenant entering ``status`` and recount tenants by status."""
    engine = session.bind
    after_commit(session, metrics.TENANTS.labels(status).inc)

    async def refresh() -> None:
        await metrics.refresh_tenants_gauge(engine)  # type: ignore[arg-type]

    after_commit(session, refresh)


# --- tenants ---------------------------------------------------------------------------------------------


def tenant_ref(tenant: Tenant) -> TenantRef:
    return TenantRef(id=tenant.id, slug=tenant.slug, name=tenant.name, status=tenant.status)


async def tenant_out(session: AsyncSession, tenant: Tenant) -> TenantOut:
    return TenantOut(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        name_bn=tenant.name_bn,
        type=tenant.type,
        plan=tenant.plan,
        limits=Limits(max_users=tenant.max_users, max_companies=tenant.max_companies, max_projects=tenant.max_projects),
        usage=Usage(users=await Memberships(session).distinct_users(), companies=await Companies(session).count()),
        status=tenant.status,
        status_reason=tenant.status_reason,
        status_changed_at=tenant.status_changed_at,
        suspended_at=tenant.suspended_at,
        closed_at=tenant.closed_at,
        version=tenant.version,
        created_at=tenant.created_at,
        updated_at=tenant.updated_at,
    )


def slug_taken(slug: str) -> AppError:
    return problem(
        409,
        "slug_taken",
        f"Another organisation already uses the address '{slug}'",
        f"'{slug}' ঠিকানাটি অন্য একটি প্রতিষ্ঠান ব্যবহার করছে",
        field="slug",
    )


async def _provisioned(session: AsyncSession, tenant: Tenant, data: ProvisionIn) -> ProvisionOut:
    """The answer for an existing tenant: the same result when it is the same request."""
    if tenant.slug != data.slug:
        raise problem(
            409,
            "tenant_exists",
            f"Tenant {tenant.id} already exists with the slug '{tenant.slug}'",
            f"প্রতিষ্ঠান {tenant.id} '{tenant.slug}' স্লাগে আগে থেকেই আছে",
        )
    company = await Companies(session).first_created()
    if company is None:  # pragma: no cover - provisioning creates both in one transaction
        raise not_found("Company of tenant", tenant.id, "কোম্পানি")
    return ProvisionOut(tenant=tenant_ref(tenant), company=CompanyRef(id=company.id, name=company.name))


async def provision(
    session: AsyncSession, data: ProvisionIn, *, default_plan: str, actor: uuid.UUID | None = None
) -> tuple[ProvisionOut, bool]:
    """Create the tenant in context, its first company and the admin's primary membership.

    Idempotent on the tenant id: the same request again answers the same result (``False``: not
    created). The caller binds the tenant in context to ``data.tenant_id``.
    """
    if data.tenant_id != require_tenant_id():  # pragma: no cover - the API binds it
        raise PermissionError("provision the tenant in context only")
    if data.tenant_id == PLATFORM_TENANT_ID:
        raise invalid_field("body.tenant_id", "is reserved for the platform", "প্ল্যাটফর্মের জন্য সংরক্ষিত")
    existing = await TenantRecords(session).current()
    if existing is not None:
        return await _provisioned(session, existing, data), False
    # Another tenant's slug is invisible here (row-level security): the unique index finds it.
    plan = rules.PLANS[default_plan]
    tenant = Tenant(
        id=data.tenant_id,
        tenant_id=data.tenant_id,
        slug=data.slug,
        name=data.name,
        name_bn=data.name_bn,
        type=data.type,
        plan=plan.code,
        max_users=plan.max_users,
        max_companies=plan.max_companies,
        max_projects=plan.max_projects,
        status="active",
        status_changed_at=utcnow(),
        created_by=actor,
    )
    try:
        async with session.begin_nested():
            TenantRecords(session).add(tenant)
            await session.flush()
    except IntegrityError:
        # A concurrent request got there first: the same tenant (idempotent) or another's slug.
        raced = await TenantRecords(session).current()
        if raced is not None:
            return await _provisioned(session, raced, data), False
        raise slug_taken(data.slug) from None
    company = Companies(session).add(
        Company(
            id=new_id(),
            code=rules.company_code_from_slug(data.slug),
            name=data.name,
            name_bn=data.name_bn,
            vat_status="unregistered",
            fiscal_year_start_month=7,
            base_currency="BDT",
            is_active=True,
        )
    )
    membership = Memberships(session).add(
        Membership(company_id=company.id, user_id=data.admin_user_id, is_primary=True)
    )
    await session.flush()
    emit(
        session,
        TENANT_CREATED,
        TenantCreated(
            tenant_id=tenant.id,
            slug=tenant.slug,
            name=tenant.name,
            name_bn=tenant.name_bn,
            type=tenant.type,
            plan=tenant.plan,
            status=tenant.status,
            admin_user_id=data.admin_user_id,
            company_id=company.id,
        ),
        tenant.id,
        actor,
    )
    company_created(session, company, actor)
    membership_event(session, MEMBERSHIP_ADDED, membership, actor)
    _tenant_status_metrics(session, "active")
    return ProvisionOut(tenant=tenant_ref(tenant), company=CompanyRef(id=company.id, name=company.name)), True


async def update_tenant(session: AsyncSession, patch: TenantPatch, *, actor: uuid.UUID | None) -> TenantOut:
    """A tenant administrator changes the profile (name, Bengali name, type) of an active tenant."""
    given = patch.model_fields_set - {"expected_version"}
    for name in ("name", "type"):
        if name in given and getattr(patch, name) is None:
            raise not_null(f"body.{name}")
    tenant = await active_tenant(session)
    check_version("Tenant", patch.expected_version, tenant.version)
    changes = apply_changes(tenant, {name: getattr(patch, name) for name in given})
    if changes:
        current = tenant.version
        await flush_versioned(session, "Tenant", current)
        emit(
            session,
            TENANT_UPDATED,
            TenantUpdated(tenant_id=tenant.id, changes=changes, version=tenant.version),
            tenant.id,
            actor,
        )
    return await tenant_out(session, tenant)


async def change_status(
    session: AsyncSession, action: rules.LifecycleAction, reason: str | None, *, actor: uuid.UUID | None
) -> TenantOut:
    """Suspend, reactivate or close the tenant in context (platform operators)."""
    if action == "suspend" and not reason:
        raise invalid_field(
            "body.reason", "is required to suspend a tenant", "প্রতিষ্ঠান স্থগিত করতে কারণ দিতে হবে", "missing"
        )
    tenant = await current_tenant(session, for_update=True)
    try:
        status = rules.next_status(tenant.status, action)
    except rules.RuleViolation as violation:
        raise problem(409, violation.code, violation.reason, violation.reason_bn, tenant_status=tenant.status) from None
    previous, now, current = tenant.status, utcnow(), tenant.version
    tenant.status = status
    tenant.status_reason = reason
    tenant.status_changed_at = now
    if status == "suspended":
        tenant.suspended_at = now
    elif status == "active":
        tenant.suspended_at = None
    else:
        tenant.closed_at = now
    await flush_versioned(session, "Tenant", current)
    emit(
        session,
        STATUS_TOPICS[action],
        TenantStatusChanged(
            tenant_id=tenant.id, slug=tenant.slug, previous_status=previous, status=status, reason=reason
        ),
        tenant.id,
        actor,
    )
    _tenant_status_metrics(session, status)
    return await tenant_out(session, tenant)


async def change_plan(session: AsyncSession, change: PlanChange, *, actor: uuid.UUID | None) -> TenantOut:
    """Move the tenant to a plan, optionally overriding its limits (platform operators)."""
    plan = rules.PLANS.get(change.plan)
    if plan is None:
        raise invalid_field(
            "body.plan", "must be one of: " + ", ".join(rules.PLANS), "এর একটি হতে হবে: " + ", ".join(rules.PLANS)
        )
    tenant = await current_tenant(session, for_update=True)
    check_version("Tenant", change.expected_version, tenant.version)
    wanted: dict[str, Any] = {
        "plan": plan.code,
        "max_users": change.max_users or plan.max_users,
        "max_companies": change.max_companies or plan.max_companies,
        "max_projects": change.max_projects if change.max_projects is not None else plan.max_projects,
    }
    usage = {
        "max_users": await Memberships(session).distinct_users(),
        "max_companies": await Companies(session).count(),
    }
    for limit, used in usage.items():
        if wanted[limit] < used:
            raise problem(
                409,
                "limit_below_usage",
                f"{limit} {wanted[limit]} is below the tenant's current usage ({used})",
                f"{limit} {wanted[limit]} প্রতিষ্ঠানের বর্তমান ব্যবহারের ({used}) চেয়ে কম",
                limit=limit,
                usage=used,
            )
    changes = apply_changes(tenant, wanted)
    if changes:
        current = tenant.version
        await flush_versioned(session, "Tenant", current)
        emit(
            session,
            TENANT_UPDATED,
            TenantUpdated(tenant_id=tenant.id, changes=changes, version=tenant.version),
            tenant.id,
            actor,
        )
    return await tenant_out(session, tenant)


# --- access -------------------------------------------------------------------------------------------


async def access(session: AsyncSession, user_id: uuid.UUID) -> AccessOut:
    """The tenant in context and what ``user_id`` may act in there: active companies, primary first."""
    tenant = await current_tenant(session)
    memberships = await Memberships(session).of_user(user_id)
    companies = await Companies(session).by_ids([item.company_id for item in memberships])
    kept = [item for item in memberships if item.company_id in companies and companies[item.company_id].is_active]
    department_ids = [item.department_id for item in kept if item.department_id]
    designation_ids = [item.designation_id for item in kept if item.designation_id]
    departments = (
        {row.id: row for row in await Departments(session).all(Department.id.in_(department_ids))}
        if department_ids
        else {}
    )
    designations = (
        {row.id: row for row in await Designations(session).all(Designation.id.in_(designation_ids))}
        if designation_ids
        else {}
    )
    return AccessOut(
        tenant=tenant_ref(tenant),
        user_id=user_id,
        companies=[
            AccessCompany(
                id=item.company_id,
                code=companies[item.company_id].code,
                name=companies[item.company_id].name,
                primary=item.is_primary,
            )
            for item in kept
        ],
        departments=[
            AccessDepartment(id=row.id, company_id=row.company_id, code=row.code, name=row.name)
            for item in kept
            if item.department_id and (row := departments.get(item.department_id)) is not None
        ],
        designations=[
            AccessDesignation(company_id=item.company_id, id=title.id, code=title.code, name=title.name)
            for item in kept
            if item.designation_id and (title := designations.get(item.designation_id)) is not None
        ],
    )
