"""Pure rules of the workflow engine: who approves, when a step is decided, which transition a
condition picks, when SLAs fall due, what a rule's output means. No I/O; tested with tables."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import zen

from vextrus.services.workflow.definitions import ApprovalChain, ApprovalStep, Approver, Sla, Transition

DEFAULT_ESCALATION_ROLE = "tenant-admin"
HOUR = dt.timedelta(hours=1)


class ResolutionError(ValueError):
    """An approver cannot be resolved from the document (e.g. no ``manager_id``)."""

    def __init__(self, field: str, reason: str, reason_bn: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.reason_bn = reason_bn


@dataclass(frozen=True)
class Assignment:
    """One seat of a task: a named user, or anyone holding a role (scoped to a department for display)."""

    user_id: uuid.UUID | None = None
    role: str | None = None
    department: str | None = None


def _document_user(document: Mapping[str, Any], field: str) -> uuid.UUID | None:
    raw = document.get(field)
    if raw is None:
        return None
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise ResolutionError(
            f"document.{field}", "must be a user id (UUID)", "একটি ব্যবহারকারী আইডি (UUID) হতে হবে"
        ) from None


def resolve(approver: Approver, document: Mapping[str, Any], requester: uuid.UUID) -> list[Assignment]:
    """The seats an approver resolves to, for this document and requester."""
    department = approver.department or _text(document.get("department"))
    match approver.type:
        case "user":
            return [Assignment(user_id=approver.user_id)]
        case "users":
            return [Assignment(user_id=user) for user in dict.fromkeys(approver.user_ids or ())]
        case "role":
            return [Assignment(role=approver.role, department=approver.department)]
        case "requester":
            return [Assignment(user_id=requester)]
        case "manager":
            manager = _document_user(document, "manager_id")
            if manager is None:
                raise ResolutionError(
                    "document.manager_id",
                    "the requester's manager is needed to route this approval",
                    "অনুমোদনের জন্য আবেদনকারীর ব্যবস্থাপক প্রয়োজন",
                )
            return [Assignment(user_id=manager)]
        case "department-head":
            head = _document_user(document, "department_head_id")
            if head is not None:
                return [Assignment(user_id=head, department=department)]
            return [Assignment(role="department-head", department=department)]
        case "project-manager":
            manager = _document_user(document, "project_manager_id")
            if manager is not None:
                return [Assignment(user_id=manager)]
            return [Assignment(role="project-manager", department=department)]
    raise AssertionError(approver.type)  # pragma: no cover - Literal is exhaustive


def seats(step: ApprovalStep, document: Mapping[str, Any], requester: uuid.UUID) -> list[Assignment]:
    """The tasks of a step: one per resolved person, or ``quorum`` seats of one role."""
    resolved = resolve(step.approver, document, requester)
    if len(resolved) == 1 and resolved[0].user_id is None:
        return resolved * step.quorum
    if step.quorum > len(resolved):
        raise ResolutionError(
            "document",
            f"step {step.name!r} needs {step.quorum} approvers but resolves to {len(resolved)}",
            f"ধাপ {step.name!r}-এ {step.quorum} জন অনুমোদনকারী প্রয়োজন, পাওয়া গেছে {len(resolved)} জন",
        )
    return resolved


StepOutcome = Literal["approved", "rejected", "pending"]


def step_outcome(quorum: int, approvals: int, open_seats: int) -> StepOutcome:
    """A step is approved at ``quorum`` approvals, rejected once the quorum is out of reach."""
    if approvals >= quorum:
        return "approved"
    if approvals + open_seats < quorum:
        return "rejected"
    return "pending"


def expression_context(document: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """What conditions see: the document's fields at the top level and as ``document``."""
    return {**document, "document": dict(document), **extra}


def holds(expression: str | None, context: Mapping[str, Any]) -> bool:
    """Whether a ZEN condition is true (no condition: true; an evaluation error: false)."""
    if expression is None:
        return True
    try:
        return zen.evaluate_expression(expression, dict(context)) is True
    except RuntimeError:
        return False


def choose(candidates: Sequence[Transition], context: Mapping[str, Any]) -> Transition | None:
    """The first transition whose condition holds."""
    for transition in candidates:
        if holds(transition.condition, context):
            return transition
    return None


def chain_steps(chain: ApprovalChain, document: Mapping[str, Any]) -> list[ApprovalStep]:
    """A static chain's steps that apply to this document (``when`` conditions)."""
    context = expression_context(document)
    return [step for step in chain.steps if holds(step.when, context)]


@dataclass(frozen=True)
class RulePlan:
    allowed: bool
    auto_approve: bool
    steps: list[ApprovalStep]
    reason: str | None


def _step_from_rule(item: Mapping[str, Any], chain: ApprovalChain, position: int) -> ApprovalStep:
    role = str(item.get("role") or "").strip().lower()
    if not re.fullmatch(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*", role):
        raise ValueError(f"step {position} of the rule's output has no valid role")
    department = _text(item.get("department"))
    approver: Approver
    if role == "department-head":
        approver = Approver(type="department-head", department=department)
    elif role == "project-manager":
        approver = Approver(type="project-manager", department=department)
    else:
        approver = Approver(type="role", role=role, department=department)
    sla = None
    days = item.get("sla_days")
    if days is not None:
        hours = float(Decimal(str(days)) * 24)
        on_timeout = str(item.get("on_timeout") or "notify")
        if on_timeout not in ("escalate", "reject", "notify"):
            on_timeout = "notify"
        remind = chain.remind_before_hours or min(24.0, hours / 2)
        sla = Sla(hours=hours, remind_before_hours=remind if remind < hours else None, on_timeout=on_timeout)
    quorum = int(item.get("quorum") or 1)
    return ApprovalStep(
        name=f"step-{position}-{role}",
        label=str(item.get("label") or role.replace("-", " ").capitalize())[:200],
        approver=approver,
        quorum=max(1, min(quorum, 20)),
        sla=sla,
        allow_self_approval=chain.allow_self_approval,
    )


def plan_from_rule(output: Any, chain: ApprovalChain) -> RulePlan:
    """Read an approval rule's result: ``{allowed, auto_approve, steps: [{order, role, department,
    sla_days, on_timeout}], reason}`` (the shape of ``approval.purchase-order``)."""
    if not isinstance(output, Mapping):
        raise ValueError("the approval rule did not return an object")
    allowed = output.get("allowed", True) is not False
    raw_steps = output.get("steps") or []
    if not isinstance(raw_steps, list) or not all(isinstance(item, Mapping) for item in raw_steps):
        raise ValueError("the approval rule's steps are not a list of objects")
    ordered = sorted(raw_steps, key=lambda item: _order(item.get("order")))
    steps = [_step_from_rule(item, chain, position) for position, item in enumerate(ordered, start=1)]
    reason = output.get("reason")
    return RulePlan(
        allowed=allowed,
        auto_approve=bool(output.get("auto_approve")) and not steps,
        steps=steps,
        reason=str(reason) if reason else None,
    )


def sla_times(start: dt.datetime, sla: Sla | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """``(remind_at, due_at)`` of a task created at ``start``."""
    if sla is None:
        return None, None
    due = start + sla.hours * HOUR
    remind = due - sla.remind_before_hours * HOUR if sla.remind_before_hours else None
    return remind, due


def escalation_target(sla: Sla | None, chain: ApprovalChain | None) -> Approver:
    if sla is not None and sla.escalate_to is not None:
        return sla.escalate_to
    if chain is not None and chain.escalate_to is not None:
        return chain.escalate_to
    return Approver(type="role", role=DEFAULT_ESCALATION_ROLE)


def may_act(
    *,
    assignee_user: uuid.UUID | None,
    assignee_role: str | None,
    delegate_user: uuid.UUID | None,
    delegate_from: dt.datetime | None,
    delegate_until: dt.datetime | None,
    subject: uuid.UUID,
    roles: Iterable[str],
    now: dt.datetime,
) -> Literal["assignee", "delegate", None]:
    """How a person may act on a task: as its assignee, as a delegate inside the window, or not."""
    if assignee_user is not None and assignee_user == subject:
        return "assignee"
    if assignee_role is not None and assignee_role in set(roles):
        return "assignee"
    in_window = delegate_from is not None and delegate_until is not None and delegate_from <= now < delegate_until
    if delegate_user == subject and in_window:
        return "delegate"
    return None


_PLACEHOLDER = re.compile(r"\{\{\s*([a-zA-Z0-9_.-]+)\s*\}\}")


def lookup(path: str, context: Mapping[str, Any]) -> Any:
    value: Any = context
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def render(value: Any, context: Mapping[str, Any]) -> Any:
    """Fill ``{{path}}`` placeholders in a JSON value (a whole-string placeholder keeps its type)."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole:
            return lookup(whole.group(1), context)
        return _PLACEHOLDER.sub(lambda match: _text(lookup(match.group(1), context)) or "", value)
    if isinstance(value, Mapping):
        return {key: render(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render(item, context) for item in value]
    return value


def parse_amount(value: Any) -> Decimal:
    """A document amount: a non-negative decimal with at most 4 places (taka and paisa)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('must be a decimal number such as "150000.00"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError('must be a decimal number such as "150000.00"') from None
    if not amount.is_finite() or amount < 0:
        raise ValueError("must be zero or more")
    if amount > Decimal("1e15"):
        raise ValueError("is too large")
    if -amount.as_tuple().exponent > 4:  # type: ignore[operator]
        raise ValueError("has more than 4 decimal places")
    return amount


def _order(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1_000_000


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
