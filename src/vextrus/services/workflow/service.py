"""Business logic of the workflow service: definitions, starting processes, states and decisions.

No HTTP and no SQL strings here. Every human decision is one transaction in the service's own
tables: the task row is version-checked, so of two concurrent decisions on one task exactly one
commits and the other gets a 409; the same action sent twice (same person, or the same
``Idempotency-Key``) is answered from the history without a second record. Durable work the
transaction asks for (SLA timers, system steps) is handed to the durable runtime only after the
commit (:class:`~vextrus.services.workflow.engine.Effects`).

On SQLite a transaction holds the single write lock, so calls to the rules service are made
between transactions, never inside one. SLAs are in ``sla.py``, reading in ``views.py``, system
steps in ``system.py``, and what they all share in ``core.py``.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import AppError, FieldError, invalid_field, not_found, register_error_titles
from vextrus.kit.events import record_event
from vextrus.kit.models import new_id
from vextrus.kit.tenancy import Principal
from vextrus.services.workflow import metrics
from vextrus.services.workflow.core import Ctx, definition_spec, dump, dump_spec, load, record_history, spec_of
from vextrus.services.workflow.definitions import (
    APPROVE,
    COMMENT,
    DELEGATE,
    REJECT,
    REQUEST_INFORMATION,
    ApprovalChain,
    ApprovalStep,
    DefinitionSpec,
    Sla,
    State,
)
from vextrus.services.workflow.engine import SERVICE_SUBJECT, SystemRunRequest, TimerRequest, WorkflowEngine
from vextrus.services.workflow.events import (
    PROCESS_COMPLETED,
    PROCESS_STARTED,
    PROCESS_TRANSITIONED,
    TASK_ASSIGNED,
    TASK_COMPLETED,
    ProcessCompleted,
    ProcessStarted,
    ProcessTransitioned,
    TaskAssigned,
    TaskCompleted,
)
from vextrus.services.workflow.logic import (
    Assignment,
    ResolutionError,
    chain_steps,
    choose,
    expression_context,
    may_act,
    parse_amount,
    plan_from_rule,
    resolve,
    seats,
    sla_times,
    step_outcome,
)
from vextrus.services.workflow.models import OPEN, RUNNING, Definition, HistoryEntry, Instance, Task
from vextrus.services.workflow.repository import (
    DefinitionRepository,
    HistoryRepository,
    InstanceRepository,
    TaskRepository,
)
from vextrus.services.workflow.schemas import (
    ActionOut,
    DefinitionCreate,
    DefinitionDetail,
    DefinitionList,
    DefinitionOut,
    DefinitionVersionCreate,
    InstanceActionIn,
    InstanceOut,
    InstanceStart,
    TaskActionIn,
)
from vextrus.services.workflow.templates import builtin_definitions
from vextrus.services.workflow.views import instance_view, summary, task_out

log = structlog.get_logger("vextrus.workflow")

register_error_titles(
    {
        "definition_exists": {"en": "The definition already exists", "bn": "সংজ্ঞাটি আগে থেকেই আছে"},
        "instance_exists": {
            "en": "A process is already running for this document",
            "bn": "এই নথির জন্য একটি প্রক্রিয়া চলছে",
        },
        "instance_finished": {"en": "The process has ended", "bn": "প্রক্রিয়াটি শেষ হয়েছে"},
        "task_closed": {"en": "The task was already decided", "bn": "কাজটির সিদ্ধান্ত আগেই হয়েছে"},
        "not_assignee": {"en": "The task is not assigned to you", "bn": "কাজটি আপনাকে দেওয়া হয়নি"},
        "self_approval_refused": {"en": "You cannot approve your own request", "bn": "নিজের আবেদন নিজে অনুমোদন করা যায় না"},
        "already_decided": {"en": "You already decided this step", "bn": "এই ধাপে আপনি আগেই সিদ্ধান্ত দিয়েছেন"},
        "no_transition": {"en": "No transition applies", "bn": "কোনো ধাপান্তর প্রযোজ্য নয়"},
        "not_allowed": {"en": "You may not take this action", "bn": "এই কাজটি করার অনুমতি আপনার নেই"},
        "approval_refused": {"en": "The approval rule refuses this document", "bn": "অনুমোদনের নিয়ম এই নথি গ্রহণ করে না"},
        "approval_rule_unavailable": {"en": "The approval rule is not available", "bn": "অনুমোদনের নিয়মটি পাওয়া যাচ্ছে না"},
        "approval_rule_failed": {"en": "The approval rule failed", "bn": "অনুমোদনের নিয়ম ব্যর্থ হয়েছে"},
        "idempotency_key_reused": {
            "en": "The idempotency key was used for another request",
            "bn": "এই কী অন্য অনুরোধে ব্যবহৃত হয়েছে",
        },
    }
)

USER_FIELDS = ("requested_by", "manager_id", "department_head_id", "project_manager_id", "employee_user_id")
MAX_DELEGATION = dt.timedelta(days=90)


# --- definitions ---------------------------------------------------------------------------------


def _definition_out(row: Definition) -> DefinitionOut:
    return DefinitionOut(
        id=row.id,
        key=row.key,
        version=row.number,
        is_current=row.is_current,
        source=row.source,
        name=row.name,
        name_bn=row.name_bn,
        document_type=row.document_type,
        comment=row.comment,
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _new_definition(
    key: str, number: int, spec: DefinitionSpec, source: str, actor: uuid.UUID | None, comment: str | None
) -> Definition:
    return Definition(
        key=key,
        number=number,
        is_current=True,
        source=source,
        name=spec.name,
        name_bn=spec.name_bn,
        document_type=spec.document_type,
        spec=dump_spec(spec),
        comment=comment,
        created_by=actor,
    )


async def install_builtins(session: AsyncSession, actor: uuid.UUID | None = None) -> list[str]:
    """Give the tenant version 1 of every shipped definition it has no version of yet."""
    repository = DefinitionRepository(session)
    have = await repository.keys()
    installed = []
    for key, spec in builtin_definitions().items():
        if key not in have:
            repository.add(_new_definition(key, 1, spec, "builtin", actor, "Shipped with Vextrus"))
            installed.append(key)
    if installed:
        await session.flush()
    return installed


async def current_definition(session: AsyncSession, key: str, actor: uuid.UUID | None = None) -> Definition:
    repository = DefinitionRepository(session)
    row = await repository.current(key)
    if row is None and key in builtin_definitions() and key not in await repository.keys():
        await install_builtins(session, actor)
        row = await repository.current(key)
    if row is None:
        raise not_found("Process definition", key, "প্রক্রিয়ার সংজ্ঞা")
    return row


async def list_definitions(session: AsyncSession, actor: uuid.UUID) -> DefinitionList:
    await install_builtins(session, actor)
    rows = await DefinitionRepository(session).all_current()
    return DefinitionList(items=[_definition_out(row) for row in rows])


async def definition_detail(session: AsyncSession, key: str, number: int | None, actor: uuid.UUID) -> DefinitionDetail:
    current = await current_definition(session, key, actor)
    repository = DefinitionRepository(session)
    row = current if number is None else await repository.version(key, number)
    if row is None:
        raise AppError(
            404, "not_found", f"Definition {key} has no version {number}", f"সংজ্ঞা {key}-এর সংস্করণ {number} নেই"
        )
    versions = await repository.versions(key)
    return DefinitionDetail(
        **_definition_out(row).model_dump(),
        spec=json.loads(row.spec),
        versions=[_definition_out(item) for item in versions],
    )


async def create_definition(session: AsyncSession, body: DefinitionCreate, actor: uuid.UUID) -> DefinitionDetail:
    repository = DefinitionRepository(session)
    if body.key in builtin_definitions() or body.key in await repository.keys():
        raise AppError(
            409,
            "definition_exists",
            f"Definition {body.key} exists; publish a new version with POST .../definitions/{body.key}/versions",
            f"সংজ্ঞা {body.key} আছে; নতুন সংস্করণ প্রকাশ করুন",
        )
    repository.add(_new_definition(body.key, 1, body.spec, "custom", actor, body.comment))
    await session.flush()
    return await definition_detail(session, body.key, None, actor)


async def add_version(
    session: AsyncSession, key: str, body: DefinitionVersionCreate, actor: uuid.UUID
) -> DefinitionDetail:
    current = await current_definition(session, key, actor)
    repository = DefinitionRepository(session)
    latest = max(item.number for item in await repository.versions(key))
    await repository.retire(key)
    repository.add(_new_definition(key, latest + 1, body.spec, current.source, actor, body.comment))
    await session.flush()
    return await definition_detail(session, key, None, actor)


# --- starting a process ----------------------------------------------------------------------------


def normalize_document(document: Mapping[str, Any], max_bytes: int) -> dict[str, Any]:
    """Check the fields the engine reads (amount, people, department); keep the rest as given."""
    if len(dump(document).encode()) > max_bytes:
        raise invalid_field(
            "body.document", f"is larger than {max_bytes} bytes", f"{max_bytes} বাইটের বেশি", "too_large"
        )
    normalized = dict(document)
    if "amount" in normalized:
        try:
            normalized["amount"] = str(parse_amount(normalized["amount"]))
        except ValueError as error:
            raise invalid_field("body.document.amount", str(error), "একটি শূন্য বা ধনাত্মক দশমিক সংখ্যা হতে হবে") from None
    for name in USER_FIELDS:
        value = normalized.get(name)
        if value is None:
            continue
        try:
            normalized[name] = str(uuid.UUID(str(value)))
        except ValueError:
            raise invalid_field(
                f"body.document.{name}", "must be a user id (UUID)", "একটি ব্যবহারকারী আইডি (UUID) হতে হবে"
            ) from None
    department = normalized.get("department")
    if department is not None and (not isinstance(department, str) or not 0 < len(department.strip()) <= 100):
        raise invalid_field("body.document.department", "must be a name of 1-100 characters", "১-১০০ অক্ষরের নাম হতে হবে")
    return normalized


def _resolution_error(error: ResolutionError) -> AppError:
    path = error.field if error.field.startswith("body.") else f"body.{error.field}"
    return invalid_field(path, error.reason, error.reason_bn, "unresolvable")


async def _rule_plan(
    engine: WorkflowEngine,
    principal: Principal,
    token: str | None,
    chain: ApprovalChain,
    document: dict[str, Any],
    business_key: str,
) -> tuple[list[ApprovalStep], dict[str, Any]]:
    """Ask the rules service for the approval steps (as the workflow service, else as the caller)."""
    assert chain.rule is not None
    runtime = engine.runtime
    path = f"/api/v1/rules/{chain.rule}/evaluate"
    body = {"context": document, "reference": business_key}
    if runtime.issuer is not None:
        caller = Principal(
            subject=SERVICE_SUBJECT,
            tenant_id=principal.tenant_id,
            permissions=frozenset({"rules.rule.evaluate"}),
            roles=("system",),
        )
        response = await runtime.clients.request("rules", "POST", path, principal=caller, json=body)
    else:
        response = await runtime.clients.request("rules", "POST", path, token=token, json=body)
    answer: Any = None
    try:
        answer = response.json()
    except ValueError:
        answer = None
    detail = str(answer.get("detail")) if isinstance(answer, dict) and answer.get("detail") else None
    if response.status_code == 404:
        raise AppError(
            409,
            "approval_rule_unavailable",
            f"The approval rule {chain.rule} is not installed for this tenant (POST /api/v1/rules/templates/install)",
            f"অনুমোদনের নিয়ম {chain.rule} এই প্রতিষ্ঠানে নেই",
            extra={"rule": chain.rule},
        )
    if response.status_code in (400, 422):
        raise AppError(
            422,
            "approval_rule_failed",
            f"The approval rule {chain.rule} could not decide this document: {detail or response.status_code}",
            f"অনুমোদনের নিয়ম {chain.rule} এই নথির সিদ্ধান্ত দিতে পারেনি",
            extra={"rule": chain.rule},
        )
    if response.status_code in (401, 403):
        raise AppError(503, "service_unavailable", f"The rules service refused the workflow service: {detail}")
    if response.status_code != 200 or not isinstance(answer, dict):
        raise AppError(503, "service_unavailable", f"The rules service answered {response.status_code}")
    try:
        plan = plan_from_rule(answer.get("result"), chain)
    except ValueError as error:
        raise AppError(
            422, "approval_rule_failed", f"The approval rule {chain.rule} returned an unusable result: {error}"
        ) from None
    if not plan.allowed:
        field_name = "body.document.amount" if "amount" in document else "body.document"
        reason = plan.reason or f"refused by the rule {chain.rule}"
        raise AppError(
            422,
            "approval_refused",
            f"{field_name}: {reason}",
            f"{field_name}: অনুমোদনের নিয়ম {chain.rule} এই নথি গ্রহণ করে না",
            errors=(FieldError(field_name, "refused", reason, "অনুমোদনের নিয়ম গ্রহণ করে না"),),
            extra={"rule": chain.rule},
        )
    meta = {"key": chain.rule, "version": answer.get("version"), "evaluation_id": answer.get("evaluation_id")}
    return plan.steps, meta


async def _plans(
    engine: WorkflowEngine,
    principal: Principal,
    token: str | None,
    spec: DefinitionSpec,
    document: dict[str, Any],
    requester: uuid.UUID,
    business_key: str,
) -> dict[str, Any]:
    """The approval steps of every approval state, fixed when the process starts."""
    plans: dict[str, Any] = {}
    for state in spec.states:
        if state.kind != "approval" or state.approval is None:
            continue
        rule = None
        if state.approval.rule is not None:
            steps, rule = await _rule_plan(engine, principal, token, state.approval, document, business_key)
        else:
            steps = chain_steps(state.approval, document)
        for step in steps:
            try:
                seats(step, document, requester)
            except ResolutionError as error:
                raise _resolution_error(error) from None
        plans[state.name] = {
            "steps": [step.model_dump(mode="json", exclude_none=True) for step in steps],
            "current": 1,
            "rule": rule,
        }
    for state in spec.states:
        if state.kind == "task" and state.assignee is not None:
            try:
                resolve(state.assignee, document, requester)
            except ResolutionError as error:
                raise _resolution_error(error) from None
    return plans


def _instance_exists(existing: Instance) -> AppError:
    return AppError(
        409,
        "instance_exists",
        f"Process {existing.id} is already running for {existing.business_key}",
        f"{existing.business_key}-এর জন্য প্রক্রিয়া {existing.id} চলছে",
        extra={"instance_id": str(existing.id)},
    )


async def start_instance(
    engine: WorkflowEngine,
    principal: Principal,
    body: InstanceStart,
    *,
    company_id: uuid.UUID | None,
    idempotency_key: str | None,
    token: str | None = None,
) -> tuple[InstanceOut, bool]:
    """Start a process; ``(view, created)`` (False: the Idempotency-Key was seen before)."""
    document = normalize_document(body.document, engine.settings.max_document_bytes)
    requester = uuid.UUID(document["requested_by"]) if document.get("requested_by") else principal.subject
    async with engine.transaction() as session:
        if idempotency_key is not None:
            existing = await InstanceRepository(session).by_start_key(idempotency_key)
            if existing is not None:
                return await instance_view(session, existing), False
        definition = await current_definition(session, body.definition, principal.subject)
        spec = spec_of(definition)
        running = await InstanceRepository(session).running_for(body.definition, body.business_key)
        if running is not None:
            raise _instance_exists(running)
        definition_id, number = definition.id, definition.number
    plans = await _plans(engine, principal, token, spec, document, requester, body.business_key)
    try:
        async with engine.transaction() as session:
            ctx = Ctx.open(session, engine)
            instance = Instance(
                id=new_id(),
                definition_id=definition_id,
                definition_key=body.definition,
                definition_number=number,
                document_type=spec.document_type,
                business_key=body.business_key,
                company_id=company_id,
                document=dump(document),
                document_ref=dump(body.document_ref.model_dump(exclude_none=True)) if body.document_ref else None,
                requested_by=requester,
                started_by=principal.subject,
                state=spec.initial,
                status=RUNNING,
                entry_seq=0,
                plan=dump(plans),
                start_key=idempotency_key,
                started_at=ctx.now,
            )
            InstanceRepository(session).add(instance)
            await session.flush()
            record_history(
                ctx, instance, "start", actor=principal.subject, to_state=spec.initial, data={"version": number}
            )
            record_event(
                session,
                PROCESS_STARTED,
                ProcessStarted(**_process_ref(instance), requested_by=requester, state=spec.initial),
                subject=instance.id,
            )
            key = body.definition
            ctx.callbacks.append(lambda: metrics.PROCESS_STARTS.labels(key).inc())
            ctx.callbacks.append(lambda: metrics.ACTIVE_PROCESSES.labels(key).inc())
            await _enter(ctx, instance, spec, spec.initial, actor=principal.subject)
            view = await instance_view(session, instance, spec)
    except IntegrityError:
        async with engine.transaction() as session:
            if idempotency_key is not None:
                existing = await InstanceRepository(session).by_start_key(idempotency_key)
                if existing is not None:
                    return await instance_view(session, existing), False
            running = await InstanceRepository(session).running_for(body.definition, body.business_key)
            if running is not None:
                raise _instance_exists(running) from None
        raise
    return view, True


def _process_ref(instance: Instance) -> dict[str, Any]:
    return {
        "instance_id": instance.id,
        "definition": instance.definition_key,
        "definition_version": instance.definition_number,
        "document_type": instance.document_type,
        "business_key": instance.business_key,
        "company_id": instance.company_id,
    }


# --- states, steps and tasks ------------------------------------------------------------------------


def assignment_data(assignments: Sequence[Assignment]) -> list[dict[str, Any]]:
    return [
        {
            key: str(value)
            for key, value in (("user_id", a.user_id), ("role", a.role), ("department", a.department))
            if value
        }
        for a in assignments
    ]


def _new_task(
    ctx: Ctx,
    instance: Instance,
    *,
    state: str,
    kind: str,
    step: int | None,
    step_name: str,
    seat: int,
    assignment: Assignment,
    actions: list[str],
    allow_self_approval: bool,
    sla: Sla | None,
    escalation_level: int = 0,
    on_timeout: str | None = None,
) -> Task:
    remind_at, due_at = sla_times(ctx.now, sla)
    task = Task(
        id=new_id(),
        instance_id=instance.id,
        state=state,
        entry_seq=instance.entry_seq,
        kind=kind,
        step=step,
        step_name=step_name,
        seat=seat,
        assignee_user_id=assignment.user_id,
        assignee_role=assignment.role,
        department=assignment.department,
        actions=dump(actions),
        allow_self_approval=allow_self_approval,
        status=OPEN,
        due_at=due_at,
        remind_at=remind_at,
        on_timeout=on_timeout or (sla.on_timeout if sla is not None else "notify"),
        escalation_level=escalation_level,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    TaskRepository(ctx.session).add(task)
    record_event(
        ctx.session,
        TASK_ASSIGNED,
        TaskAssigned(
            task_id=task.id,
            instance_id=instance.id,
            business_key=instance.business_key,
            document_type=instance.document_type,
            step=step_name,
            assignee_user_id=assignment.user_id,
            assignee_role=assignment.role,
            department=assignment.department,
            due_at=due_at,
        ),
        subject=instance.id,
    )
    if due_at is not None:
        ctx.effects.timers.append(
            TimerRequest(
                tenant_id=instance.tenant_id,
                instance_id=instance.id,
                workflow_id=_timer_id(instance, step, escalation_level, due_at),
                remind_at=remind_at,
                due_at=due_at,
            )
        )
    return task


def _timer_id(instance: Instance, step: int | None, escalation_level: int, due_at: dt.datetime) -> str:
    """The durable id of a task's SLA timer: starting it again (the sweep) never doubles it."""
    return f"wf-sla-{instance.id}-{instance.entry_seq}-{step or 0}-{escalation_level}-{int(due_at.timestamp())}"


def assign_seats(ctx: Ctx, instance: Instance, approver_seats: Sequence[Assignment], **task_fields: Any) -> list[Task]:
    return [
        _new_task(ctx, instance, seat=seat, assignment=item, **task_fields)
        for seat, item in enumerate(approver_seats, 1)
    ]


async def _open_step(ctx: Ctx, instance: Instance, spec: DefinitionSpec, state: State, order: int) -> None:
    plans = load(instance.plan)
    plan = plans[state.name]
    plan["current"] = order
    instance.plan = dump(plans)
    instance.current_step = order
    step = ApprovalStep.model_validate(plan["steps"][order - 1])
    document = load(instance.document)
    try:
        approver_seats = seats(step, document, instance.requested_by)
    except ResolutionError as error:
        raise _resolution_error(error) from None
    assign_seats(
        ctx,
        instance,
        approver_seats,
        state=state.name,
        kind="approval",
        step=order,
        step_name=step.name,
        actions=spec.task_actions(state),
        allow_self_approval=step.allow_self_approval,
        sla=step.sla,
    )
    record_history(
        ctx,
        instance,
        "step-started",
        actor=None,
        step=order,
        data={"step": step.name, "quorum": step.quorum, "assignees": assignment_data(approver_seats)},
    )


async def _enter(ctx: Ctx, instance: Instance, spec: DefinitionSpec, name: str, *, actor: uuid.UUID | None) -> None:
    state = spec.state(name)
    instance.state = name
    instance.entry_seq += 1
    instance.current_step = None
    instance.durable_id = None
    if state.kind == "final":
        await _finish(ctx, instance, state)
    elif state.kind == "approval":
        plan = load(instance.plan).get(name) or {"steps": [], "current": 1}
        if not plan["steps"] or plan["current"] > len(plan["steps"]):
            await take_transition(
                ctx, instance, spec, APPROVE, actor=None, comment="No approval needed for this document"
            )
        else:
            await _open_step(ctx, instance, spec, state, plan["current"])
    elif state.kind == "task":
        assert state.assignee is not None
        try:
            assignments = resolve(state.assignee, load(instance.document), instance.requested_by)
        except ResolutionError as error:
            raise _resolution_error(error) from None
        assign_seats(
            ctx,
            instance,
            assignments,
            state=name,
            kind="task",
            step=None,
            step_name=name,
            actions=spec.task_actions(state),
            allow_self_approval=state.assignee.type == "requester",
            sla=state.sla,
        )
    else:
        instance.durable_id = f"wf-system-{instance.id}-{instance.entry_seq}"
        ctx.effects.system_runs.append(
            SystemRunRequest(instance.tenant_id, instance.id, instance.entry_seq, instance.durable_id)
        )


async def take_transition(
    ctx: Ctx,
    instance: Instance,
    spec: DefinitionSpec,
    action: str,
    *,
    actor: uuid.UUID | None,
    comment: str | None,
    via: str | None = None,
) -> None:
    """Take the first transition for ``action`` out of the current state whose condition holds."""
    document = load(instance.document)
    context = expression_context(document, business_key=instance.business_key)
    transition = choose(spec.leaving(instance.state, action, via), context)
    if transition is None:
        raise AppError(
            409,
            "no_transition",
            f"No transition for '{action}' out of '{instance.state}' applies to this document",
            f"'{instance.state}' থেকে '{action}'-এর কোনো ধাপান্তর এই নথিতে প্রযোজ্য নয়",
        )
    await _withdraw_open(ctx, instance)
    from_state = instance.state
    record_history(
        ctx,
        instance,
        "transition",
        actor=actor,
        from_state=from_state,
        to_state=transition.to,
        comment=comment,
        data={"action": action},
    )
    record_event(
        ctx.session,
        PROCESS_TRANSITIONED,
        ProcessTransitioned(
            **_process_ref(instance), from_state=from_state, to_state=transition.to, action=action, actor=actor
        ),
        subject=instance.id,
    )
    await _enter(ctx, instance, spec, transition.to, actor=actor)


async def _finish(ctx: Ctx, instance: Instance, state: State) -> None:
    assert state.outcome is not None
    instance.status = state.outcome
    instance.completed_at = ctx.now
    await _withdraw_open(ctx, instance)
    duration = max(0.0, (ctx.now - instance.started_at).total_seconds())
    record_event(
        ctx.session,
        PROCESS_COMPLETED,
        ProcessCompleted(**_process_ref(instance), outcome=state.outcome, state=state.name, duration_seconds=duration),
        subject=instance.id,
    )
    key, outcome = instance.definition_key, state.outcome
    ctx.callbacks.append(lambda: metrics.PROCESS_ENDS.labels(key, outcome).inc())
    ctx.callbacks.append(lambda: metrics.ACTIVE_PROCESSES.labels(key).dec())


def close_task(
    ctx: Ctx, instance: Instance, task: Task, *, action: str, status: str, actor: uuid.UUID | None, comment: str | None
) -> None:
    task.status = status
    task.decision = action
    task.decided_by = actor
    task.decided_at = ctx.now
    task.comment = comment
    task.updated_at = ctx.now
    record_event(
        ctx.session,
        TASK_COMPLETED,
        TaskCompleted(
            task_id=task.id,
            instance_id=instance.id,
            business_key=instance.business_key,
            step=task.step_name,
            action=action,
            status=status,
            actor=actor,
            comment=comment,
        ),
        subject=instance.id,
    )
    seconds = max(0.0, (ctx.now - task.created_at).total_seconds())
    key = instance.definition_key
    ctx.callbacks.append(lambda: metrics.TASK_DURATION.labels(key, action).observe(seconds))


async def _withdraw_open(ctx: Ctx, instance: Instance, keep: uuid.UUID | None = None) -> None:
    for task in await TaskRepository(ctx.session).open_of_instance(instance.id):
        if task.id != keep:
            close_task(ctx, instance, task, action="withdraw", status="withdrawn", actor=None, comment=None)


async def _action_out(session: AsyncSession, entry: HistoryEntry, *, replayed: bool) -> ActionOut:
    instance = await InstanceRepository(session).get(entry.instance_id)
    assert instance is not None
    task = await TaskRepository(session).get(entry.task_id) if entry.task_id else None
    spec = await definition_spec(session, instance)
    return ActionOut(
        replayed=replayed,
        history_id=entry.id,
        task=task_out(task, instance) if task is not None else None,
        instance=summary(instance, spec),
    )


def _reason(body: TaskActionIn | InstanceActionIn) -> str | None:
    text = getattr(body, "reason", None) or body.comment
    return text.strip() if text and text.strip() else None


def _require_reason(text: str | None, action: str) -> str:
    if text is None:
        raise invalid_field("body.reason", f"a reason is required to {action}", "কারণ উল্লেখ করা আবশ্যক", "required")
    return text


async def act_on_task(
    engine: WorkflowEngine, principal: Principal, task_id: uuid.UUID, body: TaskActionIn, idempotency_key: str | None
) -> ActionOut:
    async with engine.transaction() as session:
        ctx = Ctx.open(session, engine)
        histories = HistoryRepository(session)
        if idempotency_key is not None:
            prior = await histories.by_idempotency_key(idempotency_key)
            if prior is not None:
                if prior.task_id != task_id or prior.actor != principal.subject or prior.action != body.action:
                    raise AppError(
                        409,
                        "idempotency_key_reused",
                        "This Idempotency-Key was used for another action",
                        "এই কী অন্য কাজে ব্যবহৃত হয়েছে",
                    )
                return await _action_out(session, prior, replayed=True)
        found = await TaskRepository(session).get(task_id)
        if found is None:
            raise not_found("Task", task_id, "কাজ")
        # Decisions on one process queue up behind its lock: a quorum is counted on committed votes.
        instance = await InstanceRepository(session).lock(found.instance_id)
        task = await TaskRepository(session).fresh(task_id)
        assert instance is not None
        assert task is not None
        if task.status != OPEN:
            if task.decided_by == principal.subject and task.decision == body.action:
                prior = await histories.last_decision(task.id)
                if prior is not None:
                    return await _action_out(session, prior, replayed=True)
            raise AppError(
                409,
                "task_closed",
                f"Task {task.id} is already {task.status}" + (f" ({task.decision})" if task.decision else ""),
                f"কাজ {task.id} ইতিমধ্যে {task.status}",
                extra={"status": task.status, "decided_by": str(task.decided_by) if task.decided_by else None},
            )
        offered = load(task.actions)
        if body.action not in offered:
            raise invalid_field(
                "body.action", f"must be one of: {', '.join(offered)}", f"এর একটি হতে হবে: {', '.join(offered)}", "enum"
            )
        standing = may_act(
            assignee_user=task.assignee_user_id,
            assignee_role=task.assignee_role,
            delegate_user=task.delegate_user_id,
            delegate_from=task.delegate_from,
            delegate_until=task.delegate_until,
            subject=principal.subject,
            roles=principal.roles,
            now=ctx.now,
        )
        if standing is None:
            raise AppError(
                403, "not_assignee", f"Task {task.id} is not assigned to you", f"কাজ {task.id} আপনাকে দেওয়া হয়নি"
            )
        spec = await definition_spec(session, instance)
        state = spec.state(task.state)
        entry = await _decide(ctx, instance, spec, state, task, principal, body, standing, idempotency_key)
        await session.flush()
        return await _action_out(session, entry, replayed=False)


async def _decide(
    ctx: Ctx,
    instance: Instance,
    spec: DefinitionSpec,
    state: State,
    task: Task,
    principal: Principal,
    body: TaskActionIn,
    standing: str,
    key: str | None,
) -> HistoryEntry:
    actor = principal.subject
    reason = _reason(body)
    action = body.action
    if action == COMMENT:
        return record_history(
            ctx, instance, COMMENT, actor=actor, task=task, comment=_require_reason(reason, "comment"), key=key
        )
    if action == DELEGATE:
        return _delegate(ctx, instance, task, body, actor, standing, reason, key)
    if action == APPROVE and actor == instance.requested_by and not task.allow_self_approval:
        raise AppError(
            403,
            "self_approval_refused",
            "You requested this; someone else must approve it",
            "আপনি নিজে আবেদন করেছেন; অন্য কাউকে অনুমোদন করতে হবে",
        )
    if state.kind == "approval":
        return await _decide_step(ctx, instance, spec, state, task, action, actor, reason, key)
    transitions = spec.leaving(state.name, action, "task")
    if any(item.comment_required for item in transitions):
        _require_reason(reason, action)
    close_task(ctx, instance, task, action=action, status="completed", actor=actor, comment=reason)
    entry = record_history(
        ctx, instance, action, actor=actor, task=task, from_state=state.name, comment=reason, key=key
    )
    await take_transition(ctx, instance, spec, action, actor=actor, comment=reason, via="task")
    return entry


async def _decide_step(
    ctx: Ctx,
    instance: Instance,
    spec: DefinitionSpec,
    state: State,
    task: Task,
    action: str,
    actor: uuid.UUID,
    reason: str | None,
    key: str | None,
) -> HistoryEntry:
    plan = load(instance.plan)[state.name]
    step = ApprovalStep.model_validate(plan["steps"][(task.step or 1) - 1])
    siblings = [
        item
        for item in await TaskRepository(ctx.session).of_step(instance.id, task.entry_seq, task.step)
        if item.id != task.id
    ]
    if any(item.decided_by == actor and item.decision == APPROVE for item in siblings):
        raise AppError(409, "already_decided", "You already approved this step", "এই ধাপে আপনি আগেই অনুমোদন দিয়েছেন")
    if action == REJECT:
        _require_reason(reason, "reject")
    if action == REQUEST_INFORMATION:
        _require_reason(reason, "request information")
    status = {APPROVE: "approved", REJECT: "rejected", REQUEST_INFORMATION: "information-requested"}[action]
    close_task(ctx, instance, task, action=action, status=status, actor=actor, comment=reason)
    entry = record_history(
        ctx, instance, action, actor=actor, task=task, from_state=state.name, comment=reason, key=key
    )
    if action == REQUEST_INFORMATION:
        await take_transition(ctx, instance, spec, REQUEST_INFORMATION, actor=actor, comment=reason, via="task")
        return entry
    approvals = sum(1 for item in siblings if item.status == "approved") + (action == APPROVE)
    still_open = sum(1 for item in siblings if item.status == OPEN)
    outcome = step_outcome(step.quorum, approvals, still_open)
    if outcome == "approved":
        await _withdraw_open(ctx, instance)
        if (task.step or 1) < len(plan["steps"]):
            await _open_step(ctx, instance, spec, state, (task.step or 1) + 1)
        else:
            await take_transition(ctx, instance, spec, APPROVE, actor=actor, comment=reason, via="task")
    elif outcome == "rejected":
        await take_transition(ctx, instance, spec, REJECT, actor=actor, comment=reason, via="task")
    return entry


def _delegate(
    ctx: Ctx,
    instance: Instance,
    task: Task,
    body: TaskActionIn,
    actor: uuid.UUID,
    standing: str,
    reason: str | None,
    key: str | None,
) -> HistoryEntry:
    if standing != "assignee":
        raise AppError(
            403, "not_allowed", "Only the task's assignee may delegate it", "শুধু দায়িত্বপ্রাপ্ত ব্যক্তি অর্পণ করতে পারেন"
        )
    if body.delegate_to is None:
        raise invalid_field(
            "body.delegate_to", "name the user to delegate to", "যাকে অর্পণ করবেন তাঁকে উল্লেখ করুন", "required"
        )
    if body.delegate_to == actor:
        raise invalid_field("body.delegate_to", "cannot delegate to yourself", "নিজেকে অর্পণ করা যায় না")
    if body.valid_until is None:
        raise invalid_field("body.valid_until", "a delegation needs an end", "অর্পণের শেষ সময় প্রয়োজন", "required")
    start = body.valid_from.astimezone(dt.UTC) if body.valid_from else ctx.now
    until = body.valid_until.astimezone(dt.UTC)
    if until <= max(start, ctx.now):
        raise invalid_field(
            "body.valid_until", "must be after valid_from and in the future", "শুরুর পরে ও ভবিষ্যতে হতে হবে"
        )
    if until - start > MAX_DELEGATION:
        raise invalid_field("body.valid_until", "a delegation lasts at most 90 days", "অর্পণ সর্বোচ্চ ৯০ দিন")
    task.delegate_user_id = body.delegate_to
    task.delegate_from = start
    task.delegate_until = until
    task.delegated_by = actor
    task.updated_at = ctx.now
    record_event(
        ctx.session,
        TASK_ASSIGNED,
        TaskAssigned(
            task_id=task.id,
            instance_id=instance.id,
            business_key=instance.business_key,
            document_type=instance.document_type,
            step=task.step_name,
            assignee_user_id=body.delegate_to,
            assignee_role=None,
            department=task.department,
            due_at=task.due_at,
            delegated=True,
        ),
        subject=instance.id,
    )
    return record_history(
        ctx,
        instance,
        DELEGATE,
        actor=actor,
        task=task,
        comment=reason,
        data={"to": str(body.delegate_to), "from": start.isoformat(), "until": until.isoformat()},
        key=key,
    )


async def act_on_instance(
    engine: WorkflowEngine, principal: Principal, instance_id: uuid.UUID, body: InstanceActionIn
) -> ActionOut:
    async with engine.transaction() as session:
        ctx = Ctx.open(session, engine)
        instance = await InstanceRepository(session).lock(instance_id)
        if instance is None:
            raise not_found("Process", instance_id, "প্রক্রিয়া")
        if instance.status != RUNNING:
            raise AppError(
                409, "instance_finished", f"Process {instance.id} has ended ({instance.status})", "প্রক্রিয়াটি শেষ হয়েছে"
            )
        spec = await definition_spec(session, instance)
        candidates = spec.leaving(instance.state, body.action, "instance")
        if not candidates:
            available = sorted(
                {item.action for item in spec.transitions if item.via == "instance" and item.leaves(instance.state)}
            )
            raise invalid_field(
                "body.action",
                f"not available in state {instance.state}; available: {', '.join(available) or 'none'}",
                f"অবস্থা {instance.state}-এ প্রযোজ্য নয়",
                "enum",
            )
        allowed = False
        for transition in candidates:
            if not transition.roles and transition.approver is None:
                allowed = True
            if set(transition.roles) & set(principal.roles):
                allowed = True
            if transition.approver is not None:
                try:
                    people = resolve(transition.approver, load(instance.document), instance.requested_by)
                except ResolutionError:
                    people = []
                if any(
                    item.user_id == principal.subject or (item.role and item.role in principal.roles) for item in people
                ):
                    allowed = True
        if not allowed:
            raise AppError(
                403,
                "not_allowed",
                f"You may not {body.action} this process",
                f"আপনি এই প্রক্রিয়ায় {body.action} করতে পারেন না",
            )
        reason = _reason(body)
        if any(item.comment_required for item in candidates):
            _require_reason(reason, body.action)
        entry = record_history(
            ctx, instance, body.action, actor=principal.subject, from_state=instance.state, comment=reason
        )
        await take_transition(ctx, instance, spec, body.action, actor=principal.subject, comment=reason, via="instance")
        await session.flush()
        return await _action_out(session, entry, replayed=False)
