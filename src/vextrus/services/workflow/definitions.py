"""Process definitions as data: states, transitions, approval chains, SLAs and system steps.

A definition is a JSON document validated by :class:`DefinitionSpec`. States are of four kinds:

- ``approval``: an ordered chain of approval steps, static or computed by a rule of the rules
  service (amount tiers); each step has approvers (a resolver), an optional quorum (n of m), an
  SLA with reminder and escalation or auto-reject, and refuses self-approval unless allowed. When
  the last step approves, the state's ``approve`` transition is taken; a rejection takes
  ``reject``; a request for information takes ``request-information``.
- ``task``: one task for the state's assignee; the task's actions are the transitions leaving
  the state (e.g. ``complete``, ``resubmit``).
- ``system``: system steps (HTTP calls to other services, notifications, durable delays) run by
  the durable runtime with retries and timeouts; a failure compensates the completed steps in
  reverse order, then takes ``failed``; success takes ``completed``.
- ``final``: the process ends with the state's ``outcome``.

Conditions are ZEN expressions (the rules engine's expression language, evaluated by zen-engine,
never Python ``eval``) over the document: ``number(amount) > 100000 and department == "civil"``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

import zen
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

NAME_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"
KEY_PATTERN = r"^[a-z][a-z0-9]*(?:[-.][a-z0-9]+)*$"
SERVICE_PATTERN = r"^[a-z][a-z0-9-]*$"
PERMISSION_PATTERN = r"^[a-z][a-z0-9-]*(?:\.[a-z0-9*-]+){1,3}$"

Name = Annotated[str, Field(min_length=1, max_length=60, pattern=NAME_PATTERN)]
Role = Annotated[str, Field(min_length=1, max_length=60, pattern=NAME_PATTERN)]
Label = Annotated[str, Field(min_length=1, max_length=200)]

# Actions a task offers in an approval state, besides the transitions that leave it.
APPROVE, REJECT, REQUEST_INFORMATION = "approve", "reject", "request-information"
DELEGATE, COMMENT = "delegate", "comment"
CHAIN_ACTIONS = (APPROVE, REJECT, REQUEST_INFORMATION)
TASK_SIDE_ACTIONS = (DELEGATE, COMMENT)
# Transitions the durable runtime takes when a system state ends.
SYSTEM_COMPLETED, SYSTEM_FAILED = "completed", "failed"
ANY_STATE = "*"
MAX_SLA_HOURS = 24 * 365


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def check_expression(expression: str) -> str:
    """A ZEN expression that compiles, or ValueError with the parser's message."""
    error = zen.validate_expression(expression)
    if error:
        raise ValueError(f"not a valid ZEN expression: {error.get('source', error)}")
    return expression


Expression = Annotated[str, Field(min_length=1, max_length=1000)]


class Approver(_Spec):
    """Who acts: resolved when tasks are created (see :mod:`vextrus.services.workflow.resolvers`).

    - ``user``: ``user_id``; ``users``: ``user_ids`` (with a quorum, n of these m people)
    - ``role``: anyone holding ``role`` (their inbox shows it)
    - ``requester``: the person who asked
    - ``manager``: the requester's manager (``document.manager_id``)
    - ``department-head``: ``document.department_head_id``, else the ``department-head`` role
    - ``project-manager``: ``document.project_manager_id``, else the ``project-manager`` role
    """

    type: Literal["user", "users", "role", "requester", "manager", "department-head", "project-manager"]
    user_id: uuid.UUID | None = None
    user_ids: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=20)
    role: Role | None = None
    department: Annotated[str, Field(min_length=1, max_length=100)] | None = None

    @model_validator(mode="after")
    def _needs(self) -> Approver:
        if self.type == "user" and self.user_id is None:
            raise ValueError("an approver of type 'user' needs user_id")
        if self.type == "users" and not self.user_ids:
            raise ValueError("an approver of type 'users' needs user_ids")
        if self.type == "role" and not self.role:
            raise ValueError("an approver of type 'role' needs role")
        return self


class Sla(_Spec):
    """How long a step may wait, when to remind, and what happens at the deadline."""

    hours: float = Field(gt=0, le=MAX_SLA_HOURS)
    remind_before_hours: float | None = Field(default=None, gt=0, le=MAX_SLA_HOURS)
    on_timeout: Literal["escalate", "reject", "notify"] = "notify"
    escalate_to: Approver | None = None

    @model_validator(mode="after")
    def _reminder_inside(self) -> Sla:
        if self.remind_before_hours is not None and self.remind_before_hours >= self.hours:
            raise ValueError("remind_before_hours must be shorter than hours")
        return self


class ApprovalStep(_Spec):
    name: Name
    label: Label | None = None
    approver: Approver
    quorum: int = Field(default=1, ge=1, le=20, description="Approvals needed (n of the m approvers)")
    sla: Sla | None = None
    allow_self_approval: bool = False
    when: Expression | None = Field(default=None, description="Include the step only when this is true")

    @field_validator("when")
    @classmethod
    def _when(cls, value: str | None) -> str | None:
        return None if value is None else check_expression(value)

    @model_validator(mode="after")
    def _quorum_fits(self) -> ApprovalStep:
        if self.approver.type == "users" and self.approver.user_ids and self.quorum > len(self.approver.user_ids):
            raise ValueError("quorum exceeds the number of approvers")
        return self


class ApprovalChain(_Spec):
    """Either static ``steps`` or a ``rule`` of the rules service that computes them."""

    rule: Annotated[str, Field(min_length=1, max_length=100, pattern=KEY_PATTERN)] | None = None
    steps: list[ApprovalStep] = Field(default_factory=list, max_length=20)
    allow_self_approval: bool = False
    escalate_to: Approver | None = None
    remind_before_hours: float | None = Field(default=None, gt=0, le=MAX_SLA_HOURS)

    @model_validator(mode="after")
    def _one_source(self) -> ApprovalChain:
        if (self.rule is None) == (not self.steps):
            raise ValueError("an approval chain has either a rule or steps (not both, not neither)")
        names = [step.name for step in self.steps]
        if len(names) != len(set(names)):
            raise ValueError("approval step names must be unique")
        return self


class SystemAction(_Spec):
    """What a system step does.

    - ``http``: call ``service`` (through the platform's service clients) as the workflow service
      holding ``permissions`` in the tenant; ``body`` strings may hold ``{{document.amount}}``,
      ``{{instance.id}}``, ``{{instance.business_key}}`` or ``{{steps.<name>.<field>}}``.
    - ``notify``: publish ``workflow.notification.requested`` for the notification service.
    - ``delay``: wait ``seconds`` durably (survives restarts, keeps its deadline).
    """

    kind: Literal["http", "notify", "delay"]
    service: Annotated[str, Field(max_length=60, pattern=SERVICE_PATTERN)] | None = None
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "POST"
    path: Annotated[str, Field(max_length=500, pattern=r"^/api/")] | None = None
    body: dict[str, Any] | None = None
    permissions: list[Annotated[str, Field(max_length=100, pattern=PERMISSION_PATTERN)]] = Field(
        default_factory=list, max_length=20
    )
    if_unavailable: Literal["fail", "skip"] = Field(
        default="fail", description="`skip` when the target service is not deployed at all"
    )
    template: Annotated[str, Field(max_length=100, pattern=KEY_PATTERN)] | None = None
    to: Approver | None = None
    seconds: float | None = Field(default=None, gt=0, le=MAX_SLA_HOURS * 3600)

    @model_validator(mode="after")
    def _needs(self) -> SystemAction:
        if self.kind == "http" and (self.service is None or self.path is None):
            raise ValueError("an http action needs service and path")
        if self.kind == "notify" and (self.template is None or self.to is None):
            raise ValueError("a notify action needs template and to")
        if self.kind == "delay" and self.seconds is None:
            raise ValueError("a delay action needs seconds")
        return self


class SystemStep(_Spec):
    name: Name
    label: Label | None = None
    action: SystemAction
    compensation: SystemAction | None = None
    retries: int = Field(default=3, ge=0, le=10, description="Further attempts after a transient failure")
    retry_delay_seconds: float = Field(default=2.0, ge=0, le=3600)
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _compensation_kind(self) -> SystemStep:
        if self.compensation is not None and self.compensation.kind == "delay":
            raise ValueError("a compensation cannot be a delay")
        return self


class State(_Spec):
    name: Name
    kind: Literal["approval", "task", "system", "final"]
    label: Label | None = None
    label_bn: Label | None = None
    approval: ApprovalChain | None = None
    assignee: Approver | None = None
    sla: Sla | None = None
    steps: list[SystemStep] = Field(default_factory=list, max_length=20)
    outcome: Literal["completed", "rejected", "cancelled", "failed"] | None = None

    @model_validator(mode="after")
    def _fits_kind(self) -> State:
        if self.kind == "approval" and self.approval is None:
            raise ValueError(f"approval state {self.name!r} needs an approval chain")
        if self.kind == "task" and self.assignee is None:
            raise ValueError(f"task state {self.name!r} needs an assignee")
        if self.kind == "system" and not self.steps:
            raise ValueError(f"system state {self.name!r} needs steps")
        if self.kind == "final" and self.outcome is None:
            raise ValueError(f"final state {self.name!r} needs an outcome")
        if self.kind != "final" and self.outcome is not None:
            raise ValueError(f"only final states have an outcome ({self.name!r})")
        names = [step.name for step in self.steps]
        if len(names) != len(set(names)):
            raise ValueError(f"system step names must be unique in {self.name!r}")
        return self


class Transition(_Spec):
    action: Name
    from_: list[Annotated[str, Field(min_length=1, max_length=60)]] = Field(alias="from", min_length=1, max_length=30)
    to: Name
    via: Literal["task", "instance"] = Field(
        default="task", description="`instance`: taken with POST /instances/{id}/actions (e.g. cancel)"
    )
    roles: list[Role] = Field(default_factory=list, max_length=20)
    approver: Approver | None = None
    condition: Expression | None = None
    comment_required: bool = False

    @field_validator("condition")
    @classmethod
    def _condition(cls, value: str | None) -> str | None:
        return None if value is None else check_expression(value)

    def leaves(self, state: str) -> bool:
        return state in self.from_ or ANY_STATE in self.from_


class DefinitionSpec(_Spec):
    document_type: Annotated[str, Field(min_length=1, max_length=100, pattern=KEY_PATTERN)]
    name: Label
    name_bn: Label | None = None
    description: Annotated[str, Field(max_length=1000)] | None = None
    initial: Name
    states: list[State] = Field(min_length=2, max_length=50)
    transitions: list[Transition] = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _consistent(self) -> DefinitionSpec:
        names = [state.name for state in self.states]
        if len(names) != len(set(names)):
            raise ValueError("state names must be unique")
        known = set(names)
        by_name = {state.name: state for state in self.states}
        if self.initial not in known:
            raise ValueError(f"initial state {self.initial!r} is not a state")
        if by_name[self.initial].kind == "final":
            raise ValueError("the initial state cannot be final")
        if not any(state.kind == "final" for state in self.states):
            raise ValueError("a definition needs at least one final state")
        for transition in self.transitions:
            unknown = [name for name in transition.from_ if name != ANY_STATE and name not in known]
            if unknown:
                raise ValueError(f"transition {transition.action!r} leaves unknown state {unknown[0]!r}")
            if transition.to not in known:
                raise ValueError(f"transition {transition.action!r} goes to unknown state {transition.to!r}")
            for name in transition.from_:
                if name != ANY_STATE and by_name[name].kind == "final":
                    raise ValueError(f"transition {transition.action!r} leaves final state {name!r}")
        for state in self.states:
            leaving = {item.action for item in self.transitions if item.leaves(state.name)}
            if state.kind == "approval" and not {APPROVE, REJECT} <= leaving:
                raise ValueError(f"approval state {state.name!r} needs 'approve' and 'reject' transitions")
            if state.kind == "system" and not {SYSTEM_COMPLETED, SYSTEM_FAILED} <= leaving:
                raise ValueError(f"system state {state.name!r} needs 'completed' and 'failed' transitions")
            if state.kind == "task" and not leaving:
                raise ValueError(f"task state {state.name!r} has no transition leaving it")
        return self

    def state(self, name: str) -> State:
        for state in self.states:
            if state.name == name:
                return state
        raise KeyError(name)

    def leaving(self, state: str, action: str, via: str | None = None) -> list[Transition]:
        """Transitions for ``action`` out of ``state``, in definition order (first true condition wins)."""
        return [
            item
            for item in self.transitions
            if item.action == action and item.leaves(state) and (via is None or item.via == via)
        ]

    def task_actions(self, state: State) -> list[str]:
        """The actions a task of ``state`` offers."""
        if state.kind == "approval":
            leaving = {item.action for item in self.transitions if item.leaves(state.name) and item.via == "task"}
            chain = [APPROVE, REJECT] + ([REQUEST_INFORMATION] if REQUEST_INFORMATION in leaving else [])
            return [*chain, *TASK_SIDE_ACTIONS]
        own = [item.action for item in self.transitions if item.leaves(state.name) and item.via == "task"]
        return [*dict.fromkeys(own), *TASK_SIDE_ACTIONS]
