"""The engine's pure rules, by tables of cases: quorum, approvers, rule output, SLA times,
conditions (ZEN, never eval), templates, amounts, who may act, and definition validation."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from vextrus.services.workflow.definitions import ApprovalChain, ApprovalStep, Approver, DefinitionSpec, Sla, Transition
from vextrus.services.workflow.logic import (
    Assignment,
    ResolutionError,
    chain_steps,
    choose,
    holds,
    may_act,
    parse_amount,
    plan_from_rule,
    render,
    resolve,
    seats,
    sla_times,
    step_outcome,
)
from vextrus.services.workflow.templates import builtin_definitions

REQUESTER, MANAGER, HEAD, PM = (uuid.uuid4() for _ in range(4))
T0 = dt.datetime(2026, 1, 15, 4, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("quorum", "approvals", "still_open", "expected"),
    [
        (1, 1, 0, "approved"),
        (1, 0, 1, "pending"),
        (1, 0, 0, "rejected"),
        (2, 1, 1, "pending"),
        (2, 2, 1, "approved"),
        (2, 1, 0, "rejected"),  # one approved, the others rejected: nobody left to approve
        (2, 0, 2, "pending"),  # one of three rejected: two can still make the quorum
        (2, 0, 1, "rejected"),  # two of three rejected: the quorum is out of reach
        (3, 3, 0, "approved"),
    ],
)
def test_a_step_is_decided_by_its_quorum(quorum: int, approvals: int, still_open: int, expected: str) -> None:
    assert step_outcome(quorum, approvals, still_open) == expected


DOCUMENT = {
    "department": "procurement",
    "manager_id": str(MANAGER),
    "department_head_id": str(HEAD),
    "project_manager_id": str(PM),
}


@pytest.mark.parametrize(
    ("approver", "document", "expected"),
    [
        ({"type": "requester"}, {}, [Assignment(user_id=REQUESTER)]),
        ({"type": "role", "role": "finance-manager"}, {}, [Assignment(role="finance-manager")]),
        ({"type": "user", "user_id": str(PM)}, {}, [Assignment(user_id=PM)]),
        ({"type": "manager"}, DOCUMENT, [Assignment(user_id=MANAGER)]),
        ({"type": "department-head"}, DOCUMENT, [Assignment(user_id=HEAD, department="procurement")]),
        (
            {"type": "department-head"},
            {"department": "civil"},
            [Assignment(role="department-head", department="civil")],
        ),
        ({"type": "project-manager"}, DOCUMENT, [Assignment(user_id=PM)]),
        ({"type": "project-manager"}, {}, [Assignment(role="project-manager")]),
        (
            {"type": "users", "user_ids": [str(PM), str(HEAD), str(PM)]},
            {},
            [Assignment(user_id=PM), Assignment(user_id=HEAD)],
        ),
    ],
)
def test_approvers_resolve_from_the_document(
    approver: dict[str, Any], document: dict[str, Any], expected: list[Assignment]
) -> None:
    assert resolve(Approver.model_validate(approver), document, REQUESTER) == expected


@pytest.mark.parametrize(
    ("document", "field"),
    [({}, "document.manager_id"), ({"manager_id": "not-a-uuid"}, "document.manager_id")],
)
def test_an_unresolvable_manager_names_the_missing_field(document: dict[str, Any], field: str) -> None:
    with pytest.raises(ResolutionError) as caught:
        resolve(Approver(type="manager"), document, REQUESTER)
    assert caught.value.field == field


def test_a_role_step_with_a_quorum_has_that_many_seats() -> None:
    step = ApprovalStep(name="board", approver=Approver(type="role", role="director"), quorum=2)
    assert seats(step, {}, REQUESTER) == [Assignment(role="director")] * 2
    named = ApprovalStep(name="board", approver=Approver(type="users", user_ids=[PM, HEAD]), quorum=2)
    assert len(seats(named, {}, REQUESTER)) == 2


PO_CHAIN = ApprovalChain(rule="approval.purchase-order")


@pytest.mark.parametrize(
    ("output", "allowed", "roles", "hours", "on_timeout"),
    [
        ({"allowed": True, "auto_approve": True, "steps": []}, True, [], [], []),
        (
            {
                "allowed": True,
                "steps": [
                    {
                        "order": 2,
                        "role": "finance-manager",
                        "department": "finance",
                        "sla_days": 7,
                        "on_timeout": "reject",
                    },
                    {
                        "order": 1,
                        "role": "department-head",
                        "department": "procurement",
                        "sla_days": 7,
                        "on_timeout": "reject",
                    },
                ],
            },
            True,
            ["department-head", "finance-manager"],
            [168.0, 168.0],
            ["reject", "reject"],
        ),
        (
            {
                "allowed": True,
                "steps": [{"order": 1, "role": "accounts-payable", "sla_days": 2, "on_timeout": "escalate"}],
            },
            True,
            ["accounts-payable"],
            [48.0],
            ["escalate"],
        ),
        ({"allowed": False, "steps": [], "reason": "above the hard limit"}, False, [], [], []),
    ],
)
def test_approval_steps_come_from_the_rules_output(
    output: dict[str, Any], allowed: bool, roles: list[str], hours: list[float], on_timeout: list[str]
) -> None:
    plan = plan_from_rule(output, PO_CHAIN)
    assert plan.allowed is allowed
    assert [step.approver.role or step.approver.type for step in plan.steps] == roles
    assert [step.sla.hours for step in plan.steps if step.sla] == hours
    assert [step.sla.on_timeout for step in plan.steps if step.sla] == on_timeout


@pytest.mark.parametrize("output", [None, [], {"steps": "x"}, {"steps": [{"order": 1, "role": "Not A Role!"}]}])
def test_an_unusable_rule_output_is_refused(output: Any) -> None:
    with pytest.raises(ValueError):
        plan_from_rule(output, PO_CHAIN)


@pytest.mark.parametrize(
    ("sla", "remind", "due"),
    [
        (None, None, None),
        (Sla(hours=48), None, T0 + dt.timedelta(hours=48)),
        (Sla(hours=168, remind_before_hours=24), T0 + dt.timedelta(hours=144), T0 + dt.timedelta(hours=168)),
    ],
)
def test_sla_times(sla: Sla | None, remind: dt.datetime | None, due: dt.datetime | None) -> None:
    assert sla_times(T0, sla) == (remind, due)


@pytest.mark.parametrize(
    ("expression", "document", "expected"),
    [
        (None, {}, True),
        ("number(amount) > 100000", {"amount": "150000.00"}, True),
        ("number(amount) > 100000", {"amount": "100000.00"}, False),
        ('number(amount) > 1000 and department == "civil"', {"amount": "5000", "department": "civil"}, True),
        ('number(amount) > 1000 and department == "civil"', {"amount": "5000", "department": "mep"}, False),
        ("number(amount) > 1000", {}, False),  # evaluation error: not taken
        ("document.days > 3", {"days": 5}, True),
    ],
)
def test_conditions_are_zen_expressions(expression: str | None, document: dict[str, Any], expected: bool) -> None:
    assert holds(expression, {**document, "document": document}) is expected


def test_the_first_transition_whose_condition_holds_is_taken() -> None:
    board = Transition.model_validate(
        {"action": "approve", "from": ["review"], "to": "board", "condition": "number(amount) > 10000000"}
    )
    plain = Transition.model_validate({"action": "approve", "from": ["review"], "to": "approved"})
    assert choose([board, plain], {"amount": "20000000"}) is board
    assert choose([board, plain], {"amount": "5000"}) is plain


def test_python_is_never_evaluated() -> None:
    with pytest.raises(ValidationError):
        Transition.model_validate(
            {"action": "approve", "from": ["a"], "to": "b", "condition": "__import__('os').system('true')"}
        )


def test_static_steps_apply_by_their_conditions() -> None:
    leave = builtin_definitions()["leave-request"].state("pending-approval").approval
    assert leave is not None
    assert [step.name for step in chain_steps(leave, {"days": 2})] == ["manager"]
    assert [step.name for step in chain_steps(leave, {"days": 5})] == ["manager", "hr"]


def test_templates_fill_placeholders_keeping_types() -> None:
    context = {
        "document": {"amount": "150000.00", "items": [1, 2]},
        "instance": {"business_key": "PO-1"},
        "steps": {"reserve": {"id": "r-9"}},
    }
    body = {
        "amount": "{{document.amount}}",
        "items": "{{ document.items }}",
        "note": "for {{instance.business_key}}",
        "missing": "{{document.nope}}",
    }
    assert render(body, context) == {"amount": "150000.00", "items": [1, 2], "note": "for PO-1", "missing": None}
    assert render("/api/v1/x/{{steps.reserve.id}}/release", context) == "/api/v1/x/r-9/release"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("150000.00", Decimal("150000.00")), (42, Decimal(42)), ("0", Decimal(0)), (" 99.5 ", Decimal("99.5"))],
)
def test_amounts_are_exact_decimals(raw: Any, expected: Decimal) -> None:
    assert parse_amount(raw) == expected


@pytest.mark.parametrize("raw", ["-1", "abc", "NaN", "Infinity", "1e16", "1.00001", True, None, [1]])
def test_bad_amounts_are_refused(raw: Any) -> None:
    with pytest.raises(ValueError):
        parse_amount(raw)


WINDOW_START, WINDOW_END = T0, T0 + dt.timedelta(days=3)


@pytest.mark.parametrize(
    ("subject", "roles", "now", "expected"),
    [
        (MANAGER, (), T0, "assignee"),
        (PM, ("finance-manager",), T0, "assignee"),
        (HEAD, (), T0 + dt.timedelta(days=1), "delegate"),
        (HEAD, (), T0 - dt.timedelta(seconds=1), None),
        (HEAD, (), WINDOW_END, None),
        (REQUESTER, ("accountant",), T0, None),
    ],
)
def test_who_may_act_on_a_task(
    subject: uuid.UUID, roles: tuple[str, ...], now: dt.datetime, expected: str | None
) -> None:
    assert (
        may_act(
            assignee_user=MANAGER,
            assignee_role="finance-manager",
            delegate_user=HEAD,
            delegate_from=WINDOW_START,
            delegate_until=WINDOW_END,
            subject=subject,
            roles=roles,
            now=now,
        )
        == expected
    )


def _spec(**changes: Any) -> dict[str, Any]:
    spec = builtin_definitions()["document-approval"].model_dump(mode="json", by_alias=True, exclude_none=True)
    spec.update(changes)
    return spec


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"initial": "nowhere"}, "initial state"),
        ({"initial": "approved"}, "cannot be final"),
        ({"transitions": [{"action": "approve", "from": ["review"], "to": "mars"}]}, "unknown state"),
        ({"transitions": [{"action": "approve", "from": ["approved"], "to": "review"}]}, "leaves final state"),
        (
            {"states": [{"name": "review", "kind": "task"}, {"name": "done", "kind": "final", "outcome": "completed"}]},
            "needs an assignee",
        ),
    ],
)
def test_inconsistent_definitions_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DefinitionSpec.model_validate(_spec(**changes))
    assert message in str(caught.value)


def test_every_shipped_definition_is_valid() -> None:
    assert set(builtin_definitions()) == {
        "purchase-order-approval",
        "vendor-invoice-approval",
        "payment-approval",
        "purchase-requisition",
        "leave-request",
        "expense-claim",
        "document-approval",
        "employee-onboarding",
    }
