"""Master data service (port 3002): customers, vendors, products and services, chart of accounts,
units of measure and currencies, with Bangladesh's identifiers validated (``vextrus.bd``)."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import GraphQLParts, Service
from vextrus.services.master_data import api, events, graphql, models
from vextrus.services.master_data.seed import seed

service = Service(
    name="master-data",
    port=3002,
    title="Master data",
    description=(
        "Customers, vendors (with approval), products and services, the chart of accounts, units of measure "
        "and currencies, shared by a tenant's companies; TIN, BIN, NID and phone numbers validated and "
        "normalized; search in English and Bengali; POST /api/v1/bd/validate."
    ),
    router=api.router,
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    graphql=GraphQLParts(
        query=graphql.Query,
        mutation=graphql.Mutation,
        types=(graphql.Customer, graphql.Vendor, graphql.Product, graphql.Account),
    ),
    permissions=api.PERMISSIONS,
    seed=seed,
)

__all__ = ["service"]
