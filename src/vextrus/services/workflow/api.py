"""REST API of the workflow service: ``/api/v1/workflows/...`` (thin; logic in service.py).

Other services start and follow processes only through this API and the ``workflow.*`` events.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response

from vextrus.kit.db import SessionDep
from vextrus.kit.pagination import Page, PageRequest, page_request
from vextrus.kit.security import COMPANY_HEADER, acting_company, require
from vextrus.kit.tenancy import Principal
from vextrus.services.workflow import service, sla, views
from vextrus.services.workflow.engine import WorkflowEngine, engine_for
from vextrus.services.workflow.models import BUSINESS_KEY_LENGTH, IDEMPOTENCY_KEY_LENGTH, KEY_LENGTH, STATE_LENGTH
from vextrus.services.workflow.schemas import (
    DEFINITION_KEY_PATTERN,
    ActionOut,
    DefinitionCreate,
    DefinitionDetail,
    DefinitionList,
    DefinitionVersionCreate,
    InstanceActionIn,
    InstanceOut,
    InstanceStart,
    InstanceStatus,
    InstanceSummary,
    SweepOut,
    TaskActionIn,
    TaskOut,
    TaskStatus,
)

PREFIX = "/api/v1/workflows"
router = APIRouter(prefix=PREFIX, tags=["workflow"])

PERMISSIONS = {
    "workflow.definition.read": "Read process definitions and their versions",
    "workflow.definition.write": "Create process definitions and publish new versions",
    "workflow.instance.start": "Start a process for a document",
    "workflow.instance.read": "Read processes: state, approval steps, system steps and history",
    "workflow.instance.act": "Take a process-level action such as cancel or withdraw (the definition says who)",
    "workflow.task.read": "Read tasks (the inbox: ?mine=true)",
    "workflow.task.act": "Approve, reject, ask for information, delegate or comment on a task assigned to you",
    "workflow.sla.sweep": "Run the SLA sweep for the tenant: reminders, escalations, auto-rejections",
}

DefinitionKeyPath = Annotated[str, Path(min_length=3, max_length=KEY_LENGTH, pattern=DEFINITION_KEY_PATTERN)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=IDEMPOTENCY_KEY_LENGTH,
        pattern=r"^[\x21-\x7e]+$",
        description="Repeat a request safely: the same key answers the first result, recorded once",
    ),
]


async def _engine(request: Request) -> WorkflowEngine:
    engine = engine_for(request.app.state.runtime)
    await engine.ensure_started()
    return engine


async def _optional_company(request: Request, principal: Principal) -> uuid.UUID | None:
    """The acting company when the token names companies (or the header does), else none."""
    if not principal.company_ids and request.headers.get(COMPANY_HEADER) is None:
        return None
    return await acting_company(request)


def _bearer(request: Request) -> str | None:
    scheme, _, value = (request.headers.get("authorization") or "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


# --- definitions ---------------------------------------------------------------------------------


@router.get("/definitions", response_model=DefinitionList, summary="Current version of every process definition")
async def list_definitions(
    session: SessionDep, principal: Principal = require("workflow.definition.read")
) -> DefinitionList:
    return await service.list_definitions(session, principal.subject)


@router.post("/definitions", response_model=DefinitionDetail, status_code=201, summary="Create a process definition")
async def create_definition(
    body: DefinitionCreate,
    session: SessionDep,
    response: Response,
    principal: Principal = require("workflow.definition.write"),
) -> DefinitionDetail:
    detail = await service.create_definition(session, body, principal.subject)
    response.headers["Location"] = f"{PREFIX}/definitions/{detail.key}"
    return detail


@router.get("/definitions/{key}", response_model=DefinitionDetail, summary="A definition: current spec and versions")
async def get_definition(
    key: DefinitionKeyPath, session: SessionDep, principal: Principal = require("workflow.definition.read")
) -> DefinitionDetail:
    return await service.definition_detail(session, key, None, principal.subject)


@router.post(
    "/definitions/{key}/versions",
    response_model=DefinitionDetail,
    status_code=201,
    summary="Publish a new version (running processes keep theirs)",
)
async def add_version(
    key: DefinitionKeyPath,
    body: DefinitionVersionCreate,
    session: SessionDep,
    principal: Principal = require("workflow.definition.write"),
) -> DefinitionDetail:
    return await service.add_version(session, key, body, principal.subject)


@router.get(
    "/definitions/{key}/versions/{version}", response_model=DefinitionDetail, summary="One version of a definition"
)
async def get_definition_version(
    key: DefinitionKeyPath,
    version: Annotated[int, Path(ge=1, le=2**31 - 1)],
    session: SessionDep,
    principal: Principal = require("workflow.definition.read"),
) -> DefinitionDetail:
    return await service.definition_detail(session, key, version, principal.subject)


# --- instances -----------------------------------------------------------------------------------


@router.post("/instances", response_model=InstanceOut, status_code=201, summary="Start a process for a document")
async def start_instance(
    body: InstanceStart,
    request: Request,
    response: Response,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = require("workflow.instance.start"),
) -> InstanceOut:
    company = await _optional_company(request, principal)
    engine = await _engine(request)
    view, created = await service.start_instance(
        engine, principal, body, company_id=company, idempotency_key=idempotency_key, token=_bearer(request)
    )
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"{PREFIX}/instances/{view.id}"
    return view


@router.get("/instances", response_model=Page[InstanceSummary], summary="Processes, newest first")
async def list_instances(
    session: SessionDep,
    page: Annotated[PageRequest, Depends(page_request)],
    definition: Annotated[str | None, Query(max_length=KEY_LENGTH, pattern=DEFINITION_KEY_PATTERN)] = None,
    status: InstanceStatus | None = None,
    state: Annotated[str | None, Query(max_length=STATE_LENGTH)] = None,
    business_key: Annotated[str | None, Query(min_length=1, max_length=BUSINESS_KEY_LENGTH)] = None,
    company_id: uuid.UUID | None = None,
    mine: Annotated[bool, Query(description="Only processes I requested")] = False,
    principal: Principal = require("workflow.instance.read"),
) -> Page[InstanceSummary]:
    return await views.list_instances(
        session,
        page,
        definition=definition,
        status=status,
        state=state,
        business_key=business_key,
        company_id=company_id,
        requested_by=principal.subject if mine else None,
    )


@router.get("/instances/{instance_id}", response_model=InstanceOut, summary="A process: state, steps and history")
async def get_instance(
    instance_id: uuid.UUID, session: SessionDep, principal: Principal = require("workflow.instance.read")
) -> InstanceOut:
    return await views.get_instance(session, instance_id)


@router.post(
    "/instances/{instance_id}/actions", response_model=ActionOut, summary="A process-level action (cancel, ...)"
)
async def act_on_instance(
    instance_id: uuid.UUID,
    body: InstanceActionIn,
    request: Request,
    principal: Principal = require("workflow.instance.act"),
) -> ActionOut:
    engine = await _engine(request)
    return await service.act_on_instance(engine, principal, instance_id, body)


# --- tasks ---------------------------------------------------------------------------------------


@router.get("/tasks", response_model=Page[TaskOut], summary="Tasks, newest first; ?mine=true is my inbox")
async def list_tasks(
    session: SessionDep,
    request: Request,
    page: Annotated[PageRequest, Depends(page_request)],
    mine: Annotated[bool, Query(description="Assigned to me, to one of my roles, or delegated to me now")] = False,
    status: TaskStatus | None = None,
    instance_id: uuid.UUID | None = None,
    definition: Annotated[str | None, Query(max_length=KEY_LENGTH, pattern=DEFINITION_KEY_PATTERN)] = None,
    principal: Principal = require("workflow.task.read"),
) -> Page[TaskOut]:
    now = engine_for(request.app.state.runtime).now()
    return await views.list_tasks(
        session, page, principal, now, mine=mine, status=status, instance_id=instance_id, definition=definition
    )


@router.get("/tasks/{task_id}", response_model=TaskOut, summary="One task")
async def get_task(
    task_id: uuid.UUID, session: SessionDep, principal: Principal = require("workflow.task.read")
) -> TaskOut:
    return await views.get_task(session, task_id)


@router.post(
    "/tasks/{task_id}/actions",
    response_model=ActionOut,
    summary="Approve, reject (reason required), request information, delegate, comment, or a transition",
)
async def act_on_task(
    task_id: uuid.UUID,
    body: TaskActionIn,
    request: Request,
    idempotency_key: IdempotencyKey = None,
    principal: Principal = require("workflow.task.act"),
) -> ActionOut:
    engine = await _engine(request)
    return await service.act_on_task(engine, principal, task_id, body, idempotency_key)


# --- SLAs ----------------------------------------------------------------------------------------


@router.post("/sla/sweep", response_model=SweepOut, summary="Reminders, escalations and auto-rejections due now")
async def sla_sweep(request: Request, principal: Principal = require("workflow.sla.sweep")) -> SweepOut:
    engine = await _engine(request)
    return await sla.sweep(engine, principal.tenant_id)
