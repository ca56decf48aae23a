"""Readiness check of the organization service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from vextrus.kit.service import CheckResult
from vextrus.services.organization.metrics import refresh_tenants_gauge

if TYPE_CHECKING:
    from vextrus.kit.runtime import Runtime


async def tenant_registry(runtime: Runtime) -> CheckResult:
    """The tenants table answers; refreshes ``organization_tenants_total`` on the way."""
    counts = await refresh_tenants_gauge(runtime.database.engine)
    return {"tenants": sum(counts.values())}
