"""Approval chains end to end through the API, with users of each role: steps computed by the
rules service by amount, inboxes by role and by person, self-approval, reasons, requests for
information, quorum, delegation, cancellation, and definitions kept per version."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from workflow_support import ADMIN, BASE, Flow, outbox, user

PO = "purchase-order-approval"


def po(amount: str, requester: uuid.UUID, **extra: Any) -> dict[str, Any]:
    return {"amount": amount, "department": "procurement", "requested_by": str(requester), **extra}


def done(body: dict[str, Any]) -> bool:
    return bool(body["status"] != "running")


@pytest.mark.parametrize(
    ("amount", "roles"),
    [
        ("75000.00", ["department-head"]),
        ("150000.00", ["department-head", "finance-manager"]),
        ("9999999.99", ["department-head", "finance-manager"]),
    ],
)
async def test_a_purchase_order_climbs_the_steps_its_amount_needs(
    flow: Flow, rules_installed: uuid.UUID, amount: str, roles: list[str]
) -> None:
    tenant = rules_installed
    requester = user()
    officer = flow.headers(tenant, subject=requester, roles=["procurement-officer"])
    approvers = {role: flow.headers(tenant, roles=[role]) for role in ("department-head", "finance-manager")}
    started = await flow.started(tenant, PO, f"PO-{uuid.uuid4().hex[:8]}", po(amount, requester), officer)
    assert started["state"] == "pending-approval"
    assert started["current_step"] == 1
    [chain] = started["approvals"]
    assert chain["rule"]["key"] == "approval.purchase-order"
    assert chain["rule"]["version"] == 1
    assert [step["approver"].get("role", step["approver"]["type"]) for step in chain["steps"]] == roles
    for position, role in enumerate(roles, start=1):
        for other, headers in approvers.items():
            if other != role:  # the other roles do not see it yet (or any more)
                assert [task for task in await flow.inbox(headers) if task["instance_id"] == started["id"]] == []
        [task] = [task for task in await flow.inbox(approvers[role]) if task["instance_id"] == started["id"]]
        assert task["step"] == position
        assert task["assignee_role"] == role
        assert task["actions"] == ["approve", "reject", "request-information", "delegate", "comment"]
        response = await flow.act(task["id"], approvers[role], "approve", comment=f"{role} agrees")
        assert response.status_code == 200, response.text
    body = await flow.wait_for(tenant, started["id"], done)
    assert body["status"] == "completed"
    assert body["state"] == "completed"
    assert [step["status"] for step in body["approvals"][0]["steps"]] == ["approved"] * len(roles)
    # finance and scm are not deployed here: their steps are skipped (visible), the notice is sent
    assert [(step["name"], step["status"]) for step in body["system_steps"]] == [
        ("reserve-budget", "skipped"),
        ("issue-purchase-order", "skipped"),
        ("notify-requester", "completed"),
    ]
    actions = [entry["action"] for entry in body["history"]]
    assert actions[0] == "start"
    assert actions.count("approve") == len(roles)
    assert [
        event["data"]["outcome"]
        for event in await outbox(flow, tenant, "workflow.process.completed")
        if event["subject"] == started["id"]
    ] == ["completed"]


async def test_a_small_purchase_order_is_approved_without_anyone(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    requester = user()
    started = await flow.started(
        tenant, PO, "PO-SMALL-1", po("50000.00", requester), flow.headers(tenant, subject=requester)
    )
    assert started["approvals"][0]["steps"] == []
    assert started["open_tasks"] == []
    body = await flow.wait_for(tenant, started["id"], done)
    assert body["status"] == "completed"


@pytest.mark.parametrize(
    ("document", "status", "field"),
    [
        ({"amount": "10000000.01", "department": "procurement"}, 422, "body.document.amount"),
        ({"amount": "-5", "department": "procurement"}, 422, "body.document.amount"),
        ({"amount": "12.345678", "department": "procurement"}, 422, "body.document.amount"),
        ({"amount": "1000", "department": "procurement", "requested_by": "someone"}, 422, "body.document.requested_by"),
    ],
)
async def test_documents_the_rules_refuse_or_that_are_malformed_start_nothing(
    flow: Flow, rules_installed: uuid.UUID, document: dict[str, Any], status: int, field: str
) -> None:
    tenant = rules_installed
    headers = flow.headers(tenant)
    response = await flow.start(tenant, PO, "PO-BAD", document, headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert field in [item["field"] for item in response.json()["errors"]]
    listing = await flow.client.get(f"{BASE}/instances", headers=flow.headers(tenant, permissions=ADMIN))
    assert listing.json()["items"] == []


async def test_without_the_approval_rule_the_tenant_is_told_to_install_it(flow: Flow, tenant: uuid.UUID) -> None:
    response = await flow.start(tenant, PO, "PO-NORULE", po("150000.00", user()), flow.headers(tenant))
    assert response.status_code == 409
    assert response.json()["code"] == "approval_rule_unavailable"


async def test_unknown_definitions_and_bad_bodies_are_problems(flow: Flow, tenant: uuid.UUID) -> None:
    headers = flow.headers(tenant)
    missing = await flow.start(tenant, "no-such-process", "X-1", {}, headers)
    assert missing.status_code == 404
    bad = await flow.client.post(
        f"{BASE}/instances", json={"definition": PO, "business_key": "", "document": []}, headers=headers
    )
    assert bad.status_code == 422
    assert {item["field"] for item in bad.json()["errors"]} == {"body.business_key", "body.document"}


async def test_one_running_process_per_document(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    requester = user()
    headers = flow.headers(tenant, subject=requester)
    first = await flow.started(tenant, PO, "PO-ONCE", po("75000.00", requester), headers)
    again = await flow.start(tenant, PO, "PO-ONCE", po("75000.00", requester), headers)
    assert again.status_code == 409
    assert again.json()["code"] == "instance_exists"
    assert again.json()["instance_id"] == first["id"]


async def test_nobody_approves_their_own_purchase_order(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    requester = user()
    # the requester is also a department head
    own = flow.headers(tenant, subject=requester, roles=["procurement-officer", "department-head"])
    started = await flow.started(tenant, PO, "PO-SELF", po("75000.00", requester), own)
    [task] = await flow.inbox(own)
    refused = await flow.act(task["id"], own, "approve")
    assert refused.status_code == 403
    assert refused.json()["code"] == "self_approval_refused"
    other_head = flow.headers(tenant, roles=["department-head"])
    assert (await flow.act(task["id"], other_head, "approve")).status_code == 200
    assert (await flow.wait_for(tenant, started["id"], done))["status"] == "completed"


async def test_someone_without_the_role_cannot_act(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started = await flow.started(tenant, PO, "PO-ROLE", po("75000.00", user()), flow.headers(tenant))
    [task] = started["open_tasks"]
    engineer = flow.headers(tenant, roles=["site-engineer"])
    assert await flow.inbox(engineer) == []
    response = await flow.act(task["id"], engineer, "approve")
    assert response.status_code == 403
    assert response.json()["code"] == "not_assignee"
    no_permission = flow.headers(tenant, roles=["department-head"], permissions=("workflow.task.read",))
    assert (await flow.act(task["id"], no_permission, "approve")).status_code == 403


async def test_a_rejection_needs_a_reason_and_ends_the_process(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started = await flow.started(tenant, PO, "PO-REJ", po("150000.00", user()), flow.headers(tenant))
    head = flow.headers(tenant, roles=["department-head"])
    [task] = await flow.inbox(head)
    no_reason = await flow.act(task["id"], head, "reject", comment="   ")
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "body.reason"
    assert (await flow.instance(tenant, started["id"]))["status"] == "running"
    rejected = await flow.act(task["id"], head, "reject", reason="Quotation from only one supplier")
    assert rejected.status_code == 200
    body = await flow.instance(tenant, started["id"])
    assert body["status"] == "rejected"
    assert body["state"] == "rejected"
    assert body["approvals"][0]["steps"][0]["status"] == "rejected"
    assert body["approvals"][0]["steps"][1]["status"] == "waiting"
    [entry] = [entry for entry in body["history"] if entry["action"] == "reject"]
    assert entry["comment"] == "Quotation from only one supplier"


async def test_a_request_for_information_returns_to_the_same_step(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    requester = user()
    officer = flow.headers(tenant, subject=requester, roles=["procurement-officer"])
    head, cfo = flow.headers(tenant, roles=["department-head"]), flow.headers(tenant, roles=["finance-manager"])
    started = await flow.started(tenant, PO, "PO-INFO", po("150000.00", requester), officer)
    [first] = await flow.inbox(head)
    assert (await flow.act(first["id"], head, "approve")).status_code == 200
    [second] = await flow.inbox(cfo)
    asked = await flow.act(second["id"], cfo, "request-information", comment="Attach the comparative statement")
    assert asked.status_code == 200
    assert asked.json()["instance"]["state"] == "information-requested"
    assert await flow.inbox(cfo) == []
    [reply] = await flow.inbox(officer)
    assert reply["state"] == "information-requested"
    assert reply["actions"] == ["resubmit", "delegate", "comment"]
    assert (await flow.act(reply["id"], officer, "resubmit", comment="Attached")).status_code == 200
    body = await flow.instance(tenant, started["id"])
    assert body["state"] == "pending-approval"
    assert body["current_step"] == 2
    [again] = await flow.inbox(cfo)
    assert (await flow.act(again["id"], cfo, "approve")).status_code == 200
    assert (await flow.wait_for(tenant, started["id"], done))["status"] == "completed"


BOARD = {
    "document_type": "contract",
    "name": "Contract approval",
    "initial": "review",
    "states": [
        {
            "name": "review",
            "kind": "approval",
            "approval": {
                "steps": [
                    {"name": "board", "approver": {"type": "role", "role": "director"}, "quorum": 2},
                ]
            },
        },
        {"name": "approved", "kind": "final", "outcome": "completed"},
        {"name": "rejected", "kind": "final", "outcome": "rejected"},
    ],
    "transitions": [
        {"action": "approve", "from": ["review"], "to": "approved"},
        {"action": "reject", "from": ["review"], "to": "rejected"},
    ],
}


async def test_a_quorum_needs_two_different_directors(flow: Flow, tenant: uuid.UUID) -> None:
    await flow.define(tenant, "board-contract", BOARD)
    started = await flow.started(tenant, "board-contract", "CT-1", {"amount": "25000000"}, flow.headers(tenant))
    assert len(started["open_tasks"]) == 2
    first, second = (flow.headers(tenant, roles=["director"]) for _ in range(2))
    seat_one, seat_two = await flow.inbox(first)
    assert (await flow.act(seat_one["id"], first, "approve")).status_code == 200
    twice = await flow.act(seat_two["id"], first, "approve")
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_decided"
    assert (await flow.instance(tenant, started["id"]))["status"] == "running"
    assert (await flow.act(seat_two["id"], second, "approve")).status_code == 200
    assert (await flow.instance(tenant, started["id"]))["status"] == "completed"


async def test_a_quorum_out_of_reach_rejects(flow: Flow, tenant: uuid.UUID) -> None:
    await flow.define(tenant, "board-contract", BOARD)
    started = await flow.started(tenant, "board-contract", "CT-2", {}, flow.headers(tenant))
    director = flow.headers(tenant, roles=["director"])
    seat, _ = await flow.inbox(director)
    assert (await flow.act(seat["id"], director, "reject", reason="Budget not approved")).status_code == 200
    assert (await flow.instance(tenant, started["id"]))["status"] == "rejected"


async def test_a_delegate_acts_only_inside_the_window(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started = await flow.started(tenant, PO, "PO-DELEGATE", po("75000.00", user()), flow.headers(tenant))
    head = flow.headers(tenant, roles=["department-head"])
    stand_in = user()
    deputy = flow.headers(tenant, subject=stand_in, roles=["procurement-officer"])
    [task] = await flow.inbox(head)
    now = dt.datetime.now(dt.UTC)
    future = await flow.act(
        task["id"],
        head,
        "delegate",
        delegate_to=str(stand_in),
        valid_from=(now + dt.timedelta(days=1)).isoformat(),
        valid_until=(now + dt.timedelta(days=3)).isoformat(),
        comment="On leave from tomorrow",
    )
    assert future.status_code == 200, future.text
    assert await flow.inbox(deputy) == []  # not yet
    assert (await flow.act(task["id"], deputy, "approve")).status_code == 403
    with flow.travel(dt.timedelta(days=2)):
        [seen] = await flow.inbox(deputy)
        assert seen["delegate_user_id"] == str(stand_in)
        assert (await flow.act(task["id"], deputy, "approve", comment="Approved for Mr. Karim")).status_code == 200
    body = await flow.wait_for(tenant, started["id"], done)
    [decision] = [entry for entry in body["history"] if entry["action"] == "approve"]
    assert decision["actor"] == str(stand_in)
    assert [entry["data"]["to"] for entry in body["history"] if entry["action"] == "delegate"] == [str(stand_in)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.delegate_to"),
        ({"delegate_to": "SELF"}, "body.delegate_to"),
        ({"delegate_to": "OTHER"}, "body.valid_until"),
        ({"delegate_to": "OTHER", "valid_until": "PAST"}, "body.valid_until"),
        ({"delegate_to": "OTHER", "valid_until": "FAR"}, "body.valid_until"),
    ],
)
async def test_a_delegation_needs_someone_else_and_a_window(
    flow: Flow, rules_installed: uuid.UUID, body: dict[str, Any], field: str
) -> None:
    tenant = rules_installed
    await flow.started(tenant, PO, "PO-DW", po("75000.00", user()), flow.headers(tenant))
    me = user()
    head = flow.headers(tenant, subject=me, roles=["department-head"])
    [task] = await flow.inbox(head)
    now = dt.datetime.now(dt.UTC)
    values = {
        "SELF": str(me),
        "OTHER": str(user()),
        "PAST": (now - dt.timedelta(hours=1)).isoformat(),
        "FAR": (now + dt.timedelta(days=120)).isoformat(),
    }
    response = await flow.act(
        task["id"], head, "delegate", **{key: values.get(value, value) for key, value in body.items()}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_comments_are_history_and_change_nothing_else(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started = await flow.started(tenant, PO, "PO-COMMENT", po("75000.00", user()), flow.headers(tenant))
    head = flow.headers(tenant, roles=["department-head"])
    [task] = await flow.inbox(head)
    assert (await flow.act(task["id"], head, "comment", comment="Checking with the site")).status_code == 200
    assert (await flow.act(task["id"], head, "comment")).status_code == 422
    body = await flow.instance(tenant, started["id"])
    assert body["open_tasks"][0]["id"] == task["id"]
    assert [entry["comment"] for entry in body["history"] if entry["action"] == "comment"] == ["Checking with the site"]


async def test_the_requester_cancels_with_a_reason(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    requester = user()
    mine = flow.headers(tenant, subject=requester)
    started = await flow.started(tenant, PO, "PO-CANCEL", po("150000.00", requester), mine)
    path = f"{BASE}/instances/{started['id']}/actions"
    stranger = await flow.client.post(path, json={"action": "cancel", "comment": "no"}, headers=flow.headers(tenant))
    assert stranger.status_code == 403
    no_reason = await flow.client.post(path, json={"action": "cancel"}, headers=mine)
    assert no_reason.status_code == 422
    unknown = await flow.client.post(path, json={"action": "approve"}, headers=mine)
    assert unknown.status_code == 422
    cancelled = await flow.client.post(path, json={"action": "cancel", "comment": "Supplier withdrew"}, headers=mine)
    assert cancelled.status_code == 200, cancelled.text
    body = await flow.instance(tenant, started["id"])
    assert body["status"] == "cancelled"
    assert body["open_tasks"] == []
    assert {task["status"] for step in body["approvals"][0]["steps"] for task in step["tasks"]} == {"withdrawn"}
    again = await flow.client.post(path, json={"action": "cancel", "comment": "again"}, headers=mine)
    assert again.status_code == 409
    assert again.json()["code"] == "instance_finished"


async def test_a_document_goes_back_and_forth_between_author_and_project_manager(flow: Flow, tenant: uuid.UUID) -> None:
    author, manager = user(), user()
    mine, pm = flow.headers(tenant, subject=author), flow.headers(tenant, subject=manager, roles=["project-manager"])
    started = await flow.started(
        tenant,
        "document-approval",
        "DWG-STR-014-R2",
        {"title": "Pile cap reinforcement, Block B", "project_manager_id": str(manager)},
        mine,
    )
    [review] = await flow.inbox(pm)
    assert review["actions"] == ["approve", "request-changes", "reject", "delegate", "comment"]
    assert (await flow.act(review["id"], pm, "request-changes")).status_code == 422  # comment required
    assert (await flow.act(review["id"], pm, "request-changes", comment="Lap length per BNBC")).status_code == 200
    [revision] = await flow.inbox(mine)
    assert (await flow.act(revision["id"], mine, "resubmit", comment="Revised R3")).status_code == 200
    [review_again] = await flow.inbox(pm)
    assert (await flow.act(review_again["id"], pm, "approve")).status_code == 200
    body = await flow.instance(tenant, started["id"])
    assert body["status"] == "completed"
    assert body["state"] == "approved"
    assert [entry["to_state"] for entry in body["history"] if entry["action"] == "transition"] == [
        "revision",
        "review",
        "approved",
    ]


async def test_a_running_process_keeps_its_definition_version(flow: Flow, tenant: uuid.UUID) -> None:
    await flow.define(tenant, "board-contract", BOARD)
    old = await flow.started(tenant, "board-contract", "CT-V1", {}, flow.headers(tenant))
    single = {
        **BOARD,
        "states": [
            {
                "name": "review",
                "kind": "approval",
                "approval": {"steps": [{"name": "chair", "approver": {"type": "role", "role": "chairman"}}]},
            },
            *BOARD["states"][1:],
        ],
    }
    admin = flow.headers(tenant, permissions=ADMIN)
    published = await flow.client.post(
        f"{BASE}/definitions/board-contract/versions", json={"spec": single}, headers=admin
    )
    assert published.status_code == 201, published.text
    assert published.json()["version"] == 2
    assert [item["version"] for item in published.json()["versions"]] == [2, 1]
    new = await flow.started(tenant, "board-contract", "CT-V2", {}, flow.headers(tenant))
    assert (old["definition_version"], new["definition_version"]) == (1, 2)
    assert {task["assignee_role"] for task in (await flow.instance(tenant, old["id"]))["open_tasks"]} == {"director"}
    assert {task["assignee_role"] for task in new["open_tasks"]} == {"chairman"}
    v1 = await flow.client.get(f"{BASE}/definitions/board-contract/versions/1", headers=admin)
    assert v1.status_code == 200
    assert v1.json()["is_current"] is False


async def test_definitions_list_the_shipped_ones_and_refuse_bad_specs(flow: Flow, tenant: uuid.UUID) -> None:
    admin = flow.headers(tenant, permissions=ADMIN)
    listing = await flow.client.get(f"{BASE}/definitions", headers=admin)
    assert {item["key"] for item in listing.json()["items"]} >= {"purchase-order-approval", "employee-onboarding"}
    clash = await flow.client.post(f"{BASE}/definitions", json={"key": PO, "spec": BOARD}, headers=admin)
    assert clash.status_code == 409
    broken = {**BOARD, "initial": "nowhere"}
    bad = await flow.client.post(f"{BASE}/definitions", json={"key": "broken-one", "spec": broken}, headers=admin)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].startswith("body.spec")
    viewer = flow.headers(tenant, permissions=("workflow.definition.read",))
    assert (
        await flow.client.post(f"{BASE}/definitions", json={"key": "x-y-z", "spec": BOARD}, headers=viewer)
    ).status_code == 403


async def test_another_tenants_definitions_processes_and_tasks_are_not_found(
    flow: Flow, rules_installed: uuid.UUID
) -> None:
    tenant = rules_installed
    await flow.define(tenant, "board-contract", BOARD)
    started = await flow.started(tenant, PO, "PO-TENANT", po("75000.00", user()), flow.headers(tenant))
    [task] = started["open_tasks"]
    other = uuid.uuid4()
    stranger = flow.headers(other, roles=["department-head"], permissions=ADMIN)
    assert (await flow.client.get(f"{BASE}/instances/{started['id']}", headers=stranger)).status_code == 404
    assert (await flow.client.get(f"{BASE}/tasks/{task['id']}", headers=stranger)).status_code == 404
    assert (await flow.act(task["id"], stranger, "approve")).status_code == 404
    assert (
        await flow.client.post(
            f"{BASE}/instances/{started['id']}/actions", json={"action": "cancel", "comment": "x"}, headers=stranger
        )
    ).status_code == 404
    assert (await flow.client.get(f"{BASE}/definitions/board-contract", headers=stranger)).status_code == 404
    assert await flow.inbox(stranger) == []
    assert (await flow.client.get(f"{BASE}/instances", headers=stranger)).json()["items"] == []
    assert (await flow.instance(tenant, started["id"]))["open_tasks"][0]["status"] == "open"


async def test_lists_filter_and_page(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    requester = user()
    headers = flow.headers(tenant, subject=requester)
    for number in range(3):
        await flow.started(tenant, PO, f"PO-LIST-{number}", po("75000.00", requester), headers)
    admin = flow.headers(tenant, permissions=ADMIN)
    first = await flow.client.get(f"{BASE}/instances", params={"limit": 2, "mine": "false"}, headers=admin)
    assert len(first.json()["items"]) == 2
    assert first.json()["next_cursor"]
    rest = await flow.client.get(
        f"{BASE}/instances", params={"limit": 2, "cursor": first.json()["next_cursor"]}, headers=admin
    )
    assert len(rest.json()["items"]) == 1
    mine = await flow.client.get(f"{BASE}/instances", params={"mine": "true"}, headers=headers)
    assert len(mine.json()["items"]) == 3
    keyed = await flow.client.get(f"{BASE}/instances", params={"business_key": "PO-LIST-1"}, headers=admin)
    assert [item["business_key"] for item in keyed.json()["items"]] == ["PO-LIST-1"]
    tasks = await flow.client.get(f"{BASE}/tasks", params={"definition": PO, "status": "open"}, headers=admin)
    assert len(tasks.json()["items"]) == 3
    bad = await flow.client.get(f"{BASE}/tasks", params={"status": "sleeping"}, headers=admin)
    assert bad.status_code == 422
