"""A decision is recorded exactly once: the same action sent twice (by the same person, or with
the same Idempotency-Key) answers the first result, and of two people deciding the same task at
once one wins and the other gets a 409."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from workflow_support import BASE, Flow, outbox, user

PO = "purchase-order-approval"


def po(amount: str, requester: uuid.UUID) -> dict[str, Any]:
    return {"amount": amount, "department": "procurement", "requested_by": str(requester)}


async def _one_task(flow: Flow, tenant: uuid.UUID, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    started = await flow.started(tenant, PO, key, po("150000.00", user()), flow.headers(tenant))
    [task] = started["open_tasks"]
    return started, task


async def test_the_same_approval_sent_twice_is_recorded_once(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started, task = await _one_task(flow, tenant, "PO-TWICE")
    head = flow.headers(tenant, roles=["department-head"])
    first = await flow.act(task["id"], head, "approve", comment="ok")
    second = await flow.act(task["id"], head, "approve", comment="ok")
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["replayed"] is False
    assert second.json()["replayed"] is True
    assert first.json()["history_id"] == second.json()["history_id"]
    body = await flow.instance(tenant, started["id"])
    assert [entry["action"] for entry in body["history"]].count("approve") == 1
    assert body["current_step"] == 2
    assert len(body["open_tasks"]) == 1
    completed = [
        event
        for event in await outbox(flow, tenant, "workflow.task.completed")
        if event["data"]["task_id"] == task["id"]
    ]
    assert len(completed) == 1


async def test_an_idempotency_key_replays_the_first_answer(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started, task = await _one_task(flow, tenant, "PO-KEY")
    head = flow.headers(tenant, roles=["department-head"])
    key = {"Idempotency-Key": f"approve-{uuid.uuid4()}"}
    first = await flow.client.post(
        f"{BASE}/tasks/{task['id']}/actions", json={"action": "approve"}, headers={**head, **key}
    )
    again = await flow.client.post(
        f"{BASE}/tasks/{task['id']}/actions", json={"action": "approve"}, headers={**head, **key}
    )
    assert first.status_code == again.status_code == 200
    assert again.json()["replayed"] is True
    assert again.json()["history_id"] == first.json()["history_id"]
    # the key belongs to that action: reusing it for another is refused
    [next_task] = (await flow.instance(tenant, started["id"]))["open_tasks"]
    cfo = flow.headers(tenant, roles=["finance-manager"])
    reused = await flow.client.post(
        f"{BASE}/tasks/{next_task['id']}/actions", json={"action": "approve"}, headers={**cfo, **key}
    )
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"


async def test_starting_with_the_same_idempotency_key_starts_once(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    requester = user()
    headers = {**flow.headers(tenant, subject=requester), "Idempotency-Key": "scm-po-000042-submit"}
    body = {"definition": PO, "business_key": "PO-2025-26-000042", "document": po("185000.00", requester)}
    first = await flow.client.post(f"{BASE}/instances", json=body, headers=headers)
    again = await flow.client.post(f"{BASE}/instances", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]


async def test_of_two_concurrent_approvals_one_wins_and_the_other_gets_409(
    flow: Flow, rules_installed: uuid.UUID
) -> None:
    tenant = rules_installed
    started, task = await _one_task(flow, tenant, "PO-RACE")
    heads = [flow.headers(tenant, subject=user(), roles=["department-head"]) for _ in range(2)]
    responses = await asyncio.gather(*(flow.act(task["id"], headers, "approve") for headers in heads))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 409], [response.text for response in responses]
    loser = next(response for response in responses if response.status_code == 409)
    assert loser.json()["code"] in ("task_closed", "version_conflict")
    body = await flow.instance(tenant, started["id"])
    assert [entry["action"] for entry in body["history"]].count("approve") == 1
    assert body["current_step"] == 2


async def test_an_approval_racing_a_rejection_leaves_one_decision(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started, task = await _one_task(flow, tenant, "PO-RACE-2")
    approve = flow.act(task["id"], flow.headers(tenant, roles=["department-head"]), "approve")
    reject = flow.act(task["id"], flow.headers(tenant, roles=["department-head"]), "reject", reason="Over budget")
    responses = await asyncio.gather(approve, reject)
    assert sorted(response.status_code for response in responses) == [200, 409]
    body = await flow.instance(tenant, started["id"])
    decided = [entry["action"] for entry in body["history"] if entry["task_id"] == task["id"]]
    assert len(decided) == 1
    assert body["status"] == ("rejected" if decided == ["reject"] else "running")


QUORUM = {
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


async def test_two_seats_of_a_quorum_approved_at_once_both_count(flow: Flow, tenant: uuid.UUID) -> None:
    await flow.define(tenant, "board-race", QUORUM)
    started = await flow.started(tenant, "board-race", "CT-RACE", {}, flow.headers(tenant))
    seat_one, seat_two = started["open_tasks"]
    directors = [flow.headers(tenant, roles=["director"]) for _ in range(2)]
    responses = await asyncio.gather(
        flow.act(seat_one["id"], directors[0], "approve"), flow.act(seat_two["id"], directors[1], "approve")
    )
    assert [response.status_code for response in responses] == [200, 200]
    body = await flow.instance(tenant, started["id"])
    assert body["status"] == "completed"  # the second vote saw the first: the quorum was met
