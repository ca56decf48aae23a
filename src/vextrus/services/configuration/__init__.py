"""Configuration service (port 3004): typed per-tenant settings, feature flags, change history."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import GraphQLParts, Service
from vextrus.services.configuration import api, events, graphql, models
from vextrus.services.configuration.seed import seed

service = Service(
    name="configuration",
    port=3004,
    title="Configuration",
    description=(
        "Per-tenant typed settings validated by a catalogue (localization, fiscal year, VAT), "
        "feature flags with tenant overrides and percentage rollout, and the history of every change."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    graphql=GraphQLParts(query=graphql.Query, mutation=graphql.Mutation),
    permissions=api.PERMISSIONS,
    seed=seed,
)

__all__ = ["service"]
