"""Organization service (port 3016): tenants, companies, divisions, branches, departments,
designations and the memberships of users in companies."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import GraphQLParts, ReadinessCheck, Service
from vextrus.services.organization import api, events, graphql, models
from vextrus.services.organization.checks import tenant_registry
from vextrus.services.organization.seed import seed
from vextrus.services.organization.settings import OrganizationSettings

service = Service(
    name="organization",
    port=3016,
    title="Organization",
    description=(
        "Tenants (customer groups) with their plan, limits and lifecycle; their companies (legal "
        "entities with TIN, BIN, trade licence and regulator), divisions, branches, departments and "
        "designations; and which users belong to which companies (one primary)."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    graphql=GraphQLParts(query=graphql.Query, mutation=graphql.Mutation, types=[graphql.Tenant, graphql.Company]),
    checks=[ReadinessCheck("tenant_registry", tenant_registry)],
    permissions=api.PERMISSIONS,
    settings=OrganizationSettings,
    seed=seed,
)

__all__ = ["service"]
