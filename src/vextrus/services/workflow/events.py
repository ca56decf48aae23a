"""Events the workflow service publishes. Other services follow processes through these (and
start them through the API); the service consumes none."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel

from vextrus.kit.service import Consumer, Topic


class ProcessRef(BaseModel):
    instance_id: uuid.UUID
    definition: str
    definition_version: int
    document_type: str
    business_key: str
    company_id: uuid.UUID | None


class ProcessStarted(ProcessRef):
    requested_by: uuid.UUID
    state: str


class ProcessTransitioned(ProcessRef):
    from_state: str | None
    to_state: str
    action: str
    actor: uuid.UUID | None


class ProcessCompleted(ProcessRef):
    outcome: str
    state: str
    duration_seconds: float


class TaskAssigned(BaseModel):
    task_id: uuid.UUID
    instance_id: uuid.UUID
    business_key: str
    document_type: str
    step: str
    assignee_user_id: uuid.UUID | None
    assignee_role: str | None
    department: str | None
    due_at: dt.datetime | None
    delegated: bool = False


class TaskCompleted(BaseModel):
    task_id: uuid.UUID
    instance_id: uuid.UUID
    business_key: str
    step: str
    action: str
    status: str
    actor: uuid.UUID | None
    comment: str | None


class TaskReminded(BaseModel):
    task_id: uuid.UUID
    instance_id: uuid.UUID
    business_key: str
    assignee_user_id: uuid.UUID | None
    assignee_role: str | None
    due_at: dt.datetime | None


class SlaBreached(BaseModel):
    task_id: uuid.UUID
    instance_id: uuid.UUID
    definition: str
    business_key: str
    step: str
    due_at: dt.datetime
    on_timeout: str


class StepFinished(BaseModel):
    instance_id: uuid.UUID
    state: str
    step: str
    kind: str
    status: str
    attempts: int
    error: str | None


class NotificationRequested(BaseModel):
    instance_id: uuid.UUID
    business_key: str
    template: str
    recipient_user_ids: list[uuid.UUID]
    recipient_roles: list[str]
    data: dict[str, Any]


PROCESS_STARTED = Topic("workflow.process.started", ProcessStarted, "A process started; subject is the instance id.")
PROCESS_TRANSITIONED = Topic(
    "workflow.process.transitioned", ProcessTransitioned, "A process moved to another state (subject: instance id)."
)
PROCESS_COMPLETED = Topic(
    "workflow.process.completed",
    ProcessCompleted,
    "A process ended (completed, rejected, cancelled or failed); subject is the instance id.",
)
TASK_ASSIGNED = Topic(
    "workflow.task.assigned", TaskAssigned, "A task waits for a person or a role (or a delegate); subject: instance id."
)
TASK_COMPLETED = Topic("workflow.task.completed", TaskCompleted, "A task was decided or closed; subject: instance id.")
TASK_REMINDED = Topic("workflow.task.reminded", TaskReminded, "A task is close to its SLA deadline; subject: instance.")
SLA_BREACHED = Topic(
    "workflow.sla.breached", SlaBreached, "A task passed its SLA deadline (then escalated, rejected or notified)."
)
STEP_FINISHED = Topic(
    "workflow.step.finished", StepFinished, "A system step (or its compensation) finished; subject: instance id."
)
NOTIFICATION_REQUESTED = Topic(
    "workflow.notification.requested", NotificationRequested, "A process asks the notification service to notify."
)

PUBLISHES: tuple[Topic, ...] = (
    PROCESS_STARTED,
    PROCESS_TRANSITIONED,
    PROCESS_COMPLETED,
    TASK_ASSIGNED,
    TASK_COMPLETED,
    TASK_REMINDED,
    SLA_BREACHED,
    STEP_FINISHED,
    NOTIFICATION_REQUESTED,
)
HANDLERS: tuple[Consumer, ...] = ()
