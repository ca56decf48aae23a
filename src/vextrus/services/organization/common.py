"""Shared by the organization service's business modules: problems (errors), optimistic locking,
change tracking, events, and the tenant in context (which must exist, and be active to change).

No HTTP here. REST (api.py), GraphQL (graphql.py) and the demo seed call the business functions
with a session in one transaction and with the tenant bound in context; the functions flush, the
caller's boundary commits. Every change records its event in that same transaction; metrics move
only after the commit.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from vextrus.kit.errors import AppError, invalid_field, not_found, register_error_titles
from vextrus.kit.events import record_event
from vextrus.kit.service import Topic
from vextrus.kit.tenancy import require_tenant_id
from vextrus.services.organization import rules
from vextrus.services.organization.events import FieldChange
from vextrus.services.organization.models import Tenant
from vextrus.services.organization.repository import TenantRecords

register_error_titles(
    {
        "slug_taken": {"en": "The slug is taken", "bn": "এই স্লাগটি ব্যবহৃত হচ্ছে"},
        "tenant_exists": {"en": "The tenant already exists", "bn": "প্রতিষ্ঠানটি আগে থেকেই আছে"},
        "tenant_not_active": {"en": "The tenant is not active", "bn": "প্রতিষ্ঠানটি সক্রিয় নয়"},
        "invalid_transition": {"en": "Status change not allowed", "bn": "অবস্থা পরিবর্তন অনুমোদিত নয়"},
        "plan_limit_reached": {"en": "Plan limit reached", "bn": "প্যাকেজের সীমা পূর্ণ হয়েছে"},
        "limit_below_usage": {"en": "Limit below current usage", "bn": "সীমা বর্তমান ব্যবহারের চেয়ে কম"},
        "code_taken": {"en": "The code is taken", "bn": "কোডটি ব্যবহৃত হচ্ছে"},
        "tin_taken": {"en": "The TIN is taken", "bn": "টিআইএনটি ব্যবহৃত হচ্ছে"},
        "bin_taken": {"en": "The BIN is taken", "bn": "বিআইএনটি ব্যবহৃত হচ্ছে"},
        "bin_suffix_taken": {"en": "The BIN suffix is taken", "bn": "বিআইএন প্রত্যয়টি ব্যবহৃত হচ্ছে"},
        "head_office_exists": {"en": "The company has a head office", "bn": "কোম্পানির প্রধান কার্যালয় আছে"},
        "company_inactive": {"en": "The company is inactive", "bn": "কোম্পানিটি নিষ্ক্রিয়"},
        "already_member": {"en": "Already a member", "bn": "আগে থেকেই সদস্য"},
    }
)

NAME_BN = "প্রতিষ্ঠান"


def problem(status: int, code: str, detail: str, detail_bn: str, **extra: Any) -> AppError:
    """An AppError whose problem document carries both languages (``detail_bn`` for clients)."""
    return AppError(status, code, detail, detail_bn, extra={"detail_bn": detail_bn, **extra})


def rule_error(field: str, violation: rules.RuleViolation) -> AppError:
    return invalid_field(field, violation.reason, violation.reason_bn, violation.code)


def not_null(field: str) -> AppError:
    return invalid_field(field, "must not be null", "ফাঁকা (null) হতে পারে না")


def version_conflict(what: str, current: int) -> AppError:
    return problem(
        409,
        "version_conflict",
        f"{what} is at version {current}; reload it and apply your change again",
        f"{what} এখন সংস্করণ {current}-এ আছে; আবার লোড করে পরিবর্তনটি করুন",
        current_version=current,
    )


def check_version(what: str, expected: int | None, current: int) -> None:
    if expected is not None and expected != current:
        raise version_conflict(what, current)


async def flush_versioned(session: AsyncSession, what: str, current: int) -> None:
    """Flush; a concurrent writer that committed first (stale ``version``) makes this a 409."""
    try:
        await session.flush()
    except StaleDataError:
        raise version_conflict(what, current) from None


def _json(value: Any) -> Any:
    if isinstance(value, dt.date | uuid.UUID):
        return str(value) if isinstance(value, uuid.UUID) else value.isoformat()
    return value


def apply_changes(row: Any, values: Mapping[str, Any]) -> dict[str, FieldChange]:
    """Set ``values`` on ``row``; the fields that actually changed, old and new."""
    changes: dict[str, FieldChange] = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            changes[name] = FieldChange(old=_json(old), new=_json(value))
            setattr(row, name, value)
    return changes


def emit(session: AsyncSession, topic: Topic, payload: BaseModel, subject: uuid.UUID, actor: uuid.UUID | None) -> None:
    record_event(session, topic, payload, subject=subject, tenant_id=require_tenant_id(), actor=_actor(actor))


def _actor(actor: uuid.UUID | None) -> str | None:
    return str(actor) if actor else None


async def current_tenant(session: AsyncSession, *, for_update: bool = False) -> Tenant:
    """The tenant in context, or 404."""
    tenant = await TenantRecords(session).current(for_update=for_update)
    if tenant is None:
        raise not_found("Tenant", require_tenant_id(), NAME_BN)
    return tenant


async def active_tenant(session: AsyncSession) -> Tenant:
    """The tenant in context; 404 when unknown, 409 ``tenant_not_active`` unless it is active.

    Structure and memberships change only in an active tenant: a suspended or closed tenant's
    organisation is frozen.
    """
    tenant = await current_tenant(session, for_update=True)
    if tenant.status != "active":
        raise problem(
            409,
            "tenant_not_active",
            f"The tenant is {tenant.status}; its organisation cannot be changed",
            f"প্রতিষ্ঠানটি {rules._STATUS_BN[tenant.status]}; এর সংগঠন পরিবর্তন করা যাবে না",
            tenant_status=tenant.status,
        )
    return tenant


def limit_reached(error: rules.LimitReached, plan: str) -> AppError:
    what = {"max_users": "users", "max_companies": "companies", "max_projects": "projects"}[error.limit]
    what_bn = {"max_users": "ব্যবহারকারী", "max_companies": "কোম্পানি", "max_projects": "প্রকল্প"}[error.limit]
    return problem(
        409,
        "plan_limit_reached",
        f"The {plan} plan allows {error.allowed} {what}; upgrade the plan to add more",
        f"{plan} প্যাকেজে সর্বোচ্চ {error.allowed}টি {what_bn} রাখা যায়; আরও যোগ করতে প্যাকেজ বাড়ান",
        limit=error.limit,
        allowed=error.allowed,
    )
