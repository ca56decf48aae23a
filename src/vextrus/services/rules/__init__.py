"""Rules engine (port 3012): versioned GoRules JDM decision models per tenant, evaluated with zen-engine."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import GraphQLParts, Service
from vextrus.services.rules import api, events, graphql, models
from vextrus.services.rules.seed import seed
from vextrus.services.rules.settings import RulesSettings

service = Service(
    name="rules",
    port=3012,
    title="Rules engine",
    description=(
        "Decision models (GoRules JDM: decision tables, expressions, switches) per tenant, versioned "
        "draft -> published with effective dates and test cases, evaluated with zen-engine; "
        "every evaluation is recorded. Ships VAT, TDS and approval-step rules."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    graphql=GraphQLParts(query=graphql.Query, mutation=graphql.Mutation, types=(graphql.Rule,)),
    permissions=api.PERMISSIONS,
    seed=seed,
    settings=RulesSettings,
)

__all__ = ["service"]
