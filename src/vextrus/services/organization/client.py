"""The organization service's public client: what other services use to ask it about tenants,
companies and who may act where.

Built on the kit's ``runtime.clients`` (in-process in embedded mode, ``VEXTRUS_SERVICE_URLS`` in
distributed mode). Each call is made as a *system principal*: the calling service's own subject
(:func:`service_subject`) in the tenant concerned, or in :data:`PLATFORM_TENANT_ID` for calls that
are not about one tenant. Minting that token needs the signing key, so these calls work in the
process that holds it (the auth service in distributed mode; every process in embedded mode).

Errors of the organization service come back as :class:`~vextrus.kit.errors.AppError` with the
upstream status, code, detail (and ``detail_bn`` when the answer carried it) unchanged, so a
caller can let them through (e.g. 409 ``slug_taken`` on a signup).

On SQLite, never hold your own write transaction open across a call: call first, then write.

Usage::

    organization = OrganizationClient(runtime)            # calls made as the auth service
    access = await organization.access_of(tenant_id, user_id)
    if access.tenant.status != "active": ...
    claims["cids"] = [str(company) for company in access.company_ids]   # primary first
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from vextrus.kit.clients import upstream_error
from vextrus.kit.tenancy import Principal

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime

SERVICE = "organization"
BASE = "/api/v1/organizations"

PLATFORM_TENANT_ID = uuid.UUID(int=0)
"""The tenant of calls not tied to one tenant (e.g. finding a tenant by its slug)."""


def service_subject(name: str) -> uuid.UUID:
    """The subject of service ``name`` acting as itself: ``uuid5(NAMESPACE_URL, "vextrus:service:<name>")``."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"vextrus:service:{name}")


@dataclass(frozen=True)
class TenantRef:
    id: uuid.UUID
    slug: str
    name: str
    status: str  # active | suspended | closed

    @property
    def active(self) -> bool:
        return self.status == "active"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TenantRef:
        return cls(id=uuid.UUID(data["id"]), slug=data["slug"], name=data["name"], status=data["status"])


@dataclass(frozen=True)
class ProvisionedTenant:
    tenant_id: uuid.UUID
    slug: str
    status: str
    company_id: uuid.UUID
    created: bool = True  # False when the tenant already existed (an idempotent repeat)


@dataclass(frozen=True)
class CompanyAccess:
    id: uuid.UUID
    code: str
    name: str
    primary: bool


@dataclass(frozen=True)
class DepartmentAccess:
    id: uuid.UUID
    company_id: uuid.UUID
    code: str
    name: str


@dataclass(frozen=True)
class UserAccess:
    tenant: TenantRef
    company_ids: tuple[uuid.UUID, ...]  # primary first
    companies: list[CompanyAccess] = field(default_factory=list)
    departments: list[DepartmentAccess] = field(default_factory=list)

    @property
    def primary_company_id(self) -> uuid.UUID | None:
        return self.company_ids[0] if self.company_ids else None


class OrganizationClient:
    """Calls the organization service as the system principal of ``caller`` (default: auth)."""

    def __init__(self, runtime: Runtime, *, caller: str = "auth") -> None:
        self._runtime = runtime
        self._subject = service_subject(caller)

    def _principal(self, tenant_id: uuid.UUID, permissions: Iterable[str]) -> Principal:
        return Principal(subject=self._subject, tenant_id=tenant_id, permissions=frozenset(permissions))

    async def _call(
        self,
        method: str,
        path: str,
        *,
        tenant_id: uuid.UUID,
        permission: str,
        json: Any = None,
        not_found_is_none: bool = False,
    ) -> tuple[int, Any] | None:
        response = await self._runtime.clients.request(
            SERVICE,
            method,
            BASE + path,
            principal=self._principal(tenant_id, (permission,)),
            json=json,
            headers={"Accept-Language": "en"},
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 404 and not_found_is_none:
            return None
        if response.status_code >= 400:
            raise upstream_error(SERVICE, response.status_code, body)
        return response.status_code, body

    async def provision_tenant(
        self,
        *,
        tenant_id: uuid.UUID,
        name: str,
        slug: str,
        admin_user_id: uuid.UUID,
        type: str | None = None,
        name_bn: str | None = None,
    ) -> ProvisionedTenant:
        """Create the tenant, its first company (same name) and the admin's primary membership.

        Idempotent on ``tenant_id``. Raises AppError 409 ``slug_taken`` or 422 (invalid slug/name).
        """
        body: dict[str, Any] = {
            "tenant_id": str(tenant_id),
            "name": name,
            "slug": slug,
            "admin_user_id": str(admin_user_id),
        }
        if type is not None:
            body["type"] = type
        if name_bn is not None:
            body["name_bn"] = name_bn
        answer = await self._call(
            "POST", "/tenants/provision", tenant_id=tenant_id, permission="platform.tenant.provision", json=body
        )
        assert answer is not None
        status, data = answer
        return ProvisionedTenant(
            tenant_id=uuid.UUID(data["tenant"]["id"]),
            slug=data["tenant"]["slug"],
            status=data["tenant"]["status"],
            company_id=uuid.UUID(data["company"]["id"]),
            created=status == 201,
        )

    async def tenant_by_slug(self, slug: str) -> TenantRef | None:
        """The tenant with ``slug`` (any status), or None."""
        answer = await self._call(
            "GET",
            f"/tenants/by-slug/{quote(slug, safe='')}",
            tenant_id=PLATFORM_TENANT_ID,
            permission="platform.tenant.read",
            not_found_is_none=True,
        )
        return None if answer is None else TenantRef.from_json(answer[1])

    async def access_of(self, tenant_id: uuid.UUID, user_id: uuid.UUID) -> UserAccess:
        """The tenant (with its status) and the companies ``user_id`` belongs to, primary first.

        A user with no membership gets no companies; an unknown tenant raises AppError 404.
        """
        answer = await self._call("GET", f"/access/{user_id}", tenant_id=tenant_id, permission="platform.tenant.read")
        assert answer is not None
        data = answer[1]
        companies = [
            CompanyAccess(id=uuid.UUID(item["id"]), code=item["code"], name=item["name"], primary=item["primary"])
            for item in data["companies"]
        ]
        departments = [
            DepartmentAccess(
                id=uuid.UUID(item["id"]),
                company_id=uuid.UUID(item["company_id"]),
                code=item["code"],
                name=item["name"],
            )
            for item in data["departments"]
        ]
        return UserAccess(
            tenant=TenantRef.from_json(data["tenant"]),
            company_ids=tuple(company.id for company in companies),
            companies=companies,
            departments=departments,
        )


__all__ = [
    "PLATFORM_TENANT_ID",
    "CompanyAccess",
    "DepartmentAccess",
    "OrganizationClient",
    "ProvisionedTenant",
    "TenantRef",
    "UserAccess",
    "service_subject",
]
