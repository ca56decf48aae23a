"""Business metrics of the organization service.

- ``organization_tenants_total{status}`` (counter): tenants entering each status in this process:
  ``active`` when provisioned or reactivated, ``suspended``, ``closed``.
- ``organization_tenants_by_status{status}`` (gauge): tenants in each status, counted from the
  database; refreshed after every commit that provisions a tenant or changes its status, and by the
  service's readiness check (so a freshly started process reports it at its first probe). It cannot
  be called ``..._total``: Prometheus reserves that suffix for counters.
- ``organization_companies_total`` and ``organization_memberships_total{action}`` (counters):
  companies created and memberships added/removed in this process.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vextrus.kit.metrics import counter, gauge
from vextrus.kit.tenancy import cross_tenant
from vextrus.services.organization.models import Tenant
from vextrus.services.organization.rules import TENANT_STATUSES

TENANTS = counter(
    "organization_tenants_total",
    "Tenants entering a status: active (provisioned or reactivated), suspended, closed",
    ["status"],
)
TENANTS_BY_STATUS = gauge(
    "organization_tenants_by_status", "Tenants in each status, counted from the database", ["status"]
)
COMPANIES = counter("organization_companies_total", "Companies created (provisioning and POST /companies)")
MEMBERSHIPS = counter(
    "organization_memberships_total", "Memberships of users in companies, by action (added, removed)", ["action"]
)
MEMBERSHIPS_ADDED = MEMBERSHIPS.labels("added")
MEMBERSHIPS_REMOVED = MEMBERSHIPS.labels("removed")


async def count_tenants(engine: AsyncEngine) -> dict[str, int]:
    """Tenants by status across all tenants (a platform read: inside ``cross_tenant()``)."""
    with cross_tenant():
        async with AsyncSession(engine) as session, session.begin():
            rows = (await session.execute(select(Tenant.status, func.count()).group_by(Tenant.status))).all()
    counts = dict.fromkeys(TENANT_STATUSES, 0)
    counts.update({str(status): int(number) for status, number in rows})
    return counts


async def refresh_tenants_gauge(engine: AsyncEngine) -> dict[str, int]:
    counts = await count_tenants(engine)
    for status, number in counts.items():
        TENANTS_BY_STATUS.labels(status).set(number)
    return counts
