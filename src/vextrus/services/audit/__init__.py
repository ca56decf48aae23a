"""Audit service (port 3009): an append-only, per-tenant hash-chained trail of every event of
every registered service and of the access denials the kit reports; query API, entity history,
CSV export, chain verification, retention with archival before purge."""

from __future__ import annotations

from pathlib import Path

from vextrus.kit.service import GraphQLParts, Service
from vextrus.services.audit import api, events, graphql, jobs, models
from vextrus.services.audit.seed import seed
from vextrus.services.audit.settings import AuditSettings

service = Service(
    name="audit",
    port=3009,
    title="Audit trail",
    description=(
        "Records every event of every service and every access denial, append-only in a per-tenant "
        "hash chain the database refuses to alter; query, entity history, CSV export, chain "
        "verification, retention with archival export before purge."
    ),
    router=api.router,
    graphql=GraphQLParts(query=graphql.Query, types=[graphql.AuditEvent]),
    metadata=models.Base.metadata,
    migrations=Path(__file__).parent / "migrations",
    publishes=events.PUBLISHES,
    consumes=events.HANDLERS,
    permissions=api.PERMISSIONS,
    seed=seed,
    settings=AuditSettings,
    on_start=jobs.start,
    on_stop=jobs.stop,
)

__all__ = ["service"]
