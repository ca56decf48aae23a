"""GraphQL part of the audit service (Strawberry, Federation v2).

``AuditEvent`` is a federation entity (key ``id``, shareable, with ``resolve_reference``). Resolvers
call the same service functions as REST and check the same permissions.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from vextrus.kit.errors import invalid_field, not_found
from vextrus.kit.graphql import GraphQLContext
from vextrus.kit.pagination import MAX_LIMIT, PageRequest
from vextrus.services.audit import service
from vextrus.services.audit.repository import EventFilter
from vextrus.services.audit.schemas import AuditEventOut
from vextrus.services.audit.settings import AuditSettings

ContextInfo = Info[GraphQLContext, None]


@strawberry.federation.type(keys=["id"], shareable=True, description="One record of the tenant's audit trail")
class AuditEvent:
    id: strawberry.ID
    seq: int = strawberry.field(description="Position in the tenant's hash chain")
    event_id: str
    type: str
    source: str
    actor: str | None
    subject: str | None
    entity_type: str | None
    entity_id: str | None
    occurred_at: dt.datetime
    recorded_at: dt.datetime
    trace: str | None
    payload: JSON
    prev_hash: str
    hash: str

    @classmethod
    def from_out(cls, item: AuditEventOut) -> AuditEvent:
        return cls(
            id=strawberry.ID(str(item.id)),
            seq=item.seq,
            event_id=item.event_id,
            type=item.type,
            source=item.source,
            actor=item.actor,
            subject=item.subject,
            entity_type=item.entity_type,
            entity_id=item.entity_id,
            occurred_at=item.occurred_at,
            recorded_at=item.recorded_at,
            trace=item.trace,
            payload=json.loads(json.dumps(item.payload)),
            prev_hash=item.prev_hash,
            hash=item.hash,
        )

    @classmethod
    async def resolve_reference(cls, info: ContextInfo, id: strawberry.ID) -> AuditEvent:
        info.context.require("audit.event.read")
        try:
            record_id = uuid.UUID(str(id))
        except ValueError:
            raise not_found("AuditEvent", id, "অডিট ঘটনা") from None
        async with info.context.transaction() as session:
            return cls.from_out(await service.get_event(session, record_id))


@strawberry.type
class AuditEventPage:
    items: list[AuditEvent]
    next_cursor: str | None


@strawberry.type(description="The result of recomputing the tenant's hash chain")
class AuditChainReport:
    ok: bool
    records_checked: int
    first_seq: int | None
    last_seq: int
    head_hash: str
    broken_seq: int | None
    broken_reason: str | None
    duration_ms: float


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise invalid_field(name, "needs a timezone (Z or +06:00)", "সময় অঞ্চল প্রয়োজন")
    return value


async def audit_events(
    info: ContextInfo,
    type: str | None = None,
    actor: str | None = None,
    subject: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    occurred_from: dt.datetime | None = None,
    occurred_to: dt.datetime | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> AuditEventPage:
    info.context.require("audit.event.read")
    where = EventFilter(
        type=type,
        actor=actor,
        subject=subject,
        entity_type=entity_type,
        entity_id=entity_id,
        occurred_from=_aware(occurred_from, "occurredFrom"),
        occurred_to=_aware(occurred_to, "occurredTo"),
    )
    async with info.context.transaction() as session:
        page = await service.list_events(session, where, PageRequest(max(1, min(limit, MAX_LIMIT)), cursor))
    return AuditEventPage(items=[AuditEvent.from_out(item) for item in page.items], next_cursor=page.next_cursor)


async def audit_event(info: ContextInfo, id: strawberry.ID) -> AuditEvent:
    return await AuditEvent.resolve_reference(info, id)


async def audit_chain(info: ContextInfo) -> AuditChainReport:
    principal = info.context.require("audit.chain.verify")
    runtime = info.context.runtime
    report = await service.verify(
        runtime.database, principal.tenant_id, runtime.settings_of(AuditSettings).read_batch_size
    )
    return AuditChainReport(
        ok=report.ok,
        records_checked=report.records_checked,
        first_seq=report.first_seq,
        last_seq=report.last_seq,
        head_hash=report.head_hash,
        broken_seq=report.broken.seq if report.broken else None,
        broken_reason=report.broken.reason if report.broken else None,
        duration_ms=report.duration_ms,
    )


@strawberry.type
class Query:
    audit_events: AuditEventPage = strawberry.field(
        resolver=audit_events, description="The audit trail, newest first, filtered (needs audit.event.read)"
    )
    audit_event: AuditEvent = strawberry.field(resolver=audit_event, description="One audit record by id")
    audit_chain: AuditChainReport = strawberry.field(
        resolver=audit_chain, description="Recompute the tenant's hash chain (needs audit.chain.verify)"
    )
