"""Memberships of users in companies: exactly one primary company per user and tenant, the
max-users limit, and assignments to departments and designations."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.db import after_commit
from vextrus.kit.errors import invalid_field, not_found
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.service import Topic
from vextrus.services.organization import metrics, rules
from vextrus.services.organization.common import (
    active_tenant,
    apply_changes,
    check_version,
    emit,
    flush_versioned,
    limit_reached,
    not_null,
    problem,
)
from vextrus.services.organization.events import (
    MEMBERSHIP_ADDED,
    MEMBERSHIP_REMOVED,
    MEMBERSHIP_UPDATED,
    MembershipChanged,
)
from vextrus.services.organization.models import Company, Membership
from vextrus.services.organization.repository import Departments, Designations, Memberships
from vextrus.services.organization.schemas import MemberAdd, MemberOut, MemberPatch
from vextrus.services.organization.structure import company_or_404

# --- memberships -----------------------------------------------------------------------------------------


def member_out(row: Membership) -> MemberOut:
    return MemberOut(
        id=row.id,
        company_id=row.company_id,
        user_id=row.user_id,
        primary=row.is_primary,
        department_id=row.department_id,
        designation_id=row.designation_id,
        display_name=row.display_name,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def membership_event(session: AsyncSession, topic: Topic, row: Membership, actor: uuid.UUID | None) -> None:
    emit(
        session,
        topic,
        MembershipChanged(
            membership_id=row.id,
            tenant_id=row.tenant_id,
            company_id=row.company_id,
            user_id=row.user_id,
            primary=row.is_primary,
            department_id=row.department_id,
            designation_id=row.designation_id,
        ),
        row.id,
        actor,
    )
    if topic is MEMBERSHIP_ADDED:
        after_commit(session, metrics.MEMBERSHIPS_ADDED.inc)
    elif topic is MEMBERSHIP_REMOVED:
        after_commit(session, metrics.MEMBERSHIPS_REMOVED.inc)


async def _check_assignment(
    session: AsyncSession, company: Company, department_id: uuid.UUID | None, designation_id: uuid.UUID | None
) -> None:
    if department_id is not None:
        department = await Departments(session).get(department_id)
        if department is None or department.company_id != company.id:
            raise invalid_field(
                "body.department_id",
                "no such department in this company",
                "এই কোম্পানিতে এমন কোনো বিভাগ নেই",
                "unknown_reference",
            )
    if designation_id is not None and await Designations(session).get(designation_id) is None:
        raise invalid_field(
            "body.designation_id",
            "no such designation in this tenant",
            "এই প্রতিষ্ঠানে এমন কোনো পদবি নেই",
            "unknown_reference",
        )


async def _demote_primary(
    session: AsyncSession, user_id: uuid.UUID, keep: uuid.UUID | None, actor: uuid.UUID | None
) -> None:
    """Clear the user's current primary membership (other than ``keep``), flushed first so the
    one-primary index never sees two."""
    for other in await Memberships(session).of_user(user_id):
        if other.is_primary and other.id != keep:
            other.is_primary = False
            await session.flush()
            membership_event(session, MEMBERSHIP_UPDATED, other, actor)


async def member_or_404(session: AsyncSession, company_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    row = await Memberships(session).of(company_id, user_id)
    if row is None:
        raise not_found(f"Member of company {company_id}", user_id, "সদস্য")
    return row


async def list_members(session: AsyncSession, company_id: uuid.UUID, page: PageRequest) -> Page[MemberOut]:
    await company_or_404(session, company_id)
    rows = await Memberships(session).page(page, company_id=company_id)
    return Page[MemberOut](items=[member_out(row) for row in rows.items], next_cursor=rows.next_cursor)


async def memberships_of(session: AsyncSession, user_id: uuid.UUID) -> list[MemberOut]:
    return [member_out(row) for row in await Memberships(session).of_user(user_id)]


async def add_member(
    session: AsyncSession, company_id: uuid.UUID, data: MemberAdd, *, actor: uuid.UUID | None
) -> MemberOut:
    """Make ``data.user_id`` a member of the company; the user's first company becomes primary."""
    tenant = await active_tenant(session)
    company = await company_or_404(session, company_id)
    if not company.is_active:
        raise problem(
            409,
            "company_inactive",
            f"Company {company.code} is inactive; reactivate it to add members",
            f"কোম্পানি {company.code} নিষ্ক্রিয়; সদস্য যোগ করতে আগে সক্রিয় করুন",
        )
    repository = Memberships(session)
    if await repository.of(company.id, data.user_id) is not None:
        raise problem(
            409,
            "already_member",
            f"User {data.user_id} is already a member of {company.code}",
            f"ব্যবহারকারী {data.user_id} ইতিমধ্যে {company.code}-এর সদস্য",
        )
    first_company = not await repository.is_member_anywhere(data.user_id)
    if first_company:
        try:
            rules.check_limit("max_users", tenant.max_users, await repository.distinct_users())
        except rules.LimitReached as error:
            raise limit_reached(error, tenant.plan) from None
    await _check_assignment(session, company, data.department_id, data.designation_id)
    primary = first_company or data.primary
    if primary and not first_company:
        await _demote_primary(session, data.user_id, None, actor)
    row = repository.add(
        Membership(
            company_id=company.id,
            user_id=data.user_id,
            is_primary=primary,
            department_id=data.department_id,
            designation_id=data.designation_id,
            display_name=data.display_name,
        )
    )
    await session.flush()
    membership_event(session, MEMBERSHIP_ADDED, row, actor)
    return member_out(row)


async def update_member(
    session: AsyncSession, company_id: uuid.UUID, user_id: uuid.UUID, patch: MemberPatch, *, actor: uuid.UUID | None
) -> MemberOut:
    given = patch.model_fields_set - {"expected_version"}
    await active_tenant(session)
    company = await company_or_404(session, company_id)
    row = await member_or_404(session, company.id, user_id)
    check_version("Membership", patch.expected_version, row.version)
    if "primary" in given:
        if patch.primary is None:
            raise not_null("body.primary")
        if not patch.primary and row.is_primary:
            raise invalid_field(
                "body.primary",
                "a user has exactly one primary company: make another company primary instead",
                "ব্যবহারকারীর ঠিক একটি প্রধান কোম্পানি থাকে: অন্য একটি কোম্পানিকে প্রধান করুন",
                "primary_required",
            )
    await _check_assignment(
        session,
        company,
        patch.department_id if "department_id" in given else None,
        patch.designation_id if "designation_id" in given else None,
    )
    values = {name: getattr(patch, name) for name in given if name != "primary"}
    make_primary = bool(patch.primary) and not row.is_primary
    if make_primary:
        await _demote_primary(session, user_id, row.id, actor)
        values["is_primary"] = True
    current = row.version
    if apply_changes(row, values):
        await flush_versioned(session, "Membership", current)
        membership_event(session, MEMBERSHIP_UPDATED, row, actor)
    return member_out(row)


async def remove_member(
    session: AsyncSession, company_id: uuid.UUID, user_id: uuid.UUID, *, actor: uuid.UUID | None
) -> None:
    """End a membership; when it was the primary one, the user's oldest other membership becomes primary."""
    await active_tenant(session)
    company = await company_or_404(session, company_id)
    row = await member_or_404(session, company.id, user_id)
    repository = Memberships(session)
    was_primary = row.is_primary
    membership_event(session, MEMBERSHIP_REMOVED, row, actor)
    await repository.delete(row)
    await session.flush()
    if was_primary:
        remaining = sorted(await repository.of_user(user_id), key=lambda item: (item.created_at, item.id))
        if remaining:
            promoted = remaining[0]
            promoted.is_primary = True
            await session.flush()
            membership_event(session, MEMBERSHIP_UPDATED, promoted, actor)
