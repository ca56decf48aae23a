"""Reading processes and tasks: the API's views of the service's rows (no changes here)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vextrus.kit.errors import not_found
from vextrus.kit.pagination import Page, PageRequest
from vextrus.kit.tenancy import Principal
from vextrus.services.workflow.core import definition_spec, load
from vextrus.services.workflow.definitions import (
    ApprovalStep,
    DefinitionSpec,
)
from vextrus.services.workflow.models import OPEN, HistoryEntry, Instance, StepRun, Task
from vextrus.services.workflow.repository import (
    HistoryRepository,
    InstanceRepository,
    StepRunRepository,
    TaskRepository,
)
from vextrus.services.workflow.schemas import (
    ApprovalOut,
    ApprovalStepOut,
    HistoryOut,
    InstanceOut,
    InstanceSummary,
    StepRunOut,
    TaskOut,
)


def task_out(task: Task, instance: Instance) -> TaskOut:
    return TaskOut(
        id=task.id,
        instance_id=task.instance_id,
        definition=instance.definition_key,
        business_key=instance.business_key,
        document_type=instance.document_type,
        state=task.state,
        kind=task.kind,
        step=task.step,
        step_name=task.step_name,
        seat=task.seat,
        assignee_user_id=task.assignee_user_id,
        assignee_role=task.assignee_role,
        department=task.department,
        actions=load(task.actions),
        status=task.status,
        decision=task.decision,
        decided_by=task.decided_by,
        decided_at=task.decided_at,
        comment=task.comment,
        due_at=task.due_at,
        remind_at=task.remind_at,
        reminded_at=task.reminded_at,
        breached_at=task.breached_at,
        on_timeout=task.on_timeout,
        escalation_level=task.escalation_level,
        delegate_user_id=task.delegate_user_id,
        delegate_from=task.delegate_from,
        delegate_until=task.delegate_until,
        created_at=task.created_at,
        version=task.version,
    )


def summary(instance: Instance, spec: DefinitionSpec | None = None) -> InstanceSummary:
    kind = "unknown"
    if spec is not None:
        try:
            kind = spec.state(instance.state).kind
        except KeyError:
            kind = "unknown"
    return InstanceSummary(
        id=instance.id,
        definition=instance.definition_key,
        definition_version=instance.definition_number,
        document_type=instance.document_type,
        business_key=instance.business_key,
        company_id=instance.company_id,
        requested_by=instance.requested_by,
        state=instance.state,
        state_kind=kind,
        status=instance.status,
        current_step=instance.current_step,
        started_at=instance.started_at,
        completed_at=instance.completed_at,
        version=instance.version,
    )


# --- reading ----------------------------------------------------------------------------------------------


def _history_out(entry: HistoryEntry) -> HistoryOut:
    return HistoryOut(
        id=entry.id,
        action=entry.action,
        actor=entry.actor,
        task_id=entry.task_id,
        from_state=entry.from_state,
        to_state=entry.to_state,
        step=entry.step,
        comment=entry.comment,
        data=load(entry.data),
        at=entry.at,
    )


def _run_out(run: StepRun) -> StepRunOut:
    return StepRunOut(
        state=run.state,
        position=run.position,
        name=run.name,
        kind=run.kind,
        status=run.status,
        attempts=run.attempts,
        executions=run.executions,
        result=load(run.result),
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _approvals(instance: Instance, tasks: Sequence[Task]) -> list[ApprovalOut]:
    result = []
    for state_name, plan in load(instance.plan).items():
        steps_out = []
        for order, raw in enumerate(plan["steps"], start=1):
            step = ApprovalStep.model_validate(raw)
            mine = [task for task in tasks if task.state == state_name and task.step == order]
            latest = max((task.entry_seq for task in mine), default=None)
            current = [task for task in mine if task.entry_seq == latest]
            approvals = sum(1 for task in current if task.status == "approved")
            still_open = sum(1 for task in current if task.status == OPEN)
            refused = any(task.status in ("rejected", "expired") for task in current)
            status = "waiting"
            if approvals >= step.quorum:
                status = "approved"
            elif still_open:
                status = "active"
            elif refused and approvals + still_open < step.quorum:
                status = "rejected"
            steps_out.append(
                ApprovalStepOut(
                    order=order,
                    name=step.name,
                    label=step.label,
                    approver=step.approver.model_dump(mode="json", exclude_none=True),
                    quorum=step.quorum,
                    status=status,
                    sla_hours=step.sla.hours if step.sla else None,
                    on_timeout=step.sla.on_timeout if step.sla else None,
                    tasks=[task_out(task, instance) for task in mine],
                )
            )
        current_step = instance.current_step if instance.state == state_name else None
        result.append(ApprovalOut(state=state_name, rule=plan.get("rule"), current_step=current_step, steps=steps_out))
    return result


async def instance_view(session: AsyncSession, instance: Instance, spec: DefinitionSpec | None = None) -> InstanceOut:
    spec = spec or await definition_spec(session, instance)
    tasks = await TaskRepository(session).of_instance(instance.id)
    history = await HistoryRepository(session).of_instance(instance.id)
    runs = await StepRunRepository(session).of_instance(instance.id)
    return InstanceOut(
        **summary(instance, spec).model_dump(),
        document=load(instance.document),
        document_ref=load(instance.document_ref),
        approvals=_approvals(instance, tasks),
        system_steps=[_run_out(run) for run in runs],
        open_tasks=[task_out(task, instance) for task in tasks if task.status == OPEN],
        history=[_history_out(entry) for entry in history],
    )


async def get_instance(session: AsyncSession, instance_id: uuid.UUID) -> InstanceOut:
    instance = await InstanceRepository(session).get(instance_id)
    if instance is None:
        raise not_found("Process", instance_id, "প্রক্রিয়া")
    return await instance_view(session, instance)


async def list_instances(session: AsyncSession, page: PageRequest, **filters: Any) -> Page[InstanceSummary]:
    rows = await InstanceRepository(session).page(page, **filters)
    specs: dict[uuid.UUID, DefinitionSpec] = {}
    items = []
    for row in rows.items:
        if row.definition_id not in specs:
            specs[row.definition_id] = await definition_spec(session, row)
        items.append(summary(row, specs[row.definition_id]))
    return Page[InstanceSummary](items=items, next_cursor=rows.next_cursor)


async def list_tasks(
    session: AsyncSession,
    page: PageRequest,
    principal: Principal,
    now: dt.datetime,
    *,
    mine: bool,
    status: str | None,
    instance_id: uuid.UUID | None,
    definition: str | None,
) -> Page[TaskOut]:
    rows = await TaskRepository(session).page(
        page,
        mine=(principal.subject, principal.roles, now) if mine else None,
        status=status,
        instance_id=instance_id,
        definition=definition,
    )
    instances: dict[uuid.UUID, Instance] = {}
    items = []
    for task in rows.items:
        if task.instance_id not in instances:
            found = await InstanceRepository(session).get(task.instance_id)
            assert found is not None
            instances[task.instance_id] = found
        items.append(task_out(task, instances[task.instance_id]))
    return Page[TaskOut](items=items, next_cursor=rows.next_cursor)


async def get_task(session: AsyncSession, task_id: uuid.UUID) -> TaskOut:
    task = await TaskRepository(session).get(task_id)
    if task is None:
        raise not_found("Task", task_id, "কাজ")
    instance = await InstanceRepository(session).get(task.instance_id)
    assert instance is not None
    return task_out(task, instance)
