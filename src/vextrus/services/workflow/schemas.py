"""Pydantic input and output models of the workflow API."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from vextrus.services.workflow.definitions import KEY_PATTERN, NAME_PATTERN, DefinitionSpec
from vextrus.services.workflow.models import BUSINESS_KEY_LENGTH, COMMENT_LENGTH, KEY_LENGTH

DEFINITION_KEY_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"


def _printable(value: str) -> str:
    if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
        raise ValueError("must not contain control characters")
    return value


SafeText = Annotated[str, AfterValidator(_printable)]
DefinitionKey = Annotated[str, Field(min_length=3, max_length=KEY_LENGTH, pattern=DEFINITION_KEY_PATTERN)]
BusinessKey = Annotated[SafeText, Field(min_length=1, max_length=BUSINESS_KEY_LENGTH)]
Comment = Annotated[SafeText, Field(max_length=COMMENT_LENGTH)]
ActionName = Annotated[str, Field(min_length=1, max_length=40, pattern=NAME_PATTERN)]
InstanceStatus = Literal["running", "completed", "rejected", "cancelled", "failed"]
TaskStatus = Literal[
    "open", "approved", "rejected", "information-requested", "completed", "withdrawn", "escalated", "expired"
]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- definitions ---------------------------------------------------------------------------------


class DefinitionCreate(_Input):
    key: DefinitionKey
    spec: DefinitionSpec
    comment: Annotated[SafeText, Field(max_length=500)] | None = None


class DefinitionVersionCreate(_Input):
    spec: DefinitionSpec
    comment: Annotated[SafeText, Field(max_length=500)] | None = None


class DefinitionOut(BaseModel):
    id: uuid.UUID
    key: str
    version: int
    is_current: bool
    source: Literal["builtin", "custom"]
    name: str
    name_bn: str | None
    document_type: str
    comment: str | None
    created_by: uuid.UUID | None
    created_at: dt.datetime


class DefinitionDetail(DefinitionOut):
    spec: dict[str, Any]
    versions: list[DefinitionOut]


class DefinitionList(BaseModel):
    items: list[DefinitionOut]


# --- instances -----------------------------------------------------------------------------------


class DocumentRef(_Input):
    """Where the document lives: the owning service, its type and id, and a link for people."""

    service: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9-]*$")]
    type: Annotated[str, Field(min_length=1, max_length=100, pattern=KEY_PATTERN)]
    id: Annotated[SafeText, Field(min_length=1, max_length=100)]
    url: Annotated[str, Field(max_length=500, pattern=r"^(https?://|/)")] | None = None


class InstanceStart(_Input):
    definition: DefinitionKey
    business_key: BusinessKey
    document: dict[str, Any] = Field(
        default_factory=dict,
        description="The document's fields the process needs: amount (decimal string), department, "
        "requested_by, manager_id, department_head_id, project_manager_id, ...",
    )
    document_ref: DocumentRef | None = None


class InstanceActionIn(_Input):
    action: ActionName
    comment: Comment | None = None


class TaskActionIn(_Input):
    action: ActionName = Field(description="approve | reject | request-information | delegate | comment | <transition>")
    comment: Comment | None = None
    reason: Comment | None = Field(default=None, description="Why (required to reject; same as comment)")
    delegate_to: uuid.UUID | None = Field(default=None, description="delegate: the user who may act instead")
    valid_from: AwareDatetime | None = Field(default=None, description="delegate: from (default now)")
    valid_until: AwareDatetime | None = Field(default=None, description="delegate: until (required)")


class TaskOut(BaseModel):
    id: uuid.UUID
    instance_id: uuid.UUID
    definition: str
    business_key: str
    document_type: str
    state: str
    kind: Literal["approval", "task"]
    step: int | None
    step_name: str
    seat: int
    assignee_user_id: uuid.UUID | None
    assignee_role: str | None
    department: str | None
    actions: list[str]
    status: str
    decision: str | None
    decided_by: uuid.UUID | None
    decided_at: dt.datetime | None
    comment: str | None
    due_at: dt.datetime | None
    remind_at: dt.datetime | None
    reminded_at: dt.datetime | None
    breached_at: dt.datetime | None
    on_timeout: str
    escalation_level: int
    delegate_user_id: uuid.UUID | None
    delegate_from: dt.datetime | None
    delegate_until: dt.datetime | None
    created_at: dt.datetime
    version: int


class HistoryOut(BaseModel):
    id: uuid.UUID
    action: str
    actor: uuid.UUID | None = Field(description="null: the system (timers, system steps)")
    task_id: uuid.UUID | None
    from_state: str | None
    to_state: str | None
    step: int | None
    comment: str | None
    data: Any
    at: dt.datetime


class ApprovalStepOut(BaseModel):
    order: int
    name: str
    label: str | None
    approver: dict[str, Any]
    quorum: int
    status: Literal["waiting", "active", "approved", "rejected"]
    sla_hours: float | None
    on_timeout: str | None
    tasks: list[TaskOut]


class ApprovalOut(BaseModel):
    state: str
    rule: dict[str, Any] | None = Field(description="The rule that computed the steps: key, version, evaluation_id")
    current_step: int | None
    steps: list[ApprovalStepOut]


class StepRunOut(BaseModel):
    state: str
    position: int
    name: str
    kind: Literal["action", "compensation", "delay"]
    status: str
    attempts: int
    executions: int
    result: Any
    error: str | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class InstanceSummary(BaseModel):
    id: uuid.UUID
    definition: str
    definition_version: int
    document_type: str
    business_key: str
    company_id: uuid.UUID | None
    requested_by: uuid.UUID
    state: str
    state_kind: str
    status: InstanceStatus
    current_step: int | None
    started_at: dt.datetime
    completed_at: dt.datetime | None
    version: int


class InstanceOut(InstanceSummary):
    document: dict[str, Any]
    document_ref: dict[str, Any] | None
    approvals: list[ApprovalOut]
    system_steps: list[StepRunOut]
    open_tasks: list[TaskOut]
    history: list[HistoryOut]


class ActionOut(BaseModel):
    replayed: bool = Field(description="True when this repeats an action already recorded (nothing changed)")
    history_id: uuid.UUID
    task: TaskOut | None
    instance: InstanceSummary


class SweepOut(BaseModel):
    reminded: int
    breached: int
    escalated: int
    rejected: int
    system_runs: int
