"""Who is acting, for which tenant: request-local context set from the verified token.

The tenant never comes from a client header (DESIGN.md §3). Repositories read it from here and
refuse to run without it (default deny).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from uuid import UUID

PLATFORM_NAMESPACE = "platform."


@dataclass(frozen=True)
class Principal:
    """A verified caller: a user acting inside one tenant, with the permissions the token grants."""

    subject: UUID
    tenant_id: UUID
    permissions: frozenset[str] = field(default_factory=frozenset)
    roles: tuple[str, ...] = ()
    company_ids: tuple[UUID, ...] = ()
    email: str | None = None

    def has(self, permission: str) -> bool:
        """True when a granted permission equals or covers ``permission`` (``svc.*`` or ``*``).

        Permissions in the ``platform.`` namespace (operating Vextrus itself, across tenants) are
        never covered by ``*``: a tenant administrator holds ``*`` inside the tenant only.
        """
        if permission in self.permissions:
            return True
        parts = permission.split(".")
        if any(".".join(parts[:i]) + ".*" in self.permissions for i in range(1, len(parts))):
            return True
        return "*" in self.permissions and not permission.startswith(PLATFORM_NAMESPACE)

    def may_act_in(self, company_id: UUID) -> bool:
        """True when the principal is a member of ``company_id`` (the token's ``cids`` claim)."""
        return company_id in self.company_ids


class TenantContextMissing(RuntimeError):
    """A tenant-scoped operation ran without a tenant in context: a programming error, never data."""


_principal: ContextVar[Principal | None] = ContextVar("vextrus_principal", default=None)
_tenant: ContextVar[UUID | None] = ContextVar("vextrus_tenant", default=None)
_cross_tenant: ContextVar[bool] = ContextVar("vextrus_cross_tenant", default=False)


def current_principal() -> Principal | None:
    return _principal.get()


def current_tenant_id() -> UUID | None:
    return _tenant.get()


def require_tenant_id() -> UUID:
    tenant = _tenant.get()
    if tenant is None:
        raise TenantContextMissing("no tenant in context: tenant-scoped access denied")
    return tenant


def bind_principal(principal: Principal | None) -> None:
    """Set the principal (and its tenant) for the rest of the current task."""
    _principal.set(principal)
    _tenant.set(principal.tenant_id if principal else None)


@contextmanager
def acting_as(principal: Principal | None = None, *, tenant_id: UUID | None = None) -> Iterator[None]:
    """Run a block as ``principal`` or, for system work (seeding, consumers), as a bare tenant."""
    principal_token = _principal.set(principal)
    tenant_token = _tenant.set(principal.tenant_id if principal else tenant_id)
    try:
        yield
    finally:
        _tenant.reset(tenant_token)
        _principal.reset(principal_token)


def is_cross_tenant() -> bool:
    return _cross_tenant.get()


@contextmanager
def cross_tenant() -> Iterator[None]:
    """Run a block that deliberately reads across tenants (platform operations such as resolving a
    tenant by slug, or finding a login's accounts by e-mail before the tenant is known).

    On PostgreSQL the transactions begun inside carry ``app.cross_tenant = on``, which the kit's
    row-level-security policies (``migrations.enable_tenant_isolation``) accept; use it only in
    code paths guarded by a ``platform.*`` permission or by the login protocol itself.
    """
    token = _cross_tenant.set(True)
    try:
        yield
    finally:
        _cross_tenant.reset(token)
