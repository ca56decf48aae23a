"""SLAs with an injected clock (no sleeping): reminders before the deadline, then at the deadline
auto-rejection, escalation (then rejection), or a notice only; the sweep is safe to repeat and
the scheduler runs it as a job."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from prometheus_client.parser import text_string_to_metric_families
from workflow_support import ADMIN, BASE, Flow, outbox, user

DAY = dt.timedelta(days=1)


def po(amount: str) -> dict[str, Any]:
    return {"amount": amount, "department": "procurement", "requested_by": str(user())}


def sample(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for item in family.samples:
            if item.name == name and all(item.labels.get(key) == value for key, value in labels.items()):
                return float(item.value)
    return 0.0


async def test_a_purchase_order_waits_seven_days_then_is_rejected(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    before = (await flow.client.get("/metrics")).text
    started = await flow.started(tenant, "purchase-order-approval", "PO-SLA", po("75000.00"), flow.headers(tenant))
    [task] = started["open_tasks"]
    due = dt.datetime.fromisoformat(task["due_at"])
    assert due - dt.datetime.fromisoformat(task["created_at"]) == 7 * DAY
    with flow.travel(5 * DAY):
        assert (await flow.sweep(tenant))["reminded"] == 0
    with flow.travel(6 * DAY + dt.timedelta(hours=1)):
        assert (await flow.sweep(tenant))["reminded"] == 1
        assert (await flow.sweep(tenant))["reminded"] == 0  # once
    assert [event["data"]["task_id"] for event in await outbox(flow, tenant, "workflow.task.reminded")] == [task["id"]]
    assert (await flow.instance(tenant, started["id"]))["status"] == "running"
    with flow.travel(7 * DAY + dt.timedelta(minutes=1)):
        result = await flow.sweep(tenant)
        assert (result["breached"], result["rejected"]) == (1, 1)
        assert (await flow.sweep(tenant))["breached"] == 0
    body = await flow.instance(tenant, started["id"])
    assert body["status"] == "rejected"
    assert body["approvals"][0]["steps"][0]["tasks"][0]["status"] == "expired"
    assert [entry["action"] for entry in body["history"]][-3:] == ["sla-breached", "auto-reject", "transition"]
    [breach] = await outbox(flow, tenant, "workflow.sla.breached")
    assert breach["data"]["on_timeout"] == "reject"
    assert breach["data"]["business_key"] == "PO-SLA"
    after = (await flow.client.get("/metrics")).text
    labels = {"definition": "purchase-order-approval", "on_timeout": "reject"}
    assert (
        sample(after, "workflow_sla_breach_total", **labels)
        == sample(before, "workflow_sla_breach_total", **labels) + 1
    )


async def test_a_late_vendor_invoice_escalates_then_is_rejected(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started = await flow.started(
        tenant,
        "vendor-invoice-approval",
        "VB-SLA",
        {"amount": "25000.00", "department": "construction"},
        flow.headers(tenant),
    )
    [task] = started["open_tasks"]
    assert task["assignee_role"] == "accounts-payable"
    assert task["on_timeout"] == "escalate"
    with flow.travel(2 * DAY + dt.timedelta(minutes=1)):
        assert (await flow.sweep(tenant))["escalated"] == 1
    body = await flow.instance(tenant, started["id"])
    [escalated] = body["open_tasks"]
    assert escalated["assignee_role"] == "finance-manager"
    assert escalated["escalation_level"] == 1
    assert escalated["step"] == task["step"]
    assert body["approvals"][0]["steps"][0]["tasks"][0]["status"] == "escalated"
    cfo = flow.headers(tenant, roles=["finance-manager"])
    assert [item["id"] for item in await flow.inbox(cfo)] == [escalated["id"]]
    with flow.travel(5 * DAY):
        assert (await flow.sweep(tenant))["rejected"] == 1
    assert (await flow.instance(tenant, started["id"]))["status"] == "rejected"


NOTIFY_ONLY = {
    "document_type": "site-report",
    "name": "Site report sign-off",
    "initial": "review",
    "states": [
        {
            "name": "review",
            "kind": "task",
            "assignee": {"type": "role", "role": "site-engineer"},
            "sla": {"hours": 4, "on_timeout": "notify"},
        },
        {"name": "done", "kind": "final", "outcome": "completed"},
    ],
    "transitions": [{"action": "sign", "from": ["review"], "to": "done"}],
}


async def test_a_notify_only_deadline_leaves_the_task_open(flow: Flow, tenant: uuid.UUID) -> None:
    await flow.define(tenant, "site-report", NOTIFY_ONLY)
    started = await flow.started(tenant, "site-report", "SR-1", {}, flow.headers(tenant))
    with flow.travel(dt.timedelta(hours=5)):
        result = await flow.sweep(tenant)
    assert (result["breached"], result["escalated"], result["rejected"]) == (1, 0, 0)
    body = await flow.instance(tenant, started["id"])
    assert body["status"] == "running"
    assert body["open_tasks"][0]["breached_at"] is not None
    engineer = flow.headers(tenant, roles=["site-engineer"])
    assert (await flow.act(body["open_tasks"][0]["id"], engineer, "sign")).status_code == 200
    assert (await flow.instance(tenant, started["id"]))["status"] == "completed"


async def test_the_scheduler_runs_the_sla_sweep_as_a_job(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    started = await flow.started(tenant, "purchase-order-approval", "PO-JOB", po("75000.00"), flow.headers(tenant))
    admin = flow.headers(tenant, permissions=ADMIN)
    job = await flow.client.post(
        "/api/v1/scheduler/jobs",
        json={
            "key": "workflow.sla-sweep",
            "name": "SLA sweep",
            "schedule": {"cron": "*/5 * * * *"},
            "target": {
                "type": "http",
                "service": "workflow",
                "path": f"{BASE}/sla/sweep",
                "permissions": ["workflow.sla.sweep"],
            },
        },
        headers=admin,
    )
    assert job.status_code == 201, job.text
    with flow.travel(8 * DAY):
        run = await flow.client.post(f"/api/v1/scheduler/jobs/{job.json()['id']}/trigger", headers=admin)
    assert run.status_code == 201, run.text
    assert run.json()["status"] == "succeeded", run.json()
    assert run.json()["output"]["rejected"] == 1, run.json()
    assert (await flow.instance(tenant, started["id"]))["status"] == "rejected"


async def test_the_business_metrics_are_exposed(flow: Flow, rules_installed: uuid.UUID) -> None:
    tenant = rules_installed
    before = (await flow.client.get("/metrics")).text
    started = await flow.started(tenant, "purchase-order-approval", "PO-METRICS", po("75000.00"), flow.headers(tenant))
    head = flow.headers(tenant, roles=["department-head"])
    assert (await flow.act(started["open_tasks"][0]["id"], head, "approve")).status_code == 200
    await flow.wait_for(tenant, started["id"], lambda body: body["status"] != "running")
    text = (await flow.client.get("/metrics")).text
    definition = {"definition": "purchase-order-approval"}
    assert (
        sample(text, "workflow_process_start_total", **definition)
        == sample(before, "workflow_process_start_total", **definition) + 1
    )
    assert sample(text, "workflow_task_duration_seconds_count", action="approve", **definition) >= 1
    assert "workflow_active_processes" in text
    assert "workflow_sla_breach_total" in text
