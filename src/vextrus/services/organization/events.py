"""Events the organization service publishes (it consumes none).

Every event's ``tenantid`` is the tenant concerned; ``subject`` is the aggregate's id (the tenant,
company, division, branch, department or membership), so each aggregate's events stay ordered.
"""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class FieldChange(BaseModel):
    old: Any
    new: Any


class TenantCreated(BaseModel):
    tenant_id: uuid.UUID
    slug: str
    name: str
    name_bn: str | None
    type: str
    plan: str
    status: str
    admin_user_id: uuid.UUID | None
    company_id: uuid.UUID


class TenantUpdated(BaseModel):
    """The profile, plan or limits changed; ``changes`` holds each changed field."""

    tenant_id: uuid.UUID
    changes: dict[str, FieldChange]
    version: int


class TenantStatusChanged(BaseModel):
    """Payload of ``suspended``, ``reactivated`` and ``closed``."""

    tenant_id: uuid.UUID
    slug: str
    previous_status: str
    status: str
    reason: str | None


class CompanyCreated(BaseModel):
    company_id: uuid.UUID
    tenant_id: uuid.UUID
    code: str
    name: str
    name_bn: str | None
    tin: str | None
    bin: str | None
    vat_status: str
    fiscal_year_start_month: int
    base_currency: str


class CompanyUpdated(BaseModel):
    company_id: uuid.UUID
    tenant_id: uuid.UUID
    changes: dict[str, FieldChange]
    version: int


class StructureCreated(BaseModel):
    """A division, branch, department or designation was created."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    company_id: uuid.UUID | None
    code: str
    name: str
    name_bn: str | None
    parent_id: uuid.UUID | None = None
    bin: str | None = None


class MembershipChanged(BaseModel):
    """Payload of ``added``, ``updated`` and ``removed``: the membership as it is (or was)."""

    membership_id: uuid.UUID
    tenant_id: uuid.UUID
    company_id: uuid.UUID
    user_id: uuid.UUID
    primary: bool
    department_id: uuid.UUID | None
    designation_id: uuid.UUID | None


def _topic(name: str, payload: type[BaseModel], description: str) -> Topic:
    return Topic(f"organization.{name}", payload, description)


TENANT_CREATED = _topic("tenant.created", TenantCreated, "A tenant was provisioned with its first company.")
TENANT_UPDATED = _topic("tenant.updated", TenantUpdated, "A tenant's profile, plan or limits changed.")
TENANT_SUSPENDED = _topic(
    "tenant.suspended", TenantStatusChanged, "A tenant was suspended: its users can no longer log in."
)
TENANT_REACTIVATED = _topic("tenant.reactivated", TenantStatusChanged, "A suspended tenant is active again.")
TENANT_CLOSED = _topic("tenant.closed", TenantStatusChanged, "A tenant was closed for good.")
COMPANY_CREATED = _topic("company.created", CompanyCreated, "A company (legal entity) was created in a tenant.")
COMPANY_UPDATED = _topic("company.updated", CompanyUpdated, "A company's registration or profile changed.")
DIVISION_CREATED = _topic("division.created", StructureCreated, "A division (business unit) was created.")
BRANCH_CREATED = _topic("branch.created", StructureCreated, "A branch was created; `bin` is its 13-digit BIN.")
DEPARTMENT_CREATED = _topic("department.created", StructureCreated, "A department was created.")
DESIGNATION_CREATED = _topic("designation.created", StructureCreated, "A designation (job title) was created.")
MEMBERSHIP_ADDED = _topic("membership.added", MembershipChanged, "A user became a member of a company.")
MEMBERSHIP_UPDATED = _topic(
    "membership.updated", MembershipChanged, "A membership's primary flag, department or designation changed."
)
MEMBERSHIP_REMOVED = _topic("membership.removed", MembershipChanged, "A user's membership of a company ended.")

STATUS_TOPICS: dict[str, Topic] = {
    "suspend": TENANT_SUSPENDED,
    "reactivate": TENANT_REACTIVATED,
    "close": TENANT_CLOSED,
}

PUBLISHES: tuple[Topic, ...] = (
    TENANT_CREATED,
    TENANT_UPDATED,
    TENANT_SUSPENDED,
    TENANT_REACTIVATED,
    TENANT_CLOSED,
    COMPANY_CREATED,
    COMPANY_UPDATED,
    DIVISION_CREATED,
    BRANCH_CREATED,
    DEPARTMENT_CREATED,
    DESIGNATION_CREATED,
    MEMBERSHIP_ADDED,
    MEMBERSHIP_UPDATED,
    MEMBERSHIP_REMOVED,
)
HANDLERS: tuple[Consumer, ...] = ()
