"""REST API of the audit service (thin: validation and permissions here, logic in service.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import StreamingResponse

from vextrus.kit.db import SessionDep
from vextrus.kit.errors import invalid_field
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.runtime import Runtime
from vextrus.kit.security import require
from vextrus.kit.tenancy import Principal
from vextrus.services.audit import service
from vextrus.services.audit.models import ACTOR_LENGTH, SUBJECT_LENGTH, TYPE_LENGTH
from vextrus.services.audit.repository import EventFilter
from vextrus.services.audit.schemas import (
    ENTITY_TYPE_PATTERN,
    TYPE_PATTERN,
    AuditEventOut,
    PurgeOut,
    RetentionIn,
    RetentionOut,
    VerifyOut,
)
from vextrus.services.audit.settings import AuditSettings

PREFIX = "/api/v1/audit"
router = APIRouter(prefix=PREFIX, tags=["audit"])

PERMISSIONS = {
    "audit.event.read": "Read the tenant's audit trail (events, entity histories)",
    "audit.event.export": "Export the audit trail as CSV",
    "audit.chain.verify": "Recompute the tenant's hash chain and report the first broken link",
    "audit.retention.read": "Read the tenant's retention policy",
    "audit.retention.manage": "Set the retention policy and run the archival purge",
}

TypeQuery = Annotated[
    str | None, Query(min_length=3, max_length=TYPE_LENGTH, pattern=TYPE_PATTERN, description="Event type (topic)")
]
ActorQuery = Annotated[str | None, Query(min_length=1, max_length=ACTOR_LENGTH, description="Who acted (user id)")]
SubjectQuery = Annotated[
    str | None, Query(min_length=1, max_length=SUBJECT_LENGTH, description="The event's subject (aggregate id)")
]
EntityTypeQuery = Annotated[
    str | None,
    Query(min_length=3, max_length=130, pattern=ENTITY_TYPE_PATTERN, description="`service.entity`"),
]
FromQuery = Annotated[dt.datetime | None, Query(alias="from", description="Occurred at or after (with timezone)")]
ToQuery = Annotated[dt.datetime | None, Query(alias="to", description="Occurred before (with timezone)")]
EntityTypePath = Annotated[str, Path(min_length=3, max_length=130, pattern=ENTITY_TYPE_PATTERN)]
EntityIdPath = Annotated[str, Path(min_length=1, max_length=SUBJECT_LENGTH)]


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _aware(value: dt.datetime | None, name: str) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise invalid_field(f"query.{name}", "needs a timezone (Z or +06:00)", "সময় অঞ্চল প্রয়োজন (Z বা +06:00)")
    return value


def _filter(
    type: TypeQuery = None,
    actor: ActorQuery = None,
    subject: SubjectQuery = None,
    entity_type: EntityTypeQuery = None,
    entity_id: SubjectQuery = None,
    occurred_from: FromQuery = None,
    occurred_to: ToQuery = None,
) -> EventFilter:
    where = EventFilter(
        type=type,
        actor=actor,
        subject=subject,
        entity_type=entity_type,
        entity_id=entity_id,
        occurred_from=_aware(occurred_from, "from"),
        occurred_to=_aware(occurred_to, "to"),
    )
    service.check_range(where.occurred_from, where.occurred_to)
    return where


FilterDep = Annotated[EventFilter, Depends(_filter)]


@router.get("/events", response_model=Page[AuditEventOut], summary="Audit events, newest first, filtered")
async def list_events(
    session: SessionDep,
    where: FilterDep,
    page: Annotated[PageRequest, Depends(page_request)],
    principal: Principal = require("audit.event.read"),
) -> Page[AuditEventOut]:
    return await service.list_events(session, where, page)


@router.get("/events/{record_id}", response_model=AuditEventOut, summary="One audit record by its id")
async def get_event(
    record_id: uuid.UUID, session: SessionDep, principal: Principal = require("audit.event.read")
) -> AuditEventOut:
    return await service.get_event(session, record_id)


@router.get(
    "/entities/{entity_type}/{entity_id}",
    response_model=Page[AuditEventOut],
    summary="The history of one entity (`service.entity` and its id), newest first",
)
async def entity_history(
    entity_type: EntityTypePath,
    entity_id: EntityIdPath,
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    principal: Principal = require("audit.event.read"),
) -> Page[AuditEventOut]:
    where = EventFilter(entity_type=entity_type, entity_id=entity_id)
    return await service.list_events(session, where, page)


@router.get(
    "/export",
    summary="The matching audit events as CSV, oldest first (streamed)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export(
    request: Request, where: FilterDep, principal: Principal = require("audit.event.export")
) -> StreamingResponse:
    runtime = _runtime(request)
    batch = runtime.settings_of(AuditSettings).read_batch_size
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        service.export_csv(runtime.database, principal.tenant_id, where, batch),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


@router.get("/verify", response_model=VerifyOut, summary="Recompute the tenant's hash chain; the first broken link")
async def verify(request: Request, principal: Principal = require("audit.chain.verify")) -> VerifyOut:
    runtime = _runtime(request)
    batch = runtime.settings_of(AuditSettings).read_batch_size
    return await service.verify(runtime.database, principal.tenant_id, batch)


@router.get("/retention", response_model=RetentionOut, summary="The tenant's retention policy")
async def get_retention(
    request: Request, session: SessionDep, principal: Principal = require("audit.retention.read")
) -> RetentionOut:
    return await service.get_retention(session, _runtime(request).settings_of(AuditSettings))


@router.put("/retention", response_model=RetentionOut, summary="Set the tenant's retention (days)")
async def put_retention(
    body: RetentionIn,
    request: Request,
    session: SessionDep,
    principal: Principal = require("audit.retention.manage"),
) -> RetentionOut:
    settings = _runtime(request).settings_of(AuditSettings)
    return await service.set_retention(session, settings, body.retention_days, principal.subject)


@router.post(
    "/retention/purge",
    response_model=PurgeOut,
    summary="Archive (to the file service), checkpoint and purge records past retention, now",
)
async def purge(request: Request, principal: Principal = require("audit.retention.manage")) -> PurgeOut:
    return await service.purge_tenant(_runtime(request), principal.tenant_id, principal.subject)
