"""SLAs: reminders before the deadline, then at the deadline escalation, auto-rejection or a notice.

The same pass runs for one process when its durable timer wakes, and for a whole tenant in the
sweep (the scheduler's ``workflow.sla-sweep`` job), at the engine's clock (injectable). Each task
is handled in its own transaction under its process's lock, so a task handled elsewhere at the
same moment is skipped, and the pass is safe to repeat.
"""

from __future__ import annotations

import datetime as dt
import uuid

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from vextrus.kit.events import record_event
from vextrus.services.workflow import metrics
from vextrus.services.workflow.core import Ctx, definition_spec, load, record_history, spec_of
from vextrus.services.workflow.definitions import (
    REJECT,
    ApprovalChain,
    ApprovalStep,
    DefinitionSpec,
    Sla,
    State,
)
from vextrus.services.workflow.engine import SystemRunRequest, WorkflowEngine
from vextrus.services.workflow.events import (
    SLA_BREACHED,
    TASK_REMINDED,
    SlaBreached,
    TaskReminded,
)
from vextrus.services.workflow.logic import (
    ResolutionError,
    escalation_target,
    resolve,
)
from vextrus.services.workflow.models import OPEN, RUNNING, Instance, Task
from vextrus.services.workflow.repository import (
    DefinitionRepository,
    InstanceRepository,
    TaskRepository,
)
from vextrus.services.workflow.schemas import (
    SweepOut,
)
from vextrus.services.workflow.service import assign_seats, assignment_data, close_task, take_transition

log = structlog.get_logger("vextrus.workflow")

# --- SLAs ------------------------------------------------------------------------------------------------


def _step_sla(instance: Instance, spec: DefinitionSpec, task: Task) -> tuple[Sla | None, ApprovalChain | None, State]:
    state = spec.state(task.state)
    if task.kind == "approval":
        plan = load(instance.plan)[task.state]
        step = ApprovalStep.model_validate(plan["steps"][(task.step or 1) - 1])
        return step.sla, state.approval, state
    return state.sla, None, state


async def _remind(ctx: Ctx, instance: Instance, task: Task) -> bool:
    if task.status != OPEN or task.reminded_at is not None:
        return False
    task.reminded_at = ctx.now
    task.updated_at = ctx.now
    record_history(
        ctx,
        instance,
        "reminder",
        actor=None,
        task=task,
        data={"due_at": task.due_at.isoformat() if task.due_at else None},
    )
    record_event(
        ctx.session,
        TASK_REMINDED,
        TaskReminded(
            task_id=task.id,
            instance_id=instance.id,
            business_key=instance.business_key,
            assignee_user_id=task.assignee_user_id,
            assignee_role=task.assignee_role,
            due_at=task.due_at,
        ),
        subject=instance.id,
    )
    return True


async def _breach(ctx: Ctx, instance: Instance, spec: DefinitionSpec, task: Task, counts: dict[str, int]) -> None:
    if task.status != OPEN or task.breached_at is not None or task.due_at is None:
        return
    task.breached_at = ctx.now
    task.updated_at = ctx.now
    counts["breached"] += 1
    record_history(
        ctx,
        instance,
        "sla-breached",
        actor=None,
        task=task,
        data={"due_at": task.due_at.isoformat(), "on_timeout": task.on_timeout},
    )
    record_event(
        ctx.session,
        SLA_BREACHED,
        SlaBreached(
            task_id=task.id,
            instance_id=instance.id,
            definition=instance.definition_key,
            business_key=instance.business_key,
            step=task.step_name,
            due_at=task.due_at,
            on_timeout=task.on_timeout,
        ),
        subject=instance.id,
    )
    key, on_timeout = instance.definition_key, task.on_timeout
    ctx.callbacks.append(lambda: metrics.SLA_BREACHES.labels(key, on_timeout).inc())
    if instance.status != RUNNING or instance.state != task.state:
        return
    sla, chain, state = _step_sla(instance, spec, task)
    can_reject = bool(spec.leaving(state.name, REJECT))
    if task.on_timeout == "escalate":
        target = escalation_target(sla, chain)
        try:
            assignments = resolve(target, load(instance.document), instance.requested_by)
        except ResolutionError:
            assignments = resolve(escalation_target(None, None), {}, instance.requested_by)
        close_task(ctx, instance, task, action="escalate", status="escalated", actor=None, comment="SLA breached")
        renewed = Sla(hours=sla.hours if sla else 24.0, on_timeout="reject" if can_reject else "notify")
        assign_seats(
            ctx,
            instance,
            assignments,
            state=task.state,
            kind=task.kind,
            step=task.step,
            step_name=task.step_name,
            actions=load(task.actions),
            allow_self_approval=task.allow_self_approval,
            sla=renewed,
            escalation_level=task.escalation_level + 1,
        )
        record_history(ctx, instance, "escalated", actor=None, task=task, data={"to": assignment_data(assignments)})
        counts["escalated"] += 1
    elif task.on_timeout == "reject" and can_reject:
        close_task(
            ctx,
            instance,
            task,
            action=REJECT,
            status="expired",
            actor=None,
            comment="SLA breached: rejected automatically",
        )
        record_history(ctx, instance, "auto-reject", actor=None, task=task, from_state=task.state)
        await take_transition(ctx, instance, spec, REJECT, actor=None, comment="SLA breached: rejected automatically")
        counts["rejected"] += 1


async def _sla_pass(
    engine: WorkflowEngine, tenant_id: uuid.UUID, now: dt.datetime, instance_id: uuid.UUID | None
) -> dict[str, int]:
    counts = {"reminded": 0, "breached": 0, "escalated": 0, "rejected": 0}
    limit = engine.settings.sweep_batch_size
    async with engine.transaction(tenant_id) as session:
        tasks = TaskRepository(session)
        if instance_id is None:
            remind = [task.id for task in await tasks.due_for_reminder(now, limit)]
            breach = [task.id for task in await tasks.past_due(now, limit)]
        else:
            opened = await tasks.open_of_instance(instance_id)
            remind = [t.id for t in opened if t.reminded_at is None and t.remind_at is not None and t.remind_at <= now]
            breach = [t.id for t in opened if t.breached_at is None and t.due_at is not None and t.due_at <= now]
    for ids, handler in ((remind, "remind"), (breach, "breach")):
        for task_id in ids:
            try:
                async with engine.transaction(tenant_id) as session:
                    ctx = Ctx.open(session, engine, now)
                    found = await TaskRepository(session).get(task_id)
                    if found is None:
                        continue
                    instance = await InstanceRepository(session).lock(found.instance_id)
                    task = await TaskRepository(session).fresh(task_id)
                    assert instance is not None
                    assert task is not None
                    if handler == "remind":
                        if task.due_at is None or task.due_at > now:
                            counts["reminded"] += await _remind(ctx, instance, task)
                    else:
                        spec = await definition_spec(session, instance)
                        await _breach(ctx, instance, spec, task, counts)
            except (StaleDataError, IntegrityError):
                log.info("sla_task_taken_by_another", task_id=str(task_id))
    return counts


async def sweep(engine: WorkflowEngine, tenant_id: uuid.UUID) -> SweepOut:
    """Remind, breach (escalate or auto-reject) at the engine's clock, and restart any system run
    whose start was lost (same durable ids, so a running one is never started twice)."""
    now = engine.now()
    counts = await _sla_pass(engine, tenant_id, now, None)
    restarted = 0
    async with engine.transaction(tenant_id) as session:
        ctx = Ctx.open(session, engine, now)
        repository = InstanceRepository(session)
        definitions = DefinitionRepository(session)
        states: dict[uuid.UUID, set[str]] = {}
        for definition_id in await repository.running_definitions():
            definition = await definitions.get(definition_id)
            if definition is not None:
                states[definition_id] = {state.name for state in spec_of(definition).states if state.kind == "system"}
        for instance in await repository.in_system_states(states):
            if instance.durable_id:
                ctx.effects.system_runs.append(
                    SystemRunRequest(instance.tenant_id, instance.id, instance.entry_seq, instance.durable_id)
                )
                restarted += 1
    return SweepOut(system_runs=restarted, **counts)


async def apply_sla(engine: WorkflowEngine, tenant_id: uuid.UUID, instance_id: uuid.UUID) -> dict[str, int]:
    """The SLA pass of one process (what its durable timer runs when it wakes)."""
    return await _sla_pass(engine, tenant_id, engine.now(), instance_id)
